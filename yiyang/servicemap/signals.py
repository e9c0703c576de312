"""Keep the service-circle coverage current when facilities change."""

from django.dispatch import receiver

from yiyang.facilities.signals import facilities_changed

# Beyond this many changed places (a large import) one full recomputation is cheaper.
FULL_RECOMPUTE_ABOVE = 200


@receiver(facilities_changed)
def _recompute_coverage(sender, places, **kwargs):
    from .tasks import recompute_coverage

    recompute_coverage.enqueue(None if len(places) > FULL_RECOMPUTE_ABOVE else [list(p) for p in places])
