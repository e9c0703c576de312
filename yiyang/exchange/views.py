"""Pages for a county's officers: the linked apps of their region, linking one, its status, its keys."""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from yiyang.core.access import requires
from yiyang.core.audit import Actor
from yiyang.core.errors import DomainError, FieldErrors
from yiyang.core.forms import apply_errors
from yiyang.core.regioncodes import Level, level_of, region_range_q
from yiyang.core.scoping import get_visible_or_404, has_permission, may
from yiyang.core.workflow import options_by_row
from yiyang.regions.services import default_region, requested_region

from . import national, peers, periods, services, sync
from .models import (
    READABLE,
    WRITABLE,
    AppKind,
    ConflictStatus,
    ExchangeApp,
    Peer,
    ReportingPeriod,
    SyncConflict,
    SyncState,
)
from .workflows import PERIOD

PAGE_SIZE = 100


@requires("exchange.view_exchangeapp")
def app_list(request):
    # A linked platform's sync figures (what it pushed, its backlog, what waits for a person) are on its row,
    # so the city sees every county platform's state on one page.
    apps = (
        ExchangeApp.objects.visible_to(request.user, "view")
        .select_related("facility", "sync_state")
        .annotate(open_conflicts=Count("conflicts", filter=Q(conflicts__status=ConflictStatus.OPEN)))[:PAGE_SIZE]
    )
    can_add = has_permission(request.user, "exchange.add_exchangeapp")
    return render(request, "exchange/apps.html", {"apps": apps, "can_add": can_add, "now": timezone.now()})


class AppForm(forms.Form):
    name = forms.CharField(label="系统名称", max_length=100)
    kind = forms.ChoiceField(label="系统类型", choices=AppKind.choices)
    region = forms.CharField(label="所属区划代码", max_length=12)
    facility_code = forms.CharField(label="限定机构编码（留空则为整个区划）", max_length=32, required=False)
    read_resources = forms.MultipleChoiceField(
        label="可读数据", choices=list(READABLE.items()), required=False, widget=forms.CheckboxSelectMultiple
    )
    write_resources = forms.MultipleChoiceField(
        label="可写数据", choices=list(WRITABLE.items()), required=False, widget=forms.CheckboxSelectMultiple
    )
    rate_per_minute = forms.IntegerField(label="每分钟请求上限", initial=120, min_value=1)
    window_seconds = forms.IntegerField(label="签名有效期（秒）", initial=300, min_value=30)


@requires("exchange.add_exchangeapp")
def new_app(request):
    form = AppForm(request.POST or None, initial={"region": default_region(request.user)})
    if request.method == "POST" and form.is_valid():
        data = services.AppInput(**form.cleaned_data)
        try:
            app, secret = services.register_app(Actor.from_request(request), data)
        except DomainError as exc:
            apply_errors(form, exc)
        else:
            # The secret is shown in this answer only; it is never stored and cannot be shown again.
            return render(request, "exchange/secret.html", {"app": app, "secret": secret, "new": True})
    return render(request, "exchange/new.html", {"form": form})


@requires("exchange.view_exchangeapp", hidden=True)
def app_status(request, app_id: int):
    app = get_visible_or_404(ExchangeApp.objects.select_related("facility", "created_by"), request.user, pk=app_id)
    records = app.records.values("resource").annotate(n=Count("id")).order_by("resource")
    context = {
        "app": app,
        "errors": app.errors.all()[:20],
        "records": records,
        "read_labels": [READABLE.get(r, r) for r in app.read_resources],
        "write_labels": [WRITABLE.get(r, r) for r in app.write_resources],
        "previous_valid": bool(app.previous_valid_until and app.previous_valid_until > timezone.now()),
        "can_change": may(request.user, app, "exchange.change_exchangeapp"),
        "sync_state": SyncState.objects.filter(app=app).first(),
        "open_conflicts": SyncConflict.objects.visible_to(request.user, "view")
        .filter(app=app, status=ConflictStatus.OPEN)
        .count(),
        "now": timezone.now(),
    }
    return render(request, "exchange/status.html", context)


@requires("exchange.view_exchangeapp", hidden=True)
@require_POST
def rotate(request, app_id: int):
    try:
        app, secret = services.rotate_secret(Actor.from_request(request), app_id)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("exchange:app", app_id=app_id)
    return render(request, "exchange/secret.html", {"app": app, "secret": secret, "new": False})


