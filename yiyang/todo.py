"""What waits for a user, per role, for the home page: each item counts the very rows that the list it
links to shows (the same service function with the same filter), so the figure on the home page is
the figure on the list page and in the API.

The items follow from the workflows (`Workflow.waiting`: the rows in a state from which the user may
take a step, within their scope and at their level) and from the scoped lists' own filters.
"""

from dataclasses import dataclass, field
from datetime import timedelta
from urllib.parse import urlencode

from django.urls import reverse
from django.utils import timezone

from yiyang.benefits import services as benefit_services
from yiyang.core.models import AuditEntry
from yiyang.core.regioncodes import region_range_q
from yiyang.core.roles import Role
from yiyang.core.scoping import has_permission, is_platform_admin, memberships_of
from yiyang.core.workflow import regions_at
from yiyang.elders import services as elder_services
from yiyang.elders.models import Elder
from yiyang.homecare import services as homecare_services
from yiyang.homecare.models import Order
from yiyang.regions.services import requested_region
from yiyang.renovation import services as renovation_services
from yiyang.supervision.services import complaints as complaint_services
from yiyang.supervision.services import inspections as inspection_services
from yiyang.supervision.workflows import CLAIM, HAZARD
from yiyang.visits import reports as visit_reports


@dataclass(frozen=True)
class Todo:
    key: str
    label: str
    count: int
    url: str


@dataclass
class Home:
    """Everything the home page shows a user besides the headline figures."""

    todos: list[Todo] = field(default_factory=list)
    # (elder, booking url) for a family member or an elder: the 预约服务 button.
    bookings: list[tuple[Elder, str]] = field(default_factory=list)
    recent_orders: list[Order] = field(default_factory=list)
    today_orders: list[Order] = field(default_factory=list)
    audit_search: bool = False


def _url(name: str, **query) -> str:
    url = reverse(name)
    return f"{url}?{urlencode(query)}" if query else url


def _roles(user) -> set[str]:
    return {m.role for m in memberships_of(user)}


def claims_waiting(user, step: str):
    """The claims the subsidy page lists for `?waiting=step` (without a month: every month)."""
    claims = CLAIM.waiting(user, step)
    if has_permission(user, "regions.view_region"):
        claims = claims.filter(region_range_q("region_code", requested_region(user, "", page=True)))
    return claims


def overdue_hazards(user):
    """The hazards the ledger lists for `?overdue=1` in the user's own region."""
    return inspection_services.ledger(
        user, requested_region(user, "", page=True), status=inspection_services.PENDING, overdue=True
    )


def _facility_of(user) -> int | None:
    return next((m.scope_id for m in memberships_of(user) if m.role == Role.FACILITY_MANAGER), None)


