"""Pages of emergency help: the operator console with its live queue, the alarm card, the responder's
phone page and the family's view. Thin: every change goes through the services."""

from datetime import date

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from yiyang.core import audit, masking, origins
from yiyang.core.access import requires
from yiyang.core.audit import Actor, AuditAction
from yiyang.core.errors import DomainError
from yiyang.core.regioncodes import Level, level_of
from yiyang.core.scoping import get_visible_or_404, has_permission, may
from yiyang.elders import activity
from yiyang.elders.models import Elder, ElderContact
from yiyang.regions.models import Region
from yiyang.regions.services import default_region, requested_region

from . import inactivity, live, reveal, services
from .api import run_step
from .models import Alarm, CallOutcome, Device, InactivitySignal, Outcome
from .workflows import ALARM

HANDLE, RESPOND, VIEW = "care.handle_alarm", "care.respond_alarm", "care.view_alarm"


@requires(HANDLE)
def console_view(request):
    home = default_region(request.user)
    # The map outlines the counties of the operator's city (their own county among them).
    outline = home[:4].ljust(12, "0") if level_of(home) >= Level.COUNTY else home
    return render(request, "care/console.html", {"outcomes": CallOutcome.choices, "home": home, "outline": outline})


@requires(HANDLE)
def queue_view(request):
    """The queue fragment the console polls every second; 204 when nothing changed since `since`."""
    rows, cursor = live.queue(request.user)
    call = live.latest_call(request.user)
    cursor = f"{cursor}-{call.pk if call else 0}"
    if request.GET.get("since") == cursor:
        return HttpResponse(status=204)
    new_ids = [a.pk for a in rows if a.state == "new"]
    # The map places an alarm at its community's centre: the queue shows no home's position (the card,
    # opened by the operator, gives the address).
    centres = {r.code: r for r in Region.objects.filter(code__in={a.region_code for a in rows})}
    placed = [(a, centres.get(a.region_code)) for a in rows]
    return render(request, "care/queue.html", {"rows": placed, "cursor": cursor, "new_ids": new_ids, "call": call})


@requires(HANDLE)
@require_POST
def call_view(request):
    """The hotline call as the operator types the caller's number (the telephony system posts the same
    through the API)."""
    try:
        services.hotline_call(Actor.from_request(request), request.POST.get("caller", ""))
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("care:console")


@requires("care.add_alarm")
@require_POST
def open_view(request):
    try:
        alarm = services.open_manual(Actor.from_request(request), request.POST.get("elder", ""),
                                     request.POST.get("kind", "hotline"), summary=request.POST.get("summary", ""),
                                     caller_number=request.POST.get("caller_number", ""),
                                     call_id=request.POST.get("call") or None)  # fmt: skip
    except DomainError as exc:
        messages.error(request, "；".join(exc.fields.values()) or exc.message)
        return redirect("care:console")
    return redirect("care:alarm", alarm.pk)


def _age(birth: date) -> int:
    today = date.today()
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


def _card(request, alarm: Alarm) -> dict:
    """The elder's card for the operator: phones and address in full where the role may see them (one
    audit entry per card), contacts in order, devices with their last signals."""
    actor = Actor.from_request(request)
    elder = alarm.elder
    shown = masking.shown(actor, elder, reveal=masking.may_reveal(request.user, elder), fields=["phone", "address"])
    contacts = []
    rows = list(ElderContact.objects.filter(elder=elder).order_by("-is_guardian", "id"))
    if shown.revealed and rows:
        # The contacts' phones are revealed under the elder's right, with their own audit entry.
        audit.record(actor, AuditAction.VIEW_SENSITIVE, elder, object_repr=f"紧急联系人电话：{elder}",
                     changes={"fields": ["contacts.phone"], "alarm": alarm.pk})  # fmt: skip
    for contact in rows:
        phone = contact.phone if shown.revealed else masking.mask("phone", contact.phone)
        contacts.append({"name": contact.name, "relation": contact.get_relation_display(), "phone": phone,
                         "guardian": contact.is_guardian})  # fmt: skip
    return {
        "elder": elder,
        "age": _age(elder.birth_date),
        "phone": shown.values["phone"],
        "address": shown.values["address"],
        "capability": elder.get_capability_level_display() if elder.capability_level is not None else "未评估",
        "conditions": elder.health_notes if shown.revealed else masking.mask("text", elder.health_notes),
        "contacts": contacts,
        "devices": services.with_false_alarms(Device.objects.visible_to(request.user).filter(elder=elder)),
        "false_alarm_limit": Device.FALSE_ALARM_LIMIT,
        "history": Alarm.objects.visible_to(request.user).filter(elder=elder).exclude(pk=alarm.pk)[:5],
        "activity": activity.recent(request.user, elder),
    }


@requires(VIEW, hidden=True)
def alarm_view(request, alarm_id: int):
    alarm = get_visible_or_404(Alarm.objects.select_related("elder", "responder", "device"), request.user, VIEW,
                               pk=alarm_id)  # fmt: skip
    operator = may(request.user, alarm, HANDLE)
    if not operator and may(request.user, alarm, RESPOND):
        return redirect("care:respond", alarm.pk)
    context = {"alarm": alarm, "operator": operator, "steps": alarm.steps.all(),
               "options": ALARM.options(request.user, alarm), "origins": origins.of(request.user, alarm)}  # fmt: skip
    if operator:
        context.update(card=_card(request, alarm), outcomes=CallOutcome.choices, endings=Outcome.choices,
                       candidates=services.candidates(alarm) if alarm.is_open else [])  # fmt: skip
        return render(request, "care/alarm.html", context)
    return render(request, "care/family.html", context)


