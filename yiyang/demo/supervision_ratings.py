"""Demo workforce and grading: staff with certificates for the county's institutions, a bureau training
class and a facility's own drill with attendance, and rating applications walked through the services
into every state, two of them published (one old enough to be due for renewal). Acts as the county
officer; past steps are entered with their own dates."""

import random
from datetime import timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from yiyang.core.audit import Actor
from yiyang.core.errors import DomainError
from yiyang.facilities.models import Facility, FacilityStatus, FacilityType, Residence
from yiyang.providers.models import Staff, StaffRole
from yiyang.supervision.services import ratings, workforce

from . import names

DEMO_COUNTY = "411002000000"  # 魏都区
ISSUERS = ["河南省人力资源和社会保障厅", "许昌市人力资源和社会保障局", "许昌市职业技能鉴定中心"]
STATES = ["published_old", "published", "notice", "scored", "accepted", "applied", "rejected", "withdrawn"]


def _score_sheet(rng: random.Random, config: dict, share: float) -> dict[str, str]:
    """Believable scores around `share` of each item's maximum, in half points."""
    scores = {}
    for item in ratings.all_items(config):
        raw = item["max"] * min(1.0, max(0.0, rng.uniform(share - 0.02, share + 0.07)))
        scores[item["code"]] = str(min(Decimal(item["max"]), Decimal(round(raw * 2)) / 2))
    return scores


