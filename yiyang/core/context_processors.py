from functools import cache

from django.urls import resolve, reverse

from .access import Access, access_of
from .scoping import has_permission

# (label, url name, who the link is for: a permission, a tuple of which any one will do, or None).
# A link shows only when the page's own declaration (core.access) lets the user open it, so the menu
# never offers a page that answers 403; the third field narrows the menu further to the people a
# page is meant for (the dispatch board opens for anyone signed in but is for dispatchers).
NAVIGATION = [
    ("首页", "home", None),
    ("数据分析", "analytics:dashboard", None),
    ("数据大屏", "analytics:screen", None),
    ("服务圈", "servicemap:coverage", None),
    ("行政区划", "regions:browse", None),
    ("老年人", "elders:list", None),
    ("养老机构", "facilities:list", None),
    ("服务订单", "homecare:orders", None),
    ("派单台", "homecare:board", "homecare.assign_order"),
    ("服务项目", "homecare:menu", None),
    ("我的服务", "homecare:today", None),
    ("助餐", "homecare:canteens", "facilities.change_facility"),
    ("应急坐席", "care:console", None),
    ("应急任务", "care:responder", None),
    ("报警记录", "care:mine", None),
    ("无活动规则", "care:inactivity", "care.change_inactivityrule"),
    ("时间银行", "homecare:timebank", "homecare.confirm_volunteerservice"),
    ("适老化改造", "renovation:list", None),
    ("老年人补贴", "benefits:applications", "benefits.review_community_application"),
    ("补贴申请", "benefits:apply", "benefits.add_application"),
    ("探访关爱", "visits:targets", None),
    ("探访手机端", "visits:app", None),
    ("民政监管", "supervision:index", ("supervision.view_inspection", "supervision.view_complaint")),
    ("走访记录", "supervision:pairing_visits", "supervision.add_cadrevisit"),
    ("审计日志", "accounts:audit", None),
    ("互联互通", "exchange:apps", None),
    ("报送期", "exchange:periods", None),
    ("服务地图", "servicemap:map", None),
    ("接口令牌", "accounts:tokens", None),
]

# How the menu groups its links (by url name); a link in no group stands on its own, in NAVIGATION's order.
GROUPS = [
    ("数据决策分析", ("analytics:dashboard", "analytics:screen", "servicemap:coverage", "regions:browse")),
    ("智慧养老服务", ("elders:list", "facilities:list", "homecare:orders", "homecare:board", "homecare:menu",
                "homecare:today", "homecare:canteens", "homecare:timebank", "care:console", "care:responder", "care:mine",
                "care:inactivity", "renovation:list", "benefits:applications", "benefits:apply", "visits:targets",
                "visits:app")),
    ("民政系统监管", ("supervision:index", "supervision:pairing_visits", "accounts:audit", "exchange:apps", "exchange:periods")),
]  # fmt: skip
GROUP_OF = {name: label for label, names in GROUPS for name in names}


@cache
def page_access(url_name: str) -> Access | None:
    """The access a named page declares (None: it declares none, and the menu never links to it)."""
    return access_of(resolve(reverse(url_name)).func)


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": [], "nav_groups": []}
    items = [
        {"label": label, "name": name, "url": reverse(name),
         "active": request.path.startswith(reverse(name)) and name != "home"}
        for label, name, audience in NAVIGATION
        if (access := page_access(name)) is not None
        and access.allows(user)
        and (
            audience is None
            or any(has_permission(user, p) for p in ((audience,) if isinstance(audience, str) else audience))
        )
    ]  # fmt: skip
    # The groups in the menu, each with the links the user may open; a group with none is left out.
    groups, seen = [], {}
    for item in items:
        label = GROUP_OF.get(item["name"])
        if label is None:
            groups.append({"label": "", "items": [item], "active": item["active"]})
        elif label in seen:
            seen[label]["items"].append(item)
            seen[label]["active"] = seen[label]["active"] or item["active"]
        else:
            seen[label] = {"label": label, "items": [item], "active": item["active"]}
            groups.append(seen[label])
    return {"nav_items": items, "nav_groups": groups}