@requires("exchange.view_exchangeapp", hidden=True)
@require_POST
def revoke(request, app_id: int):
    try:
        services.revoke_app(Actor.from_request(request), app_id, request.POST.get("reason", ""))
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "应用已停用，其密钥立即失效")
    return redirect("exchange:app", app_id=app_id)


# --- Reporting periods -------------------------------------------------------------------------------


@requires("exchange.view_reportingperiod")
def period_list(request):
    code = requested_region(request.user, request.GET.get("region"), page=True)
    rows = list(
        ReportingPeriod.objects.visible_to(request.user, "view")
        .filter(region_range_q("region_code", code))
        .order_by("-month", "region_code")[:PAGE_SIZE]
    )
    options = options_by_row(PERIOD, request.user, rows)
    context = {
        "region": code,
        "rows": [(p, options.get(p.pk, [])) for p in rows],
        "can_open": has_permission(request.user, "exchange.submit_reportingperiod") and level_of(code) == Level.COUNTY,
        "month": timezone.localdate().replace(day=1).strftime("%Y-%m"),
    }
    return render(request, "exchange/periods.html", context)


@requires("exchange.submit_reportingperiod")
@require_POST
def period_open(request):
    region = request.POST.get("region", "")
    try:
        period = periods.open_period(Actor.from_request(request), region, request.POST.get("month", ""))
    except FieldErrors as exc:
        messages.error(request, exc.message)
        return redirect(f"{reverse('exchange:periods')}?region={region}")
    messages.success(request, f"{period.month:%Y-%m} 的报送期已开启")
    return redirect(f"{reverse('exchange:periods')}?region={period.region_code}")


@requires("exchange.view_reportingperiod", hidden=True)
@require_POST
def period_step(request, period_id: int, step: str):
    version = request.POST.get("version", "")
    try:
        period = periods.move(
            Actor.from_request(request), period_id, step, request.POST.get("note", ""),
            expected_version=int(version) if version.isdigit() else None,
        )  # fmt: skip
    except DomainError as exc:
        if exc.status == 404:
            raise Http404 from None
        messages.error(request, exc.message)
        period = get_visible_or_404(ReportingPeriod.objects, request.user, pk=period_id)
    else:
        messages.success(request, f"{period.month:%Y-%m} 报送期：{PERIOD[step].label}")
    return redirect(f"{reverse('exchange:periods')}?region={period.county_code}000000")


# --- Platform to platform: the upper platforms this one pushes to, and what waits for a person ----------


class PeerForm(forms.Form):
    name = forms.CharField(label="上级平台名称", max_length=100)
    region = forms.CharField(label="推送的区划代码", max_length=12)
    base_url = forms.CharField(label="上级平台地址（如 https://yiyang.city.gov.cn）", max_length=200)
    key_id = forms.CharField(label="上级平台发给本平台的应用编号", max_length=40)
    secret = forms.CharField(
        label="密钥（64 位，只在保存时填写，之后不再显示）", max_length=64, widget=forms.PasswordInput
    )
    resources = forms.MultipleChoiceField(
        label="推送的数据", choices=[(r, READABLE[r]) for r in sync.SYNCED], widget=forms.CheckboxSelectMultiple,
        initial=list(sync.SYNCED),
    )  # fmt: skip


@requires("exchange.view_peer")
def peer_list(request):
    form = PeerForm(request.POST or None, initial={"region": default_region(request.user)})
    if request.method == "POST":
        if not has_permission(request.user, "exchange.add_peer"):
            raise PermissionDenied
        if form.is_valid():
            try:
                peer = peers.add_peer(Actor.from_request(request), form.cleaned_data)
            except DomainError as exc:
                apply_errors(form, exc)
            else:
                _say_verified(request, peer, peers.verify(peer))
                return redirect("exchange:peers")
    rows = [(p, peers.backlog(p)) for p in Peer.objects.visible_to(request.user, "view")[:PAGE_SIZE]]
    context = {
        "rows": rows, "form": form, "now": timezone.now(),
        "can_add": has_permission(request.user, "exchange.add_peer"),
        "can_change": has_permission(request.user, "exchange.change_peer"),
    }  # fmt: skip
    return render(request, "exchange/peers.html", context)


