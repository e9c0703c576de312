"""Demo supervision: a city checklist, inspections of the Xuchang institutions with hazards in every
state of the ledger (open, submitted, closed, overdue and escalated), and last month's operation
subsidies walked partly through the review chain. Acts through the services as the demo officers."""

import random
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from yiyang.core.audit import Actor
from yiyang.facilities.models import Facility, FacilityType
from yiyang.supervision.models import Hazard, SubsidyClaim
from yiyang.supervision.services import inspections, subsidies

CITY, COUNTY = "411000000000", "411002000000"
# A 1×1 PNG standing in for photos taken on site.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d4944415478da63f8ffff3f0005fe02fea7d6a4c80000000049454e44ae426082"
)
FINDINGS = {
    "fire": ["走廊堆放杂物影响疏散", "部分灭火器压力不足", "消防演练记录缺失"],
    "food": ["食品留样不足48小时", "一名厨师健康证过期"],
    "electrical": ["房间内使用电热毯未报备", "楼道内电动车充电"],
    "video": ["后门监控损坏", "录像保存不足30天"],
    "epidemic": ["消毒记录不完整"],
    "emergency": ["走失应急预案未演练"],
    "duty": ["夜班交接记录缺失"],
    "building": ["屋顶局部渗水"],
    "service": ["3 名老人无能力评估记录"],
}


def photo(name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PNG, content_type="image/png")


def build(rng: random.Random | None = None) -> tuple[int, int]:
    """Returns (hazards, subsidy claims)."""
    rng = rng or random.Random(23)
    users = get_user_model().objects
    city, county = Actor(user=users.get(username="xuchang")), Actor(user=users.get(username="weidu"))
    # The facilities' own steps are taken as the platform administrator: the demo has one manager account.
    facility_side = Actor(user=users.get(username="admin"))
    items = [(category, text) for category, text in inspections.DEFAULT_ITEMS]
    checklist = inspections.save_checklist(city, CITY, "养老机构安全检查表", items)
    today = timezone.localdate()
    places = Facility.objects.filter(
        county_code__startswith=CITY[:4], facility_type__in=[FacilityType.INSTITUTION, FacilityType.SUPPORT_HOME]
    ).order_by("id")
    for n, facility in enumerate(places):
        kind = "unannounced" if n % 3 == 0 else "scheduled"
        inspection = inspections.plan_inspection(city, facility.pk, checklist.pk, kind, today - timedelta(days=20),
                                                 "市民政局安全检查组")  # fmt: skip
        failed = rng.sample(checklist.items, k=rng.choice([0, 1, 1, 2, 3]))
        results = {item["code"]: "pass" for item in checklist.items}
        findings = {}
        for item in failed:
            results[item["code"]] = "fail"
            findings[item["code"]] = inspections.Finding(
                description=rng.choice(FINDINGS[item["category"]]), severity=rng.choice(["general"] * 4 + ["major"]),
                responsible_person=facility.contact_person or "院长",
            )  # fmt: skip
        inspections.record_results(city, inspection.pk, results, findings, "总体运行平稳，发现的问题限期整改。",
                                   photos={code: [photo("site.png")] for code in findings})  # fmt: skip
    hazards = list(Hazard.objects.filter(county_code__startswith=CITY[:4]).order_by("id"))
    for n, hazard in enumerate(hazards):
        fate = n % 5
        if fate in (0, 1, 2):  # rectified; two in three of those already verified and closed
            inspections.submit_rectification(facility_side, hazard.pk, "已按要求整改，附整改后照片。",
                                              [photo("after.png")])  # fmt: skip
            if fate != 2:
                inspections.verify(city, hazard.pk, True, "复核通过")
        elif fate == 3:  # past its deadline: escalates
            Hazard.objects.filter(pk=hazard.pk).update(deadline=today - timedelta(days=rng.choice([3, 20])))
    inspections.escalate_overdue(today)
    facility = places.filter(county_code=COUNTY[:6]).first()
    if facility:
        inspections.plan_inspection(county, facility.pk, checklist.pk, "unannounced", today, "魏都区民政局 王科长")
    return len(hazards), build_subsidies(city, county, facility_side)


def build_subsidies(city: Actor, county: Actor, facility_side: Actor) -> int:
    subsidies.save_rate_table(city, {
        "region_code": CITY, "name": "许昌市养老机构运营补贴", "document": "许民〔2024〕12号（演示数据）",
        "valid_from": timezone.localdate().replace(month=1, day=1), "facility_types": ["institution", "support_home"],
        "level_rates": {"0": 5000, "1": 10000, "2": 15000, "3": 20000, "4": 30000}, "unassessed_rate": 3000,
        "nursing_level": 3, "nursing_extra": 5000, "construction_per_bed": 0, "min_days": 15,
    })  # fmt: skip
    last_month = subsidies.first_of_month(timezone.localdate()) - timedelta(days=1)
    subsidies.calculate_month(city, CITY, last_month)
    claims = list(SubsidyClaim.objects.filter(county_code=COUNTY[:6]).order_by("id"))
    actors = {"submit": facility_side, "county_approve": county, "city_approve": city, "pay": city}
    for n, claim in enumerate(claims):
        for step in ("submit", "county_approve", "city_approve", "pay")[: n % 5]:
            subsidies.take_step(actors[step], claim.pk, step)
    return SubsidyClaim.objects.count()
