"""The monthly visit rate equals a direct count at every level of the region tree, for the current month
(read from the targets' last counted day) and an earlier one (joined with the visits); only the methods
a region counts are counted; the indicators in the analytics registry say the same."""

from datetime import date, datetime, timedelta

import pytest
from django.utils import timezone

from conftest import make_id_number
from yiyang.analytics import indicators
from yiyang.visits import reports, services
from yiyang.visits.choices import Method, VisitorKind
from yiyang.visits.models import CountedMethods, Visit, VisitTarget

from .conftest import born

CODES = ["410000000000", "411000000000", "411002000000", "411002001000", "411002001001", "411002002001"]


def _visit(visitor, target, method, at, n):
    import hashlib
    import uuid

    Visit.objects.create(id=uuid.uuid4(), body_hash=hashlib.sha256(str(n).encode()).hexdigest(), target=target,
                         elder_id=target.elder_id, region_code=target.region_code, county_code=target.county_code,
                         visitor=visitor, visitor_kind=visitor.kind, method=method, visited_at=at, risk_after="low",
                         counts=method in services.counted_methods(target.region_code))  # fmt: skip


@pytest.fixture
def spread(officer_actor, make_elder, county_officer):
    """Eight targets over three communities, visits this month and last month by several methods, one
    target enrolled at the start of this month, one that exited last month."""
    visitor = services.register_visitor(officer_actor, {"kind": VisitorKind.GRID_WORKER, "name": "甲",
                                                       "region_code": "411002000000"})  # fmt: skip
    CountedMethods.objects.create(region_code="411002002000", methods=[Method.HOME])  # 南关: home visits only
    communities = ["411002001001", "411002001002", "411002002001"]
    for n in range(8):
        make_elder(communities[n % 3], name=f"对象{n}", id_number=make_id_number(communities[n % 3],
                   birth=born(70, date.today())), living_situation="alone")  # fmt: skip
    services.enrol_from_registry(officer_actor, "411002000000")
    targets = list(VisitTarget.objects.order_by("id"))
    now = timezone.now()
    this_month = timezone.make_aware(datetime.combine(services.month_start(timezone.localdate()), datetime.min.time()))
    last_month = this_month - timedelta(days=10)
    VisitTarget.objects.filter(pk__in=[t.pk for t in targets]).update(enrolled_at=last_month - timedelta(days=30))
    methods = [Method.HOME, Method.PHONE, Method.SMART_ALERT, Method.VIDEO, Method.PHONE, Method.HOME]
    for n, (target, method) in enumerate(zip(targets, methods, strict=False)):
        _visit(visitor, target, method, max(this_month, now - timedelta(hours=1)), n)
        if n % 2:
            _visit(visitor, target, method, last_month, 100 + n)
    for target in targets:
        services._refresh_last_counted(target)
    # One target exited before this month; one enrolled only this month.
    VisitTarget.objects.filter(pk=targets[6].pk).update(exited_at=last_month, exit_reason="moved_out")
    VisitTarget.objects.filter(pk=targets[7].pk).update(enrolled_at=this_month)
    return county_officer


@pytest.mark.parametrize("code", CODES)
@pytest.mark.parametrize("months_back", [0, 1])
def test_rate_equals_a_direct_count_at_every_level(spread, code, months_back):
    month = services.month_start(timezone.localdate())
    if months_back:
        month = services.month_start(month - timedelta(days=1))
    whole, children = reports.monthly_rate(spread, code, month)
    assert (whole.targets, whole.visited) == reports.direct_rate(spread, code, month)
    for child in children:
        assert (child.targets, child.visited) == reports.direct_rate(spread, child.code, month), child.code
    base, _ = indicators.gather(spread, code, today=timezone.localdate()) if not months_back else (None, None)
    if base is not None:
        values = indicators.values(base)
        targets, visited = reports.direct_rate(spread, code, month)
        assert values["visit_targets"] == targets
        assert values["visit_rate"] == (round(100 * visited / targets, 2) if targets else None)


def test_only_the_counted_methods_of_a_region_count(spread):
    whole, _ = reports.monthly_rate(spread, "411002002000")
    # 南关 counts home visits only: of its targets, only those visited at home this month count.
    home = Visit.objects.filter(region_code__startswith="411002002", method=Method.HOME,
                                visited_at__gte=reports.month_bounds(timezone.localdate())[0])  # fmt: skip
    assert whole.visited == home.values("target_id").distinct().count()
    assert Visit.objects.filter(method=Method.SMART_ALERT, counts=True).count() == 0


def test_visits_by_method_sum_to_the_month(spread):
    base, children = indicators.gather(spread, "411002000000", today=timezone.localdate())
    values = indicators.values(base)
    assert values["visits_home"] == Visit.objects.filter(method=Method.HOME, visited_at__gte=reports.month_bounds(
        timezone.localdate())[0]).count()  # fmt: skip
    assert values["visits_home"] + values["visits_remote"] == 6 - Visit.objects.filter(
        method=Method.SMART_ALERT, visited_at__gte=reports.month_bounds(timezone.localdate())[0]).count()  # fmt: skip
    assert sum(indicators.values(c)["visit_targets"] for c in children) == values["visit_targets"]


def test_the_neighbour_county_sees_no_figures_of_ours(spread, neighbour_officer):
    whole, _ = reports.monthly_rate(neighbour_officer, "411002000000")
    assert (whole.targets, whole.visited) == (0, 0)
