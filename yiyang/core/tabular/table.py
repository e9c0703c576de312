"""The table model shared by both formats: columns, header matching, rows as dicts, file-level errors."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache

from yiyang.core.errors import DomainError

MIB = 1024 * 1024
CHUNK = MIB  # bytes read, decoded or decompressed at a time

XLSX_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy .xls, and also any password-protected .xlsx

# Refusals of a whole file, shown to the user as they are.
NO_DATA = "文件中没有数据行"
NOT_XLSX = (
    "文件内容不是有效的 .xlsx 表格，可能已损坏或是改了扩展名的其他文件；请用 Excel 或 WPS 打开后另存为 .xlsx 再导入"
)
OLE_XLSX = "该文件是旧版 .xls 格式或设置了打开密码；请取消密码，并在 Excel 或 WPS 中另存为 .xlsx 后再导入"
BROKEN_XLSX = "文件结构异常，无法读取；请用 Excel 或 WPS 打开后另存为 .xlsx 再导入"
XLS_REFUSED = "不支持旧版 .xls 格式；请在 Excel 或 WPS 中“另存为” .xlsx 格式后再导入"
EXCEL_AS_CSV = "文件内容是 Excel 表格而不是 CSV；请将扩展名改为 .xlsx，或在 Excel 或 WPS 中另存为 CSV 后再导入"
BAD_ENCODING = (
    "文件第 {line} 行含有无法识别的字符；CSV 文件应为 UTF-8 或 GBK 编码，请另存为 UTF-8 编码的 CSV 或 .xlsx 后再导入"
)


class TableError(DomainError):
    """A problem with the whole file (not one row); `message` is Chinese and shown to the user as is."""

    def __init__(self, message: str):
        super().__init__(message, {"file": message})


@dataclass(frozen=True)
class Column:
    """One column an importer reads: `key` in the row dicts, `header` as written in the file's header row.

    Headers are matched ignoring all whitespace (including full-width spaces and line breaks inside a cell),
    full-width/half-width differences (NFKC), letter case and leading/trailing asterisks (often used to mark
    required columns); `aliases` are other accepted headers.
    """

    key: str
    header: str
    required: bool = True
    aliases: tuple[str, ...] = ()


class Numeric(str):
    """The text of a cell that held a number in the .xlsx (not text): an importer may refuse it for columns
    whose digits a number cannot keep (an 18-digit ID number keeps only 15 significant digits in Excel)."""

    __slots__ = ()


class Refused(str):
    """The text of a cell that cannot be read as data (a formula without a usable value, a merged cell in the
    data area); `reason` says why in Chinese. The importer refuses the row, never the file."""

    def __new__(cls, text: str, reason: str):
        cell = super().__new__(cls, text)
        cell.reason = reason
        return cell


class Table:
    """An opened table; iterate it for `(row_number, {key: text})`, one pair per non-empty data row.

    `footers` lists, after each pass, the footer rows skipped (合计, 填表人 ...) as (row number, text).
    `missing` names the required columns the header lacks (only when opened with `allow_missing`).
    """

    def __init__(
        self,
        *,
        kind: str,
        columns: Sequence[Column],
        header_row: int,
        header_map: dict[str, int],
        extra_headers: list[str],
        rows: Callable[[Table], Iterator[tuple[int, dict[str, str]]]],
        body_start: int | None = None,
        missing: Sequence[str] = (),
    ):
        self.kind = kind  # "xlsx" or "csv"
        self.columns = tuple(columns)
        self.header_row = header_row  # spreadsheet row number of the (first) header row
        self.body_start = body_start or header_row + 1  # row number of the first data row
        self.header_map = header_map  # column key -> 0-based column index in the file (A = 0)
        self.extra_headers = extra_headers  # headers no Column names; their columns are ignored
        self.missing = list(missing)  # headers of required columns absent (allow_missing only)
        self.footers: list[tuple[int, str]] = []
        self._rows = rows

    def __iter__(self) -> Iterator[tuple[int, dict[str, str]]]:
        self.footers = []
        return self._rows(self)

    def footer_note(self) -> str:
        """One sentence naming the footer rows skipped in the last pass ('' when none)."""
        if not self.footers:
            return ""
        shown = "、".join(f"第 {n} 行（{text}）" for n, text in self.footers[:5])
        more = f"等 {len(self.footers)} 行" if len(self.footers) > 5 else ""
        return f"以下表尾行（合计、签名、日期等）未作为数据导入：{shown}{more}"

    def __repr__(self) -> str:
        return f"<Table {self.kind} header_row={self.header_row} columns={list(self.header_map)}>"


_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"), None)


# A note a bureau adds to a header, dropped before matching: 身份证号码（必填）, 电话(选填).
_HEADER_NOTE = re.compile(r"[(\[](?:必填|选填|必选|可选|非必填|必须填写|选填项|必填项)[)\]]|[:：]$")


def _normalise_header(text: str) -> str:
    """Headers compare ignoring whitespace, full-width forms and brackets (（）=()、【】=[]), letter case, asterisks
    marking required columns and a trailing (必填)/(选填) or colon."""
    text = unicodedata.normalize("NFKC", text).translate(_INVISIBLE).translate(_BRACKETS)
    text = "".join(text.split()).strip("*")
    return _HEADER_NOTE.sub("", text).strip("*").casefold()


normalise_header = _normalise_header
_BRACKETS = str.maketrans({"【": "[", "】": "]", "〔": "[", "〕": "]", "［": "[", "］": "]", "﹙": "(", "﹚": ")"})


def column_lookup(columns: Sequence[Column]) -> dict[str, str]:
    """Normalised header or alias -> column key; refuses (ValueError) a column list that is itself ambiguous."""
    lookup: dict[str, str] = {}
    keys = set()
    for column in columns:
        if column.key in keys:
            raise ValueError(f"duplicate column key {column.key!r}")
        keys.add(column.key)
        for name in (column.header, *column.aliases):
            norm = _normalise_header(name)
            if not norm:
                raise ValueError(f"empty header for column {column.key!r}")
            if lookup.setdefault(norm, column.key) != column.key:
                raise ValueError(f"header {name!r} names both {lookup[norm]!r} and {column.key!r}")
    if not columns:
        raise ValueError("no columns")
    return lookup


def col_letters(index: int) -> str:
    """0-based column index -> spreadsheet letters (0 -> A, 26 -> AA)."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


