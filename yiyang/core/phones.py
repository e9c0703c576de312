"""Phone numbers as typed by officers: mobiles (11 digits from 1) and landlines (area code + number).

Tolerant of the noise registers carry: spaces, hyphens and dots inside a mobile (138-3960-1234, 138 3960 1234),
a country prefix (+86, 0086, 86), full-width digits, an area code in brackets ((0374)1234567). `split` reads a
cell holding several numbers (separated by 、,，;；/ or spaces).
"""

import re
import unicodedata

_MOBILE = re.compile(r"1[3-9]\d{9}")
_LANDLINE = re.compile(r"0\d{2,3}-?\d{7,8}(-\d{1,6})?")
_NOISE = str.maketrans("", "", " \u3000\u00a0\t-.·")
_PREFIX = re.compile(r"^(?:\+|00)?86(?=1[3-9]\d{9}$|0\d{9,11}$)|^\+86-?")
_SEPARATORS = re.compile(r"[、,，;；/／|]+")

MESSAGE = "电话号码格式不正确：手机为 11 位数字，座机如 0374-1234567"


class InvalidPhone(ValueError):
    pass


def normalize(value: str) -> str:
    """One number: return it cleaned ('' for empty input), or raise InvalidPhone."""
    text = unicodedata.normalize("NFKC", value or "").strip()
    if not text:
        return ""
    text = re.sub(r"^\((0\d{2,3})\)\s*|^(0\d{2,3})\s+(?=\d{7,8}$)", lambda m: f"{m.group(1) or m.group(2)}-", text)
    if _MOBILE.fullmatch(compact := _PREFIX.sub("", text.translate(_NOISE))):
        return compact
    landline = _PREFIX.sub("", re.sub(r"[\s\u3000]+", "", text))
    if _LANDLINE.fullmatch(landline):
        return landline
    if _LANDLINE.fullmatch(compact):
        return compact
    raise InvalidPhone(MESSAGE)


def split(value: str) -> list[str]:
    """The numbers of a cell holding one or several; raise InvalidPhone when one cannot be read."""
    text = unicodedata.normalize("NFKC", value or "").strip()
    if not text:
        return []
    numbers = []
    for part in _SEPARATORS.split(text):
        if not part.strip():
            continue
        try:
            numbers.append(normalize(part))
        except InvalidPhone:
            # "138 3960 1234 0374 1234567": spaces may separate numbers as well as digit groups.
            pieces = part.split()
            if len(pieces) < 2:
                raise
            numbers.extend(normalize(piece) for piece in pieces)
    return numbers
