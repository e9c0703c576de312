"""REST API for the elderly registry and capability assessments (/api/v1/elders)."""

from datetime import date

from django.http import FileResponse
from ninja import Field, Query, Router, Schema, Status

from yiyang.core import masking, pdf
from yiyang.core.api import ErrorOut, Page, paginate
from yiyang.core.api import api_actor as _actor
from yiyang.core.audit import Actor
from yiyang.core.scoping import get_visible_or_404
from yiyang.regions.services import requested_region

from . import categories, documents, services
from .models import Assessment, Elder

router = Router(tags=["老年人"])


class ElderFilterIn(Schema):
    q: str = Field("", description="姓名、拼音首字母、身份证号码或电话")
    region: str = Field("", description="区划代码（含下级）")
    category: str = Field("", description="特殊类别代码，如 tekun、dibao")
    level: int | None = Field(None, ge=0, le=4, description="能力等级 0-4")
    age_min: int | None = Field(None, ge=0, le=150)
    age_max: int | None = Field(None, ge=0, le=150)
    status: str = ""
    living_situation: str = ""
    due: bool = Field(False, description="只看 30 天内应评估（或已过期）的在册老人")
    page: int = Field(1, ge=1)
    page_size: int = Field(20, ge=1, description="最大 100")

    def to_filter(self, user) -> services.ElderFilter:
        """The filter, with a region outside the user's scope answered 404 as a detail would be."""
        if self.region:
            requested_region(user, self.region, narrows=True)
        return services.ElderFilter(**self.dict(exclude={"page", "page_size"}))


class ContactIO(Schema):
    name: str
    relation: str = "other"
    phone: str
    phone_alt: str = Field("", description="备用电话")
    is_guardian: bool = False


class ElderOut(Schema):
    """An elder as listed: sensitive fields masked. Beside a masked ID number only the birth year is
    given (`birth_date` is null): the full date, the sex and the community would leave too few ID
    numbers to try (see core.masking)."""

    id: int
    name: str
    sex: str
    birth_date: date | None
    birth_year: int
    age: int
    id_number: str
    phone: str
    region_code: str
    living_situation: str
    categories: list[str]
    capability_level: int | None
    assessed_on: date | None
    assessment_due: date | None
    status: str
    facility_id: int | None

    @staticmethod
    def build(elder: Elder, sensitive: dict, revealed: bool = False) -> dict:
        return {
            **{f: getattr(elder, f) for f in ElderOut.model_fields if hasattr(elder, f)},
            "birth_date": elder.birth_date if revealed else None,
            "birth_year": elder.birth_date.year,
            "age": services.age(elder),
            "categories": categories.to_codes(elder.categories),
            "id_number": sensitive["id_number"],
            "phone": sensitive["phone"],
        }


class ElderDetailOut(ElderOut):
    ethnicity: str
    phone_alt: str
    address: str
    health_notes: str
    lat: float | None
    lng: float | None
    status_date: date | None
    contacts: list[ContactIO]
    revealed: bool


class ElderIn(Schema):
    name: str = Field(..., max_length=50)
    id_number: str = Field(..., max_length=30)
    sex: str = ""
    birth_date: date | None = None
    ethnicity: str = ""
    phone: str = ""
    phone_alt: str = Field("", description="备用电话")
    address: str = Field("", max_length=200)
    region_code: str
    lat: float | None = None
    lng: float | None = None
    coord_system: str = Field("wgs84", description="wgs84、gcj02（高德/腾讯）或 bd09（百度）")
    living_situation: str = ""
    categories: list[str] = []
    health_notes: str = ""
    status: str = "active"
    status_date: date | None = None
    contacts: list[ContactIO] = []


class ElderPatch(Schema):
    name: str | None = Field(None, max_length=50)
    id_number: str | None = None
    ethnicity: str | None = None
    phone: str | None = None
    phone_alt: str | None = None
    address: str | None = Field(None, max_length=200)
    region_code: str | None = None
    lat: float | None = None
    lng: float | None = None
    coord_system: str | None = None
    living_situation: str | None = None
    categories: list[str] | None = None
    health_notes: str | None = None
    status: str | None = None
    status_date: date | None = None
    contacts: list[ContactIO] | None = None


class AssessmentIn(Schema):
    assessed_on: date
    reason: str = "routine"
    assessor_1: str
    assessor_2: str
    scores: dict[str, int] = Field(..., description="各项得分，键为 B.1.1 … B.4.5")
    risk_events: dict[str, int] = Field(
        {}, description="近30天风险事件次数：fall、choking、self_harm、wandering、other"
    )
    coma: bool = False
    dementia: bool = False
    mental_disorder: bool = False


class AssessmentOut(Schema):
    id: int
    elder_id: int
    standard: str
    assessed_on: date
    reason: str
    assessor_1: str
    assessor_2: str
    scores: dict[str, int]
    self_care: int
    mobility: int
    mental: int
    perception: int
    total: int
    preliminary_level: int
    final_level: int
    level_changes: list[dict]
    next_due: date


