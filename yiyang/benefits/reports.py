"""What the indicator registry reads about allowances, per child region (the first `width` digits of the
region code): recipients by program and by old-age band, the month's spend, recipients new and stopped
this month, overpayments found and recovered, and this year's verification. Every count goes through the
scoping mechanism, so a dashboard never counts rows its reader could not open."""

from datetime import date

from django.db.models import Count, Q, Sum
from django.db.models.functions import Substr

from yiyang.core.regioncodes import region_range_q

from .models import (
    Payment,
    PayrollLine,
    ProgramKind,
    Recipient,
    RecipientStatus,
    RecoveryCase,
    Verification,
    VerificationStatus,
)
from .months import first_of

OLD_AGE_BANDS = (80, 90, 100)  # the lower ages of the seeded old-age bands


def _by_child(queryset, code: str, width: int, field: str = "region_code"):
    # No ordering: a model's default ordering would join the GROUP BY and split every group into rows.
    return queryset.filter(region_range_q(field, code)).order_by().annotate(child=Substr(field, 1, width))


def recipient_counts(user, code: str, width: int, today: date):
    """Per child: recipients receiving (active) by program kind, new this month (first month owed) and
    stopped from this month."""
    month = first_of(today)
    rows = _by_child(Recipient.objects.visible_to(user, "benefits.view_recipient"), code, width)
    return rows.values("child").annotate(
        old_age=Count("county_code", filter=Q(status=RecipientStatus.ACTIVE, program__kind=ProgramKind.OLD_AGE)),
        service=Count("county_code", filter=Q(status=RecipientStatus.ACTIVE, program__kind=ProgramKind.SERVICE)),
        care=Count("county_code", filter=Q(status=RecipientStatus.ACTIVE, program__kind=ProgramKind.CARE)),
        new=Count("county_code", filter=Q(start_month=month)),
        stopped=Count("county_code", filter=Q(status=RecipientStatus.STOPPED, stop_month=month)),
    )


def band_counts(user, code: str, width: int, today: date):
    """Per child and old-age band: the lines of this month's payroll (one per recipient paid for it)."""
    lines = _by_child(PayrollLine.objects.visible_to(user, "benefits.view_payrollline"), code, width)
    return (lines.filter(month=first_of(today), program__kind=ProgramKind.OLD_AGE).values("child", "band__min_age")
            .annotate(n=Count("county_code")))  # fmt: skip


def spend(user, code: str, width: int, today: date):
    """Per child: money the bank confirmed on this month's payroll (arrears included)."""
    paid = _by_child(Payment.objects.visible_to(user, "benefits.view_payment"), code, width)
    return paid.filter(paid_month=first_of(today)).values("child").annotate(total=Sum("amount"))


def recoveries(user, code: str, width: int):
    cases = _by_child(RecoveryCase.objects.visible_to(user, "benefits.view_recoverycase"), code, width)
    return cases.values("child").annotate(due=Sum("due_fen"), repaid=Sum("repaid_fen"))


def verification_counts(user, code: str, width: int, today: date):
    rows = _by_child(Verification.objects.visible_to(user, "benefits.view_verification"), code, width)
    return (
        rows.filter(year=today.year)
        .values("child")
        .annotate(n=Count("county_code"), verified=Count("county_code", filter=Q(status=VerificationStatus.VERIFIED)))
    )
