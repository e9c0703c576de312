from django_tasks import task

from . import services


@task()
def recompute_coverage(places: list[list[float]] | None) -> int:
    """Recompute coverage near the given places, or everywhere when None."""
    if places is None:
        return services.recompute(None)
    return services.recompute_near([(lat, lng) for lat, lng in places])
