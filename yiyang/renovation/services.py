"""Home-renovation operations: applying for a household (eligibility and one household, one subsidy),
the reviews, assigning the organisations and committing funds first come first served, the assessor's
plan, the family's confirmation, the works with their photos, the item-by-item acceptance, and the
subsidy approved and paid through the ledger. Pages, the API, the demo and tests all call these."""

import re
import unicodedata
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone

from yiyang.core import audit, photos
from yiyang.core.audit import Actor, AuditAction
from yiyang.core.errors import Conflict, FieldErrors
from yiyang.core.ledger import post_once
from yiyang.core.regioncodes import ancestors, county_of
from yiyang.core.roles import Role, grants
from yiyang.core.scoping import (
    get_for_action,
    get_visible_or_404,
    has_permission,
    is_platform_admin,
    memberships_of,
    region_predicate,
)
from yiyang.core.workflow import Option, regions_at
from yiyang.elders import categories
from yiyang.elders.models import Elder
from yiyang.elders.models import Status as ElderStatus
from yiyang.providers.models import Provider

from . import catalogs
from .models import (
    DONE_STATES,
    ELIGIBLE_CATEGORIES,
    ApplicantKind,
    Application,
    ApplicationStep,
    Budget,
    BudgetEntry,
    Catalog,
    CatalogItem,
    Check,
    ClaimKind,
    Complaint,
    EntryKind,
    HouseholdClaim,
    LinePhoto,
    Org,
    OrgRole,
    Party,
    Payment,
    PlanLine,
    Policy,
    Stage,
    Status,
    Tier,
)
from .workflows import APPLICATION, PARTY_STEPS

# --- Households ------------------------------------------------------------------------------------

_SPACES = re.compile(r"[\s\u3000,，.。;；:：、'\"“”‘’()（）\[\]【】_-]+")
_BUILDING = re.compile(r"(\d+)(?:#|幢|栋|号楼|座)")
_UNIT = re.compile(r"(\d+)单元")
_ROOM = re.compile(r"(\d+)(?:室|号房|户)$")


def normalise_address(text: str) -> str:
    """One spelling per home: full-width digits and letters folded (NFKC), spaces and punctuation
    dropped, 3#、3幢、3栋 and 3号楼 read as one building, a trailing 室 dropped, letters lower-cased."""
    folded = unicodedata.normalize("NFKC", text or "").lower()
    folded = _SPACES.sub("", folded)
    folded = _BUILDING.sub(r"\1号楼", folded)
    folded = _UNIT.sub(r"\1单元", folded)
    return _ROOM.sub(r"\1", folded)


def household_keys(county_code: str, address_key: str, elder: Elder) -> dict[str, str]:
    """The two claims a household takes: its address within the county, and the elder province-wide."""
    return {ClaimKind.ADDRESS: f"address:{county_code}:{address_key}", ClaimKind.ELDER: f"elder:{elder.id_number}"}


def policy_for(region_code: str, year: int) -> Policy | None:
    """The policy of the nearest region at or above the community for the year."""
    codes = [region_code, *reversed(ancestors(region_code))]
    found = {
        p.region_code: p for p in Policy.objects.filter(region_code__in=codes, year=year).select_related("catalog")
    }
    return next((found[c] for c in codes if c in found), None)


def eligible_categories(elder: Elder, policy: Policy) -> list[str]:
    """The elder's categories that the policy funds, in the order of ELIGIBLE_CATEGORIES."""
    held = set(categories.to_codes(elder.categories))
    return [c for c in ELIGIBLE_CATEGORIES if c in held and policy.cap_for(c) is not None]


def _may_apply_for(user, elder: Elder) -> bool:
    if is_platform_admin(user):
        return True
    if region_predicate(user, Application, "add")(elder.region_code):
        return True
    return any(
        m.role == Role.FAMILY and m.scope_id == elder.pk and grants(m.role, "renovation.add_application")
        for m in memberships_of(user)
    )


def _existing_claim(keys: dict[str, str]) -> tuple[str, Application] | None:
    for claim in HouseholdClaim.objects.filter(key__in=keys.values()).select_related("application"):
        return claim.kind, claim.application
    return None


def _claim_refusal(kind: str, application: Application) -> FieldErrors:
    what, field = ("该住址", "address") if kind == ClaimKind.ADDRESS else ("该老人", "elder_id")
    return FieldErrors({field: f"{what}已有适老化改造申请（编号 {application.number}，{application.get_status_display()}），"
                               "一户只能享受一次改造补贴"})  # fmt: skip


