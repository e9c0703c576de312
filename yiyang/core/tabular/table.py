"""The table model shared by both formats: columns, header matching, rows as dicts, file-level errors."""

from __future__ import annotations

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


class Table:
    """An opened table; iterate it for `(row_number, {key: text})`, one pair per non-empty data row."""

    def __init__(
        self,
        *,
        kind: str,
        columns: Sequence[Column],
        header_row: int,
        header_map: dict[str, int],
        extra_headers: list[str],
        rows: Callable[[Table], Iterator[tuple[int, dict[str, str]]]],
    ):
        self.kind = kind  # "xlsx" or "csv"
        self.columns = tuple(columns)
        self.header_row = header_row  # spreadsheet row number of the header
        self.header_map = header_map  # column key -> 0-based column index in the file (A = 0)
        self.extra_headers = extra_headers  # headers no Column names; their columns are ignored
        self._rows = rows

    def __iter__(self) -> Iterator[tuple[int, dict[str, str]]]:
        return self._rows(self)

    def __repr__(self) -> str:
        return f"<Table {self.kind} header_row={self.header_row} columns={list(self.header_map)}>"


_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"), None)


def _normalise_header(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).translate(_INVISIBLE)
    return "".join(text.split()).strip("*").casefold()


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
    cells: Sequence[str], row_number: int, columns: Sequence[Column], lookup: dict[str, str]
) -> tuple[dict[str, int], list[str]]:
    """Map column keys to indexes in the header row `cells` (stripped texts, index 0 = column A)."""
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
            f"第 {row_number} 行应为表头，但其中没有可识别的列名（{expected}）；如表头上方有标题或说明行，请删除后再导入"
        )
    if missing:
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
