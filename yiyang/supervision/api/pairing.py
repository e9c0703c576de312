"""Cadre pairing (万人助中心): cadres, pairings, the wall board, visits, scoring and ranking."""

from datetime import date

from django.core.exceptions import PermissionDenied
from ninja import File, Router, Schema, Status
from ninja.files import UploadedFile

from yiyang.core import masking, pdf
from yiyang.core.api import ErrorOut, Page, paginate
from yiyang.core.api import api_actor as _actor
from yiyang.core.scoping import get_visible_or_404, has_permission
from yiyang.regions.services import requested_region

from .. import documents
from ..services import pairing as services
from .types import Id

router = Router(tags=["监管：干部包联"])


class CadreIn(Schema):
    name: str
    post: str
    phone: str
    region_code: str
    user_id: Id | None = None


class CadrePatch(Schema):
    name: str | None = None
    post: str | None = None
    phone: str | None = None
    user_id: Id | None = None
    is_active: bool | None = None


class CadreOut(Schema):
    id: int
    name: str
    post: str
    phone: str
    region_code: str
    user_id: Id | None
    is_active: bool
    has_photo: bool
    revealed: bool = False

    @staticmethod
    def resolve_has_photo(obj) -> bool:
        return bool(obj.photo)

    @staticmethod
    def resolve_phone(obj) -> str:
        # Masked unless `with_phone_shown` revealed it on request (audited).
        return getattr(obj, "phone_shown", None) or masking.masked(obj)["phone"]

    @staticmethod
    def resolve_revealed(obj) -> bool:
        return bool(getattr(obj, "revealed", False))


@router.get("/pairing/cadres", response={200: Page[CadreOut], 404: ErrorOut, 422: ErrorOut}, summary="包联干部")
def list_cadres(request, region: str = "", page: int = 1, page_size: int = 50):
    from yiyang.core.regioncodes import region_range_q

    rows = services.cadres(request.user)
    if region:
        rows = rows.filter(region_range_q("region_code", requested_region(request.user, region, narrows=True)))
    return paginate(rows.order_by("region_code", "name", "id"), page, page_size)


