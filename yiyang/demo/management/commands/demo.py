import time

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from yiyang.demo import generate
from yiyang.regions.models import Region


class Command(BaseCommand):
    help = "Build the demo (Henan divisions, facilities, elders, assessments, one account per role)."

    def add_arguments(self, parser):
        parser.add_argument("--elderly", type=int, default=3000, help="number of elders to generate")
        parser.add_argument("--streets", type=int, default=4, help="streets/towns per county")
        parser.add_argument("--communities", type=int, default=6, help="communities/villages per street")
        parser.add_argument(
            "--elderly-per-city",
            type=int,
            default=None,
            help="elders in each other city of Henan (default: a fiftieth of --elderly, at least 10; 0: none)",
        )
        parser.add_argument("--province-wide", action="store_true", help="streets for every county of Henan")
        parser.add_argument("--if-empty", action="store_true", help="do nothing when the database has data")
        parser.add_argument("--accounts", action="store_true", help="only print the demo accounts")

    def handle(self, *args, **options):
        if options["accounts"]:
            self.print_accounts()
            return
        if Region.objects.exists():
            if options["if_empty"]:
                self.stdout.write("数据库已有数据，跳过演示数据生成。")
                return
            raise CommandError("数据库已有数据；演示数据只能生成到空数据库中（删除 var/yiyang.sqlite3 后重试）。")
        if options["elderly"] < 1:
            raise CommandError("--elderly 至少为 1")
        if (options["elderly_per_city"] or 0) < 0:
            raise CommandError("--elderly-per-city 不能为负数")
        started = time.perf_counter()
        sizes = generate.Sizes(
            elderly=options["elderly"],
            streets_per_county=options["streets"],
            communities_per_street=options["communities"],
            demo_only_city=not options["province_wide"],
            elderly_per_other_city=options["elderly_per_city"],
        )
        generate.build(sizes, log=self.stdout.write)
        call_command("analyze_database", stdout=self.stdout)
        self.stdout.write(f"演示数据生成完毕，用时 {time.perf_counter() - started:.1f} 秒。")
        self.print_accounts()

    def print_accounts(self):
        from django.contrib.auth import get_user_model

        existing = set(get_user_model().objects.values_list("username", flat=True))
        self.stdout.write(f"\n演示账号（密码均为 {generate.DEMO_PASSWORD}）：")
        for username, _, _, _, description in generate.DEMO_ACCOUNTS:
            if username in existing:
                self.stdout.write(f"  {username:<10} {description}")