def apply(actor: Actor, data: dict) -> Application:
    """A family, a community worker or a visitor's referral applies for a household. Refused, naming the
    field, when the elder is not eligible, the region has no policy, or the household already has one."""
    errors = {}
    elder_id = data.get("elder_id")
    if not elder_id:
        raise FieldErrors({"elder_id": "请选择老人"})
    elder = get_visible_or_404(Elder.objects, actor.user, "view", pk=elder_id)
    if not _may_apply_for(actor.user, elder):
        raise PermissionDenied
    if elder.status != ElderStatus.ACTIVE:
        raise FieldErrors({"elder_id": "老人不在册（已迁出或去世），不能申请"})
    year = int(data.get("year") or timezone.localdate().year)
    policy = policy_for(elder.region_code, year)
    if policy is None:
        raise FieldErrors({"elder_id": f"老人所在地区尚未设置 {year} 年适老化改造政策"})
    eligible = eligible_categories(elder, policy)
    if not eligible:
        funded = "、".join(categories.BY_CODE[c].label for c in ELIGIBLE_CATEGORIES if policy.cap_for(c) is not None)
        raise FieldErrors({"category": f"老人不属于本地补贴对象（{funded or '未设置补贴类别'}），不能申请"})
    category = data.get("category") or eligible[0]
    if category not in eligible:
        errors["category"] = (
            f"老人不属于“{categories.BY_CODE[category].label if category in categories.BY_CODE else category}”或本地不补贴该类别"
        )
    kind = data.get("applicant_kind") or ApplicantKind.FAMILY
    if kind not in ApplicantKind.values:
        errors["applicant_kind"] = "不是可选的申请方式"
    if kind == ApplicantKind.REFERRAL and not (data.get("referral_ref") or "").strip():
        errors["referral_ref"] = "探访转介须填写探访记录或转办单编号"
    address = " ".join((data.get("address") or elder.address or "").split())
    key = normalise_address(address)
    if len(key) < 4:
        errors["address"] = "请填写完整的改造住址"
    applicant = (data.get("applicant_name") or "").strip() or actor.name
    if errors:
        raise FieldErrors(errors)
    keys = household_keys(elder.county_code, key, elder)
    if found := _existing_claim(keys):
        raise _claim_refusal(*found)
    cap = policy.cap_for(category)
    try:
        with transaction.atomic():
            application = Application.objects.create(
                elder=elder, region_code=elder.region_code, county_code=elder.county_code, year=year,
                address=address[:200], household_key=f"{elder.county_code}:{key}"[:240], category=category,
                applicant_kind=kind, applicant_name=applicant[:50], referral_ref=(data.get("referral_ref") or "")[:64],
                cap=cap, policy=policy,
            )  # fmt: skip
            HouseholdClaim.objects.bulk_create(
                [HouseholdClaim(key=v[:260], kind=k, application=application) for k, v in keys.items()]
            )
    except IntegrityError:
        # Another submission for the same household won the race: the claim table decided.
        found = _existing_claim(keys)
        if found is None:
            raise
        raise _claim_refusal(*found) from None
    ApplicationStep.objects.create(application=application, county_code=application.county_code, action="submit",
                                   to_status=Status.SUBMITTED, note=f"{ApplicantKind(kind).label}：{applicant}"[:1000],
                                   **ApplicationStep.by_actor(actor))  # fmt: skip
    audit.record(actor, AuditAction.CREATE, application)
    return application


# --- Who may take a step ---------------------------------------------------------------------------


def acting_as(user, application: Application, role: str) -> bool:
    """Whether the user acts for the organisation that holds `role` on the application."""
    if is_platform_admin(user):
        return True
    provider_id = {OrgRole.ASSESS: application.assessor_id, OrgRole.CONSTRUCT: application.contractor_id,
                   OrgRole.ACCEPT: application.acceptor_id}[role]  # fmt: skip
    return provider_id is not None and any(
        m.role == Role.PROVIDER_MANAGER and m.scope_id == provider_id for m in memberships_of(user)
    )


def options(user, application: Application) -> list[Option]:
    """The workflow's options, less the organisations' steps of organisations the user does not act for."""
    return [
        o
        for o in APPLICATION.options(user, application)
        if o.name not in PARTY_STEPS or acting_as(user, application, PARTY_STEPS[o.name])
    ]


def waiting(user, step: str, queryset=None):
    """The applications on which `user` may take `step` now, oldest application first (the queue); for an
    organisation's step, only the homes it was assigned to in that role."""
    if step not in APPLICATION:
        raise FieldErrors({"waiting": "不是可选的办理环节"})
    rows = APPLICATION.waiting(user, step, queryset=queryset)
    if step in PARTY_STEPS and not is_platform_admin(user):
        mine = [m.scope_id for m in memberships_of(user) if m.role == Role.PROVIDER_MANAGER]
        field = {OrgRole.ASSESS: "assessor_id", OrgRole.CONSTRUCT: "contractor_id", OrgRole.ACCEPT: "acceptor_id"}
        rows = rows.filter(**{f"{field[PARTY_STEPS[step]]}__in": mine})
    return rows.order_by("submitted_at", "id")


# The steps a household waits for, as the home page's to-dos; each links to the list's `?waiting=step`,
# which counts the same rows (`waiting`). The refusals and the rework are other answers to the same state.
TODO_STEPS = (
    ("street_approve", "待街道初审的改造申请"),
    ("county_approve", "待县级审核的改造申请"),
    ("assess", "待入户评估的改造"),
    ("confirm", "待确认的改造方案"),
    ("start", "待开工的改造"),
    ("complete", "施工中待完工报验的改造"),
    ("accept", "待验收的改造"),
    ("approve_subsidy", "待核定补贴的改造"),
    ("pay", "待拨付的改造补贴"),
    ("close", "待结案的改造"),
)


