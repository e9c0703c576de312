"""Pages of home renovation: the applications list with filters, applying, one household's file with the
workflow's buttons and the forms of its steps (review, organisations, plan, photos, acceptance, payment),
the progress against the yearly target, the budgets with their queue, the catalogs, and the printable
household file. Thin: every change goes through the services."""

from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from yiyang.core import masking, origins, pdf, photos
from yiyang.core.access import login_only, requires
from yiyang.core.audit import Actor
from yiyang.core.errors import DomainError, FieldErrors
from yiyang.core.regioncodes import Level, contains, level_of, region_range_q
from yiyang.core.scoping import get_visible_or_404, has_permission, home_region, may, region_predicate
from yiyang.elders import categories
from yiyang.providers.models import Provider
from yiyang.regions.models import Region
from yiyang.regions.services import requested_region

from . import documents, reports, services
from .models import (
    ApplicantKind,
    Application,
    Catalog,
    CatalogItem,
    FundSource,
    LinePhoto,
    Org,
    OrgRole,
    Policy,
    Stage,
    Status,
    Tier,
)
from .workflows import APPLICATION

VIEW = "renovation.view_application"


def _fail(request, exc: DomainError) -> None:
    reasons = "；".join(v for v in exc.fields.values() if v != exc.message)
    messages.error(request, f"{exc.message}{'：' + reasons if reasons else ''}")


def _region(request):
    code = requested_region(request.user, request.GET.get("region"), default=home_region, page=True, narrows=True)
    return Region.objects.filter(code=code).first() or Region(code=code, name=code)


def _year(request) -> int:
    raw = request.GET.get("year", "")
    return int(raw) if raw.isdigit() and 2000 < int(raw) < 2100 else timezone.localdate().year


@requires(VIEW)
def list_view(request):
    rows = Application.objects.visible_to(request.user).select_related("elder")
    region = request.GET.get("region", "").strip()
    if region:
        code = requested_region(request.user, region, page=True, narrows=True)
        rows = rows.filter(region_range_q("region_code", code))
    step = request.GET.get("waiting", "")
    if step:
        try:
            rows = services.waiting(request.user, step, queryset=rows)
        except DomainError as exc:
            _fail(request, exc)
    status = request.GET.get("status", "")
    if status in Status.values:
        rows = rows.filter(status=status)
    year = request.GET.get("year", "")
    if year.isdigit():
        rows = rows.filter(year=int(year))
    query = request.GET.get("q", "").strip()
    if query:
        rows = rows.filter(elder__name__contains=query[:20])
    page = Paginator(rows, 30).get_page(request.GET.get("page"))
    for row in page:
        row.shown_address = masking.masked(row, ["address"])["address"]
    return render(request, "renovation/list.html", {
        "page": page, "statuses": Status.choices, "status": status, "year": year, "q": query, "region": region,
        "step": step, "steps": [(t.name, t.label) for t in APPLICATION.transitions if t.permission],
        "may_apply": has_permission(request.user, "renovation.add_application"),
        "bureau": has_permission(request.user, "renovation.view_budget"),
    })  # fmt: skip


@requires("renovation.add_application")
def new_view(request):
    # A link from an elder's page or a visit's referral names the elder.
    data = {"elder_id": request.GET.get("elder", "")[:12]}
    if request.method == "POST":
        data = {k: request.POST.get(k, "").strip() for k in
                ("elder_id", "address", "category", "applicant_kind", "applicant_name", "referral_ref")}  # fmt: skip
        try:
            application = services.apply(Actor.from_request(request), data)
        except DomainError as exc:
            _fail(request, exc)
        else:
            messages.success(request, f"申请已提交，编号 {application.number}")
            return redirect("renovation:detail", application.pk)
    return render(request, "renovation/new.html", {
        "data": data, "kinds": ApplicantKind.choices,
        "categories": [(c, categories.BY_CODE[c].label) for c in services.ELIGIBLE_CATEGORIES],
    })  # fmt: skip


def _application(request, application_id: int) -> Application:
    rows = Application.objects.select_related("elder", "assessor", "contractor", "acceptor", "policy__catalog")
    return get_visible_or_404(rows, request.user, pk=application_id)


