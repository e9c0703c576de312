from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from yiyang.analytics import services


class Command(BaseCommand):
    help = "Record every region's indicators for a month (run at month end, e.g. from cron on the 1st)."

    def add_arguments(self, parser):
        parser.add_argument("--month", help="YYYY-MM; default: the current month")

    def handle(self, *args, month=None, **options):
        try:
            day = date.fromisoformat(f"{month}-01") if month else timezone.localdate()
        except ValueError:
            raise CommandError("--month 应为 YYYY-MM") from None
        count = services.snapshot_all(day)
        self.stdout.write(f"已记录 {count} 个区划 {day:%Y-%m} 的指标。")