@lru_cache(maxsize=4096)
def col_number(letters: bytes | str) -> int:
    """Spreadsheet letters -> 1-based column number (A -> 1)."""
    if isinstance(letters, bytes):
        letters = letters.decode("ascii")
    number = 0
    for ch in letters.upper():
        number = number * 26 + ord(ch) - 64
    return number


def match_header(
    cells: Sequence[str],
    row_number: int,
    columns: Sequence[Column],
    lookup: dict[str, str],
    *,
    allow_missing: bool = False,
) -> tuple[dict[str, int], list[str]]:
    """Map column keys to indexes in the header row `cells` (stripped texts, index 0 = column A).

    With `allow_missing`, absent required columns are not an error (the caller lists them, so that a clerk
    can map the unknown columns to them)."""
    header_map: dict[str, int] = {}
    found_text: dict[str, str] = {}
    extra: list[str] = []
    for index, text in enumerate(cells):
        if not text:
            continue
        key = lookup.get(_normalise_header(text))
        if key is None:
            if text not in extra:
                extra.append(text)
            continue
        if key in header_map:
            first, here = col_letters(header_map[key]), col_letters(index)
            if _normalise_header(found_text[key]) == _normalise_header(text):
                message = f"表头中“{text}”出现了多次（{first} 列和 {here} 列），请只保留一列"
            else:
                header = next(c.header for c in columns if c.key == key)
                message = (
                    f"表头中“{found_text[key]}”（{first} 列）和“{text}”（{here} 列）是同一列“{header}”，请只保留一列"
                )
            raise TableError(message)
        header_map[key] = index
        found_text[key] = text
    missing = [c.header for c in columns if c.required and c.key not in header_map]
    if not header_map:  # most likely a title or note above the header
        expected = f"缺少必填列：{'、'.join(missing)}" if missing else "没有可识别的列名"
        raise TableError(
            f"第 {row_number} 行起的前 {HEAD_ROWS} 行中没有可识别的表头（{expected}）；请检查列名是否与导入模板一致"
        )
    if missing and not (allow_missing and extra):
        raise TableError(f"表头（第 {row_number} 行）缺少必填列：{'、'.join(missing)}")
    return header_map, extra


def row_builder(table: Table, convert: Callable[[object], str], first_col: int = 0) -> Callable[[Sequence], dict]:
    """A function turning one row (a sequence of cells) into {column key: text}; absent columns give ''."""
    present = [(c.key, table.header_map[c.key] - first_col) for c in table.columns if c.key in table.header_map]
    absent = {c.key: "" for c in table.columns if c.key not in table.header_map}

    def build(row: Sequence) -> dict:
        return {**absent, **{key: convert(row[index]) for key, index in present}}

    return build


def require_data(table: Table) -> Table:
    if next(iter(table), None) is None:
        raise TableError(NO_DATA)
    return table


# --- Finding the header below titles, and two-level headers ---------------------------------------------------

HEAD_ROWS = 30  # the non-empty rows searched for the header: titles, notes and the unit's name may come first


def _known(text: str, lookup: dict[str, str]) -> str | None:
    return lookup.get(_normalise_header(text)) if text else None


def _score(cells: Sequence[str], lookup: dict[str, str]) -> int:
    return len({key for text in cells if (key := _known(text, lookup)) is not None})