@requires(VIEW, hidden=True)
def detail_view(request, application_id: int):
    application = _application(request, application_id)
    shown = masking.shown(Actor.from_request(request), application, reveal=request.GET.get("reveal") == "1",
                          fields=["address"])  # fmt: skip
    options = services.options(request.user, application)
    names = {o.name for o in options}
    lines = list(application.lines.select_related("item").prefetch_related("photos").order_by("item__number"))
    context = {
        "a": application, "shown": shown, "options": options, "lines": lines,
        "steps": documents.labelled(application.steps.all()), "checks": application.checks.select_related("line__item"),
        "payments": application.payments.all(), "commitment": services.commitment_of(application),
        "simple_options": [o for o in options if o.name in services.SIMPLE_STEPS or o.name == "pay"],
        "origins": origins.of(request.user, application),
    }  # fmt: skip
    if "county_approve" in names:
        orgs = Org.objects.filter(county_code=application.county_code, is_active=True).select_related("provider")
        context["orgs"] = {role: [o.provider for o in orgs if o.role == role] for role in OrgRole.values}
    if "assess" in names:
        found = {line.item_id: line for line in lines}
        context["items"] = [(item, found.get(item.pk)) for item in
                            CatalogItem.objects.filter(catalog=application.policy.catalog_id, offered=True)]  # fmt: skip
    if "accept" in names:
        context["check_lines"] = [line for line in lines if line.in_plan]
    context["may_complain"] = application.contractor_id and may(request.user, application,
                                                                 "renovation.complain_application")  # fmt: skip
    context["complaints"] = application.complaints.select_related("provider")
    context["photo_stages"] = [
        (stage, Stage(stage).label) for stage, (role, states) in services.PHOTO_STAGES.items()
        if application.status in states and services.acting_as(request.user, application, role)
    ]  # fmt: skip
    if context["photo_stages"]:
        context["photo_items"] = (
            [line.item for line in lines if line.in_plan]
            if application.status != Status.COUNTY_APPROVED
            else CatalogItem.objects.filter(catalog=application.policy.catalog_id, offered=True)
        )
    return render(request, "renovation/detail.html", context)


def _plan_data(request, application: Application) -> dict:
    lines = []
    for item in CatalogItem.objects.filter(catalog=application.policy.catalog_id, offered=True):
        if request.POST.get(f"need_{item.pk}") != "1":
            continue
        lines.append({"item_id": item.pk, "needed": True,
                      "in_plan": item.tier == Tier.BASIC or request.POST.get(f"plan_{item.pk}") == "1",
                      "quantity": request.POST.get(f"qty_{item.pk}") or 1,
                      "unit_price": request.POST.get(f"price_{item.pk}") or None,
                      "note": request.POST.get(f"note_{item.pk}", "")})  # fmt: skip
    return {"lines": lines, "subsidy": request.POST.get("subsidy") or None,
            "self_pay": request.POST.get("self_pay") or None, "note": request.POST.get("note", ""),
            "version": request.POST.get("version") or None}  # fmt: skip


def _check_data(request, application: Application) -> list[dict]:
    results = []
    for line in application.lines.filter(in_plan=True):
        verdict = request.POST.get(f"result_{line.pk}", "")
        results.append({"line_id": line.pk, "passed": {"pass": True, "fail": False}.get(verdict),
                        "note": request.POST.get(f"note_{line.pk}", "")})  # fmt: skip
    return results


@requires(VIEW, hidden=True)
@require_POST
def step_view(request, application_id: int, step: str):
    actor = Actor.from_request(request)
    application = _application(request, application_id)
    try:
        if step == "plan":
            services.propose_plan(actor, application.pk, _plan_data(request, application))
        elif step == "checks":
            services.check_items(actor, application.pk, _check_data(request, application),
                                 request.POST.get("note", ""), request.POST.get("version") or None)  # fmt: skip
        elif step == "complaint":
            services.complain(
                actor, application.pk, request.POST.get("text", ""), request.POST.get("role", "construct")
            )
        elif step == "photos":
            services.add_photos(actor, application.pk, request.POST.get("item_id"), request.POST.get("stage", ""),
                                request.FILES.getlist("photos"))  # fmt: skip
        else:
            data = {k: request.POST.get(k) or None for k in ("assessor_id", "contractor_id", "acceptor_id", "version")}
            data["note"] = request.POST.get("note", "")
            services.take_step(actor, application.pk, step, data)
    except DomainError as exc:
        _fail(request, exc)
    except PermissionDenied:
        messages.error(request, "您不能办理该环节")
    else:
        messages.success(request, "已办理")
    return redirect("renovation:detail", application.pk)


@requires("renovation.view_linephoto", hidden=True)
def photo_view(request, photo_id: int):
    photo = get_visible_or_404(LinePhoto.objects, request.user, pk=photo_id)
    return photos.serve(photo.file, photo.extension)


@requires(VIEW, hidden=True)
def file_view(request, application_id: int):
    context = documents.household_file(request, application_id)
    return pdf.page(request, documents.FILE_TEMPLATE, context,
                    pdf_url=reverse("renovation:file_pdf", args=[application_id]))  # fmt: skip


