"""The operator console's live queue: the open alarms of the user's scope (and those ended in the last
ten minutes), with a cursor built from the rows' ids and change counters, so that a poll with the
cursor it last got learns in one small answer that nothing changed."""

import hashlib
from datetime import timedelta

from django.db.models import Q
from django.utils import timezone

from .models import OPEN_STATES, Alarm, HotlineCall

QUEUE_STATES = OPEN_STATES
QUEUE_LIMIT = 200
RECENT = timedelta(minutes=10)


def queue(user, now=None):
    now = now or timezone.now()
    rows = list(
        Alarm.objects.visible_to(user)
        .filter(Q(state__in=OPEN_STATES) | Q(closed_at__gte=now - RECENT) | Q(resolved_at__gte=now - RECENT))
        .select_related("elder", "responder")
        .order_by("opened_at", "id")[:QUEUE_LIMIT]
    )
    rows.sort(key=lambda a: (a.state not in OPEN_STATES, a.state != "new", a.opened_at))
    cursor = hashlib.sha256(",".join(f"{a.pk}:{a.seq}:{a.version}" for a in rows).encode()).hexdigest()[:16]
    return rows, cursor


def latest_call(user, since=None):
    """The newest call that rang this operator's seat in the last minute (the console pops its card)."""
    now = timezone.now()
    rows = HotlineCall.objects.filter(operator_id=user.pk, received_at__gte=now - timedelta(minutes=1))
    return rows.select_related("elder").order_by("-received_at", "-id").first()
