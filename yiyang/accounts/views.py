from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from yiyang.core.access import login_only, public, requires
from yiyang.core.audit import Actor
from yiyang.core.errors import DomainError
from yiyang.core.models import AuditAction, AuditEntry, Interface

from . import services


@requires("accounts.add_apitoken")
def tokens(request):
    """The user's own API tokens: create (the key is shown once) and revoke."""
    new_key = None
    if request.method == "POST":
        try:
            _, new_key = services.create_token(Actor.from_request(request), request.POST.get("name", ""))
        except DomainError as exc:
            messages.error(request, exc.message)
    return render(request, "accounts/tokens.html", {"tokens": request.user.api_tokens.all(), "new_key": new_key})


@login_only
@require_POST
def revoke(request, token_id):
    services.revoke_token(Actor.from_request(request), token_id)
    messages.success(request, "令牌已吊销")
    return redirect("accounts:tokens")


class AuditFilter(forms.Form):
    username = forms.CharField(label="用户名", required=False)
    action = forms.ChoiceField(label="操作", required=False, choices=[("", "全部")] + AuditAction.choices)
    interface = forms.ChoiceField(label="途径", required=False, choices=[("", "全部")] + Interface.choices)
    object_type = forms.CharField(label="对象类型", required=False)
    object_id = forms.CharField(label="对象编号", required=False)
    date_from = forms.DateField(label="起始日期", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label="截止日期", required=False, widget=forms.DateInput(attrs={"type": "date"}))


@requires("core.view_auditentry")
def audit_log(request):
    """The auditor's search over the audit log, within the auditor's region."""
    form = AuditFilter(request.GET or None)
    entries = AuditEntry.objects.visible_to(request.user, "view")
    if form.is_valid():
        data = form.cleaned_data
        for field in ("username", "action", "interface", "object_type", "object_id"):
            if data[field]:
                entries = entries.filter(**{field: data[field]})
        if data["date_from"]:
            entries = entries.filter(at__date__gte=data["date_from"])
        if data["date_to"]:
            entries = entries.filter(at__date__lte=data["date_to"])
    page = Paginator(entries, 50).get_page(request.GET.get("page"))
    return render(request, "accounts/audit.html", {"form": form, "page": page})


@public
@require_POST
def large_font_view(request):
    """Turn large-font mode on or off: for the signed-in user their own setting (kept on every device),
    and for this browser a cookie, so that the login page and the public map follow it too."""
    on = request.POST.get("on", "1" if not services.large_font(request) else "0") == "1"
    if request.user.is_authenticated:
        services.set_large_font(request, on)
    if request.headers.get("X-Requested-With") == "fetch":
        # The page switched itself (site.js): only the setting and the cookie are wanted back.
        response = HttpResponse(status=204)
    else:
        target = request.POST.get("next", "")
        if not url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            target = "/"
        response = redirect(target)
    response.set_cookie(services.LARGE_FONT_COOKIE, "1" if on else "0", max_age=365 * 24 * 3600, samesite="Lax",
                        httponly=True, secure=request.is_secure())  # fmt: skip
    return response
