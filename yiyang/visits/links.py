"""Visits' side of the links a referral makes both ways: the home-care order's page, the renovation and
allowance applications' pages and the alarm's card list the visit that referred the elder (each module's
`origins.py`, a registry that visits fills here at start, so that none of them imports visits)."""

from django.urls import reverse
from django.utils import timezone

from yiyang.benefits import origins as benefits_origins
from yiyang.care import origins as care_origins
from yiyang.core.scoping import may
from yiyang.homecare import origins as homecare_origins
from yiyang.renovation import origins

from .models import Referral


def _origins(user, origin_class, **link) -> list:
    """The referrals pointing at one row, read with the reader's rights: a reader who may not see
    visits gets none, and a link to the visit only where they may open it."""
    rows = Referral.objects.visible_to(user, "view").filter(**link).select_related("visit", "visit__visitor")
    return [
        origin_class(
            at=r.created_at,
            label=f"探访转介 · {r.visit.visitor.name} · {r.visit.get_method_display()} {timezone.localtime(r.visit.visited_at):%Y-%m-%d}",
            detail=r.note,
            url=reverse("visits:visit", args=[r.visit_id]) if may(user, r.visit, "view") else "",
        )
        for r in rows
    ]


def order_origins(user, order) -> list[homecare_origins.Origin]:
    return _origins(user, homecare_origins.Origin, order_id=order.pk)


def renovation_origins(user, application) -> list[origins.Origin]:
    return _origins(user, origins.Origin, renovation_id=application.pk)


def allowance_origins(user, application) -> list[benefits_origins.Origin]:
    return _origins(user, benefits_origins.Origin, allowance_id=application.pk)


def alarm_origins(user, alarm) -> list[care_origins.Origin]:
    return _origins(user, care_origins.Origin, alarm_id=alarm.pk)


homecare_origins.register("visits", order_origins)
origins.register("visits", renovation_origins)
benefits_origins.register("visits", allowance_origins)
care_origins.register("visits", alarm_origins)
