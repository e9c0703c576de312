"""The move of providers, caregivers and the workforce into the providers registry loses no row and
keeps every reference: built on the schema before the move, checked on the schema after it."""

from datetime import UTC, date, datetime, time
from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("homecare", "0007_order_confirmation"), ("supervision", "0008_step_base")]
AFTER = [("homecare", "0008_providers_registry"), ("supervision", "0009_providers_registry")]


def migrate(targets):
    """Migrate the test database to `targets`; the historical models of every app at that point."""
    return MigrationExecutor(connection).migrate(targets).apps


def build_old_rows(apps) -> dict:
    Provider = apps.get_model("homecare", "Provider")
    Caregiver = apps.get_model("homecare", "Caregiver")
    CaregiverTraining = apps.get_model("homecare", "CaregiverTraining")
    ServiceItem = apps.get_model("homecare", "ServiceItem")
    Order = apps.get_model("homecare", "Order")
    OrderPhoto = apps.get_model("homecare", "OrderPhoto")
    Facility = apps.get_model("facilities", "Facility")
    Staff = apps.get_model("supervision", "Staff")
    Certificate = apps.get_model("supervision", "Certificate")
    TrainingClass = apps.get_model("supervision", "TrainingClass")
    Attendance = apps.get_model("supervision", "Attendance")
    Complaint = apps.get_model("supervision", "Complaint")
    Membership = apps.get_model("accounts", "Membership")
    User = apps.get_model("auth", "User")

    county = "411002"
    ankang = Provider.objects.create(
        id=7,
        name="安康居家服务公司",
        region_code="411002001000",
        county_code=county,
        service_regions=["411002000000"],
        service_items=["bath"],
        phone="0374-1234567",
    )
    jianan = Provider.objects.create(
        id=9,
        name="建安服务社",
        region_code="411002002000",
        county_code=county,
        service_regions=["411002002000"],
        service_items=[],
        is_active=False,
    )
    liu = Caregiver.objects.create(
        id=30,
        provider=ankang,
        county_code=county,
        name="刘护理",
        phone="13900001111",
        skill_level=3,
        certificate_no="HL-0001",
        lat=34.03,
        lng=113.85,
        work_regions=["411002001000"],
        work_days=[1, 2, 3],
        work_start=time(8),
        work_end=time(17),
    )
    Caregiver.objects.create(
        id=31, provider=jianan, county_code=county, name="王阿姨", phone="13900002222", is_active=False
    )
    CaregiverTraining.objects.create(
        caregiver=liu,
        county_code=county,
        topic="失能老人照护",
        organiser="市培训中心",
        trained_on=date(2026, 3, 1),
        hours=Decimal("16.0"),
        certificate_no="JY-77",
    )
    item = ServiceItem.objects.create(
        region_code="411002000000",
        county_code=county,
        code="bath",
        name="助浴",
        category="daily_living",
        unit="visit",
        price=8000,
    )
    order = Order.objects.create(
        elder_id=1,
        region_code="411002001001",
        county_code=county,
        item=item,
        provider=ankang,
        caregiver=liu,
        status="completed",
        slot_start=datetime(2026, 5, 1, 2, tzinfo=UTC),
        address="幸福路1号",
        price=8000,
        subsidy=8000,
        voucher=0,
        self_pay=0,
    )
    photo = OrderPhoto.objects.create(order=order, county_code=county, extension="jpg", file="homecare/x.jpg")
    user = User.objects.create(username="liu")
    membership = Membership.objects.create(user=user, role="caregiver", region_code="411002001000", scope_id=liu.id)

    facility = Facility.objects.create(
        code="F1",
        name="魏都区福利院",
        facility_type="institution",
        operation_model="public",
        region_code="411002001000",
        county_code=county,
        address="和平路2号",
    )
    nurse = Staff.objects.create(
        facility=facility,
        region_code="411002001000",
        county_code=county,
        name="张护士",
        role="nurse",
        phone="13700001111",
        hired_on=date(2020, 1, 1),
    )
    # The same person as caregiver 刘护理, in the workforce register of her provider.
    liu_again = Staff.objects.create(
        provider_id=ankang.id,
        region_code="411002001000",
        county_code=county,
        name="刘护理",
        role="carer",
        phone="13900001111",
        education="senior",
        hired_on=date(2019, 6, 1),
    )
    # A provider that the old register named by an id with no provider row behind it.
    stray = Staff.objects.create(
        provider_id=42,
        region_code="411002003000",
        county_code=county,
        name="赵师傅",
        role="other",
        hired_on=date(2021, 1, 1),
        left_on=date(2022, 1, 1),
    )
    Certificate.objects.create(
        staff=nurse, county_code=county, kind="nurse", number="HS-1", issuer="卫健委", issued_on=date(2019, 1, 1)
    )
    Certificate.objects.create(
        staff=liu_again,
        county_code=county,
        kind="carer",
        level=2,
        number="HL-0001",
        issuer="人社厅",
        issued_on=date(2024, 1, 1),
    )
    course = TrainingClass.objects.create(
        region_code="411002000000",
        county_code=county,
        organiser="魏都区民政局",
        topic="消防安全",
        starts_on=date(2026, 4, 1),
        ends_on=date(2026, 4, 2),
        hours=Decimal("8.0"),
    )
    in_house = TrainingClass.objects.create(
        region_code=facility.region_code,
        county_code=county,
        facility=facility,
        organiser=facility.name,
        topic="院内培训",
        starts_on=date(2026, 4, 5),
        ends_on=date(2026, 4, 5),
        hours=Decimal("4.0"),
    )
    Attendance.objects.create(training=course, staff=liu_again, county_code=county, hours=Decimal("8.0"))
    Attendance.objects.create(training=course, staff=nurse, county_code=county, hours=Decimal("6.5"), passed=False)
    Attendance.objects.create(training=in_house, staff=nurse, county_code=county, hours=Decimal("4.0"))
    complaint = Complaint.objects.create(
        provider_id=jianan.id,
        subject_name=jianan.name,
        region_code=jianan.region_code,
        county_code=county,
        channel="phone",
        complainant_name="甲",
        complainant_phone="13800000000",
        content="迟到",
        received_on=date(2026, 5, 2),
        deadline=date(2026, 5, 17),
    )
    return {
        "order": order.id,
        "photo": photo.id,
        "membership": membership.id,
        "nurse": nurse.id,
        "stray": stray.id,
        "facility": facility.id,
        "complaint": complaint.id,
        "course": course.id,
        "in_house": in_house.id,
    }