def todos(user) -> list[tuple[str, str, object]]:
    """(step, label, waiting rows) for each step of TODO_STEPS the user may take somewhere: the right at
    the step's level, and for an organisation's step a registration in that role (a home-care provider
    sees no renovation to-dos). The family's confirmation is listed only while a plan waits for it."""
    admin = is_platform_admin(user)
    roles = set()
    if not admin:
        mine = [m.scope_id for m in memberships_of(user) if m.role == Role.PROVIDER_MANAGER]
        if mine:
            roles = set(Org.objects.filter(provider_id__in=mine, is_active=True).values_list("role", flat=True))
    found = []
    for step, label in TODO_STEPS:
        transition = APPLICATION[step]
        if not has_permission(user, transition.permission):
            continue
        if transition.level is not None and regions_at(user, transition.permission, transition.level) == []:
            continue
        if step in PARTY_STEPS and not admin and PARTY_STEPS[step] not in roles:
            continue
        rows = waiting(user, step)
        if step == "confirm" and not rows.exists():
            continue
        found.append((step, label, rows))
    return found


def _lock(actor: Actor, pk, step: str) -> Application:
    application = APPLICATION.lock(actor, pk, step, Application.objects.select_related("elder"))
    if step in PARTY_STEPS and not acting_as(actor.user, application, PARTY_STEPS[step]):
        # The same answer as a row the user may not act on at all.
        raise PermissionDenied
    return application


def _version(value) -> int | None:
    if value in (None, ""):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise FieldErrors({"version": "应为整数"}) from None


SIMPLE_STEPS = ("street_approve", "street_refuse", "county_refuse", "confirm", "reject_plan", "start", "complete",
                "approve_subsidy", "close")  # fmt: skip


def take_step(actor: Actor, pk, step: str, data: dict | None = None) -> Application:
    """Any step by name, with its own inputs in `data` (note, version, the organisations, the payment)."""
    data = data or {}
    note = str(data.get("note") or "")
    version = _version(data.get("version"))
    if step == "county_approve":
        return county_approve(actor, pk, data, note=note, expected_version=version)
    if step == "pay":
        return pay(actor, pk, note=note, expected_version=version)
    if step not in SIMPLE_STEPS:
        raise FieldErrors({"step": "不是可选的办理环节"})
    with transaction.atomic():
        application = _lock(actor, pk, step)
        APPLICATION.move(actor, application, step, note, expected_version=version)
        fields = ["status"]
        if step in ("street_refuse", "county_refuse"):
            application.refusal_reason = note.strip()[:1000]
            fields.append("refusal_reason")
            # A refused household may apply again: its claims are released.
            HouseholdClaim.objects.filter(application=application).delete()
        elif step == "confirm":
            application.confirmed_by = actor.name[:50]
            fields.append("confirmed_by")
            _adjust_commitment(actor, application)
        elif step == "approve_subsidy":
            _check_subsidy(application)
        application.save(update_fields=fields)
        audit.record(actor, AuditAction.UPDATE, application, object_repr=f"{application} {APPLICATION[step].label}")
        return application


# --- County review: organisations and funds --------------------------------------------------------


def _org(county_code: str, value, role: str, field: str, errors: dict) -> Provider | None:
    if value in (None, ""):
        errors[field] = f"请选择{OrgRole(role).label}"
        return None
    try:
        pk = int(value)
    except (TypeError, ValueError):
        errors[field] = "应为机构编号"
        return None
    org = Org.objects.filter(county_code=county_code, provider_id=pk, role=role, is_active=True,
                             provider__is_active=True).select_related("provider").first()  # fmt: skip
    if org is None:
        errors[field] = f"该机构不是本县（区）登记的{OrgRole(role).label}"
        return None
    return org.provider


def choose_orgs(county_code: str, data: dict) -> dict[str, Provider]:
    """The three organisations named in `data`, each registered in the county for its role, and all three
    different: the acceptor checks the contractor's work and the assessor's plan, so it can be neither."""
    errors: dict[str, str] = {}
    assessor = _org(county_code, data.get("assessor_id"), OrgRole.ASSESS, "assessor_id", errors)
    contractor = _org(county_code, data.get("contractor_id"), OrgRole.CONSTRUCT, "contractor_id", errors)
    acceptor = _org(county_code, data.get("acceptor_id"), OrgRole.ACCEPT, "acceptor_id", errors)
    if acceptor and contractor and acceptor.pk == contractor.pk:
        errors["acceptor_id"] = "验收机构不能与施工单位相同"
    elif acceptor and assessor and acceptor.pk == assessor.pk:
        errors["acceptor_id"] = "验收机构不能与评估设计机构相同"
    if contractor and assessor and contractor.pk == assessor.pk:
        errors["contractor_id"] = "施工单位不能与评估设计机构相同"
    if errors:
        raise FieldErrors(errors)
    return {OrgRole.ASSESS: assessor, OrgRole.CONSTRUCT: contractor, OrgRole.ACCEPT: acceptor}


def committed(budget: Budget) -> int:
    return BudgetEntry.objects.filter(budget=budget).aggregate(total=Sum("amount"))["total"] or 0


