from django.urls import reverse

from .scoping import has_permission

# (label, url name, permission needed, or a tuple of which any one will do, or None for any signed-in
# user). The menu shows only what the user may open; the views check again on the server.
NAVIGATION = [
    ("首页", "home", None),
    ("数据分析", "analytics:dashboard", "regions.view_region"),
    ("老年人", "elders:list", "elders.view_elder"),
    ("养老机构", "facilities:list", "facilities.view_facility"),
    ("服务订单", "homecare:orders", "homecare.view_order"),
    ("派单台", "homecare:board", "homecare.assign_order"),
    ("服务项目", "homecare:menu", "homecare.view_serviceitem"),
    ("我的服务", "homecare:today", "homecare.serve_order"),
    ("助餐", "homecare:canteens", "facilities.change_facility"),
    ("时间银行", "homecare:timebank", "homecare.confirm_volunteerservice"),
    ("民政监管", "supervision:index", ("supervision.view_inspection", "supervision.view_complaint")),
    ("走访记录", "supervision:pairing_visits", "supervision.add_cadrevisit"),
    ("行政区划", "regions:browse", "regions.view_region"),
    ("服务圈", "servicemap:coverage", "regions.view_region"),
    ("服务地图", "servicemap:map", None),
    ("审计日志", "accounts:audit", "core.view_auditentry"),
    ("接口令牌", "accounts:tokens", None),
]


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": []}
    items = [
        {"label": label, "url": reverse(name), "active": request.path.startswith(reverse(name)) and name != "home"}
        for label, name, permission in NAVIGATION
        if permission is None
        or any(has_permission(user, p) for p in ((permission,) if isinstance(permission, str) else permission))
    ]
    return {"nav_items": items}
