"""Query-count guards for the pages and API lists that show rows (STYLE.md, "every page and endpoint has
a query-count guard once it lists rows").

Each case builds N rows, counts the queries of one request, builds 2N more (3N in all) and counts again:
the two counts must be equal (nothing is asked per row), and at most the ceiling written beside the
case, so that a change adding queries to a page fails here with the list of the queries it runs. A new
query that is really needed raises the ceiling in the same change, on purpose.
"""

import itertools
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from yiyang.core.audit import Actor
from yiyang.facilities.models import Facility

N = 3
_serial = itertools.count(1)


@dataclass
class World:
    """The county officer of 魏都区 and what the builders hang rows on."""

    officer: object
    facility: object
    make_elder: object
    make_user: object

    root: object = None
    parent: object = None

    @property
    def actor(self) -> Actor:
        return Actor(user=self.officer)

    @property
    def admin(self) -> Actor:
        return Actor(user=self.root)


@pytest.fixture
def world(county_officer, facility, make_elder, make_user, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    from yiyang.accounts.services import create_user

    root = create_user("counts-root", "Pass-word-123", is_superuser=True)
    return World(county_officer, facility, make_elder, make_user, root)


def queries_of(client: Client, url: str) -> tuple[list[str], bytes]:
    """The SQL of one GET (the streamed body of an export included) and the body."""
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code, response.content[:500])
        body = b"".join(response.streaming_content) if response.streaming else response.content
    return [q["sql"] for q in ctx.captured_queries], body


def listing(queries: list[str]) -> str:
    return "\n".join(f"{i:3}. {sql[:300]}" for i, sql in enumerate(queries, 1))


def assert_flat(client: Client, grown: dict, grow, ceiling: int, *, lists: bool = True) -> int:
    """Queries of the page with N rows and with 3N rows: equal, and at most `ceiling`. `grow(k)` adds k
    rows and sets `grown["url"]` (a detail page's address is known once its row is built). `lists`: the
    answer shows the rows (it grows with them), so the rows built are really read."""
    grow(N)
    url = grown["url"]
    client.get(url)  # warm the per-process caches (region names, content types)
    few, few_body = queries_of(client, url)
    grow(2 * N)
    many, many_body = queries_of(client, url)
    if lists:
        assert len(many_body) > len(few_body), f"{url} does not show the rows built"
    assert len(many) == len(few), f"{url}: {len(few)} queries with {N} rows, {len(many)} with {3 * N}\n{listing(many)}"
    assert len(many) <= ceiling, f"{url}: {len(many)} queries, ceiling {ceiling}\n{listing(many)}"
    return len(many)


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


# --- Builders: each adds k rows of its kind to the officer's county --------------------------------


def new_facility(world: World, **fields) -> Facility:
    n = next(_serial)
    return Facility.objects.create(**{
        "code": f"411002-9{n:03d}", "name": f"第{n}康养中心", "facility_type": "institution",
        "operation_model": "private", "region_code": "411002001002", "county_code": "411002",
        "address": f"春晖路 {n} 号", "beds_total": 80, "beds_nursing": 40, "lat": 34.03, "lng": 113.85, **fields,
    })  # fmt: skip


def elders(world: World, k: int) -> None:
    for _ in range(k):
        elder = world.make_elder(lat=34.036712, lng=113.826114)
        elder.contacts.create(county_code=elder.county_code, name="张小明", relation="child", phone="13700002222")


def facilities(world: World, k: int) -> None:
    for _ in range(k):
        new_facility(world)


def residents(world: World, k: int) -> None:
    from yiyang.facilities import services

    for _ in range(k):
        elder = world.make_elder()
        services.admit(world.actor, world.facility.pk, elder.pk, timezone.localdate() - timedelta(days=30),
                       bed_number=str(next(_serial)))  # fmt: skip