def _detail(actor: Actor, elder: Elder, reveal: bool) -> dict:
    sensitive = masking.shown(actor, elder, reveal=reveal)
    contacts = elder.contacts.all()
    return {
        **ElderOut.build(elder, sensitive.values, sensitive.revealed),
        "ethnicity": elder.ethnicity,
        "phone_alt": sensitive["phone_alt"],
        "address": sensitive["address"],
        "health_notes": sensitive["health_notes"],
        "lat": sensitive["lat"],
        "lng": sensitive["lng"],
        "status_date": elder.status_date,
        # The contacts' phones are revealed with the elder's record, under its one audit entry.
        "contacts": [
            {
                "name": c.name,
                "relation": c.relation,
                "is_guardian": c.is_guardian,
                **(
                    {"phone": c.phone, "phone_alt": c.phone_alt}
                    if sensitive.revealed
                    else masking.masked(c, ("phone", "phone_alt"))
                ),
            }
            for c in contacts
        ],  # fmt: skip
        "revealed": sensitive.revealed,
    }


@router.get("/", response={200: Page[ElderOut], 404: ErrorOut, 422: ErrorOut}, summary="老年人列表（按管辖范围）")
def list_elders(request, filters: Query[ElderFilterIn]):
    queryset = services.filter_elders(
        Elder.objects.visible_to(request.user, "view"), filters.to_filter(request.user), user=request.user
    )
    result = paginate(queryset.order_by("region_code", "id"), filters.page, filters.page_size)
    result["items"] = [ElderOut.build(e, masking.masked(e, ("id_number", "phone"))) for e in result["items"]]
    return result


@router.get(
    "/export.xlsx", summary="导出筛选结果（.xlsx）", response={200: None, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}
)
def export_elders(request, filters: Query[ElderFilterIn], reveal: bool = False):
    """Exports respect scope and masking; `reveal=true` unmasks rows the user may see in full (audited)."""
    from django.core.exceptions import PermissionDenied

    from yiyang.core.scoping import has_permission

    if not has_permission(request.user, "elders.export_elder"):
        raise PermissionDenied
    queryset = services.filter_elders(Elder.objects.all(), filters.to_filter(request.user), user=request.user)
    handle = services.export_elders(_actor(request), queryset, reveal=reveal, description=filters.model_dump_json())
    return FileResponse(handle, as_attachment=True, filename="elders.xlsx")


@router.post("/", response={201: ElderDetailOut, 403: ErrorOut, 409: ErrorOut, 422: ErrorOut}, summary="登记老年人")
def create_elder(request, payload: ElderIn):
    data = payload.dict(exclude={"contacts"})
    actor = _actor(request)
    elder = services.register_elder(actor, data, [c.dict() for c in payload.contacts])
    return Status(201, _detail(actor, elder, reveal=False))


@router.get("/{elder_id}", response={200: ElderDetailOut, 404: ErrorOut}, summary="老年人详情")
def get_elder(request, elder_id: int, reveal: bool = False):
    """Sensitive fields are masked; `reveal=true` shows them in full where the role allows (audited)."""
    elder = get_visible_or_404(Elder.objects, request.user, "view", pk=elder_id)
    return _detail(_actor(request), elder, reveal)


@router.patch("/{elder_id}", response={200: ElderDetailOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut})
def update_elder(request, elder_id: int, payload: ElderPatch):
    data = payload.dict(exclude_unset=True, exclude={"contacts"})
    contacts = [c.dict() for c in payload.contacts] if payload.contacts is not None else None
    actor = _actor(request)
    elder = services.update_elder(actor, elder_id, data, contacts)
    return _detail(actor, elder, reveal=False)


@router.get("/{elder_id}/assessments", response={200: list[AssessmentOut], 404: ErrorOut}, summary="评估历史")
def list_assessments(request, elder_id: int):
    elder = get_visible_or_404(Elder.objects, request.user, "view", pk=elder_id)
    return list(Assessment.objects.visible_to(request.user, "view").filter(elder=elder))


@router.post(
    "/{elder_id}/assessments",
    response={201: AssessmentOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    summary="录入能力评估（GB/T 42195-2022）",
)
def create_assessment(request, elder_id: int, payload: AssessmentIn):
    return Status(201, services.record_assessment(_actor(request), elder_id, payload.dict()))


@router.get(
    "/{elder_id}/assessments/{assessment_id}/report.pdf",
    response={200: None, 404: ErrorOut},
    summary="能力评估报告（PDF，GB/T 42195-2022 附录 C）",
)
def assessment_report_pdf(request, elder_id: int, assessment_id: int, reveal: bool = False):
    """The elder's sensitive fields are masked; `reveal=true` prints them in full where the role allows (audited)."""
    context = documents.assessment_report(_actor(request), elder_id, assessment_id, reveal=reveal)
    return pdf.response(request, documents.TEMPLATE, context, filename=documents.filename(context["record"]))