def home_for(user) -> Home:
    home = Home()
    todos = home.todos
    roles = _roles(user)
    regional = has_permission(user, "regions.view_region")

    # --- Home care: the order workflow's steps ----------------------------------------------------
    if has_permission(user, "homecare.assign_order"):
        count = homecare_services.order_listing(user, waiting="assign").count()
        todos.append(Todo("orders_assign", "待派单的服务订单", count, _url("homecare:orders", waiting="assign")))
    if has_permission(user, "homecare.accept_order"):
        count = homecare_services.order_listing(user, waiting="accept").count()
        todos.append(Todo("orders_accept", "待接单的服务订单", count, _url("homecare:orders", waiting="accept")))
    if has_permission(user, "homecare.dispatch_order"):
        count = homecare_services.order_listing(user, waiting="dispatch").count()
        todos.append(Todo("orders_dispatch", "待派服务人员的订单", count, _url("homecare:orders", waiting="dispatch")))
    if Role.PROVIDER_MANAGER in roles:
        count = homecare_services.order_listing(user, day=timezone.localdate()).count()
        todos.append(Todo("orders_today", "今天的服务订单", count, _url("homecare:orders", day="today")))
    if has_permission(user, "homecare.serve_order"):
        queue = homecare_services.caregiver_queue(user).select_related("item")
        todos.append(Todo("caregiver_queue", "待上门的服务", queue.count(), _url("homecare:today")))
        start, end = homecare_services.local_day_range(timezone.localdate())
        home.today_orders = list(queue.filter(slot_start__lt=end)[:20])

    # --- Supervision: hazards, claims, complaints ------------------------------------------------
    if regional and has_permission(user, "supervision.verify_hazard"):
        todos.append(Todo("hazards_overdue", "逾期未销号的隐患", overdue_hazards(user).count(),
                          _url("supervision:ledger", overdue="1")))  # fmt: skip
    if has_permission(user, "supervision.rectify_hazard") and (facility_id := _facility_of(user)):
        count = HAZARD.waiting(user, "submitted").filter(facility_id=facility_id).count()
        todos.append(Todo("hazards_rectify", "待整改的隐患", count,
                          _url("supervision:ledger", facility=facility_id, status="open")))  # fmt: skip
    if has_permission(user, "supervision.submit_subsidyclaim"):
        todos.append(Todo("claims_submit", "待申报的运营补贴", claims_waiting(user, "submit").count(),
                          _url("supervision:claims", waiting="submit")))  # fmt: skip
    for step, label in (("county_approve", "待县级审核的补贴申报"), ("city_approve", "待市级审批的补贴申报"),
                        ("pay", "待拨付的补贴")):  # fmt: skip
        transition = CLAIM[step]
        held = regions_at(user, transition.permission, transition.level)
        if has_permission(user, transition.permission) and (held is None or held):
            todos.append(Todo(f"claims_{step}", label, claims_waiting(user, step).count(),
                              _url("supervision:claims", waiting=step)))  # fmt: skip
    if has_permission(user, "supervision.handle_complaint") or has_permission(user, "supervision.reply_complaint"):
        count = complaint_services.listing(user, due_soon=True).count()
        label = f"{complaint_services.DUE_SOON_DAYS} 天内到期或已逾期的投诉"
        todos.append(Todo("complaints_due", label, count, _url("supervision:complaints", due_soon="1")))

    # --- Visits: targets past their due date in the user's own region ------------------------------
    if regional and has_permission(user, "visits.change_visittarget"):
        overdue = visit_reports.targets_listing(user, requested_region(user, "", page=True), overdue=True)
        todos.append(Todo("visits_overdue", "逾期未探访的老人", overdue.count(), _url("visits:targets", overdue="1")))

    # --- Allowances: applications waiting for the user's review step -------------------------------
    if regional and has_permission(user, "benefits.review_community_application"):
        count = benefit_services.applications_waiting(user).count()
        todos.append(
            Todo("benefit_applications", "待审核的补贴申请", count, _url("benefits:applications", waiting="1"))
        )

    # --- Home renovation: households waiting for the user's step ----------------------------------
    for step, label, rows in renovation_services.todos(user):
        todos.append(Todo(f"renovation_{step}", label, rows.count(), _url("renovation:list", waiting=step)))

    # --- The registry: assessments due ----------------------------------------------------------
    if regional and has_permission(user, "elders.add_assessment"):
        due = elder_services.filter_elders(Elder.objects.visible_to(user, "view"), elder_services.ElderFilter(due=True))
        label = f"{elder_services.ASSESSMENT_DUE_DAYS} 天内应复评的老人"
        todos.append(Todo("assessments_due", label, due.count(), _url("elders:list", due="on")))

    # --- The family and the elder: booking and confirmation ---------------------------------------
    if Role.FAMILY in roles:
        elder_ids = [m.scope_id for m in memberships_of(user) if m.role == Role.FAMILY and m.scope_id]
        if has_permission(user, "homecare.add_order"):
            home.bookings = [(e, reverse("homecare:book", args=[e.pk]))
                             for e in Elder.objects.visible_to(user).filter(pk__in=elder_ids).order_by("pk")]  # fmt: skip
        orders = homecare_services.order_listing(user)
        todos.append(Todo("orders_mine", "老人的服务订单", orders.count(), _url("homecare:orders")))
        todos.append(Todo("orders_confirm", "待确认服务完成", homecare_services.order_listing(user, waiting="confirm").count(),
                          _url("homecare:orders", waiting="confirm")))  # fmt: skip
        home.recent_orders = list(orders.select_related("item").order_by("-slot_start", "-id")[:5])

    # --- The auditor: recent audit entries ---------------------------------------------------------
    if has_permission(user, "core.view_auditentry") and not is_platform_admin(user):
        home.audit_search = True
        since = timezone.localdate() - timedelta(days=6)
        count = AuditEntry.objects.visible_to(user, "view").filter(at__date__gte=since).count()
        todos.append(
            Todo("audit_recent", "近 7 天的审计记录", count, _url("accounts:audit", date_from=since.isoformat()))
        )
    return home
