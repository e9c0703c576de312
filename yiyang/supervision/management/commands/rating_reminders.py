from django.core.management.base import BaseCommand

from yiyang.core.scoping import SYSTEM_READER
from yiyang.supervision.services import ratings


class Command(BaseCommand):
    help = (
        "List facilities whose star rating ends within the reminder days (default from the scheme), and those expired."
    )

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=None, help="提前提醒天数（默认取评定细则中的设置，90 天）")

    def handle(self, *args, days=None, **options):
        expiring = list(ratings.expiring(SYSTEM_READER, within_days=days))
        expired = list(ratings.expired(SYSTEM_READER))
        for facility in expiring:
            self.stdout.write(f"即将到期\t{facility.region_code}\t{facility.name}\t{facility.star_rating} 星\t"
                              f"有效期至 {facility.star_rating_valid_until:%Y-%m-%d}")  # fmt: skip
        for facility in expired:
            self.stdout.write(f"已过期\t{facility.region_code}\t{facility.name}\t{facility.star_rating} 星\t"
                              f"有效期至 {facility.star_rating_valid_until:%Y-%m-%d}")  # fmt: skip
        self.stdout.write(f"即将到期 {len(expiring)} 家，已过期 {len(expired)} 家。")