@router.post("/pairing/cadres", response={201: CadreOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
             summary="登记包联干部")  # fmt: skip
def create_cadre(request, payload: CadreIn):
    return Status(201, services.register_cadre(_actor(request), payload.dict()))


@router.get("/pairing/cadres/{cadre_id}", response={200: CadreOut, 404: ErrorOut})
def get_cadre(request, cadre_id: Id, reveal: bool = False):
    """`reveal=true`: the full phone for the bureau (written to the audit log); masked otherwise."""
    cadre = get_visible_or_404(services.cadres(request.user), request.user, pk=cadre_id)
    return services.with_phone_shown(_actor(request), cadre, reveal)


@router.patch("/pairing/cadres/{cadre_id}", response={200: CadreOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut})
def update_cadre(request, cadre_id: Id, payload: CadrePatch):
    return services.update_cadre(_actor(request), cadre_id, payload.dict(exclude_unset=True))


@router.post("/pairing/cadres/{cadre_id}/photo",
             response={200: CadreOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
             summary="上传干部照片（JPEG、PNG 或 WebP，multipart）")  # fmt: skip
def upload_photo(request, cadre_id: Id, photo: File[UploadedFile] = None):
    return services.set_photo(_actor(request), cadre_id, photo)


class PairingIn(Schema):
    cadre_id: Id
    facility_id: Id
    since: date


class PairingOut(Schema):
    id: int
    cadre_id: Id
    facility_id: Id
    region_code: str
    since: date
    until: date | None


@router.get("/pairing/pairings", response=Page[PairingOut], summary="包联关系")
def list_pairings(request, facility_id: Id = 0, cadre_id: Id = 0, current: bool = False, page: int = 1,
                  page_size: int = 50):  # fmt: skip
    rows = services.pairings(request.user)
    if facility_id:
        rows = rows.filter(facility_id=facility_id)
    if cadre_id:
        rows = rows.filter(cadre_id=cadre_id)
    if current:
        rows = rows.filter(until__isnull=True)
    return paginate(rows.order_by("facility_id", "since", "id"), page, page_size)


@router.post("/pairing/pairings", response={201: PairingOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut,
             422: ErrorOut}, summary="建立包联关系")  # fmt: skip
def create_pairing(request, payload: PairingIn):
    return Status(201, services.pair(_actor(request), payload.cadre_id, payload.facility_id, payload.since))


class EndIn(Schema):
    until: date


@router.post("/pairing/pairings/{pairing_id}/end",
             response={200: PairingOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut},
             summary="结束包联关系")  # fmt: skip
def end_pairing(request, pairing_id: Id, payload: EndIn):
    return services.end_pairing(_actor(request), pairing_id, payload.until)


class BoardCadreOut(Schema):
    cadre_id: Id
    name: str
    post: str
    phone: str
    since: date
    has_photo: bool


class BoardOut(Schema):
    facility_id: Id
    facility_name: str
    cadres: list[BoardCadreOut]


@router.get("/pairing/facilities/{facility_id}/board", response={200: BoardOut, 404: ErrorOut},
            summary="包联干部公示牌（上墙）")  # fmt: skip
def get_board(request, facility_id: Id, reveal: bool = False):
    """Phones masked; `reveal=true` gives the bureau the full phones to print (each written to the audit log)."""
    facility, rows = services.board(request.user, facility_id)
    for p in rows:
        services.with_phone_shown(_actor(request), p.cadre, reveal)
    return {
        "facility_id": facility.pk,
        "facility_name": facility.name,
        "cadres": [
            {
                "cadre_id": p.cadre_id,
                "name": p.cadre.name,
                "post": p.cadre.post,
                "phone": p.cadre.phone_shown,
                "since": p.since,
                "has_photo": bool(p.cadre.photo),
            }
            for p in rows
        ],  # fmt: skip
    }


@router.get("/pairing/facilities/{facility_id}/board.pdf", response={200: None, 404: ErrorOut},
            summary="包联干部公示牌（PDF，A4 横向）")  # fmt: skip
def board_pdf(request, facility_id: Id, reveal: bool = False):
    """Phones masked; `reveal=true` gives the bureau the full phones to print (each written to the audit log)."""
    context = documents.pairing_board(_actor(request), facility_id, for_pdf=True, reveal=reveal)
    return pdf.response(request, documents.BOARD_TEMPLATE, context, filename=documents.board_filename(context))


class VisitIn(Schema):
    cadre_id: Id
    facility_id: Id
    visited_on: date
    findings: str
    problems_raised: str = ""
    raised_count: int = 0
    problems_solved: str = ""
    solved_count: int = 0


class VisitOut(Schema):
    id: int
    cadre_id: Id
    facility_id: Id
    visited_on: date
    findings: str
    problems_raised: str
    raised_count: int
    problems_solved: str
    solved_count: int


@router.get("/pairing/visits", response=Page[VisitOut], summary="干部走访记录（入网）")
def list_visits(request, cadre_id: Id = 0, facility_id: Id = 0, page: int = 1, page_size: int = 50):
    rows = services.visits(request.user)
    if cadre_id:
        rows = rows.filter(cadre_id=cadre_id)
    if facility_id:
        rows = rows.filter(facility_id=facility_id)
    return paginate(rows.order_by("-visited_on", "-id"), page, page_size)


@router.get("/pairing/visits/{visit_id}", response={200: VisitOut, 404: ErrorOut})
def get_visit(request, visit_id: Id):
    return get_visible_or_404(services.visits(request.user), request.user, pk=visit_id)


@router.post("/pairing/visits", response={201: VisitOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
             summary="录入走访（包联干部只能录入本人的走访）")  # fmt: skip
def record_visit(request, payload: VisitIn):
    data = payload.dict()
    return Status(201, services.record_visit(_actor(request), data.pop("cadre_id"), data.pop("facility_id"), data))


class SchemeIn(Schema):
    region_code: str
    points_per_visit: int
    points_per_solved: int
    monthly_cap: int
    source: str = ""


class SchemeOut(Schema):
    region_code: str
    points_per_visit: int
    points_per_solved: int
    monthly_cap: int


@router.put("/pairing/scheme", response={200: SchemeOut, 403: ErrorOut, 422: ErrorOut}, summary="设置本辖区计分规则")
def save_scheme(request, payload: SchemeIn):
    return services.save_scheme(_actor(request), payload.region_code, payload.points_per_visit,
                                payload.points_per_solved, payload.monthly_cap, payload.source)  # fmt: skip


class RankOut(Schema):
    rank: int
    cadre_id: Id
    name: str
    post: str
    visits: int
    raised: int
    solved: int
    points: int


class RankingOut(Schema):
    region_code: str
    start: date
    end: date
    scheme: SchemeOut
    rows: list[RankOut]


@router.get("/pairing/ranking", response={200: RankingOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
            summary="干部计分排名")  # fmt: skip
def get_ranking(request, start: date, end: date, region: str = ""):
    """The scheme is a region's own: only those who may read its cadres, and only for a region in scope."""
    if not has_permission(request.user, "supervision.view_cadre"):
        raise PermissionDenied
    code = requested_region(request.user, region)
    scheme = services.scheme_for(code)
    rows = services.ranking(request.user, code, start, end)
    return {
        "region_code": code, "start": start, "end": end,
        "scheme": {"region_code": scheme.region_code or code, "points_per_visit": scheme.points_per_visit,
                   "points_per_solved": scheme.points_per_solved, "monthly_cap": scheme.monthly_cap},
        "rows": [{"rank": r["rank"], "cadre_id": r["cadre"].pk, "name": r["cadre"].name, "post": r["cadre"].post,
                  "visits": r["visits"], "raised": r["raised"], "solved": r["solved"], "points": r["points"]}
                 for r in rows],
    }  # fmt: skip
