"""Cadre pairing (万人助中心: 上墙、入网、计分).

The bureau registers cadres and pairs them with facilities and centres; each centre prints its board
of paired cadres for the wall. Cadres record their visits: what they found, problems raised and
problems solved. A region's scoring scheme turns the visits of a period into points, month by month
and capped per month, and ranks the cadres of the region.
A user who holds only the cadre role works on their own record: they see their own pairings and
visits and record visits for themselves only.
"""

from dataclasses import dataclass
from datetime import date

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from yiyang.core import audit, masking
from yiyang.core.audit import Actor, AuditAction
from yiyang.core.errors import Conflict, FieldErrors
from yiyang.core.phones import InvalidPhone
from yiyang.core.phones import normalize as normalize_phone
from yiyang.core.photos import photo_errors, store
from yiyang.core.regioncodes import InvalidRegionCode, ancestors, county_of, normalize, region_range_q
from yiyang.core.roles import Role
from yiyang.core.scoping import ensure_visible, get_visible_or_404
from yiyang.facilities.models import Facility
from yiyang.visits.models import Visit
from yiyang.visits.services import ensure_cadre_visitor

from .. import conf
from ..models import Cadre, CadreVisit, Pairing, ScoringScheme

# A paired cadre sees only their own record, pairings and visits: the models declare the account a row
# belongs to (`ScopeSpec.person`), and the scoping mechanism limits a cadre's membership to it.


def cadres(user, action: str = "view"):
    return Cadre.objects.visible_to(user, action)


def pairings(user, action: str = "view"):
    return Pairing.objects.visible_to(user, action)


def visits(user, action: str = "view"):
    return CadreVisit.objects.visible_to(user, action)


def _region(raw: str, field: str = "region_code") -> str:
    try:
        return normalize(raw)
    except InvalidRegionCode as exc:
        raise FieldErrors({field: str(exc)}) from None


# --- Cadres ----------------------------------------------------------------------------------------


def _clean_cadre(data: dict) -> dict:
    errors, clean = {}, {}
    for name, label, length in (("name", "姓名", 50), ("post", "单位职务", 100)):
        text = str(data.get(name) or "").strip()
        if not text or len(text) > length:
            errors[name] = f"请填写{label}（不超过 {length} 个字）"
        clean[name] = text
    try:
        clean["phone"] = normalize_phone(str(data.get("phone") or ""))
    except InvalidPhone as exc:
        clean["phone"] = ""
        errors["phone"] = str(exc)
    if not clean["phone"] and "phone" not in errors:
        errors["phone"] = "请填写联系电话（上墙公示）"
    if errors:
        raise FieldErrors(errors)
    return clean


def _cadre_account(user_id):
    """The optional sign-in account of a cadre: it must hold the cadre role."""
    if user_id in (None, ""):
        return None
    from django.contrib.auth import get_user_model

    account = get_user_model().objects.filter(pk=user_id).first()
    if account is None or not account.memberships.filter(role=Role.CADRE, is_active=True).exists():
        raise FieldErrors({"user_id": "该账号不存在或没有包联干部角色"})
    return account


@transaction.atomic
def register_cadre(actor: Actor, data: dict, photo=None) -> Cadre:
    code = _region(str(data.get("region_code") or ""))
    clean = _clean_cadre(data)
    account = _cadre_account(data.get("user_id"))
    if photo is not None and (errors := photo_errors([photo], "photo")):
        raise FieldErrors(errors)
    cadre = Cadre.objects.create(region_code=code, county_code=county_of(code), user=account, **clean)
    ensure_visible(actor.user, cadre, "supervision.add_cadre")
    if photo is not None:
        _store_photo(cadre, photo)
    _as_visitor(cadre)
    audit.record(actor, AuditAction.CREATE, cadre, object_repr=f"登记包联干部 {cadre.name}")
    return cadre


def _as_visitor(cadre: Cadre) -> None:
    """A cadre is also a visitor of elders (visits app): a pairing visit to an elder is a visit of visitor
    kind "cadre", recorded and counted like any other, never a second record of its own."""
    ensure_cadre_visitor(cadre.pk, cadre.name, cadre.region_code, cadre.user, cadre.is_active)


def _store_photo(cadre: Cadre, upload) -> None:
    store(cadre, upload, field="photo", extension_field="photo_extension")
    cadre.save(update_fields=["photo", "photo_extension"])


