"""Dates as registers write them: 1949-12-31, 1949/12/31, 1949.12.31, 1949年12月31日, 19491231, and Excel date
serials (a date cell saved without a date format reads as the number of days since 1899-12-30)."""

import re
import unicodedata
from datetime import date, timedelta

_PARTS = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:\s+0{1,2}:00(?::00)?)?")
_COMPACT = re.compile(r"(\d{4})(\d{2})(\d{2})")
_SERIAL = re.compile(r"[1-9]\d{3,4}(?:\.0+)?")
EXCEL_EPOCH = date(1899, 12, 30)  # serial 1 is 1900-01-01; Excel's phantom 1900-02-29 is before any elder's date


def parse(value) -> date | None:
    """The date a cell gives (None for an empty one); ValueError when it is no date."""
    if isinstance(value, date):
        return value
    text = unicodedata.normalize("NFKC", str(value or "")).strip()
    if not text:
        return None
    if m := _PARTS.fullmatch(text):
        return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    if m := _COMPACT.fullmatch(text):
        return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    if _SERIAL.fullmatch(text):
        return EXCEL_EPOCH + timedelta(days=int(float(text)))
    raise ValueError(text)
