"""A believable demo of Henan: real divisions, generated streets and communities, facilities of every
type, elders with valid ID numbers and assessments, and one account per role (DESIGN.md §8).

The same generator builds benchmark data sets (`--elderly 1000000`): rows are written with
core.bulk (COPY / executemany), never one save per row.
"""

import random
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import timedelta
from itertools import islice

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from yiyang.accounts.services import create_user
from yiyang.core import bulk, idnumber, pinyin
from yiyang.core.regioncodes import Level, county_of
from yiyang.core.roles import Role
from yiyang.elders import assessment as rules
from yiyang.elders import categories, rollups
from yiyang.elders.importers import insert_new
from yiyang.elders.models import Assessment, AssessmentReason, Elder, LivingSituation, Status
from yiyang.facilities.models import Facility, FacilityCode, FacilityType, OperationModel, Residence, Service
from yiyang.regions import services as regions
from yiyang.regions.models import Region
from yiyang.servicemap import services as servicemap

from . import benefits as demo_benefits
from . import care_alarms, renovation, supervision_escrow, supervision_inspections, supervision_ratings
from . import names as naming
from . import visits as demo_visits
from .names import GIVEN_BY_SEX, SURNAMES

PROVINCE = "41"  # 河南
DEMO_CITY = "411000000000"  # 许昌市
DEMO_COUNTY = "411002000000"  # 魏都区
DEMO_PASSWORD = "Yiyang-Demo-2026"