@requires(VIEW, hidden=True)
def file_pdf_view(request, application_id: int):
    context = documents.household_file(request, application_id)
    return pdf.response(request, documents.FILE_TEMPLATE, context, filename=documents.filename(context))


@requires("renovation.view_budget")
def progress_view(request):
    region = _region(request)
    year = _year(request)
    whole, children = reports.progress(request.user, region.code, year)
    names = dict(Region.objects.filter(code__in=[c.code.ljust(12, "0") for c in children]).values_list("code", "name"))
    for child in children:
        child.region = child.code.ljust(12, "0")
        child.name = names.get(child.region, child.code)
    return render(request, "renovation/progress.html", {
        "region": region, "year": year, "whole": whole, "children": children,
        "statuses": [(value, label, whole.by_status.get(value, 0)) for value, label in Status.choices],
        "top_items": reports.top_items(request.user, region.code, year),
        "contractors": reports.contractor_quality(request.user, region.code, year),
    })  # fmt: skip


@requires("renovation.view_budget")
def budgets_view(request):
    region = _region(request)
    year = _year(request)
    return render(request, "renovation/budgets.html", {
        "region": region, "year": year, "budgets": reports.budget_rows(request.user, region.code, year),
        "queue": reports.queue(request.user, region.code, year)[:500],
    })  # fmt: skip


def _yuan_to_fen(raw: str, field: str) -> int:
    try:
        value = Decimal((raw or "").strip() or "x")
    except InvalidOperation:
        raise FieldErrors({field: "应为金额（元）"}) from None
    if value < 0 or value > 10_000_000_000:
        raise FieldErrors({field: "金额超出范围"})
    return int(value * 100)


def _setup_post(request, region, year: int) -> None:
    actor = Actor.from_request(request)
    form = request.POST.get("form", "")
    if form == "policy":
        caps = {c: _yuan_to_fen(request.POST.get(f"cap_{c}", ""), f"cap_{c}")
                for c in services.ELIGIBLE_CATEGORIES if request.POST.get(f"cap_{c}", "").strip()}  # fmt: skip
        target = request.POST.get("target", "0").strip()
        if not target.isdigit():
            raise FieldErrors({"target": "应为户数（整数）"})
        services.save_policy(actor, region.code, year, request.POST.get("catalog", ""), caps, int(target),
                             request.POST.get("document", "")[:120])  # fmt: skip
    elif form == "budget":
        if level_of(region.code) != Level.COUNTY:
            raise FieldErrors({"region": "改造资金按县（区）登记，请先选择县（区）"})
        source = request.POST.get("source", "")
        if source not in FundSource.values:
            raise FieldErrors({"source": "请选择资金来源"})
        services.save_budget(actor, region.code, year, source, _yuan_to_fen(request.POST.get("amount", ""), "amount"),
                             request.POST.get("note", "")[:200])  # fmt: skip
    elif form == "org":
        if level_of(region.code) != Level.COUNTY:
            raise FieldErrors({"region": "机构按县（区）登记，请先选择县（区）"})
        role = request.POST.get("role", "")
        if role not in OrgRole.values:
            raise FieldErrors({"role": "请选择机构角色"})
        provider_id = request.POST.get("provider_id", "")
        provider = Provider.objects.visible_to(request.user).filter(pk=int(provider_id) if provider_id.isdigit() else 0,
                                                                   is_active=True).first()  # fmt: skip
        if provider is None:
            raise FieldErrors({"provider_id": "请选择本地登记的服务商"})
        services.register_org(actor, provider, role, region.code)
    else:
        raise FieldErrors({"form": "不是可提交的表单"})


@requires("renovation.change_policy")
def setup_view(request):
    """A region's policy for the year (catalog, caps per category, target), its budgets and organisations."""
    region = _region(request)
    year = _year(request)
    if request.method == "POST":
        try:
            _setup_post(request, region, year)
        except DomainError as exc:
            _fail(request, exc)
        else:
            messages.success(request, "已保存")
        return redirect(f"{reverse('renovation:setup')}?region={region.code}&year={year}")
    policy = Policy.objects.visible_to(request.user, "view").filter(region_code=region.code, year=year).first()
    applying = (
        services.policy_for(region.code, year) if policy is None and level_of(region.code) > Level.PROVINCE else None
    )
    catalogs = [c for c in Catalog.objects.all() if not c.region_code or contains(c.region_code, region.code)]
    county = level_of(region.code) == Level.COUNTY
    return render(request, "renovation/setup.html", {
        "region": region, "year": year, "policy": policy, "applying": applying, "catalogs": catalogs,
        "caps": [(c, categories.BY_CODE[c].label, (policy.cap_for(c) if policy else None))
                 for c in services.ELIGIBLE_CATEGORIES],
        "county": county, "sources": FundSource.choices, "roles": OrgRole.choices,
        "budgets": reports.budget_rows(request.user, region.code, year) if county else [],
        "orgs": Org.objects.visible_to(request.user).filter(county_code=region.code[:6]).select_related("provider")
        if county else [],
        "providers": Provider.objects.visible_to(request.user).filter(county_code=region.code[:6], is_active=True)
        if county else [],
    })  # fmt: skip