def _staff(rng: random.Random, actor: Actor, facility: Facility, seq: list[int]) -> int:
    """Staff sized to the residents: enough carers for 1:4 of the disabled, most of them certified."""
    today = timezone.localdate()
    residents = Residence.objects.filter(facility=facility, left_on__isnull=True).count()
    carers = max(3, residents // 3 + rng.randint(0, 2))

    def add(role, **fields):
        hired = today - timedelta(days=rng.randrange(500, 3000))
        person = workforce.add_staff(actor, {"facility_id": facility.pk, "name": names.person(rng), "role": role,
                                             "phone": f"13{rng.randrange(5, 9)}{rng.randrange(10**8):08d}",
                                             "hired_on": hired, **fields})  # fmt: skip
        return person, hired

    created = 0
    director, _ = add(StaffRole.MANAGER, is_director=True, education=rng.choice(["college", "bachelor", "senior"]))
    created += 1
    for index in range(carers):
        person, hired = add(StaffRole.CARER, education=rng.choice(["junior", "senior", "junior", "primary"]),
                            trained_junior_standard=rng.random() < 0.3)  # fmt: skip
        created += 1
        # Most carers hold a certificate (the draft asks for half at 一级, 80 % at 五级).
        if index < carers * 0.6 or rng.random() < 0.5:
            seq[0] += 1
            workforce.add_certificate(actor, person.pk, {
                "kind": "carer", "level": rng.choice([5, 5, 5, 4, 4, 3]), "number": f"4110{hired.year}{seq[0]:06d}",
                "issuer": rng.choice(ISSUERS), "issued_on": hired + timedelta(days=rng.randrange(60, 400)),
            })  # fmt: skip
    for role, kind, full_time in ((StaffRole.DOCTOR, "doctor", True), (StaffRole.NURSE, "nurse", True),
                                  (StaffRole.NURSE, "nurse", True), (StaffRole.SOCIAL_WORKER, "social_worker", True),
                                  (StaffRole.SOCIAL_WORKER, "social_worker", False)):  # fmt: skip
        if role == StaffRole.DOCTOR and rng.random() < 0.3:
            continue  # smaller homes rely on a contracted clinic
        person, hired = add(role, education=rng.choice(["college", "bachelor"]), is_full_time=full_time)
        created += 1
        seq[0] += 1
        workforce.add_certificate(actor, person.pk, {"kind": kind, "number": f"{kind[:2].upper()}{seq[0]:08d}",
                                                     "issuer": "许昌市卫生健康委员会" if kind != "social_worker"
                                                     else "人力资源和社会保障部",
                                                     "issued_on": hired - timedelta(days=rng.randrange(100, 2000))})  # fmt: skip
    add(StaffRole.OTHER, education="junior")  # a cook
    created += 1
    leaver, hired = add(StaffRole.CARER, education="junior")
    workforce.change_staff(actor, leaver.pk, {"left_on": min(today, hired + timedelta(days=rng.randrange(90, 400)))})
    return created + 1


def _training(rng: random.Random, actor: Actor, county: str, facility: Facility | None) -> None:
    today = timezone.localdate()
    start = today - timedelta(days=45)
    bureau = workforce.create_training(actor, {
        "region_code": county, "organiser": "魏都区民政局", "topic": "失能老人照护技能提升培训（养老护理员五级）",
        "starts_on": start, "ends_on": start + timedelta(days=4), "hours": "40",
    })  # fmt: skip
    carers = workforce.current(Staff.objects.filter(county_code=county[:6], role=StaffRole.CARER)).order_by("id")
    for person in rng.sample(list(carers), k=min(12, carers.count())):
        workforce.record_attendance(actor, bureau.pk, person.pk, rng.choice(["40", "40", "36", "32"]),
                                    passed=rng.random() < 0.9)  # fmt: skip
    if facility is not None:
        drill = workforce.create_training(actor, {
            "facility_id": facility.pk, "topic": "消防安全与夜间应急疏散演练", "starts_on": today - timedelta(days=10),
            "ends_on": today - timedelta(days=10), "hours": "4",
        })  # fmt: skip
        for person in workforce.current(Staff.objects.filter(facility=facility)):
            workforce.record_attendance(actor, drill.pk, person.pk, "4")


# Days from the application to each later step of a walked application.
STEP_DAYS = {"withdraw": 3, "review": 7, "score": 20, "decide": 30, "notice": 45}


def _walk(rng: random.Random, actor: Actor, facility: Facility, state: str) -> bool:
    """One application walked to `state`; every step is dated today or earlier. False when the
    facility cannot apply then."""
    today = timezone.localdate()
    config = ratings.default_scheme().config
    notice = config["notice_days"]
    if state == "published_old":
        # Published 3 years less 60 days ago, so that its renewal reminder is due.
        start = ratings.add_years(today, -3) + timedelta(days=60 - STEP_DAYS["notice"] - notice)
    elif state == "published":
        start = today - timedelta(days=70)
    elif state == "notice":
        # On notice since two days ago (or today, for a notice shorter than three days): still running.
        start = today - timedelta(days=STEP_DAYS["notice"] + min(2, notice - 1))
    else:
        start = today - timedelta(days=STEP_DAYS["score"] + rng.randrange(0, 25))

    def on(step: str):
        return start + timedelta(days=STEP_DAYS[step])

    level = 3 if not facility.star_rating else min(5, facility.star_rating + 1)
    try:
        with transaction.atomic():
            application = ratings.apply(actor, facility.pk, level, f"申请评定为{ratings.LEVEL_LABELS[level]}养老机构",
                                        today=start)  # fmt: skip
            if state == "applied":
                return True
            if state == "withdrawn":
                ratings.withdraw(actor, application.pk, "需完善消防验收材料后再申请", today=on("withdraw"))
                return True
            penalised = state == "rejected"
            ratings.review(actor, application.pk, is_registered=True, penalised_recently=penalised,
                           on_dishonest_list=False, has_medical_unit=rng.random() < 0.5,
                           note="已核对备案、行政处罚及信用记录", today=on("review"))  # fmt: skip
            if state in ("accepted", "rejected"):
                return True
            share = {1: 0.45, 2: 0.55, 3: 0.66, 4: 0.82, 5: 0.91}[level]
            application = ratings.save_scores(actor, application.pk, _score_sheet(rng, config, share),
                                              "评审组现场评定", today=on("score"))  # fmt: skip
            if state == "scored":
                return True
            decided = application.computed_level
            if decided == 0:
                ratings.decide(actor, application.pk, 0, "前置条件或得分未达到一级", today=on("decide"))
                return True
            ratings.decide(actor, application.pk, decided, "评定委员会表决通过", today=on("decide"))
            application = ratings.start_notice(actor, application.pk, "在区民政局网站公示", today=on("notice"))
            if state == "notice":
                return True
            # The first day after the last notice day.
            ratings.publish(actor, application.pk, today=application.notice_ends_on + timedelta(days=1))
            return True
    except DomainError:
        return False


def build(rng: random.Random | None = None, *, county: str = DEMO_COUNTY, officer=None) -> tuple[int, int]:
    """Returns (staff registered, rating applications)."""
    rng = rng or random.Random(29)
    officer = officer or get_user_model().objects.get(username="weidu")
    actor = Actor(user=officer)
    facilities = list(
        Facility.objects.filter(county_code=county[:6], status=FacilityStatus.OPERATING,
                                facility_type__in=[FacilityType.INSTITUTION, FacilityType.SUPPORT_HOME])
        .order_by("id")[: len(STATES)]
    )  # fmt: skip
    seq, staff = [rng.randrange(1000, 9000)], 0
    for facility in facilities:
        staff += _staff(rng, actor, facility, seq)
    _training(rng, actor, county, facilities[0] if facilities else None)
    applications = 0
    for facility, state in zip(facilities, STATES, strict=False):
        facility.refresh_from_db()
        applications += _walk(rng, actor, facility, state)
    return staff, applications
