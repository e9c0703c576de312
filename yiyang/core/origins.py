"""Where a row came from, for its page: a visit's referral behind a home-care order, a renovation or
allowance application, an alarm.

The apps that hold those rows sit below the apps that refer to them, so they cannot import them. The
referring app registers a source per model at start (visits its referrals), and the row's page asks here.
Each source reads through the one scoping mechanism with the reader's rights: a reader who may not see
visits sees no visit.

    origins.register("renovation.Application", "visits", source)   # source(user, row) -> [Origin]
    origins.of(user, application)                                   # [Origin, ...], oldest first
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Origin:
    at: datetime
    label: str  # what referred the row, e.g. "探访转介 · 王网格 · 上门入户 2026-12-01"
    detail: str = ""  # the finding, e.g. the referral's note
    url: str = ""  # the page of the source, for a reader who may open it


Source = Callable[[object, object], list[Origin]]
_SOURCES: dict[str, dict[str, Source]] = {}


def register(model_label: str, key: str, source: Source) -> None:
    _SOURCES.setdefault(model_label.lower(), {})[key] = source


def of(user, row) -> list[Origin]:
    """Every registered source's origins of the row, as the user may see them, oldest first."""
    sources = _SOURCES.get(row._meta.label_lower, {})
    return sorted((origin for source in sources.values() for origin in source(user, row)), key=lambda o: o.at)
