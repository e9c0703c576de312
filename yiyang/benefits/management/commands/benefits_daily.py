from django.core.management.base import BaseCommand

from yiyang.benefits import verification
from yiyang.benefits.models import Verification, VerificationStatus
from yiyang.core.audit import Actor, Interface
from yiyang.core.scoping import SYSTEM_READER


class Command(BaseCommand):
    help = "The daily round of the yearly verification: notices to the overdue, suspension when a notice has run out."

    def add_arguments(self, parser):
        parser.add_argument("--region", default="", help="a county's 12-digit code; every county when left out")

    def handle(self, *args, **options):
        actor = Actor(user=SYSTEM_READER, interface=Interface.CLI)
        open_rows = Verification.objects.exclude(status=VerificationStatus.VERIFIED)
        counties = [options["region"]] if options["region"] else sorted(
            {f"{code}000000" for code in open_rows.values_list("county_code", flat=True).distinct()}
        )  # fmt: skip
        for county in counties:
            notified = verification.notify_overdue(actor, county)
            suspended = verification.suspend_overdue(actor, county)
            if notified or suspended:
                self.stdout.write(f"{county}：催告 {notified} 人，暂停发放 {suspended} 人")
