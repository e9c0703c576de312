from django.core.management.base import BaseCommand

from yiyang.benefits import ends, verification
from yiyang.benefits.models import FacilityRule, Recipient, Verification, VerificationStatus
from yiyang.core.audit import Actor, Interface
from yiyang.core.scoping import SYSTEM_READER


class Command(BaseCommand):
    help = (
        "The daily round: stops by the end rules (a home-only subsidy after a facility admission), and the yearly "
        "verification's notices to the overdue and suspensions when a notice has run out."
    )

    def add_arguments(self, parser):
        parser.add_argument("--region", default="", help="a county's 12-digit code; every county when left out")

    def handle(self, *args, **options):
        actor = Actor(user=SYSTEM_READER, interface=Interface.CLI)
        open_rows = Verification.objects.exclude(status=VerificationStatus.VERIFIED)
        counties = [options["region"]] if options["region"] else sorted(
            {f"{code}000000" for code in open_rows.values_list("county_code", flat=True).distinct()}
        )  # fmt: skip
        # Stops by rule run every day, not only with the month's payroll: a stay that begins and ends between two
        # payroll runs is still found while it is open.
        home_only = Recipient.objects.filter(status__in=ends.RECEIVING, program__facility_rule=FacilityRule.HOME_ONLY)
        stopping = [options["region"][:6]] if options["region"] else sorted(
            set(home_only.values_list("county_code", flat=True).distinct())
        )  # fmt: skip
        for county_code in stopping:
            stopped = ends.apply_by_rule(actor, county_code)
            if stopped:
                self.stdout.write(f"{county_code}000000：按项目规则停发 {stopped} 人")
        for county in counties:
            notified = verification.notify_overdue(actor, county)
            suspended = verification.suspend_overdue(actor, county)
            if notified or suspended:
                self.stdout.write(f"{county}：催告 {notified} 人，暂停发放 {suspended} 人")
