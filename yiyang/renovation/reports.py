"""What the progress page, the API and the indicators read: applications by state, completed against the
yearly target, funds committed, left and paid, the cost per household, the items installed most, and the
organisations' rework and complaint figures. Every read goes through the scoping mechanism and groups by
the prefix of the next region level, so a county, a city and the province read the same figures rolled up."""

from dataclasses import dataclass, field

from django.db.models import Count, Q, Sum
from django.db.models.functions import Substr

from yiyang.core.regioncodes import PREFIX_LENGTH, Level, contains, level_of, region_range_q

from .models import (
    COMMITTED_STATES,
    DONE_STATES,
    WAITING_STATES,
    Application,
    Budget,
    BudgetEntry,
    Check,
    Complaint,
    OrgRole,
    Party,
    Payment,
    PlanLine,
    Policy,
    Status,
)


def child_width(code: str) -> int:
    return PREFIX_LENGTH[Level(min(level_of(code) + 1, Level.COMMUNITY))]


@dataclass
class Figures:
    code: str
    applications: int = 0
    by_status: dict[str, int] = field(default_factory=dict)
    waiting: int = 0
    in_progress: int = 0
    done: int = 0
    refused: int = 0
    target: int = 0
    budget: int = 0
    committed: int = 0
    paid: int = 0
    done_cost: int = 0
    items_installed: int = 0
    checks: int = 0
    failed: int = 0
    complaints: int = 0

    @property
    def left(self) -> int:
        return self.budget - self.committed

    @property
    def completion_rate(self) -> float | None:
        return round(100 * self.done / self.target, 1) if self.target else None

    @property
    def average_cost(self) -> int | None:
        return round(self.done_cost / self.done) if self.done else None

    @property
    def rework_rate(self) -> float | None:
        return round(100 * self.failed / self.checks, 1) if self.checks else None


def counts(user, code: str, width: int, year: int, *, budgets: bool = True) -> dict[str, Figures]:
    """Per child prefix of `width` digits: the figures of the year, from grouped queries only; the region's
    own target under the key "" (no child prefix is empty). `budgets=False` leaves out the budgets'
    amounts, which no indicator reads (one query fewer for the dashboards)."""
    found: dict[str, Figures] = {}

    def at(child: str) -> Figures:
        return found.setdefault(child, Figures(child))

    inside = region_range_q("region_code", code)
    apps = (
        Application.objects.visible_to(user).filter(inside, year=year)
        .annotate(child=Substr("region_code", 1, width)).order_by().values("child", "status")
        .annotate(n=Count("county_code"), cost=Sum("plan_total"))
    )  # fmt: skip
    for row in apps:
        figures = at(row["child"])
        figures.applications += row["n"]
        figures.by_status[row["status"]] = figures.by_status.get(row["status"], 0) + row["n"]
        if row["status"] in WAITING_STATES:
            figures.waiting += row["n"]
        elif row["status"] in DONE_STATES:
            figures.done += row["n"]
            figures.done_cost += row["cost"] or 0
        elif row["status"] == Status.REFUSED:
            figures.refused += row["n"]
        elif row["status"] in COMMITTED_STATES:
            figures.in_progress += row["n"]
    # A region's own target counts for it; a region without one sums the targets below it.
    policies = Policy.objects.visible_to(user, "renovation.view_application").filter(inside, year=year)
    own = {}
    for policy in policies.only("region_code", "target"):
        own[policy.region_code] = policy.target
    for region_code, target in own.items():
        if region_code == code:
            found[""] = Figures(code, target=target)
            continue
        # Only the highest policy under each child adds to it (a city's own target, not its counties' too).
        if not any(other != region_code and other != code and contains(other, region_code) for other in own):
            at(region_code[:width]).target += target
    budget_rows = (
        Budget.objects.visible_to(user, "renovation.view_application").filter(inside, year=year)
        .annotate(child=Substr("region_code", 1, width)).order_by().values("child").annotate(total=Sum("amount"))
    ) if budgets else ()  # fmt: skip
    for row in budget_rows:
        at(row["child"]).budget += row["total"] or 0
    for row in (
        BudgetEntry.objects.visible_to(user, "renovation.view_application").filter(inside, budget__year=year)
        .annotate(child=Substr("region_code", 1, width)).order_by().values("child").annotate(total=Sum("amount"))
    ):  # fmt: skip
        at(row["child"]).committed += row["total"] or 0
    for row in (
        Payment.objects.visible_to(user, "renovation.view_application").filter(inside, application__year=year)
        .annotate(child=Substr("region_code", 1, width)).order_by().values("child").annotate(total=Sum("amount"))
    ):  # fmt: skip
        at(row["child"]).paid += row["total"] or 0
    lines = PlanLine.objects.visible_to(user).filter(
        region_range_q("application__region_code", code), application__year=year, in_plan=True,
        application__status__in=DONE_STATES,
    )  # fmt: skip
    for row in (
        lines.annotate(child=Substr("application__region_code", 1, width))
        .order_by()
        .values("child")
        .annotate(n=Count("id"))
    ):
        at(row["child"]).items_installed += row["n"]
    checks = Check.objects.visible_to(user).filter(
        region_range_q("application__region_code", code), application__year=year
    )
    for row in (
        checks.annotate(child=Substr("application__region_code", 1, width))
        .order_by()
        .values("child")
        .annotate(n=Count("id"), failed=Count("id", filter=Q(passed=False)))
    ):
        figures = at(row["child"])
        figures.checks += row["n"]
        figures.failed += row["failed"]
    complaints = Complaint.objects.visible_to(user).filter(
        region_range_q("application__region_code", code), application__year=year
    )
    for row in (
        complaints.annotate(child=Substr("application__region_code", 1, width))
        .order_by()
        .values("child")
        .annotate(n=Count("id"))
    ):
        at(row["child"]).complaints += row["n"]
    return found