def _pad(cells: Sequence[str], width: int) -> list[str]:
    return [*cells, *([""] * (width - len(cells)))]


def _two_level(
    cells: Sequence[str], sub: Sequence[str], spans: Sequence[tuple[int, int]] | None, lookup: dict[str, str]
) -> list[str] | None:
    """The headers of a two-level header (a group label over its sub-columns, e.g. 紧急联系人 over 姓名 / 电话 /
    关系), each sub-column named group + sub label (紧急联系人电话), or None when the rows are no such header.

    In an .xlsx the groups are the cells merged across columns (`spans`); in a .csv, which has no merged cells,
    a label followed by empty cells, with sub labels below all of them."""
    width = max(len(cells), len(sub))
    cells, sub = _pad(cells, width), _pad(sub, width)
    group: dict[int, str] = {}
    if spans is not None:
        for first, last in spans:
            if last > first and cells[first]:
                for c in range(first, min(last, width - 1) + 1):
                    group[c] = cells[first]
    else:
        for c, label in enumerate(cells):
            if not label or not sub[c]:
                continue
            end = c + 1
            while end < width and not cells[end] and sub[end]:
                end += 1
            if end > c + 1:
                for k in range(c, end):
                    group[k] = label
    if not group:
        return None
    names = []
    for c in range(width):
        label = group.get(c)
        if label is None:
            names.append(cells[c] or sub[c])
        elif not sub[c]:
            names.append(label)
        else:
            joined = label + sub[c]
            names.append(joined if _known(joined, lookup) or not _known(sub[c], lookup) else sub[c])
    return names if _score(names, lookup) > _score(cells, lookup) else None


def locate_header(
    head: Sequence[tuple[int, list[str]]],
    columns: Sequence[Column],
    lookup: dict[str, str],
    *,
    spans: dict[int, list[tuple[int, int]]] | None = None,
    allow_missing: bool = False,
) -> tuple[int, int, dict[str, int], list[str]]:
    """Find the header among the first non-empty rows `head` ((row number, texts) pairs): the row naming the
    most columns, titles and notes above it ignored; with the row below it when the two form a two-level header.
    `spans` gives, per row number, the column ranges merged across columns (.xlsx; None for .csv).

    Returns (header row, first data row, {key: column index}, unknown headers)."""
    best = None  # (score, row number, header texts, rows used)
    for position, (number, cells) in enumerate(head):
        candidates = [(cells, 1)]
        if position + 1 < len(head) and head[position + 1][0] == number + 1:
            names = _two_level(cells, head[position + 1][1], None if spans is None else spans.get(number, []), lookup)
            if names is not None:
                candidates.insert(0, (names, 2))
        for names, used in candidates:
            score = _score(names, lookup)
            if best is None or score > best[0]:
                best = (score, number, names, used)
    if not head:
        raise TableError(NO_DATA)
    if best is None or best[0] == 0:
        number, cells = head[0]
        match_header(cells, number, columns, lookup)  # raises: nothing recognisable
    _best, number, names, used = best
    header_map, extra = match_header(names, number, columns, lookup, allow_missing=allow_missing)
    return number, number + used, header_map, extra


# --- Footer rows: totals, signatures, dates, notes -------------------------------------------------------------

_FOOTER = re.compile(
    r"(?:合计|总计|小计|共计|总数|填表人|填报人|审核人|审批人|制表人|负责人|单位负责人|经办人|统计人|分管领导|主管领导"
    r"|填报日期|填表日期|制表日期|审核日期|报送日期|(?:备注|说明|注)[:：])"
)
_FOOTER_START = frozenset("合总小共填审制负单经统分主报备说注")


class Footers:
    """Tells footer rows from data rows during one pass: a row whose first non-empty cell starts with 合计,
    填表人, 审核人, 填报日期 ... is a footer; after a closing footer (anything but 小计), rows with at most two
    non-empty cells (signatures, notes) are footers too. Footers are recorded on the table, not yielded."""

    def __init__(self, table: Table):
        self.table = table
        self.closed = False

    def __call__(self, number: int, cells: Sequence) -> bool:
        first = next((v for v in cells if v != "" and v is not None), None)
        if first is None:
            return False
        if first.__class__ is str and first.lstrip()[:1] in _FOOTER_START:
            text = "".join(unicodedata.normalize("NFKC", first).split())
            if _FOOTER.match(text):
                self.closed = self.closed or not text.startswith("小计")
                self._record(number, first)
                return True
        if self.closed and sum(1 for v in cells if v != "" and v is not None) <= 2:
            self._record(number, first)
            return True
        return False

    def _record(self, number: int, first) -> None:
        if len(self.table.footers) < 200:
            text = " ".join(str(first).split())
            self.table.footers.append((number, text[:20] + ("…" if len(text) > 20 else "")))
