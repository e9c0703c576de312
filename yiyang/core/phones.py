"""Phone numbers as typed by officers: mobiles (11 digits from 1) and landlines (area code + number)."""

import re

_MOBILE = re.compile(r"1[3-9]\d{9}")
_LANDLINE = re.compile(r"0\d{2,3}-?\d{7,8}(-\d{1,6})?")


class InvalidPhone(ValueError):
    pass


def normalize(value: str) -> str:
    """Strip spaces and a +86 prefix; return '' for empty input, or raise InvalidPhone."""
    text = (value or "").strip().replace(" ", "").replace("　", "")
    if text.startswith("+86"):
        text = text[3:]
    if not text:
        return ""
    if _MOBILE.fullmatch(text) or _LANDLINE.fullmatch(text):
        return text
    raise InvalidPhone("电话号码格式不正确：手机为 11 位数字，座机如 0374-1234567")
