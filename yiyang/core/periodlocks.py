"""Approved months are locked against edits (interconnection: reporting periods). The registries ask here
before writing a fact dated in a month (an admission, a discharge, an assessment); the app that keeps the
reporting periods answers, registered at start-up, so that the registries need not import it (the house's
order: lower apps never import higher ones)."""

from collections.abc import Callable, Iterable
from datetime import date

from .errors import Conflict

_checkers: list[Callable[[str, Iterable[date | None]], set[date]]] = []


def register(checker: Callable[[str, Iterable[date | None]], set[date]]) -> None:
    """`checker(county_code, days)` returns the months of `days` that are locked for the county."""
    if checker not in _checkers:
        _checkers.append(checker)


def locked_months(county_code: str, days: Iterable[date | None]) -> set[date]:
    days = [d for d in days if d is not None]
    found: set[date] = set()
    for checker in _checkers:
        found |= checker(county_code, days)
    return found


def refuse_if_locked(county_code: str, days: Iterable[date | None], what: str) -> None:
    """Raise a 409 naming the locked months; a correction needs the upper level to reopen the month."""
    if locked := locked_months(county_code, days):
        months = "、".join(f"{m:%Y-%m}" for m in sorted(locked))
        raise Conflict(f"{months} 的报送期已锁定，不能再写入该月的{what}（如需更正，请上级民政部门重新打开该月）",
                       code="period_locked")  # fmt: skip