@pytest.mark.django_db(transaction=True)
def test_moving_to_the_providers_registry_keeps_every_row_and_reference():
    try:
        ids = build_old_rows(migrate(BEFORE))
        apps = migrate(AFTER)
        Provider = apps.get_model("providers", "Provider")
        Staff = apps.get_model("providers", "Staff")
        Certificate = apps.get_model("providers", "Certificate")
        Attendance = apps.get_model("providers", "Attendance")
        Order = apps.get_model("homecare", "Order")
        OrderPhoto = apps.get_model("homecare", "OrderPhoto")
        Membership = apps.get_model("accounts", "Membership")
        Complaint = apps.get_model("supervision", "Complaint")

        # Providers keep their ids; the stray id becomes an inactive placeholder.
        assert dict(Provider.objects.values_list("id", "name")) == {
            7: "安康居家服务公司",
            9: "建安服务社",
            42: "服务商 42（迁移时补登）",
        }
        assert Provider.objects.get(id=7).service_regions == ["411002000000"]
        assert not Provider.objects.get(id=42).is_active and Provider.objects.get(id=42).county_code == "411002"

        # Caregivers keep their ids; the workforce row of 刘护理 merged into hers; the others moved by
        # the offset (the highest caregiver id, 31).
        assert Staff.objects.count() == 4
        liu = Staff.objects.get(id=30)
        assert (liu.name, liu.role, liu.provider_id, liu.region_code, liu.hired_on, liu.education) == (
            "刘护理",
            "carer",
            7,
            "411002001000",
            date(2019, 6, 1),
            "senior",
        )
        assert (liu.work_days, liu.work_start, liu.lat, liu.is_active) == ([1, 2, 3], time(8), 34.03, True)
        wang = Staff.objects.get(id=31)
        assert (wang.name, wang.provider_id, wang.is_active, wang.skill_level, wang.hired_on) == (
            "王阿姨",
            9,
            False,
            None,
            None,
        )
        nurse = Staff.objects.get(id=31 + ids["nurse"])
        assert (nurse.name, nurse.facility_id, nurse.role, nurse.phone) == (
            "张护士",
            ids["facility"],
            "nurse",
            "13700001111",
        )
        stray = Staff.objects.get(id=31 + ids["stray"])
        assert (stray.provider_id, stray.left_on) == (42, date(2022, 1, 1))

        # One carer certificate for 刘护理 (the number was in both registers), with the workforce details;
        # her best level follows it.
        carer = Certificate.objects.get(staff_id=liu.id)
        assert (carer.kind, carer.level, carer.number, carer.issuer, carer.issued_on) == (
            "carer",
            2,
            "HL-0001",
            "人社厅",
            date(2024, 1, 1),
        )
        assert liu.skill_level == 2
        assert list(Certificate.objects.filter(staff_id=nurse.id).values_list("kind", "number")) == [("nurse", "HS-1")]

        # Training: the home-care record is a one-person class of the provider; workforce classes and
        # attendance keep their hours and results, now pointing at the merged people.
        own = Attendance.objects.select_related("training").filter(staff_id=liu.id).order_by("training__starts_on")
        assert [(a.training.topic, a.training.provider_id, a.hours, a.certificate_no) for a in own] == [
            ("失能老人照护", 7, Decimal("16.0"), "JY-77"),
            ("消防安全", None, Decimal("8.0"), ""),
        ]
        assert own[0].training.organiser == "市培训中心" and own[0].training.starts_on == date(2026, 3, 1)
        nurse_rows = Attendance.objects.filter(staff_id=nurse.id).order_by("training__starts_on")
        assert [(a.training.topic, a.training.facility_id, a.hours, a.passed) for a in nurse_rows] == [
            ("消防安全", None, Decimal("6.5"), False),
            ("院内培训", ids["facility"], Decimal("4.0"), True),
        ]
        assert own[1].training_id == nurse_rows[0].training_id

        # References from other apps.
        order = Order.objects.get(id=ids["order"])
        assert (order.provider_id, order.caregiver_id, order.caregiver.name) == (7, 30, "刘护理")
        assert OrderPhoto.objects.get(id=ids["photo"]).order_id == order.id
        membership = Membership.objects.get(id=ids["membership"])
        assert Staff.objects.get(id=membership.scope_id).name == "刘护理"
        assert Complaint.objects.get(id=ids["complaint"]).provider.name == "建安服务社"

        # New rows get fresh ids past the carried-over ones.
        fresh = Provider.objects.create(name="新服务社", region_code="411002001000", county_code="411002")
        assert fresh.id > 42
        assert (
            Staff.objects.create(
                provider=fresh, region_code="411002001000", county_code="411002", name="新人", role="carer"
            ).id
            > 31 + ids["stray"]
        )
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
