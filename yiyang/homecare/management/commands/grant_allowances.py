from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from yiyang.homecare import services


class Command(BaseCommand):
    help = "Credit this month's service vouchers by elder category, e.g. --allowance tekun=300 (yuan); rerun safely."

    def add_arguments(self, parser):
        parser.add_argument("--month", help="YYYY-MM; default: this month")
        parser.add_argument("--region", default="", help="only elders under this region code")
        parser.add_argument("--allowance", action="append", default=[], help="category=yuan, repeatable")

    def handle(self, *args, month=None, region="", allowance=(), **options):
        try:
            day = date.fromisoformat(f"{month}-01") if month else timezone.localdate().replace(day=1)
            rules = [services.Allowance(c, round(float(y) * 100)) for c, y in (a.split("=", 1) for a in allowance)]
        except ValueError:
            raise CommandError("--month 应为 YYYY-MM，--allowance 应为 类别=元，如 tekun=300") from None
        if not rules:
            raise CommandError("至少给出一个 --allowance")
        self.stdout.write(f"已发放 {services.grant_monthly(day, rules, region)} 人。")