def providers(world: World, k: int) -> None:
    from yiyang.providers.models import Provider

    for _ in range(k):
        Provider.objects.create(name=f"第{next(_serial)}居家服务社", region_code="411002001000", county_code="411002",
                                service_regions=["411002000000"], service_items=["bath"])  # fmt: skip


def the_provider(world: World):
    from yiyang.providers.models import Provider

    return Provider.objects.get_or_create(
        name="安康居家服务公司", defaults={"region_code": "411002001000", "county_code": "411002",
                                           "service_regions": ["411002000000"], "service_items": ["bath"]},
    )[0]  # fmt: skip


def caregivers(world: World, k: int) -> None:
    from yiyang.providers.models import Certificate, Staff

    provider = the_provider(world)
    for _ in range(k):
        staff = Staff.objects.create(provider=provider, region_code=provider.region_code, role="carer",
                                     county_code="411002", name=f"护理员{next(_serial)}", phone="13900001111",
                                     skill_level=3)  # fmt: skip
        Certificate.objects.create(staff=staff, county_code="411002", kind="carer", level=4,
                                   number=f"C-{staff.pk}", issuer="许昌市人社局", issued_on=date(2023, 5, 1))  # fmt: skip


def facility_staff(world: World, k: int) -> None:
    from yiyang.supervision.services import workforce

    for _ in range(k):
        workforce.add_staff(world.actor, {"facility_id": world.facility.pk, "name": f"员工{next(_serial)}",
                                          "role": "carer", "phone": "13912345678", "hired_on": date(2022, 3, 1)})  # fmt: skip


def the_item(world: World):
    from yiyang.homecare.models import ServiceItem

    return ServiceItem.objects.get_or_create(
        code="bath", region_code="411002000000",
        defaults={"county_code": "411002", "name": "助浴", "category": "daily_living", "unit": "visit", "price": 8000,
                  "duration_minutes": 60, "min_minutes": 30, "required_skill": 1, "subsidies": {}},
    )[0]  # fmt: skip


def orders(world: World, k: int, *, assigned: bool = True) -> None:
    from yiyang.homecare import services

    item, provider = the_item(world), the_provider(world)
    for _ in range(k):
        elder = world.make_elder(lat=34.03, lng=113.85)
        slot = timezone.now() + timedelta(days=1, hours=next(_serial))
        order = services.book(world.actor, elder.pk, item.pk, slot)
        if assigned:
            services.assign_provider(world.actor, order.pk, provider.pk)


def waiting_orders(world: World, k: int) -> None:
    orders(world, k, assigned=False)


def complaints(world: World, k: int) -> None:
    from yiyang.supervision.services import complaints as services

    for _ in range(k):
        services.register(world.actor, {"channel": "hotline_12345", "ticket_number": f"XC2025-{next(_serial):04d}",
                                        "complainant_name": "赵桂兰", "complainant_phone": "13812345678",
                                        "content": "护理员态度差，饭菜凉", "facility_id": world.facility.pk})  # fmt: skip


def the_checklist(world: World):
    from yiyang.supervision.models import Checklist
    from yiyang.supervision.services import inspections

    found = Checklist.objects.first()
    if found:
        return found
    items = [("fire", "疏散通道畅通"), ("food", "食品留样48小时"), ("video", "监控全覆盖")]
    return inspections.save_checklist(world.actor, "411002000000", "安全检查表", items)


def inspections_(world: World, k: int) -> None:
    from yiyang.supervision.services import inspections

    checklist = the_checklist(world)
    for _ in range(k):
        inspections.plan_inspection(world.actor, new_facility(world).pk, checklist.pk, "unannounced",
                                    timezone.localdate(), "王科长、李干事")  # fmt: skip


