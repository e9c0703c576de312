"""Visits' part of an elder's recent activity (yiyang/elders/activity.py): the latest visit records."""

from yiyang.elders import activity

from .models import Visit


def recent_visits(user, elder, limit: int) -> list[activity.Activity]:
    visits = (
        Visit.objects.visible_to(user, "view")
        .filter(elder=elder)
        .select_related("visitor")
        .order_by("-visited_at")[:limit]
    )
    return [
        activity.Activity(
            at=visit.visited_at,
            label=f"{visit.get_method_display()} · 探访后风险{visit.get_risk_after_display()}"
            + ("（有发现）" if visit.has_findings else ""),
            detail=visit.visitor.name,
        )
        for visit in visits
    ]


activity.register("visits", "近期探访", recent_visits)