def _commit(actor: Actor, application: Application) -> Budget:
    """Commit the household's cap against the county's budgets of the year, first come first served.

    Every budget row of the county and year is locked (in primary-key order, so two approvals never wait
    on each other crosswise) before the sums are read: a second approval waits here until the first has
    committed or rolled back, and then sees its entry. The first budget with enough left is taken."""
    budgets = list(
        Budget.objects.select_for_update().filter(county_code=application.county_code, year=application.year)
        .order_by("pk")
    )  # fmt: skip
    if not budgets:
        raise Conflict(f"本县（区）尚未登记 {application.year} 年的适老化改造资金", {"budget": "未登记资金"},
                       code="no_budget")  # fmt: skip
    left_total = 0
    for budget in budgets:
        left = budget.amount - committed(budget)
        left_total += max(left, 0)
        if left >= application.cap:
            budget.seq += 1
            budget.save(update_fields=["seq"])
            BudgetEntry.objects.create(
                budget=budget, application=application, region_code=application.region_code,
                county_code=application.county_code, seq=budget.seq, kind=EntryKind.COMMIT, amount=application.cap,
                idempotency_key=f"commit:{application.pk}", by=actor.db_user, by_name=actor.name,
            )  # fmt: skip
            return budget
    raise Conflict(
        f"本年度改造资金余额不足：剩余 {left_total / 100:.2f} 元，本户需占用 {application.cap / 100:.2f} 元",
        {"budget": f"剩余 {left_total / 100:.2f} 元"},
        code="budget_exhausted",
    )


def county_approve(actor: Actor, pk, data: dict, *, note: str = "", expected_version: int | None = None):
    with transaction.atomic():
        application = _lock(actor, pk, "county_approve")
        APPLICATION.check_state(application, APPLICATION["county_approve"])
        orgs = choose_orgs(application.county_code, data)
        APPLICATION.move(actor, application, "county_approve", note, expected_version=expected_version)
        application.budget = _commit(actor, application)
        application.assessor = orgs[OrgRole.ASSESS]
        application.contractor = orgs[OrgRole.CONSTRUCT]
        application.acceptor = orgs[OrgRole.ACCEPT]
        Party.objects.bulk_create([Party(application=application, provider=p, role=r, county_code=application.county_code)
                                   for r, p in orgs.items()])  # fmt: skip
        application.save(update_fields=["status", "budget", "assessor", "contractor", "acceptor"])
        audit.record(actor, AuditAction.UPDATE, application, object_repr=f"{application} 县级审核通过",
                     changes={"budget": application.budget_id, "cap": application.cap})  # fmt: skip
        return application


def _adjust_commitment(actor: Actor, application: Application) -> None:
    """On the confirmed plan, give back what the household does not need of its cap."""
    budget = Budget.objects.select_for_update().get(pk=application.budget_id)
    difference = application.subsidy - application.cap
    if difference:
        budget.seq += 1
        budget.save(update_fields=["seq"])
        post_once(
            BudgetEntry, budget=budget, application=application, region_code=application.region_code,
            county_code=application.county_code, seq=budget.seq, kind=EntryKind.ADJUST, amount=difference,
            idempotency_key=f"adjust:{application.pk}", by=actor.db_user, by_name=actor.name,
        )  # fmt: skip


def commitment_of(application: Application) -> int:
    return BudgetEntry.objects.filter(application=application).aggregate(total=Sum("amount"))["total"] or 0


def _check_subsidy(application: Application) -> None:
    if application.subsidy > application.cap:
        raise FieldErrors({"subsidy": "补贴金额超过本户上限"})
    if commitment_of(application) != application.subsidy:
        raise Conflict("已占用资金与方案补贴不一致，请核对资金流水", {"budget": "占用金额不一致"})


# --- The assessor's plan ---------------------------------------------------------------------------


@dataclass
class LineInput:
    item: CatalogItem
    needed: bool
    in_plan: bool
    quantity: Decimal
    unit_price: int
    note: str

    @property
    def amount(self) -> int:
        return int((self.quantity * self.unit_price).quantize(Decimal("1"), rounding=ROUND_HALF_UP))

    @property
    def subsidisable(self) -> int:
        """What of the line the subsidy may pay: its amount, up to the item's own cap in the variant."""
        return self.amount if self.item.subsidy_cap is None else min(self.amount, self.item.subsidy_cap)


def _fen(value, field: str, errors: dict) -> int | None:
    """A yuan amount given as text or number, to fen; None when absent."""
    if value in (None, ""):
        return None
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        errors[field] = "应为金额（元）"
        return None
    if amount < 0 or amount > 10_000_000:
        errors[field] = "金额超出范围"
        return None
    return int((amount * 100).quantize(Decimal("1"), rounding=ROUND_HALF_UP))


def _lines(application: Application, rows: list, errors: dict) -> list[LineInput]:
    items = {i.pk: i for i in CatalogItem.objects.filter(catalog=application.policy.catalog_id)}
    found, seen = [], set()
    for index, row in enumerate(rows or []):
        prefix = f"lines.{index}."
        try:
            item = items.get(int(row.get("item_id")))
        except (TypeError, ValueError):
            item = None
        if item is None:
            errors[prefix + "item_id"] = "不是本地改造目录中的项目"
            continue
        if not item.offered:
            errors[prefix + "item_id"] = f"“{item.name}”不在本地提供的改造项目中"
            continue
        if item.pk in seen:
            errors[prefix + "item_id"] = f"“{item.name}”重复"
            continue
        seen.add(item.pk)
        try:
            quantity = Decimal(str(row.get("quantity") if row.get("quantity") not in (None, "") else 1))
        except InvalidOperation:
            errors[prefix + "quantity"] = "应为数字"
            continue
        if quantity <= 0 or quantity > 1000:
            errors[prefix + "quantity"] = "数量应大于 0 且不超过 1000"
            continue
        price = _fen(row.get("unit_price"), prefix + "unit_price", errors)
        needed = bool(row.get("needed", True))
        in_plan = bool(row.get("in_plan", True))
        if item.tier == Tier.BASIC and needed and not in_plan:
            errors[prefix + "in_plan"] = f"基础类项目“{item.name}”评估需要，须纳入方案"
        found.append(LineInput(item, needed, in_plan and needed, quantity,
                               item.reference_price if price is None else price, str(row.get("note") or "")[:300]))  # fmt: skip
    if not any(line.in_plan for line in found) and not errors:
        errors["lines"] = "方案中至少要有一个改造项目"
    return found