def hazards(world: World, k: int) -> None:
    from yiyang.supervision.services import inspections

    checklist = the_checklist(world)
    for _ in range(k):
        inspection = inspections.plan_inspection(world.actor, new_facility(world).pk, checklist.pk, "unannounced",
                                                 timezone.localdate(), "王科长")  # fmt: skip
        results = {"fire-01": "fail", "food-02": "pass", "video-03": "na"}
        findings = {"fire-01": inspections.Finding("二楼疏散通道堆放杂物", "major", "张院长")}
        inspections.record_results(world.actor, inspection.pk, results, findings)


CLAIM_MONTH = date(2025, 6, 1)


def subsidy_claims(world: World, k: int) -> None:
    """k more claims for June 2025: one claim per facility and month, each facility with two residents."""
    from yiyang.elders.models import Elder
    from yiyang.facilities.models import Residence
    from yiyang.supervision.models import SubsidyRateTable
    from yiyang.supervision.services import subsidies

    if not SubsidyRateTable.objects.exists():
        subsidies.save_rate_table(world.actor, {
            "region_code": "411002", "name": "魏都区养老机构运营补贴", "document": "魏民〔2026〕1号",
            "valid_from": date(2024, 1, 1), "facility_types": ["institution"],
            "level_rates": {"0": 5000, "1": 10000, "2": 15000, "3": 20000, "4": 30000}, "unassessed_rate": 3000,
            "nursing_level": 3, "nursing_extra": 5000, "construction_per_bed": 0, "min_days": 15,
        })  # fmt: skip
    for _ in range(k):
        place = new_facility(world)
        for level in (1, 4):
            elder = world.make_elder()
            Elder.objects.filter(pk=elder.pk).update(capability_level=level, assessment_due=date(2030, 1, 1),
                                                     facility_id=place.pk)  # fmt: skip
            Residence.objects.create(facility=place, elder=elder, region_code=place.region_code,
                                     county_code="411002", admitted_on=date(2024, 1, 1))  # fmt: skip
    subsidies.calculate_month(world.actor, "411002", CLAIM_MONTH)


def ratings(world: World, k: int) -> None:
    from yiyang.supervision.services import ratings as services

    established = timezone.localdate() - timedelta(days=3 * 366)
    for _ in range(k):
        services.apply(world.actor, new_facility(world, established_on=established).pk, 1)


def escrow_accounts(world: World, k: int) -> None:
    from yiyang.facilities import services as facilities
    from yiyang.supervision.services import escrow

    for _ in range(k):
        place = new_facility(world)
        escrow.save_account(world.actor, place.pk, {
            "bank_name": "中国银行许昌分行", "account_number": f"62166101000{next(_serial):08d}",
            "filing_number": "许民预备2025001", "net_fixed_assets": 50_000_000, "risk_reserve": 2_000_000,
            "monthly_fee": 300_000,
        })  # fmt: skip
        elder = world.make_elder()
        residence = facilities.admit(world.actor, place.pk, elder.pk, timezone.localdate() - timedelta(days=30))
        escrow.receive(world.admin, residence.pk, "deposit", 100_000, f"k-{residence.pk}")


def escrow_residents(world: World, k: int) -> None:
    from yiyang.facilities import services as facilities
    from yiyang.supervision.models import EscrowAccount
    from yiyang.supervision.services import escrow

    if not EscrowAccount.objects.filter(facility=world.facility).exists():
        escrow.save_account(world.actor, world.facility.pk, {
            "bank_name": "中国银行许昌分行", "account_number": "6216610100012345678", "filing_number": "许民预备2025001",
            "net_fixed_assets": 50_000_000, "risk_reserve": 2_000_000, "monthly_fee": 300_000,
        })  # fmt: skip
    for _ in range(k):
        elder = world.make_elder()
        residence = facilities.admit(world.actor, world.facility.pk, elder.pk,
                                     timezone.localdate() - timedelta(days=30))  # fmt: skip
        escrow.receive(world.admin, residence.pk, "deposit", 100_000, f"k-{residence.pk}")