@transaction.atomic
def update_cadre(actor: Actor, cadre_id: int, data: dict) -> Cadre:
    cadre = _locked_cadre(actor, cadre_id, "supervision.change_cadre")
    if "phone" in data:
        data = {**data, "phone": masking.keep_if_masked(cadre, "phone", data["phone"])}
    clean = _clean_cadre({**{n: getattr(cadre, n) for n in ("name", "post", "phone")}, **data})
    before = {n: getattr(cadre, n) for n in clean}
    if "user_id" in data:
        cadre.user = _cadre_account(data["user_id"])
    if "is_active" in data:
        cadre.is_active = bool(data["is_active"])
    for name, value in clean.items():
        setattr(cadre, name, value)
    cadre.save()
    _as_visitor(cadre)
    audit.record(actor, AuditAction.UPDATE, cadre, changes=audit.diff(before, clean))
    return cadre


def with_phone_shown(actor: Actor, cadre: Cadre, reveal: bool = False) -> Cadre:
    """The cadre with `phone_shown` (masked unless the user may see it and asks to, audited),
    `revealed` and `shown` (whose `may_reveal` asks the database only when read) set."""
    shown = masking.shown(actor, cadre, reveal=reveal)
    cadre.phone_shown, cadre.revealed, cadre.shown = shown["phone"], shown.revealed, shown
    return cadre


def with_phones_masked(cadres):
    """The cadres of a list with `phone_shown` masked: lists never reveal."""
    for cadre in cadres:
        cadre.phone_shown, cadre.revealed = masking.masked(cadre)["phone"], False
    return cadres


@transaction.atomic
def set_photo(actor: Actor, cadre_id: int, upload) -> Cadre:
    cadre = _locked_cadre(actor, cadre_id, "supervision.change_cadre")
    if upload is None:
        raise FieldErrors({"photo": "请选择照片"})
    if errors := photo_errors([upload], "photo"):
        raise FieldErrors(errors)
    _store_photo(cadre, upload)
    audit.record(actor, AuditAction.UPDATE, cadre, object_repr=f"更换 {cadre.name} 的照片")
    return cadre


def _locked_cadre(actor: Actor, cadre_id: int, action: str) -> Cadre:
    # Read access first (404 outside the scope), then the right to act (403 inside it).
    cadre = get_visible_or_404(Cadre.objects.select_for_update(), actor.user, "view", pk=cadre_id)
    if not Cadre.objects.visible_to(actor.user, action).filter(pk=cadre.pk).exists():
        raise PermissionDenied
    return cadre


def photo_visible(user, cadre: Cadre) -> bool:
    """A cadre's photo is shown to whoever sees the cadre or a board the cadre is on."""
    return cadres(user).filter(pk=cadre.pk).exists() or Pairing.objects.visible_to(user).filter(cadre=cadre).exists()


# --- Pairings --------------------------------------------------------------------------------------


@transaction.atomic
def pair(actor: Actor, cadre_id: int, facility_id: int, since: date) -> Pairing:
    cadre = _locked_cadre(actor, cadre_id, "supervision.add_pairing")
    facility = get_visible_or_404(Facility.objects, actor.user, "view", pk=facility_id)
    if not cadre.is_active:
        raise FieldErrors({"cadre_id": "该干部已不在岗"})
    if Pairing.objects.filter(cadre=cadre, facility=facility, until__isnull=True).exists():
        raise Conflict("该干部已包联这家机构", {"facility_id": "已包联"})
    try:
        # The check above cannot see a pairing a simultaneous request is writing; the unique constraint
        # refuses the second one, which is the same conflict, not a server error.
        with transaction.atomic():
            pairing = Pairing.objects.create(cadre=cadre, facility=facility, region_code=facility.region_code,
                                             county_code=facility.county_code, since=since)  # fmt: skip
    except IntegrityError:
        raise Conflict("该干部已包联这家机构", {"facility_id": "已包联"}) from None
    ensure_visible(actor.user, pairing, "supervision.add_pairing")
    audit.record(actor, AuditAction.CREATE, pairing, object_repr=f"{cadre.name} 包联 {facility.name}")
    return pairing


