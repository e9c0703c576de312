"""Month arithmetic: allowances are paid per calendar month, and a month is stored as its first day."""

from datetime import date, timedelta


def first_of(day: date) -> date:
    return day.replace(day=1)


def add_months(month: date, n: int) -> date:
    index = month.year * 12 + month.month - 1 + n
    return date(index // 12, index % 12 + 1, 1)


def next_month(day: date) -> date:
    return add_months(first_of(day), 1)


def last_day(month: date) -> date:
    return add_months(first_of(month), 1) - timedelta(days=1)


def months_between(start: date, end: date) -> list[date]:
    """Every month from `start` to `end`, both included (first days)."""
    found, month = [], first_of(start)
    while month <= end:
        found.append(month)
        month = add_months(month, 1)
    return found


def parse_month(text: str) -> date | None:
    """'2026-12' (or '2026-12-01') as the first day of that month; None when it is not a month."""
    text = (text or "").strip()
    try:
        year, month = int(text[:4]), int(text[5:7])
        return date(year, month, 1) if text[4] == "-" and 1 <= month <= 12 and 1900 < year < 2200 else None
    except (ValueError, IndexError):
        return None