def propose_plan(actor: Actor, pk, data: dict) -> Application:
    """The assessor's findings per item and the plan: items, quantities, prices, the subsidy within the
    cap and what the household pays itself. A plan above the cap must name the self-pay part."""
    with transaction.atomic():
        application = _lock(actor, pk, "assess")
        APPLICATION.check_state(application, APPLICATION["assess"])
        errors: dict[str, str] = {}
        lines = _lines(application, data.get("lines") or [], errors)
        subsidy = _fen(data.get("subsidy"), "subsidy", errors)
        self_pay = _fen(data.get("self_pay"), "self_pay", errors)
        if errors:
            raise FieldErrors(errors)
        total = sum(line.amount for line in lines if line.in_plan)
        cap = application.cap
        # The items' own caps in the region's variant limit the subsidy below the household's cap.
        item_capped = sum(line.subsidisable for line in lines if line.in_plan)
        most = min(cap, item_capped)
        subsidy = most if subsidy is None else subsidy
        self_pay = 0 if self_pay is None else self_pay
        if subsidy > cap:
            raise FieldErrors({"subsidy": f"补贴 {subsidy / 100:.2f} 元超过本户上限 {cap / 100:.2f} 元"})
        if subsidy > item_capped:
            raise FieldErrors({"subsidy": f"补贴 {subsidy / 100:.2f} 元超过各项目单项补贴上限之和 "
                                          f"{item_capped / 100:.2f} 元"})  # fmt: skip
        if subsidy + self_pay != total:
            if total > most and subsidy + self_pay < total:
                limit = "补贴上限" if most == cap else "各项目单项补贴上限之和"
                raise FieldErrors({"self_pay": f"方案总价 {total / 100:.2f} 元超过{limit} {most / 100:.2f} 元，"
                                               f"须填写自付部分 {(total - subsidy) / 100:.2f} 元"})  # fmt: skip
            raise FieldErrors({"self_pay": f"补贴与自付之和须等于方案总价 {total / 100:.2f} 元"})
        kept = []
        for line in lines:
            row, _ = PlanLine.objects.update_or_create(
                application=application, item=line.item, county_code=application.county_code,
                defaults={"needed": line.needed, "in_plan": line.in_plan, "quantity": line.quantity,
                          "unit_price": line.unit_price, "amount": line.amount if line.in_plan else 0,
                          "note": line.note},
            )  # fmt: skip
            kept.append(row.pk)
        application.lines.exclude(pk__in=kept).update(needed=False, in_plan=False, amount=0)
        APPLICATION.move(actor, application, "assess", str(data.get("note") or ""),
                         expected_version=_version(data.get("version")))  # fmt: skip
        application.plan_total, application.subsidy, application.self_pay = total, subsidy, self_pay
        application.save(update_fields=["status", "plan_total", "subsidy", "self_pay"])
        audit.record(actor, AuditAction.UPDATE, application, object_repr=f"{application} 评估方案",
                     changes={"plan_total": total, "subsidy": subsidy, "self_pay": self_pay})  # fmt: skip
        return application


# --- Photos ----------------------------------------------------------------------------------------

# Which organisation uploads at each stage, and in which states.
PHOTO_STAGES = {
    Stage.ASSESS: (OrgRole.ASSESS, (Status.COUNTY_APPROVED,)),
    Stage.BEFORE: (OrgRole.CONSTRUCT, (Status.CONFIRMED, Status.IN_CONSTRUCTION, Status.REWORK)),
    Stage.AFTER: (OrgRole.CONSTRUCT, (Status.IN_CONSTRUCTION, Status.REWORK)),
    Stage.ACCEPT: (OrgRole.ACCEPT, (Status.COMPLETED,)),
}


