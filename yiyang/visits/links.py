"""Visits' side of the links a referral makes both ways: the renovation application's page lists the
visit that referred the household (yiyang/renovation/origins.py)."""

from django.urls import reverse

from yiyang.core.scoping import may
from yiyang.renovation import origins

from .models import Referral


def renovation_origins(user, application) -> list[origins.Origin]:
    rows = (
        Referral.objects.visible_to(user, "view")
        .filter(renovation_id=application.pk)
        .select_related("visit", "visit__visitor")
    )
    return [
        origins.Origin(
            at=r.created_at,
            label=f"探访转介 · {r.visit.visitor.name} · {r.visit.get_method_display()} {r.visit.visited_at:%Y-%m-%d}",
            detail=r.note,
            url=reverse("visits:visit", args=[r.visit_id]) if may(user, r.visit, "view") else "",
        )
        for r in rows
    ]


origins.register("visits", renovation_origins)