def cadres(world: World, k: int) -> None:
    from yiyang.supervision.services import pairing

    for _ in range(k):
        cadre = pairing.register_cadre(world.actor, {"name": f"干部{next(_serial)}", "post": "区民政局副局长",
                                                     "phone": "13900001234", "region_code": "411002000000"})  # fmt: skip
        pairing.pair(world.actor, cadre.pk, world.facility.pk, date(2025, 1, 1))


def import_jobs(world: World, k: int) -> None:
    from yiyang.imports.models import ImportJob

    for _ in range(k):
        ImportJob.objects.create(kind="elders", user=world.officer, filename=f"老人{next(_serial)}.xlsx",
                                 region_code="411002000000", status="done", processed=10, created=10)  # fmt: skip


def map_facilities(world: World, k: int) -> None:
    for _ in range(k):
        new_facility(world, status="operating", is_published=True, lat=34.03 + next(_serial) % 50 / 10000, lng=113.85)


def volunteers(world: World, k: int) -> None:
    from yiyang.homecare import timebank
    from yiyang.homecare.models import TimeEntry

    for _ in range(k):
        volunteer = timebank.register(world.actor, f"志愿者{next(_serial)}", "13600001111", "411002001001")
        TimeEntry.objects.create(volunteer=volunteer, region_code=volunteer.region_code, county_code="411002",
                                 kind="earn", hours=2, key=f"earn-{volunteer.pk}")  # fmt: skip


def registry(world: World, k: int) -> None:
    """What the dashboards count: elders and facilities."""
    elders(world, k)
    facilities(world, k)


def residential_facilities(world: World, k: int) -> None:
    for _ in range(k):
        place = new_facility(world)
        facility_staff(World(world.officer, place, world.make_elder, world.make_user, world.root), 1)


def expiring_ratings(world: World, k: int) -> None:
    for _ in range(k):
        new_facility(world, star_rating=3, star_rating_valid_until=timezone.localdate() + timedelta(days=30))


# --- Detail pages: one row whose children grow ------------------------------------------------------


def parent(world: World, make):
    if world.parent is None:
        world.parent = make()
    return world.parent


def elder_contacts(world: World, k: int) -> None:
    elder = parent(world, lambda: world.make_elder(lat=34.036712, lng=113.826114))
    for _ in range(k):
        elder.contacts.create(county_code=elder.county_code, name=f"联系人{next(_serial)}", relation="child",
                              phone="13700002222")  # fmt: skip


def complaint_steps(world: World, k: int) -> None:
    from yiyang.supervision.models import Complaint
    from yiyang.supervision.services import complaints as services

    def first():
        complaints(world, 1)
        return Complaint.objects.latest("pk")

    complaint = parent(world, first)
    for _ in range(k):
        services.transition(world.actor, complaint.pk, "handling")
        services.transition(world.actor, complaint.pk, "replied", reply="已约谈机构负责人")
        services.transition(world.actor, complaint.pk, "reopened", note="家属仍不满意")


def cadre_visits(world: World, k: int) -> None:
    from yiyang.supervision.models import Cadre
    from yiyang.supervision.services import pairing

    def first():
        cadres(world, 1)
        return Cadre.objects.latest("pk")

    cadre = parent(world, first)
    for _ in range(k):
        day = timezone.localdate() - timedelta(days=next(_serial))
        pairing.record_visit(world.admin, cadre.pk, world.facility.pk, {
            "visited_on": day, "findings": "查看消防通道与食堂", "raised_count": 1,
            "problems_raised": "消防通道堆放杂物", "solved_count": 1, "problems_solved": "已清理",
        })  # fmt: skip


def staff_certificates(world: World, k: int) -> None:
    from yiyang.providers.services import add_certificate
    from yiyang.supervision.services import workforce

    staff = parent(world, lambda: workforce.add_staff(world.actor, {
        "facility_id": world.facility.pk, "name": "刘桂兰", "role": "carer", "phone": "13912345678",
        "hired_on": date(2022, 3, 1)}))  # fmt: skip
    for _ in range(k):
        add_certificate(world.actor, staff.pk, {"kind": "carer", "level": 4, "number": f"C-{next(_serial)}",
                                                "issuer": "许昌市人社局", "issued_on": date(2023, 5, 1)})  # fmt: skip


