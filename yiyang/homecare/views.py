"""Pages: booking on a phone, the order with its next step for each role, the dispatch board, the
caregiver's day, statistics and settlement."""

from datetime import date
from urllib.parse import quote

from django import forms
from django.contrib import messages
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from yiyang.core import masking, origins, photos
from yiyang.core.access import login_only, requires
from yiyang.core.audit import Actor
from yiyang.core.errors import DomainError
from yiyang.core.forms import apply_errors
from yiyang.core.scoping import get_visible_or_404, has_permission, home_region
from yiyang.core.workflow import options_by_row
from yiyang.elders.models import Elder
from yiyang.providers import services as provider_services
from yiyang.providers.models import Provider, Staff
from yiyang.providers.services import on_duty

from . import meals, registry, reveal, services, timebank
from .models import (
    Meal,
    MealMenu,
    MealMode,
    Order,
    OrderPhoto,
    OrderStatus,
    ServiceCategory,
    ServiceItem,
    Unit,
    Volunteer,
    VolunteerService,
)
from .workflows import ORDER, VOLUNTEER_SERVICE


class BookForm(forms.Form):
    item = forms.ModelChoiceField(label="服务项目", queryset=None, empty_label=None, widget=forms.RadioSelect)
    slot_start = forms.DateTimeField(label="预约时间", widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    quantity = forms.IntegerField(label="数量", min_value=1, max_value=20, initial=1)
    address = forms.CharField(label="服务地址", max_length=200, required=False, help_text="不填则为老人登记的地址")
    notes = forms.CharField(label="备注", max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, elder: Elder, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["item"].queryset = services.menu_for(elder)
        self.fields["item"].label_from_instance = lambda i: f"{i.name} · {i.price / 100:.0f} 元/{i.get_unit_display()}"


@requires("homecare.add_order")
def book_view(request, elder_id: int):
    elder = get_visible_or_404(Elder.objects, request.user, "view", pk=elder_id)
    form = BookForm(request.POST or None, elder=elder)
    quote = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        quote = services.quote(elder, data["item"], data["quantity"])
        quote["key"] = f"{data['item'].pk}:{data['quantity']}"
        # Book only what was quoted: a service or quantity changed after the quote gets a new quote first.
        if request.POST.get("confirm") == quote["key"]:
            try:
                order = services.book(Actor.from_request(request), elder.pk, data["item"].pk, data["slot_start"],
                                      quantity=data["quantity"], address=data["address"], notes=data["notes"])  # fmt: skip
            except DomainError as exc:
                apply_errors(form, exc, rename=lambda n: "item" if n == "item_id" else n)
                quote = None
            else:
                messages.success(request, "预约成功，等待派单")
                return redirect("homecare:order", order_id=order.pk)
    return render(
        request,
        "homecare/book.html",
        {"elder": elder, "form": form, "quote": quote, "balance": services.balance(elder.pk)},
    )


def _actions(user, order: Order) -> dict:
    """The buttons of the order page: the transitions the workflow allows this user now, plus the steps
    that do not change the order's state (photos, confirmation)."""

    def may(action):
        return Order.objects.visible_to(user, f"homecare.{action}").filter(pk=order.pk).exists()

    allowed = {t.name for t in ORDER.allowed(user, order)}
    done = order.status in (OrderStatus.COMPLETED, OrderStatus.RATED)
    return {
        **{name: name in allowed for name in ORDER.by_name},
        "respond": bool({"accept", "decline"} & allowed),
        "photos": order.status == OrderStatus.COMPLETED and may("serve_order"),
        "confirm": not order.confirmed_at and done and (may("rate_order") or may("serve_order")),
        "confirm_with_code": may("serve_order") and not may("rate_order"),
    }


@login_only
def order_view(request, order_id: int):
    order = get_visible_or_404(
        Order.objects.select_related("item", "provider", "caregiver"), request.user, "homecare.view_order", pk=order_id
    )
    actions = _actions(request.user, order)
    providers = [p for p in Provider.objects.filter(county_code=order.county_code, is_active=True)
                 if p.serves(order.region_code, order.item.code)] if actions["assign"] else []  # fmt: skip
    caregivers = (
        [
            c
            for c in on_duty(Staff.objects.filter(provider_id=order.provider_id))
            if c.qualifies_for(order.item.required_skill)
        ]
        if actions["dispatch"]
        else []
    )
    elder = Elder.objects.filter(pk=order.elder_id).only("name", "phone").first()
    return render(
        request,
        "homecare/order.html",
        {
            "order": order,
            "actions": actions,
            "providers": providers,
            "caregivers": caregivers,
            "elder_name": elder.name if elder else "",
            "card": _caregiver_card(request, order, elder),
            # Check-in distances and other flags are for the provider and the bureau, not for the family.
            "internal": services.sees_internal(request.user),
            "photos": OrderPhoto.objects.visible_to(request.user).filter(order=order),
            "origins": origins.of(request.user, order),
        },  # fmt: skip
    )


def _caregiver_card(request, order: Order, elder: Elder | None) -> dict | None:
    """The caregiver's card while on the job: the elder's phone to tap (through the masking mechanism's
    reveal rule, audited), and navigation to the address."""
    if elder is None or order.status not in reveal.ON_THE_JOB:
        return None
    if not Order.objects.visible_to(request.user, "homecare.serve_order").filter(pk=order.pk).exists():
        return None
    phone = ""
    if elder.phone:
        phone = masking.reveal_by_rule(Actor.from_request(request), elder, reveal.CAREGIVER_CALLS_ELDER.name)["phone"]
    return {"phone": phone, "tel": "".join(c for c in phone if c.isdigit() or c == "+"),
            "navigation": navigation_links(order.lat, order.lng, order.address)}  # fmt: skip


def navigation_links(lat, lng, name: str) -> list[tuple[str, str]]:
    """(label, url) to open the address in a map app: the phone's own (geo:), AMap and Baidu Maps, all
    given WGS-84 coordinates (the platform's)."""
    if lat is None or lng is None:
        return []
    label = quote(name or "服务地址")
    return [
        ("手机地图导航", f"geo:{lat:.6f},{lng:.6f}?q={lat:.6f},{lng:.6f}({label})"),
        ("高德地图", f"https://uri.amap.com/marker?position={lng:.6f},{lat:.6f}&name={label}&coordinate=wgs84&callnative=1"),
        ("百度地图", f"https://api.map.baidu.com/marker?location={lat:.6f},{lng:.6f}&title={label}&content={label}"
                     f"&coord_type=wgs84&output=html&src=yiyang"),
    ]  # fmt: skip


@login_only
def photo_view(request, photo_id: int):
    photo = get_visible_or_404(OrderPhoto.objects, request.user, pk=photo_id)
    return photos.serve(photo.file, photo.extension)


def _version(post) -> int | None:
    """The order version the page was drawn at: a second click of the same form is then refused."""
    raw = post.get("version", "")
    return int(raw) if raw.isdigit() else None


STEPS = {
    "assign": lambda actor, order, post: services.assign_provider(
        actor, order, int(post["provider_id"]), _version(post)
    ),
    "auto": lambda actor, order, post: services.auto_dispatch(actor, order),
    "accept": lambda actor, order, post: services.respond(actor, order, True),
    "decline": lambda actor, order, post: services.respond(actor, order, False),
    "dispatch": lambda actor, order, post: services.dispatch(actor, order, int(post["caregiver_id"]), _version(post)),
    "check_in": lambda actor, order, post: services.check_in(actor, order, float(post["lat"]), float(post["lng"])),
    "check_out": lambda actor, order, post, files: _check_out_and_confirm(actor, order, post, files),
    "confirm": lambda actor, order, post: services.confirm(actor, order, post.get("code", "")),
    "photos": lambda actor, order, post, files: services.add_photos(actor, order, files.getlist("photos")),
    "rate": lambda actor, order, post: services.rate(actor, order, int(post["rating"]), post.get("comment", "")),
    "cancel": lambda actor, order, post: services.cancel(actor, order, post.get("reason", "")),
    "complain": lambda actor, order, post: services.complain(actor, order, post.get("complaint", "")),
    "resolve": lambda actor, order, post: services.resolve_complaint(
        actor, order, post.get("upheld") == "1", post.get("resolution", "")
    ),
}


FILE_STEPS = {"check_out", "photos"}

# What the page says after each step: where the order stands now, not "done" after a check-in.
STEP_DONE = {
    "assign": "已派单，等待服务商接单",
    "auto": "已派给服务商，等待接单",
    "accept": "已接单",
    "decline": "已拒单，订单退回派单台",
    "dispatch": "已派给服务人员",
    "check_in": "已签到，服务中",
    "check_out": "已签退，服务已完成",
    "confirm": "已确认服务完成",
    "photos": "照片已上传",
    "rate": "评价已提交，谢谢",
    "cancel": "订单已取消",
    "complain": "投诉已提交，我们会尽快处理",
    "resolve": "投诉已办结",
}


def _check_out_and_confirm(actor, order_id: int, post, files):
    """Check out, then, when the caregiver typed the elder's confirmation code, confirm on site: a wrong
    code leaves the order checked out and says so."""
    services.check_out(actor, order_id, post.get("record", ""), files.getlist("photos"))
    if post.get("code", "").strip():
        services.confirm(actor, order_id, post["code"])


@login_only
@require_POST
def step_view(request, order_id: int, step: str):
    if step not in STEPS:
        raise Http404
    try:
        if step in FILE_STEPS:
            STEPS[step](Actor.from_request(request), order_id, request.POST, request.FILES)
        else:
            STEPS[step](Actor.from_request(request), order_id, request.POST)
    except (KeyError, ValueError):
        messages.error(request, "请填写完整后再提交（签到需要允许获取位置）")
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, STEP_DONE.get(step, "已保存"))
    next_url = request.POST.get("next", "")
    if next_url and url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        return redirect(next_url)
    return redirect("homecare:order", order_id=order_id)


@login_only
def board_view(request):
    """The dispatch board: what waits for the user's next step, oldest first."""
    visible = Order.objects.visible_to(request.user, "homecare.view_order").select_related("item", "provider")
    waiting = visible.filter(
        status__in=[OrderStatus.CREATED, OrderStatus.DECLINED, OrderStatus.EXPIRED, OrderStatus.ASSIGNED,
                    OrderStatus.ACCEPTED]
    ).order_by("-escalated", "slot_start")[:200]  # fmt: skip
    return render(request, "homecare/board.html", {"orders": waiting})


@requires("homecare.serve_order")
def today_view(request):
    """The caregiver's phone page: today's and upcoming orders."""
    orders = list(services.caregiver_queue(request.user).select_related("item"))
    names = dict(Elder.objects.filter(pk__in={o.elder_id for o in orders}).values_list("pk", "name"))
    for order in orders:
        order.elder_name = names.get(order.elder_id, "")
    return render(request, "homecare/today.html", {"orders": orders})


@requires("homecare.view_order")
def stats_view(request):
    from yiyang.regions.models import Region
    from yiyang.regions.services import requested_region

    code = requested_region(request.user, request.GET.get("region"), default=home_region, page=True)
    region = Region.objects.get(code=code)
    return render(request, "homecare/stats.html", {"region": region, "stats": services.statistics(request.user, code)})


@login_only
def settlement_view(request, provider_id: int):
    try:
        month = date.fromisoformat(request.GET.get("month", "") + "-01")
    except ValueError:
        month = timezone.localdate().replace(day=1)
    handle = services.settlement(Actor.from_request(request), provider_id, month)
    return FileResponse(handle, as_attachment=True, filename=f"结算单-{month:%Y%m}.xlsx")


class MenuForm(forms.Form):
    meal = forms.ChoiceField(label="餐次", choices=Meal.choices)
    dishes = forms.CharField(label="菜品", max_length=300)
    price_yuan = forms.DecimalField(label="价格（元）", min_value=0, max_value=1000, decimal_places=2)


class CounterForm(forms.Form):
    id_number = forms.CharField(label="身份证号码", max_length=18)
    meal = forms.ChoiceField(label="餐次", choices=Meal.choices)
    mode = forms.ChoiceField(label="方式", choices=MealMode.choices)


@login_only
def canteens_view(request):
    from yiyang.facilities.models import Facility, FacilityStatus, Service

    visible = Facility.objects.visible_to(request.user, "change").filter(status=FacilityStatus.OPERATING)
    canteens = [f for f in visible.order_by("region_code", "id")[:500] if Service.MEALS in f.services]
    return render(request, "homecare/canteens.html", {"canteens": canteens})


@login_only
def canteen_view(request, facility_id: int):
    actor = Actor.from_request(request)
    day = timezone.localdate()
    menu_form, counter_form = MenuForm(prefix="menu"), CounterForm(prefix="counter")
    if request.method == "POST":
        try:
            if "menu-meal" in request.POST:
                menu_form = MenuForm(request.POST, prefix="menu")
                if menu_form.is_valid():
                    data = menu_form.cleaned_data
                    meals.publish_menu(
                        actor, facility_id, day, data["meal"], data["dishes"], int(data["price_yuan"] * 100)
                    )
                    messages.success(request, "菜单已发布")
                    return redirect("homecare:canteen", facility_id=facility_id)
            else:
                counter_form = CounterForm(request.POST, prefix="counter")
                if counter_form.is_valid():
                    data = counter_form.cleaned_data
                    record = meals.record_meal(actor, facility_id, data["id_number"], day, data["meal"], data["mode"])
                    messages.success(
                        request, f"已登记，补贴 {record.subsidy / 100:.2f} 元，自付 {record.self_pay / 100:.2f} 元"
                    )
                    return redirect("homecare:canteen", facility_id=facility_id)
        except DomainError as exc:
            apply_errors(counter_form if "counter-meal" in request.POST else menu_form, exc)
    counts = meals.daily_counts(actor, facility_id, day)
    menu = MealMenu.objects.filter(facility_id=facility_id, day=day).order_by("meal")
    return render(request, "homecare/canteen.html", {"counts": counts, "menu": menu, "menu_form": menu_form,
                                                     "counter_form": counter_form, "day": day})  # fmt: skip


class VolunteerForm(forms.Form):
    name = forms.CharField(label="姓名", max_length=50)
    phone = forms.CharField(label="电话", max_length=20)
    region_code = forms.CharField(label="社区代码", max_length=12)


class ServiceReportForm(forms.Form):
    volunteer = forms.IntegerField(label="志愿者编号", min_value=1)
    day = forms.DateField(label="服务日期", widget=forms.DateInput(attrs={"type": "date"}))
    hours = forms.DecimalField(label="时长（小时）", min_value=0.1, max_value=24, decimal_places=1)
    description = forms.CharField(label="服务内容", max_length=300)


@requires("homecare.view_volunteer", "homecare.confirm_volunteerservice")
def timebank_view(request):
    actor = Actor.from_request(request)
    volunteer_form, report_form = VolunteerForm(prefix="v"), ServiceReportForm(prefix="s")
    if request.method == "POST":
        try:
            if "confirm" in request.POST:
                # The buttons name the workflow's step; a form that only says whether it accepts still works.
                step = request.POST.get("step") or ("confirm" if request.POST.get("accepted") == "1" else "reject")
                timebank.decide(actor, int(request.POST["confirm"]), step)
                messages.success(request, "已处理")
                return redirect("homecare:timebank")
            if "v-name" in request.POST:
                volunteer_form = VolunteerForm(request.POST, prefix="v")
                if volunteer_form.is_valid():
                    timebank.register(actor, **volunteer_form.cleaned_data)
                    messages.success(request, "志愿者已登记")
                    return redirect("homecare:timebank")
            else:
                report_form = ServiceReportForm(request.POST, prefix="s")
                if report_form.is_valid():
                    data = report_form.cleaned_data
                    timebank.report(actor, data["volunteer"], data["day"], data["hours"], data["description"])
                    messages.success(request, "服务时长已记录，待确认后存入")
                    return redirect("homecare:timebank")
        except DomainError as exc:
            messages.error(request, exc.message)
    volunteers = list(Volunteer.objects.visible_to(request.user, "view")[:200])
    hours = timebank.balances(v.pk for v in volunteers)
    volunteers = [(v, hours[v.pk]) for v in volunteers]
    pending = list(
        VolunteerService.objects.visible_to(request.user, "homecare.confirm_volunteerservice")
        .filter(state=VolunteerService.State.PENDING)
        .select_related("volunteer")[:200]
    )
    steps = options_by_row(VOLUNTEER_SERVICE, request.user, pending)
    pending = [(service, steps[service.pk]) for service in pending]
    return render(request, "homecare/timebank.html", {"volunteers": volunteers, "pending": pending,
                                                      "volunteer_form": volunteer_form, "report_form": report_form,
                                                      "can_manage": has_permission(request.user, "homecare.add_volunteer")})  # fmt: skip


@requires("homecare.view_order")
def orders_view(request):
    """Every order the user may see, newest first, filtered by status."""
    status = request.GET.get("status", "")
    waiting = request.GET.get("waiting", "")
    day = timezone.localdate() if request.GET.get("day") == "today" else None
    orders = services.order_listing(request.user, status=status, waiting=waiting, day=day).select_related(
        "item", "provider"
    )
    from django.core.paginator import Paginator

    page = Paginator(orders.order_by("-created_at", "-id"), 30).get_page(request.GET.get("page"))
    return render(request, "homecare/orders.html", {
        "page": page, "statuses": OrderStatus.choices, "status": status,
        "waiting": waiting if waiting in services.WAITING_STEPS else "", "waiting_label": services.WAITING_STEPS.get(waiting, ""),
        "today": day is not None,
    })  # fmt: skip


class ItemForm(forms.Form):
    region_code = forms.CharField(label="适用区划代码", max_length=12)
    code = forms.CharField(label="项目编码", max_length=20)
    name = forms.CharField(label="服务项目", max_length=50)
    category = forms.ChoiceField(label="类别", choices=ServiceCategory.choices)
    unit = forms.ChoiceField(label="计价单位", choices=Unit.choices)
    price_yuan = forms.DecimalField(label="单价（元）", min_value=0, decimal_places=2)
    duration_minutes = forms.IntegerField(label="标准时长（分钟）", min_value=1, initial=60)
    min_minutes = forms.IntegerField(label="最短时长（分钟）", min_value=0, initial=0)
    required_skill = forms.IntegerField(
        label="要求护理员等级（1-5，空为不限）", min_value=1, max_value=5, required=False
    )
    subsidy_tekun = forms.IntegerField(label="特困补贴比例（%）", min_value=0, max_value=100, required=False)
    subsidy_dibao = forms.IntegerField(label="低保补贴比例（%）", min_value=0, max_value=100, required=False)


@requires("homecare.view_serviceitem")
def menu_view(request):
    form = ItemForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        data["price"] = int(data.pop("price_yuan") * 100)
        data["subsidies"] = {code: data.pop(f"subsidy_{code}") for code in ("tekun", "dibao")}
        data["subsidies"] = {k: v for k, v in data["subsidies"].items() if v}
        try:
            registry.save_item(Actor.from_request(request), data)
        except DomainError as exc:
            apply_errors(form, exc, rename=lambda n: "price_yuan" if n == "price" else n)
        else:
            messages.success(request, "服务项目已保存")
            return redirect("homecare:menu")
    items = ServiceItem.objects.visible_to(request.user, "view").order_by("region_code", "code")
    providers = Provider.objects.visible_to(request.user, "view").order_by("id")
    return render(request, "homecare/menu.html", {"items": items, "providers": providers, "form": form,
                                                  "can_edit": has_permission(request.user, "homecare.add_serviceitem")})  # fmt: skip


WEEKDAYS = [(1, "周一"), (2, "周二"), (3, "周三"), (4, "周四"), (5, "周五"), (6, "周六"), (7, "周日")]


class CaregiverForm(forms.Form):
    name = forms.CharField(label="姓名", max_length=50)
    phone = forms.CharField(label="电话", max_length=20)
    skill_level = forms.IntegerField(label="护理员等级（1-5）", min_value=1, max_value=5, required=False)
    certificate_no = forms.CharField(label="证书编号", max_length=40, required=False)
    work_regions = forms.CharField(
        label="工作区域", required=False, help_text="区划代码，多个用逗号分隔；不填为服务商的全部区域"
    )
    work_days = forms.TypedMultipleChoiceField(label="工作日", choices=WEEKDAYS, coerce=int, required=False,
                                               widget=forms.CheckboxSelectMultiple, help_text="不选为每天")  # fmt: skip
    work_start = forms.TimeField(label="上班时间", required=False, widget=forms.TimeInput(attrs={"type": "time"}),
                                 help_text="不填为不限时段")  # fmt: skip
    work_end = forms.TimeField(label="下班时间", required=False, widget=forms.TimeInput(attrs={"type": "time"}))

    def clean_work_regions(self):
        return [
            code.strip() for code in self.cleaned_data["work_regions"].replace("，", ",").split(",") if code.strip()
        ]


class TrainingForm(forms.Form):
    caregiver = forms.ModelChoiceField(label="服务人员", queryset=None)
    topic = forms.CharField(label="培训内容", max_length=100)
    organiser = forms.CharField(label="培训机构", max_length=100, required=False)
    trained_on = forms.DateField(label="培训日期", widget=forms.DateInput(attrs={"type": "date"}))
    hours = forms.DecimalField(label="学时", min_value=0.5, max_value=500, decimal_places=1)
    certificate_no = forms.CharField(label="结业证书编号", max_length=40, required=False)


@login_only
def provider_view(request, provider_id: int):
    provider = get_visible_or_404(Provider.objects, request.user, "view", pk=provider_id)
    caregivers = (
        Staff.objects.visible_to(request.user, "view").filter(provider=provider).prefetch_related("certificates")
    )
    actor = Actor.from_request(request)
    form = CaregiverForm(request.POST if "name" in request.POST else None)
    training_form = TrainingForm(request.POST if "topic" in request.POST else None, prefix=None)
    training_form.fields["caregiver"].queryset = caregivers
    if request.method == "POST":
        chosen = form if "name" in request.POST else training_form
        if chosen.is_valid():
            try:
                if chosen is form:
                    provider_services.save_caregiver(actor, provider.pk, form.cleaned_data)
                else:
                    data = training_form.cleaned_data
                    provider_services.add_caregiver_training(actor, data["caregiver"].pk, {**data, "caregiver": None})
            except DomainError as exc:
                apply_errors(chosen, exc)
            else:
                messages.success(request, "服务人员已登记" if chosen is form else "培训记录已登记")
                return redirect("homecare:provider", provider_id=provider.pk)
    hours = provider_services.training_hours(caregivers.values_list("pk", flat=True))
    for caregiver in caregivers:
        caregiver.training_hours = hours.get(caregiver.pk, 0)
        caregiver.days_label = "、".join(dict(WEEKDAYS)[d] for d in caregiver.work_days) or "每天"
        caregiver.phone_shown = masking.masked(caregiver)["phone"]  # in full through the API's audited reveal
    can_add = Provider.objects.visible_to(request.user, "providers.add_caregiver").filter(pk=provider.pk).exists()
    can_train = Provider.objects.visible_to(request.user, "providers.add_attendance").filter(pk=provider.pk).exists()
    return render(request, "homecare/provider.html", {
        "provider": provider, "caregivers": caregivers, "form": form, "training_form": training_form,
        "can_add": can_add, "can_train": can_train, "month": timezone.localdate().strftime("%Y-%m"),
    })  # fmt: skip