def _item_fen(raw: str, item: CatalogItem, label: str, field: str) -> int:
    try:
        value = Decimal((raw or "").strip() or "x")
    except InvalidOperation:
        value = Decimal(-1)
    # At most two decimals (fen): "12.345" is a typing error, not 12.34 yuan.
    if not value.is_finite() or value < 0 or value > 10_000_000 or value != value.quantize(Decimal("0.01")):
        raise FieldErrors(
            {f"items.{item.number}.{field}": f"“{item.name}”的{label}应为 0 至 1000 万元的金额（元，最多两位小数）"}
        )
    return int(value * 100)


def _variant_rows(request, catalog: Catalog) -> dict:
    rows = {}
    for item in catalog.items.all():
        n = item.number
        cap = request.POST.get(f"cap_{n}", "").strip()
        rows[n] = {
            "offered": request.POST.get(f"offered_{n}") == "1",
            "tier": request.POST.get(f"tier_{n}", item.tier),
            "unit": request.POST.get(f"unit_{n}", item.unit),
            "reference_price": _item_fen(request.POST.get(f"price_{n}", ""), item, "参考单价", "reference_price"),
            "subsidy_cap": _item_fen(cap, item, "单项补贴上限", "subsidy_cap") if cap else None,
        }
    return rows


def _variants_post(request, region) -> Catalog:
    actor = Actor.from_request(request)
    form = request.POST.get("form", "")
    if form == "derive":
        return services.derive_catalog(actor, request.POST.get("base", ""), region.code,
                                       request.POST.get("code", "").strip(), request.POST.get("name", "").strip(),
                                       document=request.POST.get("document", "").strip())  # fmt: skip
    if form == "items":
        catalog = Catalog.objects.filter(code=request.POST.get("catalog", ""), region_code=region.code).first()
        if catalog is None:
            raise FieldErrors({"catalog": "请选择本地区的改造目录"})
        return services.save_variant_items(actor, catalog.pk, _variant_rows(request, catalog))
    raise FieldErrors({"form": "不是可提交的表单"})


@requires("renovation.view_policy")
def variants_view(request):
    """A region's own variants of the catalogs: derive one from a list that applies to the region, then
    set item by item what is offered, its tier, unit, reference price and subsidy cap. A city or the
    province keeps its own the same way; the counties below choose it in their policy."""
    region = _region(request)
    here = f"{reverse('renovation:variants')}?region={region.code}"
    if request.method == "POST":
        try:
            catalog = _variants_post(request, region)
        except DomainError as exc:
            _fail(request, exc)
            return redirect(f"{here}&catalog={request.POST.get('catalog', '')}")
        except PermissionDenied:
            messages.error(request, "您不能修改该地区的改造目录")
            return redirect(here)
        messages.success(request, f"已保存：{catalog}")
        return redirect(f"{here}&catalog={catalog.code}")
    variants = list(Catalog.objects.filter(region_code=region.code).prefetch_related("items"))
    chosen = next((c for c in variants if c.code == request.GET.get("catalog")), variants[0] if variants else None)
    bases = [c for c in Catalog.objects.all() if not c.region_code
             or (c.region_code != region.code and contains(c.region_code, region.code))]  # fmt: skip
    used_in = (
        Policy.objects.filter(region_code=region.code, catalog=chosen).order_by("-year").values_list("year", flat=True)
        if chosen
        else []
    )
    return render(request, "renovation/variants.html", {
        "region": region, "variants": variants, "chosen": chosen, "bases": bases, "tiers": Tier.choices,
        "may_change": region_predicate(request.user, Policy, "change")(region.code),
        "suggested_code": f"r{region.code}-{len(variants) + 1}", "used_in": list(used_in),
    })  # fmt: skip


@login_only
def catalogs_view(request):
    return render(request, "renovation/catalogs.html", {"catalogs": Catalog.objects.prefetch_related("items")})
