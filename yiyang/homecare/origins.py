"""Where a home-care order came from, for its page: a visit's referral, for one.

Home care sits below the apps that book orders for an elder; those register a source at start (visits its
referrals), so the page links back to them without importing an app above it. Each source reads through
the one scoping mechanism with the reader's rights: a reader who may not see visits sees no visit.

    origins.register("visits", visit_referrals)   # visit_referrals(user, order) -> [Origin]
    origins.of(user, order)                        # [Origin, ...]
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Origin:
    at: datetime
    label: str  # what booked the order, e.g. "探访转介 · 王网格 · 上门入户 2026-12-01"
    detail: str = ""  # the finding, e.g. the referral's note
    url: str = ""  # the page of the source, for a reader who may open it


Source = Callable[[object, object], list[Origin]]
_SOURCES: dict[str, Source] = {}


def register(key: str, source: Source) -> None:
    _SOURCES[key] = source


def of(user, order) -> list[Origin]:
    """Every registered source's origins of the order, as the user may see them, oldest first."""
    found = [origin for source in _SOURCES.values() for origin in source(user, order)]
    return sorted(found, key=lambda o: o.at)