def escrow_entries(world: World, k: int) -> None:
    from yiyang.facilities.models import Residence
    from yiyang.supervision.services import escrow

    def first():
        escrow_residents(world, 1)
        return Residence.objects.latest("pk")

    residence = parent(world, first)
    for _ in range(k):
        escrow.receive(world.admin, residence.pk, "deposit", 1_000, f"k-{residence.pk}-{next(_serial)}")


def claim_lines(world: World, k: int) -> None:
    from yiyang.elders.models import Elder
    from yiyang.facilities.models import Residence
    from yiyang.supervision.models import SubsidyClaim
    from yiyang.supervision.services import subsidies

    def first():
        subsidy_claims(world, 1)
        return SubsidyClaim.objects.latest("pk")

    claim = parent(world, first)
    for _ in range(k):
        elder = world.make_elder()
        Elder.objects.filter(pk=elder.pk).update(capability_level=3, assessment_due=date(2030, 1, 1),
                                                 facility_id=claim.facility_id)  # fmt: skip
        Residence.objects.create(facility_id=claim.facility_id, elder=elder, region_code=claim.region_code,
                                 county_code="411002", admitted_on=date(2024, 1, 1))  # fmt: skip
    subsidies.recalculate(world.actor, claim.pk)


def the_facility_id(world: World) -> int:
    return world.facility.pk


def first_provider_id(world: World) -> int:
    return the_provider(world).pk