@dataclass
class Sizes:
    elderly: int = 3000
    streets_per_county: int = 4
    communities_per_street: int = 6
    demo_only_city: bool = True  # streets/communities for Xuchang only; False: the whole province
    # With demo_only_city: elders of each other city (and 济源), in a small tree of one county each;
    # None: a fiftieth of `elderly`, at least 10. 0: none.
    elderly_per_other_city: int | None = None

    @property
    def per_other_city(self) -> int:
        if not self.demo_only_city:
            return 0
        if self.elderly_per_other_city is None:
            return max(10, self.elderly // 50)
        return self.elderly_per_other_city


def build_regions(sizes: Sizes) -> list[str]:
    """Load Henan's real divisions and generate streets and communities. Returns community codes."""
    regions.load_divisions({PROVINCE})
    counties = Region.objects.filter(level=Level.COUNTY)
    counties = counties.filter(code__startswith=DEMO_CITY[:4]) if sizes.demo_only_city else counties
    regions.generate_subdivisions(
        list(counties.values_list("code", flat=True)), sizes.streets_per_county, sizes.communities_per_street
    )
    return list(Region.objects.filter(level=Level.COMMUNITY).order_by("code").values_list("code", flat=True))


OTHER_CITY_STREETS = 2  # one 街道 and one 镇
OTHER_CITY_COMMUNITIES = 2  # per street: two 社区 of the street, two 村 of the town


def other_city_counties() -> list[str]:
    """One county of every city of the province but the demo city: its first by code, the seat district
    (郑州 中原区 410102, 洛阳 老城区 410302, ...), and 济源 (419001) under the province's directly
    administered counties. All are real divisions of the loaded tree."""
    chosen = {}
    counties = Region.objects.filter(level=Level.COUNTY, code__startswith=PROVINCE).exclude(
        code__startswith=DEMO_CITY[:4]
    )
    for code in counties.order_by("code").values_list("code", flat=True):
        chosen.setdefault(code[:4], code)
    return sorted(chosen.values())


def build_other_cities(sizes: Sizes) -> list[str]:
    """A small tree (two streets, four communities) in one county of each other city. Returns the
    community codes, empty when the sizes ask for no other city."""
    if not sizes.per_other_city:
        return []
    counties = other_city_counties()
    regions.generate_subdivisions(counties, OTHER_CITY_STREETS, OTHER_CITY_COMMUNITIES)
    return list(
        Region.objects.filter(level=Level.COMMUNITY, parent_code__in=Region.objects.filter(
            parent_code__in=counties).values("code")).order_by("code").values_list("code", flat=True)
    )  # fmt: skip


CATEGORY_SHARES = [
    (categories.BY_CODE[code].bit, share)
    for code, share in (("dibao", 0.06), ("tekun", 0.01), ("dibao_edge", 0.03), ("severe_disability", 0.02),
                        ("family_planning", 0.005), ("entitled", 0.01))
]  # fmt: skip
HEALTH_NOTES = ["", "", "高血压", "糖尿病", "冠心病", "骨关节炎"]


def elder_rows(community_codes: list[str], count: int, seed: int = 11):
    """Yield `count` elder rows in the shape `clean_elder` returns, spread over the communities.

    Written for speed (a million rows in seconds): one uniform draw per choice, pinyin per name cached.
    """
    rng = random.Random(seed)
    draw = rng.random
    today = timezone.localdate()
    centres = {code: (lat, lng) for code, lat, lng in Region.objects.filter(
        code__in=community_codes).values_list("code", "lat", "lng").iterator()}  # fmt: skip
    used: set[str] = set()
    living = [v for v in LivingSituation.values if v != LivingSituation.IN_INSTITUTION]
    # Given names from the pool of the sex the ID number encodes: no 淑珍 among the men.
    names = {sex: [s + g for s in SURNAMES for g in given] for sex, given in GIVEN_BY_SEX.items()}
    readings = {name: (pinyin.full(name), pinyin.initials(name)) for pool in names.values() for name in pool}
    eighty_ago = today.replace(year=today.year - 80) if not (today.month == 2 and today.day == 29) else today
    advanced_age, alone = categories.BY_CODE["advanced_age"].bit, categories.BY_CODE["living_alone"].bit
    communities = len(community_codes)
    for n in range(count):
        community = community_codes[n % communities]
        county = community[:6]
        # Ages 60-100, weighted towards the younger old, as in the population.
        age = min(100, 60 + int(rng.expovariate(1 / 11)))
        birth = today - timedelta(days=age * 365 + int(draw() * 365))
        sex = "F" if draw() < 0.54 else "M"
        while True:
            number = idnumber.make(county, birth, int(draw() * 100), sex)
            if number not in used:
                used.add(number)
                break
            birth -= timedelta(days=1)
        pool = names[sex]
        name = pool[int(draw() * len(pool))]
        cats = advanced_age if birth <= eighty_ago else 0
        for bit, share in CATEGORY_SHARES:
            if draw() < share:
                cats |= bit
        situation = living[int(draw() * len(living))]
        if situation == LivingSituation.ALONE:
            cats |= alone
        deceased = draw() < 0.01
        lat, lng = centres.get(community, (None, None))
        yield {
            "name": name,
            "name_pinyin": readings[name][0],
            "name_initials": readings[name][1],
            "id_number": number,
            "sex": sex,
            "birth_date": birth,
            "ethnicity": "回族" if draw() < 0.03 else "汉族",
            "phone": f"1{'3578'[int(draw() * 4)]}{int(draw() * 1e9):09d}",
            "address": f"{1 + int(draw() * 39)}号楼{1 + int(draw() * 5)}单元{101 + int(draw() * 1700)}",
            "region_code": community,
            "county_code": county,
            "lat": round(lat + (draw() - 0.5) * 0.008, 6) if lat else None,
            "lng": round(lng + (draw() - 0.5) * 0.008, 6) if lng else None,
            "living_situation": situation,
            "categories": cats,
            "health_notes": HEALTH_NOTES[int(draw() * 6)],
            "status": Status.DECEASED if deceased else Status.ACTIVE,
            "status_date": today - timedelta(days=1 + int(draw() * 300)) if deceased else None,
        }


def build_elders(community_codes: list[str], count: int, chunk: int = 20000, seed: int = 11) -> int:
    """Write `count` elders; into an empty registry the secondary indexes are built after the load."""
    loading_empty_table = not connection.in_atomic_block and not Elder.objects.exists()
    with bulk.deferred_indexes(Elder) if loading_empty_table else nullcontext():
        rows: list[dict] = []
        for row in elder_rows(community_codes, count, seed=seed):
            rows.append(row)
            if len(rows) >= chunk:
                with transaction.atomic():
                    insert_new(rows, update_rollups=False)
                rows = []
        if rows:
            with transaction.atomic():
                insert_new(rows, update_rollups=False)
    return count


def _scores_for(rng: random.Random, target_level: int) -> dict[str, int]:
    """Item scores whose total falls in roughly the band of `target_level`."""
    ability = {0: 1.0, 1: 0.85, 2: 0.62, 3: 0.42, 4: 0.15}[target_level]
    return {
        item.code: max(0, min(item.max_score, round(item.max_score * ability + rng.uniform(-0.6, 0.6))))
        for item in rules.ITEMS
    }


def build_assessments(limit: int, seed: int = 5) -> int:
    """Assess up to `limit` elders (the oldest first), writing assessments and current levels in bulk."""
    rng = random.Random(seed)
    today = timezone.localdate()
    elders = list(
        Elder.objects.filter(status=Status.ACTIVE).order_by("birth_date").values_list("id", "region_code")[:limit]
    )
    ids = bulk.reserve_ids(Assessment, len(elders))
    columns = (
        "id", "elder", "region_code", "county_code", "standard", "assessed_on", "reason", "assessor_1", "assessor_2",
        "scores", "risk_events", "coma", "dementia", "mental_disorder", "self_care", "mobility", "mental",
        "perception", "total", "preliminary_level", "final_level", "level_changes", "next_due", "created_at",
    )  # fmt: skip
    assessments, levels = [], []
    now = timezone.now()
    for pk, (elder_id, region) in zip(ids, elders, strict=True):
        scores = _scores_for(rng, rng.choices([0, 1, 2, 3, 4], weights=[30, 35, 18, 11, 6])[0])
        dementia = rng.random() < 0.04
        result = rules.evaluate(scores, dementia=dementia)
        assessed_on = today - timedelta(days=rng.randrange(20, 400))
        due = assessed_on + timedelta(days=365)
        assessments.append(
            (pk, elder_id, region, county_of(region), rules.STANDARD, assessed_on, AssessmentReason.ROUTINE,
             "李评估", "王评估", scores, {}, False, dementia, False, result.self_care, result.mobility,
             result.mental, result.perception, result.total, result.preliminary_level, result.final_level,
             result.level_changes, due, now)
        )  # fmt: skip
        levels.append((result.final_level, assessed_on, due, elder_id))
    with transaction.atomic():
        bulk.insert(Assessment, columns, assessments)
        bulk.update(Elder, ("capability_level", "assessed_on", "assessment_due"), levels)
    return len(assessments)


FACILITY_MIX = [
    # (type, operation models, beds range, services, per county)
    (FacilityType.INSTITUTION, [OperationModel.PRIVATE, OperationModel.PUBLIC_PRIVATE], (80, 400),
     [Service.LONG_TERM_CARE, Service.MEDICAL, Service.REHABILITATION, Service.DEMENTIA, Service.MEALS], 3),
    (FacilityType.SUPPORT_HOME, [OperationModel.PUBLIC], (40, 150), [Service.LONG_TERM_CARE, Service.MEALS], 1),
    (FacilityType.STREET_CENTRE, [OperationModel.PUBLIC_PRIVATE], (20, 60),
     [Service.DAY_CARE, Service.RESPITE, Service.MEALS, Service.BATHING, Service.HOME_VISITS], 2),
    (FacilityType.DAY_CARE, [OperationModel.PUBLIC_PRIVATE, OperationModel.SOCIAL], (0, 12),
     [Service.DAY_CARE, Service.MEALS, Service.ACTIVITIES, Service.EMOTIONAL], 4),
    (FacilityType.RURAL_HAPPINESS, [OperationModel.PUBLIC], (0, 10), [Service.MEALS, Service.ACTIVITIES], 2),
    (FacilityType.HOME_CARE_STATION, [OperationModel.SOCIAL, OperationModel.PRIVATE], (0, 0),
     [Service.HOME_VISITS, Service.CLEANING, Service.BATHING], 2),
    (FacilityType.CANTEEN, [OperationModel.BUILT_WITH_HOUSING, OperationModel.SOCIAL], (0, 0), [Service.MEALS], 2),
]  # fmt: skip


def _is_town(street: Region) -> bool:
    return int(street.code[6:9]) >= 100  # 镇 and 乡 are numbered from 100, 街道 below


# Where a type is found: 敬老院 and 幸福院 in towns and villages, the street centre in a 街道.
PREFERS_TOWN = {FacilityType.SUPPORT_HOME: True, FacilityType.RURAL_HAPPINESS: True, FacilityType.STREET_CENTRE: False}


def build_facilities(seed: int = 3, small_counties: frozenset[str] = frozenset()) -> int:
    """Facilities of every type in each county with streets: the full mix (FACILITY_MIX), or one of each
    type in the `small_counties` (6-digit codes). Each is named after its county, street and, for the
    types that serve one community, its community, and no two share a name."""
    rng = random.Random(seed)
    streets = list(Region.objects.filter(level=Level.STREET).order_by("code"))
    communities_by_street: dict[str, list[Region]] = {}
    for c in Region.objects.filter(level=Level.COMMUNITY).order_by("code"):
        communities_by_street.setdefault(c.parent_code, []).append(c)
    by_county: dict[str, list[Region]] = {}
    for s in streets:
        by_county.setdefault(county_of(s.code), []).append(s)
    county_names = dict(
        Region.objects.filter(code__in=[c.ljust(12, "0") for c in by_county]).values_list("code", "name")
    )
    used: set[str] = set(Facility.objects.values_list("name", flat=True))
    facilities = []
    today = timezone.localdate()
    for county, county_streets in by_county.items():
        serial = 0
        county_name = county_names.get(county.ljust(12, "0"), "")
        phone_prefix = naming.area_code(county)
        for facility_type, models, (low, high), services, per_county in FACILITY_MIX:
            wants_town = PREFERS_TOWN.get(facility_type)
            fitting = [s for s in county_streets if wants_town is None or _is_town(s) == wants_town]
            for _ in range(1 if county in small_counties else per_county):
                serial += 1
                street = rng.choice(fitting or county_streets)
                place = rng.choice(communities_by_street.get(street.code) or [street])
                beds = rng.randint(low, high) if high else 0
                if county in small_counties:  # as few beds per elder as in the demo city
                    beds //= 4
                occupied = int(beds * rng.uniform(0.4, 0.95))
                name = naming.facility_name(
                    facility_type, county_name, street.name, place.name if place is not street else "", used, rng
                )
                facilities.append(
                    Facility(
                        code=f"{county}-{serial:04d}",
                        name=name,
                        facility_type=facility_type,
                        operation_model=rng.choice(models),
                        region_code=place.code,
                        county_code=county,
                        address=f"{street.name}{place.name}{rng.randrange(1, 200)}号",
                        lat=round((place.lat or 34.0) + rng.uniform(-0.003, 0.003), 6),
                        lng=round((place.lng or 113.8) + rng.uniform(-0.003, 0.003), 6),
                        phone=f"{phone_prefix}-{rng.randrange(2000000, 8999999)}",
                        contact_person=rng.choice(SURNAMES) + rng.choice(["主任", "院长", "站长"]),
                        opening_hours="全天" if beds and facility_type != FacilityType.DAY_CARE else "08:00-17:30",
                        services=list(services),
                        monthly_fee_min=rng.choice([150000, 200000, 250000]) if beds > 20 else None,
                        monthly_fee_max=rng.choice([350000, 450000, 600000]) if beds > 20 else None,
                        beds_total=beds,
                        beds_nursing=int(beds * rng.uniform(0.3, 0.7)),
                        beds_occupied=occupied,
                        star_rating=rng.choice([0, 1, 2, 3, 3, 4, 5])
                        if facility_type == FacilityType.INSTITUTION
                        else 0,
                        established_on=today - timedelta(days=rng.randrange(400, 5000)),
                        description="为辖区老年人提供专业照护服务。",
                    )
                )
    Facility.objects.bulk_create(facilities, batch_size=1000)
    FacilityCode.objects.bulk_create([FacilityCode(code=f.code, facility=f) for f in facilities], batch_size=1000)
    return len(facilities)


def build_residents(share: float = 0.03, seed: int = 13) -> int:
    """Move about `share` of each county's elders (the oldest first) into its residential facilities.

    About 3 % of older people in China live in institutions; the registered occupancy of a facility
    also counts residents from elsewhere, so it stays at least the number linked here.
    """
    rng = random.Random(seed)
    today = timezone.localdate()
    residences, links, occupancy = [], [], []
    residential = Facility.objects.filter(facility_type__in=[FacilityType.INSTITUTION, FacilityType.SUPPORT_HOME])
    by_county: dict[str, list[Facility]] = {}
    for facility in residential.order_by("id"):
        by_county.setdefault(facility.county_code, []).append(facility)
    for county, places in by_county.items():
        elders = Elder.objects.filter(county_code=county, status=Status.ACTIVE).order_by("birth_date")
        quota = int(elders.count() * share)
        candidates = iter(elders.values_list("id", flat=True)[:quota])
        for facility in places:
            chosen = list(islice(candidates, min(facility.beds_occupied, quota // len(places) + 1)))
            for number, elder_id in enumerate(chosen, start=1):
                residences.append(
                    Residence(
                        facility=facility,
                        elder_id=elder_id,
                        region_code=facility.region_code,
                        county_code=facility.county_code,
                        bed_number=f"{number:03d}",
                        admitted_on=today - timedelta(days=rng.randrange(30, 1500)),
                    )
                )
                links.append((facility.pk, LivingSituation.IN_INSTITUTION, elder_id))
            occupancy.append((max(facility.beds_occupied, len(chosen)), facility.pk))
    with transaction.atomic():
        Residence.objects.bulk_create(residences, batch_size=2000)
        bulk.update(Elder, ("facility_id", "living_situation"), links)
        bulk.update(Facility, ("beds_occupied",), occupancy)
    return len(residences)


MENU = [
    # (code, name, category, unit, price in fen, minutes, minimum minutes, required carer level)
    ("meal", "助餐送餐", "daily_living", "meal", 1500, 20, 5, None),
    ("bath", "助浴", "daily_living", "visit", 8000, 60, 40, 4),
    ("clean", "助洁", "daily_living", "hour", 4000, 60, 45, None),
    ("escort", "助医陪诊", "daily_living", "visit", 6000, 120, 60, None),
    ("care", "生活照护", "basic_care", "hour", 5000, 60, 45, 4),
    ("rehab", "康复护理", "basic_care", "visit", 9000, 60, 40, 3),
    ("visit", "上门探访", "visiting", "visit", 0, 30, 15, None),
    ("talk", "精神慰藉", "emotional", "hour", 3000, 60, 30, None),
    ("errand", "代购代办", "errands", "visit", 2000, 60, 20, None),
]
# Shares of the price the government pays, by category (local policy; placeholders for the demo).
MENU_SUBSIDIES = {"tekun": 100, "dibao": 50, "severe_disability": 50, "family_planning": 50}
ALLOWANCES = [("tekun", 30000), ("advanced_age", 10000), ("dibao", 10000)]


def build_homecare(seed: int = 17, orders_per_county: int = 40, small_counties: frozenset[str] = frozenset()) -> int:
    """The service menu of each county of the demo city, two providers with caregivers per county,
    this month's vouchers and a history of orders in every state; in each of the `small_counties`
    (6-digit codes) of other cities, one provider with two caregivers and a quarter of the orders."""
    from yiyang.homecare import services as homecare
    from yiyang.homecare.models import Order, OrderStatus, ServiceItem
    from yiyang.providers.models import Certificate, CertificateKind, Provider, Staff, StaffRole

    rng = random.Random(seed)
    counties = Region.objects.filter(
        Q(code__startswith=DEMO_CITY[:4]) | Q(code__in=[c.ljust(12, "0") for c in small_counties]), level=Level.COUNTY
    ).order_by("code")
    now = timezone.now()
    for county in counties:
        head = county.code[:6]
        small = head in small_counties
        items = ServiceItem.objects.bulk_create(
            ServiceItem(region_code=county.code, county_code=head, code=code, name=name, category=category, unit=unit,
                        price=price, duration_minutes=minutes, min_minutes=minimum, required_skill=level,
                        subsidies=MENU_SUBSIDIES)
            for code, name, category, unit, price, minutes, minimum, level in MENU
        )  # fmt: skip
        street = Region.objects.filter(parent_code=county.code).order_by("code").first()
        carers = []
        providers = ("安康居家养老服务有限公司", "夕阳红助老服务中心")[: 1 if small else 2]
        for n, name in enumerate(providers):
            provider = Provider.objects.create(
                name=f"{county.name}{name}", region_code=street.code if street else county.code, county_code=head,
                service_regions=[county.code], service_items=[code for code, *_ in MENU],
                phone=f"{naming.area_code(head)}-66{n}0000",
            )  # fmt: skip
            for _ in range(2 if small else 4):
                level = rng.choice([2, 3, 3, 4, 4, 5])
                carer = Staff.objects.create(
                    provider=provider, region_code=provider.region_code, county_code=head, role=StaffRole.CARER,
                    name=rng.choice(SURNAMES) + rng.choice(["姐", "师傅"]), phone=f"139{rng.randrange(10**8):08d}",
                    hired_on=now.date() - timedelta(days=rng.randrange(200, 2000)), skill_level=level,
                    lat=(county.lat or 34.0) + rng.uniform(-0.05, 0.05),
                    lng=(county.lng or 113.8) + rng.uniform(-0.05, 0.05),
                )  # fmt: skip
                Certificate.objects.create(
                    staff=carer, county_code=head, kind=CertificateKind.CARER, level=level,
                    number=f"HC{head}{carer.pk:06d}", issuer="河南省人力资源和社会保障厅",
                    issued_on=carer.hired_on + timedelta(days=rng.randrange(30, 180)),
                )  # fmt: skip
                carers.append(carer)
        elders = list(Elder.objects.filter(county_code=head, status=Status.ACTIVE, facility_id__isnull=True)[:200])
        history = []
        for _ in range((orders_per_county // 4 if small else orders_per_county) if elders else 0):
            elder, item, carer = rng.choice(elders), rng.choice(items), rng.choice(carers)
            quote = homecare.quote(elder, item)
            slot = now - timedelta(days=rng.randrange(1, 60), hours=rng.randrange(0, 8))
            status = rng.choices([OrderStatus.RATED, OrderStatus.COMPLETED, OrderStatus.CANCELLED], [70, 20, 10])[0]
            served = status != OrderStatus.CANCELLED
            history.append(
                Order(elder_id=elder.pk, region_code=elder.region_code, county_code=head, item=item,
                      provider=carer.provider if served else None, caregiver=carer if served else None, status=status,
                      slot_start=slot, address=elder.address, lat=elder.lat, lng=elder.lng, created_at=slot - timedelta(days=1),
                      assigned_at=slot - timedelta(hours=20) if served else None,
                      accepted_at=slot - timedelta(hours=19) if served else None,
                      dispatched_at=slot - timedelta(hours=19) if served else None,
                      checked_in_at=slot + timedelta(minutes=rng.randrange(-5, 15)) if served else None,
                      checked_out_at=slot + timedelta(minutes=item.duration_minutes) if served else None,
                      check_in_distance_m=rng.randrange(0, 80) if served else None,
                      rating=rng.choices([5, 4, 3], [80, 17, 3])[0] if status == OrderStatus.RATED else None,
                      price=quote["price"], subsidy=quote["subsidy"], voucher=0, self_pay=quote["price"] - quote["subsidy"])
            )  # fmt: skip
        Order.objects.bulk_create(history)
    month = timezone.localdate().replace(day=1)
    region = PROVINCE.ljust(12, "0") if small_counties else DEMO_CITY
    return homecare.grant_monthly(month, [homecare.Allowance(c, amount) for c, amount in ALLOWANCES], region)


def build_population(seed: int = 9) -> None:
    """Population figures for communities (random, believable) summed up every level."""
    rng = random.Random(seed)
    totals: dict[str, list[int]] = {}
    rows = []
    for code in Region.objects.filter(level=Level.COMMUNITY).values_list("code", flat=True):
        total = rng.randrange(2500, 9000)
        p60 = int(total * rng.uniform(0.16, 0.24))
        p65 = int(p60 * rng.uniform(0.7, 0.8))
        p80 = int(p60 * rng.uniform(0.12, 0.2))
        rows.append((total, p60, p65, p80, code))
        for level in (Level.STREET, Level.COUNTY, Level.CITY, Level.PROVINCE):
            key = code[: {4: 9, 3: 6, 2: 4, 1: 2}[level]].ljust(12, "0")
            acc = totals.setdefault(key, [0, 0, 0, 0])
            for i, v in enumerate((total, p60, p65, p80)):
                acc[i] += v
    rows += [(*v, code) for code, v in totals.items()]
    bulk.update(Region, ("population_total", "population_60", "population_65", "population_80"), rows, key="code")


DEMO_ACCOUNTS = [
    # (username, name, role, region code or facility marker, description)
    ("admin", "平台管理员", Role.PLATFORM_ADMIN, "", "平台管理员（全部数据与后台）"),
    ("xuchang", "许昌市民政局", Role.OFFICER, DEMO_CITY, "市级民政干部：许昌市"),
    ("weidu", "魏都区民政局", Role.OFFICER, DEMO_COUNTY, "县级民政干部：魏都区"),
    ("jianan", "建安区民政局", Role.OFFICER, "411003000000", "县级民政干部：建安区（用于核对数据隔离）"),
    ("viewer", "魏都区查看员", Role.VIEWER, DEMO_COUNTY, "民政查看员：魏都区（只读）"),
    ("grid", "网格员小李", Role.COMMUNITY_WORKER, "", "网格员：魏都区第一个社区；探访手机端 /visits/app/"),
    ("auditor", "审计员", Role.AUDITOR, DEMO_CITY, "审计员：许昌市审计日志"),
    ("manager", "机构院长", Role.FACILITY_MANAGER, "facility", "机构管理员：魏都区第一家养老机构"),
    ("provider", "服务商经理", Role.PROVIDER_MANAGER, "provider", "服务商管理员：魏都区第一家居家服务商"),
    ("carer", "刘护理员", Role.CAREGIVER, "caregiver", "服务人员：该服务商的第一位护理员"),
    ("family", "老人家属", Role.FAMILY, "elder", "老人或家属：魏都区一位老人"),
    ("operator", "12349 坐席", Role.OPERATOR, DEMO_COUNTY, "应急呼叫坐席：魏都区（/care/console/）"),
    ("responder", "王响应", Role.CAREGIVER, "responder", "应急响应人员：手机上接受、到场、处置（/care/respond/）"),
]


def build_accounts() -> list[tuple[str, str]]:
    first_community = Region.objects.filter(level=Level.COMMUNITY, code__startswith=DEMO_COUNTY[:6]).first()
    facility = Facility.objects.filter(county_code=DEMO_COUNTY[:6], facility_type=FacilityType.INSTITUTION).first()
    elder = Elder.objects.filter(county_code=DEMO_COUNTY[:6], status=Status.ACTIVE).first()
    from yiyang.providers.models import Provider, Staff

    provider = Provider.objects.filter(county_code=DEMO_COUNTY[:6]).order_by("id").first()
    carer = Staff.objects.filter(provider=provider).order_by("id").first()
    responder = Staff.objects.filter(provider=provider, role="responder").order_by("id").first()
    created = []
    for username, name, role, scope, description in DEMO_ACCOUNTS:
        membership = {"role": role, "region_code": scope if scope.isdigit() else ""}
        if role == Role.COMMUNITY_WORKER and first_community:
            membership["region_code"] = first_community.code
        elif scope == "facility" and facility:
            membership.update(region_code=facility.region_code, scope_id=facility.pk, scope_label=facility.name)
        elif scope == "elder" and elder:
            membership.update(region_code=elder.region_code, scope_id=elder.pk, scope_label=elder.name)
        elif scope == "provider" and provider:
            membership.update(region_code=provider.region_code, scope_id=provider.pk, scope_label=provider.name)
        elif scope == "caregiver" and carer:
            membership.update(region_code=provider.region_code, scope_id=carer.pk, scope_label=carer.name)
        elif scope == "responder" and responder:
            membership.update(region_code=provider.region_code, scope_id=responder.pk, scope_label=responder.name)
        elif not scope.isdigit() and role != Role.PLATFORM_ADMIN:
            continue
        create_user(
            username,
            DEMO_PASSWORD,
            name=name,
            memberships=[] if role == Role.PLATFORM_ADMIN else [membership],
            is_superuser=role == Role.PLATFORM_ADMIN,
        )
        created.append((username, description))
    return created


def build(sizes: Sizes, log=print) -> None:
    communities = build_regions(sizes)
    others = build_other_cities(sizes)
    small = frozenset(county_of(c) for c in others)
    log(f"区划：{Region.objects.count()} 个（社区/村 {len(communities) + len(others)} 个）")
    build_population()
    log(f"养老服务机构：{build_facilities(small_counties=small)} 家")
    elderly = build_elders(communities, sizes.elderly)
    if others:
        elderly += build_elders(others, sizes.per_other_city * len(small), seed=12)
    log(f"老年人：{elderly} 人" + (f"（其他 {len(small)} 个市各 {sizes.per_other_city} 人）" if small else ""))
    log(f"入住机构：{build_residents()} 人")
    log(f"能力评估：{build_assessments(min(elderly, max(200, elderly // 3), 50_000))} 份")
    rollups.rebuild()
    log(f"服务券发放：{build_homecare(small_counties=small)} 人")
    made = care_alarms.build(random.Random(37))
    log(f"报警设备：{made['devices']} 台；应急响应人员：{made['responders']} 人；历史报警：{made['alarms']} 起")
    servicemap.seed_default_rules()
    log(f"服务圈覆盖：{servicemap.recompute(None)} 个社区（村）")
    build_accounts()
    hazards, claims = supervision_inspections.build()
    log(f"监督检查隐患：{hazards} 条；运营补贴申报：{claims} 份")
    staff, applications = supervision_ratings.build(random.Random(29))
    log(f"机构工作人员：{staff} 人；等级评定申请：{applications} 份")
    made = supervision_escrow.build(random.Random(31))
    log(f"预收费存管账户：{made['escrow_accounts']} 个；包联干部：{made['cadres']} 人；投诉：{made['complaints']} 件")
    made = demo_visits.build(DEMO_COUNTY, random.Random(37))
    log(f"探访关爱对象：{made['targets']} 人；探访记录：{made['visits']} 条；转办：{made['referrals']} 件")
    log(f"居家适老化改造申请：{renovation.build(DEMO_COUNTY, random.Random(41))['applications']} 户")
    log(demo_benefits.build(DEMO_COUNTY, random.Random(41)))
