"""What the services above the registry did for an elder lately, for pages that show an elder whole (the
alarm operator's card).

The registry sits on the elders' row; the service apps register a source at start (home care its orders,
visits its visit records), so a page reads them without importing apps on its own row or above it. Each
source reads through the one scoping mechanism with the reader's rights: a role without the right to read
orders sees no orders.

    activity.register("orders", "近期服务订单", recent_orders)   # recent_orders(user, elder, limit) -> [Activity]
    activity.recent(user, elder)                                  # [(title, [Activity, ...]), ...]
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Activity:
    at: datetime
    label: str  # what happened, e.g. "助浴 · 已完成"
    detail: str = ""  # who or what more, e.g. the provider or the visitor
    url: str = ""  # the page of the row, for a reader who may open it


Source = Callable[[object, object, int], list[Activity]]
_SOURCES: dict[str, tuple[str, Source]] = {}


def register(key: str, title: str, source: Source) -> None:
    _SOURCES[key] = (title, source)


def recent(user, elder, limit: int = 5) -> list[tuple[str, list[Activity]]]:
    """Each registered source's latest items for the elder, as the user may see them."""
    return [(title, source(user, elder, limit)) for title, source in _SOURCES.values()]