@transaction.atomic
def end_pairing(actor: Actor, pairing_id: int, until: date) -> Pairing:
    # Lock the pairing row only: on PostgreSQL a plain FOR UPDATE would lock the joined cadre and
    # facility rows as well, blocking unrelated work on them.
    pairing = get_visible_or_404(Pairing.objects.select_for_update(of=("self",)).select_related("cadre", "facility"),
                                 actor.user, "view", pk=pairing_id)  # fmt: skip
    if not Pairing.objects.visible_to(actor.user, "supervision.change_pairing").filter(pk=pairing.pk).exists():
        raise PermissionDenied
    if pairing.until is not None:
        raise Conflict("该包联关系已结束", {"until": "已结束"})
    if until < pairing.since:
        raise FieldErrors({"until": "结束日期不能早于开始日期"})
    pairing.until = until
    pairing.save(update_fields=["until"])
    audit.record(actor, AuditAction.UPDATE, pairing, changes={"until": [None, until.isoformat()]})
    return pairing


def board(user, facility_id: int) -> tuple[Facility, list[Pairing]]:
    """The board a centre posts on its wall: the cadres paired with it today."""
    facility = get_visible_or_404(Facility.objects, user, "view", pk=facility_id)
    today = timezone.localdate()
    rows = (
        Pairing.objects.visible_to(user)
        .filter(facility=facility, since__lte=today)
        .filter(Q(until__isnull=True) | Q(until__gte=today))
        .select_related("cadre")
        .order_by("since", "id")
    )
    return facility, list(rows)


# --- Visits ----------------------------------------------------------------------------------------


def _count(value, field: str, errors: dict) -> int:
    try:
        number = int(value or 0)
    except (TypeError, ValueError):
        number = -1
    if not 0 <= number <= 100:
        errors[field] = "应为 0 到 100 之间的整数"
    return number


@transaction.atomic
def record_visit(actor: Actor, cadre_id: int, facility_id: int, data: dict) -> CadreVisit:
    """A cadre's visit to a facility it is paired with on that day. A cadre user records only their own."""
    cadre = get_visible_or_404(cadres(actor.user), actor.user, "view", pk=cadre_id)
    facility = get_visible_or_404(Facility.objects, actor.user, "view", pk=facility_id)
    if not Facility.objects.visible_to(actor.user, "supervision.add_cadrevisit").filter(pk=facility.pk).exists():
        raise PermissionDenied
    if not cadres(actor.user, "supervision.add_cadrevisit").filter(pk=cadre.pk).exists():
        raise PermissionDenied  # a cadre records their own visits only
    errors = {}
    visited_on = data.get("visited_on")
    if not isinstance(visited_on, date) or visited_on > timezone.localdate():
        errors["visited_on"] = "请填写走访日期（不能晚于今天）"
    findings = str(data.get("findings") or "").strip()
    if not findings:
        errors["findings"] = "请填写走访情况"
    raised = _count(data.get("raised_count"), "raised_count", errors)
    solved = _count(data.get("solved_count"), "solved_count", errors)
    if not errors and solved > raised:
        errors["solved_count"] = "解决问题数不能多于发现问题数"
    if not errors and raised and not str(data.get("problems_raised") or "").strip():
        errors["problems_raised"] = "请写明发现的问题"
    if not errors and not any(p.covers(visited_on) for p in Pairing.objects.filter(cadre=cadre, facility=facility)):
        errors["facility_id"] = "走访当天该干部未包联这家机构"
    if errors:
        raise FieldErrors(errors)
    visit = CadreVisit.objects.create(
        cadre=cadre, facility=facility, region_code=facility.region_code, county_code=facility.county_code,
        visited_on=visited_on, findings=findings[:2000],
        problems_raised=str(data.get("problems_raised") or "").strip()[:2000], raised_count=raised,
        problems_solved=str(data.get("problems_solved") or "").strip()[:2000], solved_count=solved,
        recorded_by=actor.db_user,
    )  # fmt: skip
    audit.record(actor, AuditAction.CREATE, visit, object_repr=f"{cadre.name} 走访 {facility.name}")
    return visit


# --- Scoring ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scheme:
    points_per_visit: int
    points_per_solved: int
    monthly_cap: int  # 0 = no cap
    region_code: str = ""  # '' = the platform default from configuration


