from django.core.management.base import BaseCommand, CommandError

from yiyang.regions import services


class Command(BaseCommand):
    help = "Load or refresh the real province/city/county divisions of China (or of the given provinces)."

    def add_arguments(self, parser):
        parser.add_argument("--province", action="append", default=[], help="2-digit province code, e.g. 41")

    def handle(self, *args, province, **options):
        if any(len(p) != 2 or not p.isdigit() for p in province):
            raise CommandError("--province 应为 2 位省级代码，如 41")
        count = services.load_divisions(set(province) or None)
        self.stdout.write(f"已载入 {count} 个省、市、县级区划。")