FORM_STEPS = ("call", "note", "notify_family")


@requires(VIEW, hidden=True)
@require_POST
def step_view(request, alarm_id: int, step: str):
    actor = Actor.from_request(request)
    data = {k: request.POST.get(k, "") for k in ("note", "responder_id", "lat", "lng", "outcome")}
    version = request.POST.get("version", "")
    data["version"] = int(version) if version.isdigit() else None
    data["responder_id"] = data["responder_id"] or None
    try:
        if step == "call":
            services.log_call(actor, alarm_id, request.POST.get("called", ""), request.POST.get("call_outcome", ""),
                              data["note"])  # fmt: skip
        elif step == "note":
            services.add_note(actor, alarm_id, data["note"])
        elif step == "notify_family":
            services.notify_family(actor, alarm_id)
        else:
            run_step(actor, alarm_id, step, data)
    except DomainError as exc:
        messages.error(request, "；".join(exc.fields.values()) if exc.status == 422 and exc.fields else exc.message)
    except PermissionDenied:
        raise Http404 from None
    if step in ("accept", "decline", "arrive", "resolve"):
        return redirect("care:respond", alarm_id) if step != "decline" else redirect("care:responder")
    return redirect("care:alarm", alarm_id)


@requires(RESPOND)
def responder_view(request):
    """The responder's phone: the alarms offered to them and those they are on."""
    rows = Alarm.objects.visible_to(request.user, RESPOND).filter(state__in=reveal.ON_THE_WAY).select_related("elder")
    return render(request, "care/responder.html", {"rows": rows})


@requires(RESPOND, hidden=True)
def respond_view(request, alarm_id: int):
    alarm = get_visible_or_404(Alarm.objects.select_related("elder"), request.user, RESPOND, pk=alarm_id)
    elder, card = alarm.elder, None
    if alarm.state in reveal.ON_THE_WAY:
        found = masking.reveal_by_rule(Actor.from_request(request), elder, reveal.RESPONDER_FINDS_ELDER.name)
        lat, lng = found["lat"], found["lng"]
        card = {"phone": found["phone"], "address": found["address"],
                "geo": f"geo:{lat:.6f},{lng:.6f}?q={lat:.6f},{lng:.6f}({elder.name})" if None not in (lat, lng) else ""}  # fmt: skip
    options = {o.name for o in ALARM.options(request.user, alarm)}
    return render(request, "care/respond.html", {"alarm": alarm, "card": card, "options": options,
                                                 "outcomes": Outcome.choices, "steps": alarm.steps.all()})  # fmt: skip


@requires(VIEW)
def mine_view(request):
    """The family's (and anyone's) list of alarms they may see, newest first."""
    rows = Alarm.objects.visible_to(request.user).select_related("elder")[:50]
    return render(request, "care/mine.html", {"rows": rows})


RULE_FIELDS = {"region_code": "区划", "elder_id": "老人", "signal": "信号", "hours": "时长", "min_litres": "最少用水量",
               "day_start": "每日检查开始", "day_end": "每日检查结束"}  # fmt: skip


@requires("care.view_inactivityrule")
def inactivity_view(request):
    """The region's inactivity rules, and a form to set one (a region's, or one elder's by registry id)."""
    code = requested_region(request.user, request.GET.get("region"), page=True)
    if request.method == "POST":
        post = request.POST
        data = {"region_code": post.get("region_code") or code, "signal": post.get("signal", ""),
                "hours": int(post["hours"]) if post.get("hours", "").isdigit() else None,
                "min_litres": _number(post.get("min_litres")), "day_start": post.get("day_start", ""),
                "day_end": post.get("day_end", ""), "elder_id": post.get("elder_id") or None}  # fmt: skip
        try:
            inactivity.save_rule(Actor.from_request(request), data)
        except DomainError as exc:
            reasons = "；".join(f"{RULE_FIELDS.get(k, k)}：{v}" for k, v in exc.fields.items())
            messages.error(request, f"{exc.message}（{reasons}）" if reasons else exc.message)
        else:
            messages.success(request, "规则已保存")
        return redirect(f"{request.path}?region={code}")
    rules = inactivity.rules_of(request.user, code).order_by("region_code", "signal", "id")
    return render(request, "care/inactivity.html", {"rules": rules, "region": code,
                                                    "signals": InactivitySignal.choices,
                                                    "may_change": has_permission(request.user, "care.change_inactivityrule")})  # fmt: skip


def _number(value):
    try:
        return float(value) if value not in (None, "") else None
    except ValueError:
        return value


@requires("care.change_inactivityrule", hidden=True)
@require_POST
def inactivity_delete_view(request, rule_id: int):
    inactivity.delete_rule(Actor.from_request(request), rule_id)
    messages.success(request, "规则已删除")
    return redirect("care:inactivity")


__all__ = ["Elder"]
