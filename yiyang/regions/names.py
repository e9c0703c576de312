"""Regions named by name, as registers write them (所属社区: 花园社区), within the regions an importer may use."""

import re
import unicodedata
from collections.abc import Callable, Iterable

from .models import Region

# Suffixes a register may add or leave out: 花园社区居委会 = 花园社区 = 花园.
_SUFFIX = re.compile(
    r"(?:社区居民委员会|社区居委会|居民委员会|村民委员会|居委会|村委会|社区|村|街道办事处|街道|镇|乡)$"
)


def _plain(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).split())


def _core(text: str) -> str:
    return _SUFFIX.sub("", text) or text


class RegionNames:
    """Finds the one region of `levels` that a name gives, among the regions `allowed(code)` accepts.

    A name matches a region's name (or its name with its parent's before it: 西大街道花园社区) exactly, else with
    the usual suffixes (社区, 村, 居委会 ...) left out on both sides. `resolve` answers the 12-digit code, and
    raises ValueError with a message naming the value when it matches no region or several; a text of digits is
    taken as a code and returned as it is (for the caller's checks of codes)."""

    def __init__(self, levels: Iterable[int], allowed: Callable[[str], bool], noun: str = "社区"):
        self.levels = tuple(levels)
        self.allowed = allowed
        self.noun = noun
        self._exact: dict[str, set[str]] | None = None
        self._core: dict[str, set[str]] = {}
        self._names: dict[str, str] = {}

    def _load(self) -> None:
        self._exact = {}
        rows = [
            (code, name, parent)
            for code, name, parent in Region.objects.filter(level__in=self.levels)
            .values_list("code", "name", "parent_code")
            .iterator(chunk_size=5000)
            if self.allowed(code)
        ]
        parents = dict(
            Region.objects.filter(code__in={p for _, _, p in rows if p}).values_list("code", "name").iterator()
        )
        for code, name, parent in rows:
            self._names[code] = name
            plain = _plain(name)
            keys = {plain}
            if parent in parents:
                keys.add(_plain(parents[parent]) + plain)
            for key in keys:
                self._exact.setdefault(key, set()).add(code)
                self._core.setdefault(_core(key), set()).add(code)

    def resolve(self, text: str) -> str:
        plain = _plain(text)
        if plain.isdigit():
            return plain  # a code: checked where codes are
        if self._exact is None:
            self._load()
        found = self._exact.get(plain) or self._core.get(_core(plain)) or set()
        if len(found) == 1:
            return next(iter(found))
        if not found:
            raise ValueError(f"“{text}”不是您管辖范围内的{self.noun}名称；请核对名称，或填写 12 位区划代码")
        shown = "、".join(f"{self._names[c]}（{c}）" for c in sorted(found)[:5])
        raise ValueError(f"“{text}”对应多个{self.noun}：{shown}；请填写 12 位区划代码")