def add_photos(actor: Actor, pk, item_id, stage: str, files: list) -> list[LinePhoto]:
    if stage not in PHOTO_STAGES:
        raise FieldErrors({"stage": "不是可选的照片环节"})
    role, states = PHOTO_STAGES[stage]
    with transaction.atomic():
        application = get_visible_or_404(Application.objects.select_for_update(of=("self",)), actor.user,
                                         "view", pk=pk)  # fmt: skip
        if not acting_as(actor.user, application, role):
            raise PermissionDenied
        if application.status not in states:
            raise Conflict(f"申请当前状态为“{application.get_status_display()}”，不能上传{Stage(stage).label}照片",
                           {"stage": "当前环节不能上传"})  # fmt: skip
        if not files:
            raise FieldErrors({"photos": "请选择照片"})
        if problems := photos.photo_errors(files, "photos"):
            raise FieldErrors(problems)
        try:
            item = CatalogItem.objects.get(pk=int(item_id), catalog=application.policy.catalog_id, offered=True)
        except (CatalogItem.DoesNotExist, TypeError, ValueError):
            raise FieldErrors({"item_id": "不是本地改造目录中的项目"}) from None
        if stage == Stage.ASSESS:
            line, _ = PlanLine.objects.get_or_create(application=application, item=item,
                                                     county_code=application.county_code,
                                                     defaults={"unit_price": item.reference_price})  # fmt: skip
        else:
            line = application.lines.filter(item=item, in_plan=True).first()
            if line is None:
                raise FieldErrors({"item_id": f"“{item.name}”不在确认的方案中"})
        made = []
        for upload in files:
            photo = LinePhoto(line=line, application=application, county_code=application.county_code, stage=stage,
                              by=actor.db_user)  # fmt: skip
            photos.store(photo, upload)
            photo.save()
            made.append(photo)
        audit.record(actor, AuditAction.CREATE, application, object_repr=f"{application} {Stage(stage).label}照片",
                     changes={"item": item.name, "photos": len(made)})  # fmt: skip
        return made


# --- Acceptance ------------------------------------------------------------------------------------


def check_items(actor: Actor, pk, results: list, note: str = "", version=None) -> Application:
    """The acceptance organisation's verdict on every item of the plan: all pass, the works are accepted;
    any fails, the application goes back to the contractor for rework on the failed items."""
    with transaction.atomic():
        application = _lock(actor, pk, "accept")
        APPLICATION.check_state(application, APPLICATION["accept"])
        lines = {line.pk: line for line in application.lines.filter(in_plan=True).select_related("item")}
        by_item = {line.item_id: line for line in lines.values()}
        given, errors = {}, {}
        for index, row in enumerate(results or []):
            try:
                line = lines.get(int(row.get("line_id") or 0)) or by_item.get(int(row.get("item_id") or 0))
            except (TypeError, ValueError):
                line = None
            if line is None:
                errors[f"results.{index}.line_id"] = "不是本户方案中的项目"
                continue
            passed = row.get("passed")
            if not isinstance(passed, bool):
                errors[f"results.{index}.passed"] = "请选择通过或不通过"
                continue
            if not passed and not str(row.get("note") or "").strip():
                errors[f"results.{index}.note"] = f"“{line.item.name}”不通过，请写明整改要求"
                continue
            given[line.pk] = (passed, str(row.get("note") or "")[:300])
        missing = [line.item.name for pk_, line in lines.items() if pk_ not in given]
        if missing and not errors:
            errors["results"] = f"还有项目未验收：{'、'.join(missing)}"
        if errors:
            raise FieldErrors(errors)
        round_ = application.rework_rounds + 1
        failed = [pk_ for pk_, (passed, _) in given.items() if not passed]
        for pk_, (passed, text) in given.items():
            Check.objects.create(application=application, line=lines[pk_], county_code=application.county_code,
                                 contractor_id=application.contractor_id, round=round_, passed=passed, note=text,
                                 by_name=actor.name)  # fmt: skip
            PlanLine.objects.filter(pk=pk_).update(passed=passed, rework=not passed)
        step = "rework" if failed else "accept"
        summary = note or (f"{len(failed)} 项不通过，退回整改" if failed else "全部项目验收通过")
        APPLICATION.move(actor, application, step, summary, expected_version=_version(version))
        fields = ["status"]
        if failed:
            application.rework_rounds = round_
            fields.append("rework_rounds")
        application.save(update_fields=fields)
        audit.record(actor, AuditAction.UPDATE, application, object_repr=f"{application} 第{round_}轮验收",
                     changes={"failed": len(failed), "checked": len(given)})  # fmt: skip
        return application


# --- Complaints ----------------------------------------------------------------------------------

COMPLAINT_STATES = {
    OrgRole.ASSESS: (Status.COUNTY_APPROVED, Status.ASSESSED, *DONE_STATES),
    OrgRole.CONSTRUCT: (Status.CONFIRMED, Status.IN_CONSTRUCTION, Status.COMPLETED, Status.REWORK, *DONE_STATES),
    OrgRole.ACCEPT: (Status.COMPLETED, Status.REWORK, *DONE_STATES),
}


def complain(actor: Actor, pk, text: str, role: str = OrgRole.CONSTRUCT) -> Complaint:
    """The household or the bureau complains about an organisation assigned to the home."""
    if role not in COMPLAINT_STATES:
        raise FieldErrors({"role": "不是可选的机构角色"})
    text = " ".join((text or "").split())
    with transaction.atomic():
        application = get_for_action(Application.objects, actor.user, "renovation.complain_application", lock=True,
                                     pk=pk)  # fmt: skip
        provider_id = {OrgRole.ASSESS: application.assessor_id, OrgRole.CONSTRUCT: application.contractor_id,
                       OrgRole.ACCEPT: application.acceptor_id}[role]  # fmt: skip
        if provider_id is None or application.status not in COMPLAINT_STATES[role]:
            raise Conflict(f"申请当前状态为“{application.get_status_display()}”，还不能投诉{OrgRole(role).label}",
                           {"role": "该机构尚未开展工作"})  # fmt: skip
        if len(text) < 4:
            raise FieldErrors({"text": "请写明投诉内容"})
        complaint = Complaint.objects.create(application=application, provider_id=provider_id, role=role,
                                             county_code=application.county_code, text=text[:500], by=actor.db_user,
                                             by_name=actor.name)  # fmt: skip
        audit.record(actor, AuditAction.CREATE, application, object_repr=f"{application} 投诉{OrgRole(role).label}")
        return complaint


