"""Institution grading (GB/T 37276-2018): the scheme, applications, scoring, decisions, publication."""

from datetime import date, datetime

from django.core.exceptions import PermissionDenied
from django.utils import timezone
from ninja import Router, Schema, Status

from yiyang.core.api import ErrorOut, Page, paginate
from yiyang.core.api import api_actor as _actor
from yiyang.core.errors import FieldErrors
from yiyang.core.scoping import get_visible_or_404, has_permission

from ..models import RatingApplication, RatingStatus
from ..services import ratings as services
from .types import Id

router = Router(tags=["监管：养老机构等级评定"])


class SchemeOut(Schema):
    id: int
    standard_code: str
    version: str
    name: str
    config: dict


@router.get("/rating-scheme", response={200: SchemeOut, 403: ErrorOut}, summary="现行等级评定评分细则与等级条件")
def scheme(request):
    if not has_permission(request.user, "supervision.view_ratingapplication"):
        raise PermissionDenied
    return services.default_scheme()


class ApplicationIn(Schema):
    facility_id: Id
    applied_level: int
    statement: str = ""


class StepOut(Schema):
    action: str
    from_status: str
    to_status: str
    note: str
    by_name: str
    at: datetime


class ApplicationOut(Schema):
    id: int
    facility_id: int
    region_code: str
    scheme_id: int
    applied_level: int
    is_first_application: bool
    status: str
    statement: str
    is_registered: bool | None
    penalised_recently: bool | None
    on_dishonest_list: bool | None
    has_medical_unit: bool
    computed_level: int
    decided_level: int | None
    notice_starts_on: date | None
    notice_ends_on: date | None
    published_on: date | None
    valid_until: date | None
    created_at: datetime


class ApplicationDetailOut(ApplicationOut):
    scores: dict[str, str]
    result: dict
    steps: list[StepOut]


def _detail_out(application: RatingApplication) -> dict:
    data = {name: getattr(application, name) for name in ApplicationOut.model_fields}
    return {**data, "scores": application.scores, "result": application.result, "steps": list(application.steps.all())}


@router.get("/ratings", response={200: Page[ApplicationOut], 422: ErrorOut}, summary="等级评定申请（按管辖范围）")
def list_applications(request, status: str = "", facility_id: Id = 0, page: int = 1, page_size: int = 20):
    rows = RatingApplication.objects.visible_to(request.user)
    if status:
        if status not in RatingStatus.values:
            raise FieldErrors({"status": "不是可选值之一"})
        rows = rows.filter(status=status)
    if facility_id:
        rows = rows.filter(facility_id=facility_id)
    return paginate(rows.order_by("-created_at", "-id"), page, page_size)


@router.post("/ratings", response={201: ApplicationDetailOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut,
                                   422: ErrorOut}, summary="申请等级评定")  # fmt: skip
def create_application(request, payload: ApplicationIn):
    application = services.apply(_actor(request), payload.facility_id, payload.applied_level, payload.statement)
    return Status(201, _detail_out(application))


class ExpiringOut(Schema):
    facility_id: int
    name: str
    region_code: str
    star_rating: int
    valid_until: date
    days_left: int


def _expiring_rows(facilities, today: date) -> list[dict]:
    return [
        {"facility_id": facility.pk, "name": facility.name, "region_code": facility.region_code,
         "star_rating": facility.star_rating, "valid_until": facility.star_rating_valid_until,
         "days_left": (facility.star_rating_valid_until - today).days}
        for facility in facilities[:500]
    ]  # fmt: skip


@router.get("/ratings/expiring", response=list[ExpiringOut],
            summary="即将到期（默认 90 天内）与已过期的星级评定结果（days_left 为负表示已过期）")  # fmt: skip
def expiring(request, within_days: int | None = None, include_expired: bool = True):
    today = timezone.localdate()
    days = None if within_days is None else max(0, min(within_days, 3650))
    rows = _expiring_rows(services.expiring(request.user, today, days), today)
    if include_expired:
        rows = _expiring_rows(services.expired(request.user, today), today) + rows
    return rows


@router.get("/ratings/{application_id}", response={200: ApplicationDetailOut, 404: ErrorOut})
def get_application(request, application_id: Id):
    return _detail_out(get_visible_or_404(RatingApplication.objects, request.user, pk=application_id))


ACTION_RESPONSES = {200: ApplicationDetailOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


class ReviewIn(Schema):
    is_registered: bool
    penalised_recently: bool
    on_dishonest_list: bool
    has_medical_unit: bool = False
    note: str = ""


@router.post("/ratings/{application_id}/eligibility", response=ACTION_RESPONSES,
             summary="资格审查（确认备案、近两年行政处罚、失信名单；符合条件则受理，否则不予受理）")  # fmt: skip
def review(request, application_id: Id, payload: ReviewIn):
    return _detail_out(services.review(_actor(request), application_id, **payload.dict()))


class ScoresIn(Schema):
    scores: dict[str, str | float | int | None]
    note: str = ""


@router.put("/ratings/{application_id}/scores", response=ACTION_RESPONSES,
            summary="逐项评分（可分次保存；超出该项满分或小于 0 的得分以 422 指明评分项）")  # fmt: skip
def score(request, application_id: Id, payload: ScoresIn):
    return _detail_out(services.save_scores(_actor(request), application_id, payload.scores, payload.note))


class DecisionIn(Schema):
    level: int
    note: str = ""


@router.post("/ratings/{application_id}/decision", response=ACTION_RESPONSES,
             summary="评定委员会审定（0 为不予评定；不得高于计算等级）")  # fmt: skip
def decide(request, application_id: Id, payload: DecisionIn):
    return _detail_out(services.decide(_actor(request), application_id, payload.level, payload.note))


class NoteIn(Schema):
    note: str = ""


@router.post("/ratings/{application_id}/notice", response=ACTION_RESPONSES, summary="开始公示")
def notice(request, application_id: Id, payload: NoteIn):
    return _detail_out(services.start_notice(_actor(request), application_id, payload.note))


@router.post("/ratings/{application_id}/objection", response=ACTION_RESPONSES, summary="公示有异议，退回复核")
def objection(request, application_id: Id, payload: NoteIn):
    return _detail_out(services.object_to_notice(_actor(request), application_id, payload.note))


@router.post("/ratings/{application_id}/publish", response=ACTION_RESPONSES,
             summary="公示期满后公布结果（设置机构星级与有效期）")  # fmt: skip
def publish(request, application_id: Id, payload: NoteIn):
    return _detail_out(services.publish(_actor(request), application_id, payload.note))


@router.post("/ratings/{application_id}/withdraw", response=ACTION_RESPONSES, summary="撤回申请")
def withdraw(request, application_id: Id, payload: NoteIn):
    return _detail_out(services.withdraw(_actor(request), application_id, payload.note))
