"""Operation subsidies: rate tables, the monthly calculation, claims with their evidence, review steps."""

from datetime import date, datetime

from ninja import Field, Router, Schema, Status

from yiyang.core import pdf
from yiyang.core.api import ErrorOut, Page, paginate
from yiyang.core.api import api_actor as _actor
from yiyang.core.errors import FieldErrors
from yiyang.core.regioncodes import region_range_q
from yiyang.core.scoping import get_visible_or_404
from yiyang.regions.services import requested_region

from .. import documents
from ..models import SubsidyClaim, SubsidyRateTable
from ..services import subsidies as services
from ..workflows import CLAIM
from .types import Id

router = Router(tags=["监管：运营补贴"])


class RateTableIn(Schema):
    region_code: str
    name: str
    document: str = ""
    valid_from: date
    valid_until: date | None = None
    facility_types: list[str]
    level_rates: dict[str, int] = Field(description="能力等级 0-4 → 每人每月（分）")
    unassessed_rate: int = Field(0, ge=0)
    nursing_level: int = Field(2, ge=0, le=4)
    nursing_extra: int = Field(0, ge=0)
    construction_per_bed: int = Field(0, ge=0)
    min_days: int = Field(15, ge=1, le=31)


class RateTableOut(RateTableIn):
    id: int


@router.get("/subsidy-rates", response=list[RateTableOut], summary="运营补贴标准")
def list_rates(request):
    return list(SubsidyRateTable.objects.visible_to(request.user)[:500])


@router.post("/subsidy-rates", response={201: RateTableOut, 403: ErrorOut, 422: ErrorOut}, summary="发布补贴标准")
def create_rates(request, payload: RateTableIn):
    return Status(201, services.save_rate_table(_actor(request), payload.dict()))


class CalculateIn(Schema):
    region_code: str
    month: date = Field(description="该月任一天，如 2026-10-01")


class CalculationOut(Schema):
    created: int
    skipped: int
    amount: int


@router.post("/subsidy-claims/calculate", response={200: CalculationOut, 403: ErrorOut, 422: ErrorOut},
             summary="测算某月运营补贴（已测算的机构不重复）")  # fmt: skip
def calculate(request, payload: CalculateIn):
    return services.calculate_month(_actor(request), payload.region_code, payload.month)


class ClaimOut(Schema):
    id: int
    facility_id: Id
    region_code: str
    month: date
    status: str
    residents: int
    amount: int
    calculated_at: datetime


class LineOut(Schema):
    kind: str
    elder_id: int | None
    capability_level: int | None
    days: int
    quantity: int
    amount: int


class StepOut(Schema):
    action: str
    note: str
    by_name: str
    at: datetime


class ClaimDetailOut(ClaimOut):
    lines: list[LineOut]
    steps: list[StepOut]


@router.get(
    "/subsidy-claims",
    response={200: Page[ClaimOut], 404: ErrorOut, 422: ErrorOut},
    summary="运营补贴申报（按管辖范围）",
)
def list_claims(request, region: str = "", month: date | None = None, status: str = "", waiting: str = "",
                page: int = 1, page_size: int = 20):  # fmt: skip
    """`waiting`: a step of the claim workflow (submit, county_approve, city_approve, pay): the claims
    waiting for the caller to take it, at the caller's level."""
    if waiting and waiting not in CLAIM.by_name:
        raise FieldErrors({"waiting": "不是可选值之一"})
    claims = CLAIM.waiting(request.user, waiting) if waiting else SubsidyClaim.objects.visible_to(request.user)
    if region:
        claims = claims.filter(region_range_q("region_code", requested_region(request.user, region, narrows=True)))
    if month:
        claims = claims.filter(month=services.first_of_month(month))
    if status:
        claims = claims.filter(status=status)
    return paginate(claims.order_by("-month", "region_code", "id"), page, page_size)


@router.get("/subsidy-claims/{claim_id}", response={200: ClaimDetailOut, 404: ErrorOut})
def get_claim(request, claim_id: Id):
    return get_visible_or_404(SubsidyClaim.objects, request.user, pk=claim_id)


@router.get("/subsidy-claims/{claim_id}/claim.pdf", response={200: None, 404: ErrorOut},
            summary="运营补贴申报表及补贴明细（PDF）")  # fmt: skip
def claim_pdf(request, claim_id: Id):
    context = documents.subsidy_claim(request.user, claim_id)
    return pdf.response(request, documents.CLAIM_TEMPLATE, context, filename=documents.claim_filename(context))


class StepIn(Schema):
    step: str = Field(description="submit | county_approve | county_return | city_approve | city_return | pay")
    note: str = ""


@router.post("/subsidy-claims/{claim_id}/steps",
             response={200: ClaimOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut},
             summary="申报、审核、审批、退回、拨付")  # fmt: skip
def take_step(request, claim_id: Id, payload: StepIn):
    return services.take_step(_actor(request), claim_id, payload.step, payload.note)


@router.post("/subsidy-claims/{claim_id}/recalculate",
             response={200: ClaimOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut}, summary="重新测算（申报前）")  # fmt: skip
def recalculate(request, claim_id: Id):
    return services.recalculate(_actor(request), claim_id)