def scheme_for(region_code: str) -> Scheme:
    """The scheme of the region, else of the nearest region above it, else the configured default."""
    codes = [region_code, *reversed(ancestors(region_code))]
    found = {s.region_code: s for s in ScoringScheme.objects.filter(region_code__in=codes)}
    for code in codes:
        if code in found:
            s = found[code]
            return Scheme(s.points_per_visit, s.points_per_solved, s.monthly_cap, code)
    return Scheme(conf.value("PAIRING_POINTS_PER_VISIT"), conf.value("PAIRING_POINTS_PER_SOLVED"),
                  conf.value("PAIRING_MONTHLY_CAP"))  # fmt: skip


@transaction.atomic
def save_scheme(actor: Actor, region_code: str, points_per_visit, points_per_solved, monthly_cap,
                source: str = "") -> ScoringScheme:  # fmt: skip
    code = _region(region_code)
    errors, values = {}, {}
    for name, value in (("points_per_visit", points_per_visit), ("points_per_solved", points_per_solved),
                        ("monthly_cap", monthly_cap)):  # fmt: skip
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 1000:
            errors[name] = "应为 0 到 1000 之间的整数"
        values[name] = value
    if errors:
        raise FieldErrors(errors)
    scheme, created = ScoringScheme.objects.select_for_update().get_or_create(
        county_code=county_of(code), region_code=code, defaults={**values, "source": source[:200]}
    )
    before = {n: getattr(scheme, n) for n in values}
    if not created:
        for name, value in values.items():
            setattr(scheme, name, value)
        scheme.source = source[:200]
        scheme.save()
    ensure_visible(actor.user, scheme, "supervision.change_scoringscheme")
    audit.record(actor, AuditAction.CREATE if created else AuditAction.UPDATE, scheme,
                 changes=audit.diff({} if created else before, values))  # fmt: skip
    return scheme


def points(scheme: Scheme, monthly: list[tuple[int, int]]) -> int:
    """Points from (visits, problems solved) per month: each month's points are capped on their own."""
    total = 0
    for visit_count, solved in monthly:
        month_points = visit_count * scheme.points_per_visit + solved * scheme.points_per_solved
        total += min(month_points, scheme.monthly_cap) if scheme.monthly_cap else month_points
    return total


def ranking(user, region_code: str, start: date, end: date) -> list[dict]:
    """The cadres of a region with their visits, problems and points between two dates, best first;
    each cadre's points follow the scheme of the cadre's own region (`scheme_for`)."""
    if end < start:
        raise FieldErrors({"end": "结束日期不能早于开始日期"})
    people = {c.pk: c for c in cadres(user).filter(region_range_q("region_code", region_code))}
    # Each cadre is scored by the scheme of the cadre's own region (a city ranks counties whose
    # schemes differ); one lookup per distinct region.
    schemes: dict[str, Scheme] = {}
    for cadre in people.values():
        if cadre.region_code not in schemes:
            schemes[cadre.region_code] = scheme_for(cadre.region_code)
    monthly: dict[int, list[tuple[int, int]]] = {pk: [] for pk in people}
    rows = (
        CadreVisit.objects.filter(cadre_id__in=list(people), visited_on__gte=start, visited_on__lte=end)
        .annotate(month=TruncMonth("visited_on"))
        .values("cadre_id", "month")
        .annotate(n=Count("id"), solved=Sum("solved_count"), raised=Sum("raised_count"))
    )
    raised: dict[int, int] = {}
    for row in rows:
        monthly[row["cadre_id"]].append((row["n"], row["solved"] or 0))
        raised[row["cadre_id"]] = raised.get(row["cadre_id"], 0) + (row["raised"] or 0)
    # Visits to elders made by the cadres as visitors (the visits app): one kind of visit, shown beside.
    elder_visits = dict(
        Visit.objects.filter(visitor__cadre_id__in=list(people), visited_at__date__gte=start, visited_at__date__lte=end)
        .values_list("visitor__cadre_id")
        .annotate(n=Count("pk"))
    )
    result = [
        {
            "cadre": cadre,
            "visits": sum(n for n, _ in monthly[pk]),
            "elder_visits": elder_visits.get(pk, 0),
            "raised": raised.get(pk, 0),
            "solved": sum(s for _, s in monthly[pk]),
            "points": points(schemes[cadre.region_code], monthly[pk]),
        }
        for pk, cadre in people.items()
    ]
    result.sort(key=lambda r: (-r["points"], -r["solved"], r["cadre"].name, r["cadre"].pk))
    for place, row in enumerate(result, start=1):
        row["rank"] = place
    return result