@requires("exchange.view_peer", hidden=True)
@require_POST
def peer_change(request, peer_id: int):
    actor = Actor.from_request(request)
    try:
        if "active" in request.POST:
            peers.set_active(actor, peer_id, request.POST["active"] == "1")
        elif "verify" in request.POST:
            _say_verified(request, *peers.verify_now(actor, peer_id))
            return redirect("exchange:peers")
        elif "resend" in request.POST:
            written = peers.resend_all(actor, peer_id)
            messages.success(request, f"已加入推送队列：{written} 条")
            return redirect("exchange:peers")
        else:
            data = {"name": request.POST.get("name"), "base_url": request.POST.get("base_url"),
                    "key_id": request.POST.get("key_id"), "secret": request.POST.get("secret", ""),
                    "resources": request.POST.getlist("resources")}  # fmt: skip
            peers.change_peer(actor, peer_id, data)
    except DomainError as exc:
        fields = "；".join(f"{name}：{reason}" for name, reason in (exc.fields or {}).items())
        messages.error(request, f"{exc.message}{'（' + fields + '）' if fields else ''}")
    else:
        messages.success(request, "已保存")
    return redirect("exchange:peers")


def _say_verified(request, peer: Peer, problem: str) -> None:
    if problem:
        messages.error(request, f"已保存「{peer.name}」，但连接未通过验证，暂不推送：{problem}")
    else:
        messages.success(request, f"「{peer.name}」连接已验证（上级平台登记为「{peer.verified_as}」），变更将自动推送")


@requires("exchange.view_syncconflict")
def conflict_list(request):
    status = request.GET.get("status") or ConflictStatus.OPEN
    if status not in ConflictStatus.values:
        status = ConflictStatus.OPEN
    rows = list(
        SyncConflict.objects.visible_to(request.user, "view")
        .filter(status=status)
        .select_related("app", "resolved_by")
        .order_by("seq", "id")[:PAGE_SIZE]
    )
    context = {
        "rows": [(c, sync.summary(c)) for c in rows], "status": status, "statuses": ConflictStatus.choices,
        "can_change": has_permission(request.user, "exchange.change_syncconflict"),
    }  # fmt: skip
    return render(request, "exchange/conflicts.html", context)


@requires("exchange.view_syncconflict", hidden=True)
@require_POST
def conflict_decide(request, conflict_id: int, decision: str):
    actor = Actor.from_request(request)
    try:
        if decision == "retry":
            sync.retry(actor, conflict_id)
            messages.success(request, "已重试并应用")
        elif decision == "link":
            sync.link_existing(actor, conflict_id)
            messages.success(request, "已关联到本平台已有的老人记录")
        elif decision == "dismiss":
            sync.dismiss(actor, conflict_id, request.POST.get("note", ""))
            messages.success(request, "已忽略")
        else:
            raise Http404
    except DomainError as exc:
        if exc.status == 404:
            raise Http404 from None
        messages.error(request, exc.message)
    return redirect("exchange:conflicts")


# --- The national system's layout ---------------------------------------------------------------------


@requires("exchange.export_national")
def national_export(request):
    code = requested_region(request.user, request.GET.get("region"), page=True)
    month = request.GET.get("month") or timezone.localdate().replace(day=1).strftime("%Y-%m")
    name = request.GET.get("layout") or "facilities"
    context = {"region": code, "month": month, "layout_name": name, "layouts": national.layout()["layouts"],
               "note": national.layout()["note"], "version": national.layout()["version"]}  # fmt: skip
    try:
        export = national.build(Actor.from_request(request), name, code, month)
    except DomainError as exc:
        if exc.status == 404:
            raise Http404 from None
        # A month not approved yet, or a bad month, is an answer of the form, not a failed page.
        context["error"] = exc.message
        return render(request, "exchange/national.html", context)
    if request.GET.get("download"):
        handle = national.deliver(Actor.from_request(request), export)
        filename = f"national-{export.name}-{export.region}-{export.month:%Y%m}.xlsx"
        return FileResponse(handle, as_attachment=True, filename=filename)
    context.update(export=export, refused=export.refused[:200])
    return render(request, "exchange/national.html", context)