# --- Payment ---------------------------------------------------------------------------------------


def record_payment(actor: Actor, application: Application) -> bool:
    """The payment's ledger entry, once per application: a resend or a second click writes nothing."""
    return post_once(
        Payment, application=application, budget_id=application.budget_id, payee_id=application.contractor_id,
        region_code=application.region_code, county_code=application.county_code, amount=application.subsidy,
        idempotency_key=f"renovation:{application.pk}", by=actor.db_user,
    )  # fmt: skip


def pay(actor: Actor, pk, *, note: str = "", expected_version: int | None = None) -> Application:
    with transaction.atomic():
        application = _lock(actor, pk, "pay")
        APPLICATION.move(actor, application, "pay", note, expected_version=expected_version)
        if not record_payment(actor, application):
            raise Conflict("该户的改造补贴已经拨付过，不能重复拨付", {"application_id": "已拨付"}, code="already_paid")
        application.save(update_fields=["status"])
        audit.record(actor, AuditAction.UPDATE, application, object_repr=f"{application} 拨付补贴",
                     changes={"amount": application.subsidy})  # fmt: skip
        return application


# --- Set-up: policies, budgets, organisations --------------------------------------------------------


def save_policy(actor: Actor, region_code: str, year: int, catalog_code: str, caps: dict, target: int = 0,
                document: str = "") -> Policy:  # fmt: skip
    """A region's policy for a year (creates or replaces it); caps in fen per category code."""
    if not region_predicate(actor.user, Policy, "change")(region_code):
        raise PermissionDenied
    catalog = Catalog.objects.filter(code=catalog_code).first()
    if catalog is None and catalog_code in catalogs.NATIONAL_CODES:
        # A database flushed after its migrations (a transactional test) lost the seeded lists.
        catalogs.seed(Catalog, CatalogItem)
        catalog = Catalog.objects.filter(code=catalog_code).first()
    if catalog is None:
        raise FieldErrors({"catalog": "没有这个改造目录"})
    unknown = [c for c in caps if c not in ELIGIBLE_CATEGORIES]
    if unknown:
        raise FieldErrors({"caps": f"不是可补贴的类别：{'、'.join(unknown)}"})
    policy, _ = Policy.objects.update_or_create(
        county_code=county_of(region_code), region_code=region_code, year=year,
        defaults={"catalog": catalog, "caps": {k: int(v) for k, v in caps.items()}, "target": target,
                  "document": document},
    )  # fmt: skip
    audit.record(actor, AuditAction.UPDATE, policy, changes={"caps": policy.caps, "target": target})
    return policy


VARIANT_FIELDS = ("offered", "tier", "unit", "reference_price", "subsidy_cap")
MAX_ITEM_FEN = 1_000_000_000  # 10 million yuan: far above any item, below what a field can hold


def derive_catalog(actor: Actor, base_code: str, region_code: str, code: str, name: str,
                   changes: dict | None = None, document: str = "") -> Catalog:  # fmt: skip
    """A region's own variant of a catalog: the base's items copied, with the tier, unit or reference price
    of some items changed (`changes`: {item number: {"tier": ..., "unit": ..., "reference_price": fen}}),
    as Wuhan moved one item to the basic tier (8 basic + 22 optional)."""
    if not region_predicate(actor.user, Policy, "change")(region_code):
        raise PermissionDenied
    base = Catalog.objects.filter(code=base_code).first()
    if base is None:
        raise FieldErrors({"base": "没有这个改造目录"})
    if not re.fullmatch(r"[a-z0-9-]{3,40}", code or ""):
        raise FieldErrors({"code": "目录编码为 3–40 位小写字母、数字或连字符"})
    if Catalog.objects.filter(code=code).exists():
        raise FieldErrors({"code": "目录编码已被使用"})
    changes = {int(k): v for k, v in (changes or {}).items()}
    items = {i.number: i for i in base.items.all()}
    errors = {}
    for number, change in changes.items():
        if number not in items:
            errors[f"changes.{number}"] = "基础目录中没有这个序号"
        elif change.get("tier", Tier.BASIC) not in Tier.values:
            errors[f"changes.{number}.tier"] = "不是可选的类型"
    if errors:
        raise FieldErrors(errors)
    with transaction.atomic():
        variant = Catalog.objects.create(code=code, name=name[:100] or base.name, document=document[:120],
                                         version=1, region_code=region_code, based_on=base,
                                         is_complete=base.is_complete,
                                         note=f"依据 {base.name}（{base.document}）调整")  # fmt: skip
        CatalogItem.objects.bulk_create([
            CatalogItem(catalog=variant, number=i.number, group=i.group, name=i.name, verified=i.verified,
                        source=i.source, **{"tier": i.tier, "unit": i.unit, "reference_price": i.reference_price,
                                            "offered": i.offered, "subsidy_cap": i.subsidy_cap,
                                            **{k: v for k, v in changes.get(i.number, {}).items()
                                               if k in VARIANT_FIELDS}})
            for i in items.values()
        ])  # fmt: skip
        audit.record(actor, AuditAction.CREATE, variant, region_code=region_code)
        return variant


