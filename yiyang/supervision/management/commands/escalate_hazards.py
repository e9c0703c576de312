from django.core.management.base import BaseCommand

from yiyang.supervision.services import inspections


class Command(BaseCommand):
    help = "Raise hazards past their rectification deadline to the city, then the province (run daily)."

    def handle(self, *args, **options):
        self.stdout.write(f"逾期升级 {inspections.escalate_overdue()} 条隐患。")
