"""A small but complete world for the route-walking test: the demo's data at its smallest scale (every kind
of row exists in 魏都区, the home county, and in its neighbours), the rows the demo does not make at that
scale, and one user of every outsider kind.

The rows the walking test puts into URLs are rows of the home county, renamed to markers that no other
row carries, so that a response can be searched for a leak."""

from dataclasses import dataclass, field
from datetime import date, time

HOME_COUNTY = "411002000000"  # 魏都区, the demo county
NEIGHBOUR_COUNTY = "411003000000"  # 建安区, same city
OTHER_CITY_COUNTY = "410102000000"  # 郑州市中原区
MARKERS = {"elder": "界内老人甲", "facility": "界内养老院甲", "provider": "界内服务商甲", "peer": "界内上级平台甲"}
PASSWORD = "Outsider-Pass-2026"
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


@dataclass
class World:
    rows: dict[str, int] = field(default_factory=dict)  # path parameter -> id of a home-county row
    users: dict[str, object] = field(default_factory=dict)  # identity -> user


def _first(model, **filters):
    return model._base_manager.filter(**filters).order_by("pk").first()


def build() -> World:
    from django.contrib.auth import get_user_model
    from django.core.files.base import ContentFile
    from django.utils import timezone

    from yiyang.accounts.services import create_token, create_user
    from yiyang.analytics.models import MonthlyReport
    from yiyang.benefits import models as benefits
    from yiyang.care.models import Alarm, DeviceEvent, InactivityRule, Vendor
    from yiyang.core.audit import Actor
    from yiyang.core.roles import Role
    from yiyang.demo import generate
    from yiyang.elders.models import Assessment, Elder
    from yiyang.exchange import peers as exchange_peers
    from yiyang.exchange import periods as exchange_periods
    from yiyang.exchange import services as exchange_services
    from yiyang.exchange.models import SyncConflict
    from yiyang.facilities import services as facility_services
    from yiyang.facilities.models import Facility, FacilityType, Residence
    from yiyang.homecare.models import Order, OrderPhoto, ServiceItem, Volunteer, VolunteerService
    from yiyang.imports.models import ColumnMapping, ImportJob
    from yiyang.providers.models import Provider, Staff, TrainingClass
    from yiyang.renovation.models import Application as Renovation
    from yiyang.renovation.models import LinePhoto
    from yiyang.supervision.models import (
        CadreVisit,
        Complaint,
        EscrowAlert,
        Hazard,
        Inspection,
        Pairing,
        Photo,
        RatingApplication,
        SubsidyClaim,
    )
    from yiyang.supervision.models.pairing import Cadre
    from yiyang.visits.models import Visit, VisitPhoto, VisitTarget

    generate.build(
        generate.Sizes(elderly=60, streets_per_county=1, communities_per_street=2, elderly_per_other_city=0),
        log=lambda *_: None,
    )
    users = {u.username: u for u in get_user_model().objects.all()}
    home, neighbour = HOME_COUNTY[:6], NEIGHBOUR_COUNTY[:6]
    world = World()

    elder = _first(Elder, county_code=home, status="active")
    Elder._base_manager.filter(pk=elder.pk).update(name=MARKERS["elder"])
    institution = _first(Facility, county_code=home, facility_type=FacilityType.INSTITUTION)
    Facility._base_manager.filter(pk=institution.pk).update(name=MARKERS["facility"])
    provider = _first(Provider, county_code=home)
    Provider._base_manager.filter(pk=provider.pk).update(name=MARKERS["provider"])
    officer = Actor(user=users["weidu"])

    residence = _first(Residence, county_code=home, left_on=None)
    if residence is None:
        resident = _first(Elder, county_code=home, status="active", pk__gt=elder.pk)
        residence = facility_services.admit(officer, institution.pk, resident.pk, date(2026, 1, 1))
    order = _first(Order, region_code__startswith=home)
    photo = OrderPhoto(order=order, county_code=home, extension="png")
    photo.file.save("x.png", ContentFile(PNG))
    volunteer = Volunteer._base_manager.create(
        name="界内志愿者", phone="13800000000", region_code=elder.region_code, county_code=home
    )
    service = VolunteerService._base_manager.create(
        volunteer=volunteer, region_code=elder.region_code, county_code=home, day=date(2026, 1, 5),
        hours=2, description="陪同就医",
    )  # fmt: skip
    alert = EscrowAlert._base_manager.create(
        facility=institution, region_code=institution.region_code, county_code=home, kind="over_assets",
        total_prepaid=100, net_fixed_assets=10,
    )  # fmt: skip
    report = MonthlyReport._base_manager.create(region_code=HOME_COUNTY, month=date(2026, 1, 1), status="done")
    job = ImportJob._base_manager.create(
        kind="elders", user=users["weidu"], filename="花名册.xlsx", status="done", region_code=HOME_COUNTY
    )
    mapping = ColumnMapping._base_manager.create(
        region_code=HOME_COUNTY, kind="elders", header="户籍地", shown="户籍地", field="address"
    )
    rule = InactivityRule.objects.create(region_code=HOME_COUNTY, county_code=home, signal="motion", hours=6,
                                         day_start=time(7), day_end=time(21))  # fmt: skip
    token = create_token(officer, "界内令牌")[0]
    linked_app = exchange_services.register_app(
        officer,
        exchange_services.AppInput(
            name="界内互联应用", kind="platform", region=HOME_COUNTY, read_resources=("elders",)
        ),
    )[0]
    period = exchange_periods.open_period(officer, HOME_COUNTY, "2026-01")
    peer = exchange_peers.add_peer(Actor(user=users["admin"]), {
        "name": MARKERS["peer"], "region": HOME_COUNTY, "base_url": "https://city.example.gov.cn",
        "key_id": "yx_0123456789abcdef", "secret": "ab" * 32, "resources": ["elders"],
    })  # fmt: skip
    conflict = SyncConflict.objects.create(
        app=linked_app, region_code=elder.region_code, county_code=home, resource="elders", object_id="7", seq=1,
        op="upsert", data={"name": MARKERS["elder"], "id_number": elder.id_number}, code="duplicate_id_number",
        message="界内冲突",
    )  # fmt: skip
    cadre_visit = _first(CadreVisit, region_code__startswith=home)
    visit = _first(Visit, region_code__startswith=home, visitor__user=users["grid"])
    visit_photo = VisitPhoto(
        visit=visit, region_code=visit.region_code, sha256="0" * 64, extension="png", size=len(PNG)
    )
    visit_photo.file.save("v.png", ContentFile(PNG))
    vendor = _first(Vendor, adapter="generic")
    unbound = DeviceEvent._base_manager.create(
        vendor=vendor, vendor_event_id="界内-1", external_id="UNKNOWN-1", region_code=elder.region_code,
        county_code=home, kind="sos", occurred_at=timezone.now(), binding="waiting",
    )  # fmt: skip
    allowance = _first(benefits.Application, county_code=home)
    document = benefits.ApplicationDocument(application=allowance, county_code=home, kind="id_card", filename="身份证.png",
                                            size=len(PNG))  # fmt: skip
    document.file.save("id.png", ContentFile(PNG))
    world.rows = {
        "elder_id": elder.pk,
        "assessment_id": _first(Assessment, elder=elder).pk,
        "facility_id": institution.pk,
        "residence_id": residence.pk,
        "job_id": job.pk,
        "mapping_id": mapping.pk,
        "rule_id": rule.pk,
        "order_id": order.pk,
        "photo_id:homecare": photo.pk,
        "photo_id:supervision": _first(Photo, region_code__startswith=home).pk,
        "provider_id": provider.pk,
        "caregiver_id": _first(Staff, provider=provider).pk,
        "staff_id": _first(Staff, facility__isnull=False, region_code__startswith=home).pk,
        "item_id": _first(ServiceItem, region_code__startswith=home).pk,
        "volunteer_id": volunteer.pk,
        "service_id": service.pk,
        "inspection_id": _first(Inspection, region_code__startswith=home).pk,
        "hazard_id": _first(Hazard, region_code__startswith=home).pk,
        "claim_id": _first(SubsidyClaim, region_code__startswith=home).pk,
        "training_id": _first(TrainingClass, region_code__startswith=home).pk,
        "application_id": _first(RatingApplication, region_code__startswith=home).pk,
        "alert_id": alert.pk,
        "cadre_id": _first(Cadre, region_code__startswith=home).pk,
        "pairing_id": _first(Pairing, region_code__startswith=home).pk,
        "visit_id": cadre_visit.pk,
        "complaint_id": _first(Complaint, region_code__startswith=home).pk,
        "report_id": report.pk,
        "token_id": token.pk,
        "app_id": linked_app.pk,
        "period_id": period.pk,
        "step:exchange": "submit",
        "peer_id": peer.pk,
        "conflict_id": conflict.pk,
        "decision": "dismiss",
        "code": HOME_COUNTY,
        "kind": "elders",
        "step": "dispatch",
        "step:care": "acknowledge",
        "visit_id:visits": str(visit.pk),
        "photo_id:visits": visit_photo.pk,
        "target_id": _first(VisitTarget, region_code__startswith=home).pk,
        "alarm_id": _first(Alarm, region_code__startswith=home).pk,
        "event_id": unbound.pk,
        "vendor": vendor.code,
        "watch_vendor": _first(Vendor, adapter="watch_cloud").code,
        "phone": elder.phone,
        "application_id:renovation": _first(Renovation, county_code=home).pk,
        "photo_id:renovation": _first(LinePhoto, county_code=home).pk,
        "step:renovation": "street_approve",
        "application_id:benefits": allowance.pk,
        "step:benefits": "street_pass",
        "payroll_step": "check",
        "band_id": _first(benefits.Band, county_code=home).pk,
        "document_id": document.pk,
        "payroll_id": _first(benefits.Payroll, county_code=home, status="draft").pk,
        "settled_payroll_id": _first(benefits.Payroll, county_code=home, status="settled").pk,
        "recipient_id": _first(benefits.Recipient, county_code=home, status="active").pk,
        "case_id": _first(benefits.RecoveryCase, county_code=home).pk,
        "batch_id": _first(benefits.StopBatch, county_code=home).pk,
        "verification_id": _first(benefits.Verification, county_code=home).pk,
        "program_id": _first(benefits.Program, county_code=home, code="old_age").pk,
    }

    outsider_facility = _first(Facility, county_code=neighbour, facility_type=FacilityType.INSTITUTION)
    outsider_provider = _first(Provider, county_code=neighbour)
    outsider_carer = _first(Staff, provider=outsider_provider)
    outsider_elder = _first(Elder, county_code=neighbour, status="active")

    def member(username, role, region, scope_id=None):
        spec = {"role": role, "region_code": region}
        if scope_id:
            spec.update(scope_id=scope_id, scope_label=username)
        return create_user(username, PASSWORD, name=username, memberships=[spec])

    world.users = {
        "owner": users["weidu"],
        "city": users["xuchang"],
        "manager": users["manager"],
        "auditor": users["auditor"],
        "carer": users["carer"],
        "operator": users["operator"],
        "responder": users["responder"],
        "grid": users["grid"],
        "neighbour_officer": users["jianan"],
        "other_city_officer": member("zhengzhou", Role.OFFICER, OTHER_CITY_COUNTY),
        "other_facility_manager": member(
            "other_manager", Role.FACILITY_MANAGER, outsider_facility.region_code, outsider_facility.pk
        ),
        "other_provider": member(
            "other_provider", Role.PROVIDER_MANAGER, outsider_provider.region_code, outsider_provider.pk
        ),
        "other_caregiver": member("other_carer", Role.CAREGIVER, outsider_provider.region_code, outsider_carer.pk),
        "other_family": member("other_family", Role.FAMILY, outsider_elder.region_code, outsider_elder.pk),
        "anonymous": None,
    }
    return world