def _variant_row(item: CatalogItem, row: dict, errors: dict) -> dict:
    """The item's new values from `row` (absent keys keep the stored value), with the reasons refused."""
    prefix = f"items.{item.number}."
    values = {name: row.get(name, getattr(item, name)) for name in VARIANT_FIELDS}
    values["offered"] = bool(values["offered"])
    if values["tier"] not in Tier.values:
        errors[prefix + "tier"] = f"“{item.name}”的类型不是可选的类型"
    values["unit"] = " ".join(str(values["unit"] or "").split())
    if not 1 <= len(values["unit"]) <= 10:
        errors[prefix + "unit"] = f"“{item.name}”的单位应为 1–10 个字"
    for name, label in (("reference_price", "参考单价"), ("subsidy_cap", "单项补贴上限")):
        value = values[name]
        if value is None and name == "subsidy_cap":
            continue
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_ITEM_FEN:
            errors[prefix + name] = f"“{item.name}”的{label}应为 0 至 1000 万元"
    if values["tier"] == Tier.BASIC and not values["offered"]:
        # The basic tier is what every eligible household is entitled to (民发〔2020〕86号).
        errors[prefix + "offered"] = f"基础类项目“{item.name}”须在本地提供"
    return values


def save_variant_items(actor: Actor, catalog_id, rows: dict) -> Catalog:
    """A region's own variant of a catalog, item by item: which items it offers, their tier, unit,
    reference price and the subsidy cap of each (`rows`: {item number: {field: value}}, amounts in fen,
    subsidy_cap None for no cap of its own). The national lists are not edited: a region derives its
    variant first. Plans proposed afterwards follow the new values; a plan already proposed keeps its
    prices and amounts. Every change is audited with its old and new value, and raises the version."""
    catalog = Catalog.objects.filter(pk=catalog_id).first() if str(catalog_id).isdigit() else None
    if catalog is None:
        raise FieldErrors({"catalog": "没有这个改造目录"})
    if not catalog.region_code:
        raise FieldErrors({"catalog": "全国目录不能修改，请先以它为基础建立本地目录"})
    if not region_predicate(actor.user, Policy, "change")(catalog.region_code):
        raise PermissionDenied
    rows = {int(k): v for k, v in (rows or {}).items() if str(k).isdigit()}
    with transaction.atomic():
        catalog = Catalog.objects.select_for_update().get(pk=catalog.pk)
        items = {i.number: i for i in catalog.items.all()}
        errors: dict[str, str] = {}
        for number in rows.keys() - items.keys():
            errors[f"items.{number}"] = "本目录中没有这个序号"
        planned = {number: _variant_row(item, rows.get(number, {}), errors) for number, item in items.items()}
        if not any(values["offered"] for values in planned.values()):
            errors["items"] = "本地目录至少要提供一个改造项目"
        if errors:
            raise FieldErrors(errors)
        changes = {}
        for number, values in planned.items():
            item = items[number]
            changed = audit.diff({name: getattr(item, name) for name in VARIANT_FIELDS}, values)
            if changed:
                for name, value in values.items():
                    setattr(item, name, value)
                item.save(update_fields=list(VARIANT_FIELDS))
                changes[f"{number}. {item.name}"] = changed
        if changes:
            catalog.version += 1
            catalog.save(update_fields=["version"])
            audit.record(actor, AuditAction.UPDATE, catalog, region_code=catalog.region_code,
                         object_repr=f"{catalog.name}（第 {catalog.version} 版）", changes=changes)  # fmt: skip
        return catalog


def save_budget(actor: Actor, county_region: str, year: int, source: str, amount: int, note: str = "") -> Budget:
    """A county's funds from one source for a year. The amount can grow, or shrink down to what is committed."""
    if not region_predicate(actor.user, Budget, "change")(county_region):
        raise PermissionDenied
    with transaction.atomic():
        budget = (Budget.objects.select_for_update()
                  .filter(county_code=county_of(county_region), region_code=county_region, year=year, source=source)
                  .first())  # fmt: skip
        if budget is None:
            budget = Budget.objects.create(region_code=county_region, county_code=county_of(county_region), year=year,
                                           source=source, amount=amount, note=note)  # fmt: skip
        else:
            if amount < committed(budget):
                raise FieldErrors({"amount": f"不能少于已占用的 {committed(budget) / 100:.2f} 元"})
            budget.amount, budget.note = amount, note
            budget.save(update_fields=["amount", "note"])
        audit.record(actor, AuditAction.UPDATE, budget, changes={"amount": amount})
        return budget


def register_org(actor: Actor, provider: Provider, role: str, county_region: str) -> Org:
    if not region_predicate(actor.user, Org, "change")(county_region):
        raise PermissionDenied
    org, _ = Org.objects.update_or_create(
        county_code=county_of(county_region), provider=provider, role=role,
        defaults={"region_code": county_region, "is_active": True},
    )  # fmt: skip
    audit.record(actor, AuditAction.UPDATE, org)
    return org