def progress(user, code: str, year: int) -> tuple[Figures, list[Figures]]:
    """The region's own figures and one per child, each with its target, from one set of grouped queries."""
    width = child_width(code)
    children = counts(user, code, width, year)
    own = children.pop("", None)
    whole = Figures(code)
    for child in children.values():
        for name in ("applications", "waiting", "in_progress", "done", "refused", "budget", "committed", "paid",
                     "done_cost", "items_installed", "checks", "failed", "complaints", "target"):  # fmt: skip
            setattr(whole, name, getattr(whole, name) + getattr(child, name))
        for status, n in child.by_status.items():
            whole.by_status[status] = whole.by_status.get(status, 0) + n
    whole.target = own.target if own is not None and own.target else whole.target
    # The county's own rows (its budgets) count in its total but are no child of it.
    below = [f for f in children.values() if f.code.ljust(12, "0") != code]
    return whole, sorted(below, key=lambda f: f.code)


def top_items(user, code: str, year: int, limit: int = 10) -> list[dict]:
    """The catalog items installed in most accepted households, with the quantities."""
    return list(
        PlanLine.objects.visible_to(user)
        .filter(region_range_q("application__region_code", code), application__year=year, in_plan=True,
                application__status__in=DONE_STATES)
        .order_by().values("item__name", "item__unit")
        .annotate(households=Count("application_id"), quantity=Sum("quantity"))
        .order_by("-households", "item__name")[:limit]
    )  # fmt: skip


def contractor_quality(user, code: str, year: int) -> list[dict]:
    """Per contractor: households assigned, items checked and failed at acceptance, the rework rate
    (failed ÷ checked), the households sent back at least once, and the complaint rate (households with a
    complaint about the contractor ÷ households assigned)."""
    inside = region_range_q("application__region_code", code)
    found: dict[int, dict] = {}
    parties = (
        Party.objects.visible_to(user, "renovation.view_application")
        .filter(inside, application__year=year, role=OrgRole.CONSTRUCT)
        .order_by().values("provider_id", "provider__name").annotate(households=Count("application_id", distinct=True))
    )  # fmt: skip
    for row in parties:
        found[row["provider_id"]] = {"contractor_id": row["provider_id"], "contractor__name": row["provider__name"],
                                     "households": row["households"], "checked": 0, "failed": 0, "reworked": 0,
                                     "complained": 0}  # fmt: skip
    checks = (
        Check.objects.visible_to(user).filter(inside, application__year=year).order_by().values("contractor_id")
        .annotate(checked=Count("id"), failed=Count("id", filter=Q(passed=False)),
                  reworked=Count("application_id", filter=Q(passed=False), distinct=True))
    )  # fmt: skip
    for row in checks:
        if row["contractor_id"] in found:
            found[row["contractor_id"]].update(checked=row["checked"], failed=row["failed"], reworked=row["reworked"])
    complaints = (
        Complaint.objects.visible_to(user).filter(inside, application__year=year, role=OrgRole.CONSTRUCT)
        .order_by().values("provider_id").annotate(n=Count("application_id", distinct=True))
    )  # fmt: skip
    for row in complaints:
        if row["provider_id"] in found:
            found[row["provider_id"]]["complained"] = row["n"]
    rows = sorted(found.values(), key=lambda r: r["contractor__name"])
    for row in rows:
        row["rework_rate"] = round(100 * row["failed"] / row["checked"], 1) if row["checked"] else None
        row["household_rework_rate"] = (
            round(100 * row["reworked"] / row["households"], 1) if row["households"] else None
        )
        row["complaint_rate"] = round(100 * row["complained"] / row["households"], 1) if row["households"] else None
    return rows


def budget_rows(user, code: str, year: int) -> list[dict]:
    """The budgets of the region with what is committed, left and paid."""
    rows = []
    budgets = Budget.objects.visible_to(user, "renovation.view_budget").filter(region_range_q("region_code", code),
                                                                              year=year)  # fmt: skip
    committed = dict(BudgetEntry.objects.filter(budget__in=budgets).order_by().values("budget").annotate(t=Sum("amount"))
                     .values_list("budget", "t"))  # fmt: skip
    paid = dict(Payment.objects.filter(budget__in=budgets).order_by().values("budget").annotate(t=Sum("amount"))
                .values_list("budget", "t"))  # fmt: skip
    for budget in budgets:
        used = committed.get(budget.pk) or 0
        rows.append(
            {"budget": budget, "committed": used, "left": budget.amount - used, "paid": paid.get(budget.pk) or 0}
        )
    return rows


def queue(user, code: str, year: int):
    """The commitments in the order they were made (each budget's sequence), with the application's own
    submission time beside it: the auditable queue of first come, first served."""
    return (
        BudgetEntry.objects.visible_to(user, "renovation.view_budgetentry")
        .filter(region_range_q("region_code", code), budget__year=year)
        .select_related("budget", "application", "application__elder")
        .order_by("budget_id", "seq")
    )
