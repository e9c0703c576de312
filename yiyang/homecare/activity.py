"""Home care's part of an elder's recent activity (yiyang/elders/activity.py): the latest orders."""

from django.urls import reverse

from yiyang.elders import activity

from .models import Order


def recent_orders(user, elder, limit: int) -> list[activity.Activity]:
    orders = (
        Order.objects.visible_to(user, "view")
        .filter(elder_id=elder.pk)
        .select_related("item", "provider")
        .order_by("-slot_start")[:limit]
    )
    return [
        activity.Activity(
            at=order.slot_start,
            label=f"{order.item.name} · {order.get_status_display()}",
            detail=order.provider.name if order.provider else "未派单",
            url=reverse("homecare:order", args=[order.pk]),
        )
        for order in orders
    ]


activity.register("orders", "近期服务订单", recent_orders)
