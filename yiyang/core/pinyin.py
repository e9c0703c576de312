"""Pinyin of Chinese names for search: officers type `zhs` for 张华山 (DESIGN.md §1).

Readings are looked up per character and cached, so importing a million names costs one pypinyin call
per distinct character, not per name. Per-character lookup ignores phrase context; for personal names
that context rarely exists, and the initials stay right for all but a few polyphonic surnames.
"""

from functools import lru_cache

from pypinyin import Style, pinyin


@lru_cache(maxsize=50_000)
def _reading(char: str) -> str:
    if char.isascii():
        return char.lower()
    readings = pinyin(char, style=Style.NORMAL, errors="ignore")
    return readings[0][0] if readings else ""


def full(name: str) -> str:
    """'zhanghuashan' for 张华山 (letters only, for prefix search)."""
    return "".join(_reading(c) for c in name if not c.isspace())


def initials(name: str) -> str:
    """'zhs' for 张华山: the first letter of each character's reading."""
    return "".join(r[0] for c in name if not c.isspace() and (r := _reading(c)))
