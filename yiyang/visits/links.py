"""Visits' side of the links a referral makes both ways: the home-care order's page, the renovation and
allowance applications' pages and the alarm's card list the visit that referred the elder (each module's
through `core/origins.py`, which visits fills here at start, so that none of them imports visits)."""

from django.urls import reverse
from django.utils import timezone

from yiyang.core import origins
from yiyang.core.origins import Origin
from yiyang.core.scoping import may

from .models import Referral


def _origins(user, **link) -> list[Origin]:
    """The referrals pointing at one row, read with the reader's rights: a reader who may not see
    visits gets none, and a link to the visit only where they may open it."""
    rows = Referral.objects.visible_to(user, "view").filter(**link).select_related("visit", "visit__visitor")
    return [
        Origin(
            at=r.created_at,
            label=f"探访转介 · {r.visit.visitor.name} · {r.visit.get_method_display()} {timezone.localtime(r.visit.visited_at):%Y-%m-%d}",
            detail=r.note,
            url=reverse("visits:visit", args=[r.visit_id]) if may(user, r.visit, "view") else "",
        )
        for r in rows
    ]


def _source(field: str):
    return lambda user, row: _origins(user, **{field: row.pk})


origins.register("homecare.Order", "visits", _source("order_id"))
origins.register("renovation.Application", "visits", _source("renovation_id"))
origins.register("benefits.Application", "visits", _source("allowance_id"))
origins.register("care.Alarm", "visits", _source("alarm_id"))