# (name, url, builder, ceiling); "{facility}" and "{provider}" are filled from the world.
CASES = [
    ("elders page", "/elders/", elders, 9),  # the names of the rows' regions: one query
    ("elders API", "/api/v1/elders/", elders, 8),
    ("elders export", "/api/v1/elders/export.xlsx", elders, 8),
    ("facilities page", "/facilities/", facilities, 9),  # the names of the rows' regions: one query
    ("facilities API", "/api/v1/facilities/", facilities, 8),
    ("facility page with residents", "/facilities/{facility}/", residents, 10),
    ("residents API", "/api/v1/facilities/{facility}/residents", residents, 8),
    ("provider page with caregivers", "/homecare/providers/{provider}/", caregivers, 11),
    ("providers API", "/api/v1/homecare/providers", providers, 7),
    ("caregivers API", "/api/v1/homecare/providers/{provider}/caregivers", caregivers, 9),
    ("menu page (providers)", "/homecare/menu/", providers, 8),
    ("facility staff page", "/supervision/workforce/facilities/{facility}/", facility_staff, 13),
    ("staff API", "/api/v1/supervision/staff", facility_staff, 9),
    ("orders page", "/homecare/orders/", orders, 8),
    ("orders API", "/api/v1/homecare/orders", orders, 8),
    ("dispatch board", "/homecare/board/", waiting_orders, 7),
    ("complaints page", "/supervision/complaints/", complaints, 9),
    ("complaints API", "/api/v1/supervision/complaints", complaints, 8),
    ("hazards ledger", "/supervision/ledger/", hazards, 13),
    ("hazards API", "/api/v1/supervision/hazards", hazards, 8),
    ("hazards export", "/api/v1/supervision/hazards/export.xlsx", hazards, 8),
    ("inspections page", "/supervision/inspections/", inspections_, 10),
    ("inspections API", "/api/v1/supervision/inspections", inspections_, 8),
    ("subsidy claims page", "/supervision/subsidies/?month=2025-06", subsidy_claims, 11),
    ("subsidy claims API", "/api/v1/supervision/subsidy-claims?month=2025-06-01", subsidy_claims, 8),
    ("ratings page", "/supervision/ratings/", ratings, 10),
    ("ratings API", "/api/v1/supervision/ratings", ratings, 8),
    ("escrow overview", "/supervision/escrow/", escrow_accounts, 16),
    ("escrow overview API", "/api/v1/supervision/escrow/overview", escrow_accounts, 11),
    ("escrow facility page", "/supervision/escrow/facilities/{facility}/", escrow_residents, 15),
    ("escrow facility API", "/api/v1/supervision/escrow/facilities/{facility}", escrow_residents, 11),
    ("cadres page", "/supervision/pairing/", cadres, 8),
    ("cadres API", "/api/v1/supervision/pairing/cadres", cadres, 8),
    ("pairings API", "/api/v1/supervision/pairing/pairings", cadres, 8),
    ("pairing board", "/supervision/pairing/board/{facility}/", cadres, 9),
    ("elder page with contacts", "/elders/{parent}/", elder_contacts, 13),
    ("elder API with contacts", "/api/v1/elders/{parent}", elder_contacts, 8),
    ("complaint page with steps", "/supervision/complaints/{parent}/", complaint_steps, 10),
    ("complaint API with steps", "/api/v1/supervision/complaints/{parent}", complaint_steps, 9),
    ("cadre page with visits", "/supervision/pairing/cadres/{parent}/", cadre_visits, 12),
    ("visits page", "/supervision/pairing/visits/", cadre_visits, 9),
    ("visits API", "/api/v1/supervision/pairing/visits", cadre_visits, 8),
    ("staff page with certificates", "/supervision/workforce/staff/{parent}/", staff_certificates, 13),
    ("staff API with certificates", "/api/v1/supervision/staff/{parent}/certificates", staff_certificates, 8),
    ("escrow residence entries API", "/api/v1/supervision/escrow/residences/{parent}/entries", escrow_entries, 9),
    ("escrow residence page", "/supervision/escrow/residences/{parent}/", escrow_entries, 10),
    ("subsidy claim page with lines", "/supervision/subsidies/{parent}/", claim_lines, 12),
    ("subsidy claim API with lines", "/api/v1/supervision/subsidy-claims/{parent}", claim_lines, 9),
    ("time bank page", "/homecare/timebank/", volunteers, 9),
    ("workforce page", "/supervision/workforce/", residential_facilities, 8),
    ("expiring ratings page", "/supervision/ratings/expiring/", expiring_ratings, 10),
    ("expiring ratings API", "/api/v1/supervision/ratings/expiring", expiring_ratings, 9),
    ("import jobs page", "/exchange/import/elders/", import_jobs, 8),
    # Three for the emergency-help indicators (alarms by outcome, response times, devices), two grouped
    # queries for the visit indicators (targets and rate, visits by method), seven grouped queries for the
    # renovation indicators (applications by state, targets, commitments, payments, items, checks, complaints),
    # five for the allowance indicators (recipients, bands, spend, recovery, verification).
    ("analytics dashboard", "/analytics/?region=411002000000", registry, 45),
    ("analytics dashboard API", "/api/v1/analytics/dashboard?region=411002000000", registry, 42),
    ("service map search", "/api/v1/public/facilities?q=康养", map_facilities, 6),
    ("nearby search", "/api/v1/facilities/nearby?lat=34.03&lng=113.85&radius=5000", map_facilities, 5),
]


@pytest.mark.parametrize(("name", "url", "grow", "ceiling"), CASES, ids=[c[0] for c in CASES])
def test_queries_do_not_grow_with_the_rows(world, name, url, grow, ceiling):
    def grow_and_name(k):
        grow(world, k)
        grown["url"] = url.format(facility=world.facility.pk, provider=the_provider(world).pk,
                                  parent=getattr(world.parent, "pk", None))  # fmt: skip

    grown = {}
    lists = not name.startswith("analytics")
    count = assert_flat(client_for(world.officer), grown, grow_and_name, ceiling, lists=lists)
    print(f"QUERYCOUNT {name}: {count}")
