"""End rules: the reasons the platform itself finds for a recipient to stop, declared once here and read
by the month's "must stop" list and the payroll run (which applies the rules marked `by_rule`).

Each rule reads the registries below benefits (elders, facilities) and names, per recipient, the event
and its date. A rule marked `by_rule` stops the allowance by itself from the month after the event, with
the rule's reason and the event in the recipient's history; the others are listed for a person, or for
the official death and move lists (stops.py), because the registry's word alone does not stop money.

Why a registry read from this side and no signal from facilities: the app order (DESIGN.md §2) lets
benefits read facilities' residences but never the other way, and an admission reaches the platform by
several paths (the facility's page, its import, the exchange API). Reading the residences finds every
admission whatever path wrote it; a signal would fire only from the one service that sent it.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date

from django.db import transaction
from django.db.models import F, Q, QuerySet

from yiyang.core import audit
from yiyang.core.audit import Actor, AuditAction
from yiyang.elders.models import Status

from .models import FacilityRule, Recipient, RecipientStatus, StopReason
from .months import next_month

RECEIVING = (RecipientStatus.ACTIVE, RecipientStatus.SUSPENDED)


@dataclass(frozen=True)
class Ending:
    """One recipient a rule says must stop: the event, its date (None when the registry has none) and the
    month the allowance stops from."""

    rule: "EndRule"
    recipient: Recipient
    event_date: date | None
    detail: str

    @property
    def stop_month(self) -> date | None:
        return next_month(self.event_date) if self.event_date else None

    @property
    def by_rule(self) -> bool:
        """Stopped by the platform at the next payroll or daily round (else: waits for a list or a person)."""
        return self.rule.by_rule and self.event_date is not None


@dataclass(frozen=True)
class EndRule:
    code: str
    label: str
    reason: str | None  # the StopReason a stop by this rule records; None for a rule that only lists
    by_rule: bool
    # Receiving recipients (a queryset of one county) -> (recipient, event date, detail) of those who must stop.
    find: Callable[[QuerySet], Iterable[tuple[Recipient, date | None, str]]]


END_RULES: dict[str, EndRule] = {}


def end_rule(code: str, label: str, reason: str | None, *, by_rule: bool):
    """Declare an end rule (a decorator on its finder)."""

    def register(find):
        if code in END_RULES:
            raise ValueError(f"end rule {code} declared twice")
        END_RULES[code] = EndRule(code, label, reason, by_rule, find)
        return find

    return register


@end_rule("facility_entry", "入住养老机构（项目仅限居家）", StopReason.FACILITY, by_rule=True)
def _entered_a_facility(receiving: QuerySet):
    """A home-only program (e.g. the service subsidy) ends on entering an institution: from the month after
    the admission the facility recorded. An elder marked as living in a facility without an admission
    record has no date to stop from: listed for a person. Only current stays are read: a stay that began
    and ended between two payroll runs is not found (a known gap, in docs/benefits.md)."""
    from yiyang.facilities.models import Residence

    rows = list(
        receiving.filter(program__facility_rule=FacilityRule.HOME_ONLY, elder__facility_id__isnull=False)
        .select_related("elder", "program")
        .order_by("pk")
    )  # fmt: skip
    stays = {
        r.elder_id: r
        for r in Residence.objects.filter(elder_id__in={row.elder_id for row in rows}, left_on__isnull=True)
        .select_related("facility")
        .order_by("admitted_on", "pk")
    }  # fmt: skip
    for recipient in rows:
        stay = stays.get(recipient.elder_id)
        if stay is None:
            yield recipient, None, "信息库显示入住机构，但没有入住记录"
        else:
            yield recipient, stay.admitted_on, f"{stay.admitted_on:%Y-%m-%d} 入住{stay.facility.name}"


@end_rule("registry_status", "信息库显示死亡或迁出", None, by_rule=False)
def _left_the_registry(receiving: QuerySet):
    """The registry says died or moved out (or the elder now belongs to another county): the death and move
    lists stop these by their own dates; until one comes, a person decides."""
    rows = receiving.filter(~Q(elder__status=Status.ACTIVE) | ~Q(elder__county_code=F("county_code")))
    for recipient in rows.select_related("elder", "program").order_by("pk"):
        elder = recipient.elder
        if elder.status == Status.ACTIVE:
            yield recipient, None, f"老人已转入其他县（区）（{elder.region_code}）"
        else:
            when = f"（{elder.status_date:%Y-%m-%d}）" if elder.status_date else ""
            yield recipient, None, f"信息库状态：{elder.get_status_display()}{when}"


def endings(receiving: QuerySet, limit: int | None = None, *, by_rule_only: bool = False) -> list[Ending]:
    """Every receiving recipient of `receiving` that a rule says must stop (a recipient once, by the first
    rule declared that names it); those stopped by rule first."""
    found, seen = [], set()
    for rule in END_RULES.values():
        if by_rule_only and not rule.by_rule:
            continue
        for recipient, day, detail in rule.find(receiving.filter(status__in=RECEIVING)):
            if recipient.pk not in seen:
                seen.add(recipient.pk)
                found.append(Ending(rule, recipient, day, detail))
    found.sort(key=lambda e: (not e.by_rule, e.recipient.region_code, e.recipient.pk))
    return found[:limit] if limit else found


def apply_by_rule(actor: Actor, county_code: str) -> int:
    """Stop every recipient of the county a `by_rule` rule names, from the month after the event, with the
    rule's reason; the payments already made for those months become overpayment (stops.after_stop).
    Returns the number stopped; a second round finds them stopped and does nothing."""
    from .stops import stop

    stopped = 0
    for ending in endings(Recipient.objects.filter(county_code=county_code), by_rule_only=True):
        if not ending.by_rule:
            continue
        with transaction.atomic():
            recipient = (
                Recipient.objects.select_for_update()
                .filter(pk=ending.recipient.pk, status__in=RECEIVING)
                .first()
            )  # fmt: skip
            if recipient is None:
                continue
            stop(actor, recipient, ending.stop_month, ending.rule.reason, f"按项目规则停发：{ending.detail}")
            audit.record(actor, AuditAction.UPDATE, recipient, changes={
                "stop_month": ending.stop_month.isoformat(), "stop_reason": ending.rule.reason, "rule": ending.rule.code,
            })  # fmt: skip
            stopped += 1
    return stopped
