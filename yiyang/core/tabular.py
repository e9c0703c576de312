"""Reading uploaded tables (.xlsx and .csv) row by row, shared by the import features.

`open_table()` checks the whole file up front — size, type, structure, header row, at least one data row — and
raises `TableError` with a Chinese message the user can act on. Iterating the returned `Table` yields, per
non-empty data row, the row number a spreadsheet user sees (the header is usually row 1) and a dict mapping every
`Column.key` to the cell's stripped text ('' when empty or when an optional column is absent). A Table can be
iterated more than once, each pass re-reading from the start (one pass at a time when opened on a file object).

Memory:

* .csv is decoded and parsed 1 MiB at a time; nothing is kept per row.
* .xlsx is read with python-calamine. Its `iter_rows()` turns rows into Python objects lazily, but calamine
  materialises the whole sheet in native memory when the sheet is opened: a dense rectangle of 32-byte cells from
  the first to the last used row and column, plus a copy of every shared string per cell that uses it: about 1 KB
  per row of 16 columns, so some 100 MB per 100,000 rows. So before calamine sees a file, the sheet XML is streamed
  once through zlib and C-speed byte searches (about 0.5 s per 100,000 such rows, a third to half of calamine's time)
  to refuse formulas and to bound what calamine would allocate (see the MAX_* limits). Without that bound a 5 KB
  file with values in A1 and XFD1048576 makes calamine attempt a multi-terabyte allocation and abort the process.

Errors found only while iterating (a .csv whose encoding breaks half-way, a malformed line) are raised as
`TableError` from the iteration, naming the row.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import itertools
import os
import pathlib
import re
import struct
import tempfile
import unicodedata
import zipfile
import zlib
from array import array
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from typing import BinaryIO
from xml.etree import ElementTree

from yiyang.core.errors import DomainError

__all__ = ["Column", "Table", "TableError", "open_table", "write_template"]

MIB = 1024 * 1024
CHUNK = MIB  # bytes read, decoded or decompressed at a time

# What calamine may materialise for one sheet (see the module docstring). A legitimate 1,000,000-row file with 16
# columns stays inside every limit.
MAX_XLSX_CELLS = 20_000_000  # cells in the used rectangle, about 32 bytes each in calamine
SPARSE_FLOOR = 4_000_000  # a rectangle this small is accepted however empty it is...
SPARSE_FACTOR = 8  # ...a larger one must not exceed this many times the cells actually written
MAX_SHEET_XML_BYTES = 1024 * MIB  # the sheet's XML after decompression
MAX_SHARED_STRINGS_XML_BYTES = 256 * MIB  # sharedStrings.xml after decompression
MAX_SHARED_TEXT_BYTES = 512 * MIB  # shared strings as copied into every cell that uses them
MAX_PART_BYTES = 16 * MIB  # workbook.xml, relationship parts
MAX_STYLES_XML_BYTES = 64 * MIB  # styles.xml, which calamine also reads
MAX_MERGED_RANGES = 100_000  # calamine lists every merged range of the sheet

XLSX_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy .xls, and also any password-protected .xlsx

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


# --------------------------------------------------------------------------------------------------- open_table


def open_table(
    source: str | pathlib.Path | BinaryIO, filename: str, columns: Sequence[Column], *, max_bytes: int
) -> Table:
    """Open an uploaded table and check it; raise TableError naming the first problem found.

    `source` is a path or a binary file object (read from its current position; not closed here). `filename` is
    the name the user uploaded, whose extension decides the format (.xlsx or .csv).
    """
    lookup = _column_lookup(columns)
    suffix = pathlib.PurePath(filename or "").suffix.lower()
    if suffix == ".xls":
        raise TableError(XLS_REFUSED)
    if suffix not in (".xlsx", ".csv"):
        shown = f"（当前为 {suffix}）" if suffix else ""
        raise TableError(f"仅支持 .xlsx 和 .csv 文件{shown}；请在 Excel 或 WPS 中另存为 .xlsx 后再导入")
    src = _Source.open(source, max_bytes)
    if src.size == 0:
        raise TableError(NO_DATA)
    magic = src.head(8)
    if suffix == ".csv":
        if magic.startswith((XLSX_MAGIC, OLE_MAGIC)):
            raise TableError(EXCEL_AS_CSV)
        return _open_csv(src, columns, lookup)
    if magic.startswith(OLE_MAGIC):
        raise TableError(OLE_XLSX)
    if not magic.startswith(XLSX_MAGIC):
        raise TableError(NOT_XLSX)
    return _open_xlsx(src, columns, lookup)


class _Source:
    """The uploaded bytes: a path, or a seekable binary file object with the position the data starts at."""

    def __init__(self, path: pathlib.Path | None, fileobj: BinaryIO | None, start: int, size: int):
        self.path = path
        self.fileobj = fileobj
        self.start = start
        self.size = size

    @classmethod
    def open(cls, source, max_bytes: int) -> _Source:
        if isinstance(source, str | os.PathLike):
            path = pathlib.Path(source)
            size = path.stat().st_size
            _check_size(size, max_bytes)
            return cls(path, None, 0, size)
        seekable = getattr(source, "seekable", None)
        if seekable is not None and seekable():
            start = source.tell()
            source.seek(0, io.SEEK_END)
            size = source.tell() - start
            source.seek(start)
            _check_size(size, max_bytes)
            return cls(None, source, start, size)
        # Not seekable (a pipe, a streamed upload): copy it aside, stopping as soon as it is too large.
        spool = tempfile.SpooledTemporaryFile(max_size=16 * MIB)
        size = 0
        while block := source.read(CHUNK):
            size += len(block)
            if size > max_bytes:
                spool.close()
                raise TableError(f"文件过大：超过上限 {_mb(max_bytes)} MB")
            spool.write(block)
        spool.seek(0)
        return cls(None, spool, 0, size)

    def reader(self) -> _Reader:
        """A context manager giving a binary file positioned at the start of the data."""
        return _Reader(self)

    def head(self, n: int) -> bytes:
        with self.reader() as f:
            return f.read(n)


class _Reader:
    def __init__(self, src: _Source):
        self.src = src
        self.own = None

    def __enter__(self) -> BinaryIO:
        if self.src.path is not None:
            self.own = open(self.src.path, "rb")  # closed in __exit__
            return self.own
        self.src.fileobj.seek(self.src.start)
        return self.src.fileobj

    def __exit__(self, *exc):
        if self.own is not None:
            self.own.close()


def _mb(n: int) -> str:
    value = n / MIB
    return f"{value:.0f}" if value == int(value) else f"{value:.1f}"


def _check_size(size: int, max_bytes: int) -> None:
    if size > max_bytes:
        raise TableError(f"文件过大：{size / MIB:.1f} MB，上限 {_mb(max_bytes)} MB")


# ------------------------------------------------------------------------------------------------------ headers

_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"), None)


def _normalise_header(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).translate(_INVISIBLE)
    return "".join(text.split()).strip("*").casefold()


def _column_lookup(columns: Sequence[Column]) -> dict[str, str]:
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


def _col_letters(index: int) -> str:
    """0-based column index -> spreadsheet letters (0 -> A, 26 -> AA)."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


@lru_cache(maxsize=4096)
def _col_number(letters: bytes | str) -> int:
    """Spreadsheet letters -> 1-based column number (A -> 1)."""
    if isinstance(letters, bytes):
        letters = letters.decode("ascii")
    number = 0
    for ch in letters.upper():
        number = number * 26 + ord(ch) - 64
    return number


def _match_header(
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
            first, here = _col_letters(header_map[key]), _col_letters(index)
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


def _row_builder(table: Table, convert: Callable[[object], str], first_col: int = 0) -> Callable[[Sequence], dict]:
    """A function turning one row (a sequence of cells) into {column key: text}; absent columns give ''."""
    present = [(c.key, table.header_map[c.key] - first_col) for c in table.columns if c.key in table.header_map]
    absent = {c.key: "" for c in table.columns if c.key not in table.header_map}

    def build(row: Sequence) -> dict:
        return {**absent, **{key: convert(row[index]) for key, index in present}}

    return build


def _require_data(table: Table) -> Table:
    if next(iter(table), None) is None:
        raise TableError(NO_DATA)
    return table


# ---------------------------------------------------------------------------------------------------------- csv


def _open_csv(src: _Source, columns: Sequence[Column], lookup: dict[str, str]) -> Table:
    with src.reader() as f:
        reader = _csv_reader(f)
        row_number = 0
        try:
            for row in reader:
                row_number += 1
                cells = [c.strip() for c in row]
                if any(cells):
                    header_map, extra = _match_header(cells, row_number, columns, lookup)
                    break
            else:
                raise TableError(NO_DATA)
        except csv.Error as exc:
            raise _csv_error(row_number + 1, exc) from None

    def rows(table: Table) -> Iterator[tuple[int, dict[str, str]]]:
        """The data rows after the header; records count as spreadsheet rows, blank lines included."""
        build = _row_builder(table, str.strip)
        width = max(table.header_map.values()) + 1
        strip = str.strip
        row_number = table.header_row
        with src.reader() as f:
            try:
                for row in itertools.islice(_csv_reader(f), table.header_row, None):
                    row_number += 1
                    if len(row) < width:
                        if not row:
                            continue
                        row += [""] * (width - len(row))
                    values = build(row)
                    if not any(values.values()) and not any(map(strip, row)):
                        continue
                    yield row_number, values
            except csv.Error as exc:
                raise _csv_error(row_number + 1, exc) from None

    table = Table(
        kind="csv",
        columns=columns,
        header_row=row_number,
        header_map=header_map,
        extra_headers=extra,
        rows=rows,
    )
    return _require_data(table)


def _csv_error(row_number: int, exc: csv.Error) -> TableError:
    return TableError(f"第 {row_number} 行格式有误（{exc}）；请检查引号是否配对，或另存为 .xlsx 后再导入")


def _csv_reader(f: BinaryIO):
    """A csv.reader over the decoded file; comma-separated unless the first non-blank line has more tabs."""
    batches = _decoded_line_batches(f)
    head: list[str] = []
    for batch in batches:  # peek at the first non-blank line to choose the delimiter
        head.extend(batch)
        first = next((line for line in head if line.strip()), None)
        if first is not None:
            break
    else:
        first = ""
    delimiter = "\t" if first.count("\t") > first.count(",") else ","
    return csv.reader(itertools.chain(head, itertools.chain.from_iterable(batches)), delimiter=delimiter)


def _decoded_line_batches(f: BinaryIO) -> Iterator[list[str]]:
    """Lists of text lines (line endings kept, as csv wants), decoded CHUNK bytes at a time.

    The encoding is chosen on the first chunk: a UTF-16 BOM means UTF-16; text that decodes as UTF-8 (with or without
    BOM) is UTF-8; anything else is GB18030, a superset of GBK and GB2312. If the UTF-8 guess only fails later and
    everything before was ASCII, reading switches to GB18030 from there.
    """
    encoding = None
    decoder = None
    ascii_so_far = True  # all text decoded so far is ASCII
    line_count = 0
    tail = ""
    while True:
        block = f.read(CHUNK)
        final = not block
        if encoding is None:
            encoding = _sniff_encoding(block)
            decoder = codecs.getincrementaldecoder(encoding)()
        pending = decoder.getstate()[0]  # bytes of a character split between chunks
        try:
            text = decoder.decode(block, final)
        except UnicodeDecodeError as exc:
            if encoding != "utf-8-sig" or not ascii_so_far:
                raise _encoding_error(line_count, exc) from None
            encoding = "gb18030"
            decoder = codecs.getincrementaldecoder(encoding)()
            try:
                text = decoder.decode(pending + block, final)
            except UnicodeDecodeError as exc2:
                raise _encoding_error(line_count, exc2) from None
        if ascii_so_far and not text.isascii():
            ascii_so_far = False
        text = tail + text
        if final:
            if text:
                yield [text]
            return
        lines = io.StringIO(text, newline="").readlines()
        # Keep back an unterminated last line, and one ending in "\r" (its "\n" may start the next chunk).
        tail = lines.pop() if lines and not lines[-1].endswith("\n") else ""
        line_count += len(lines)
        if lines:
            yield lines


def _sniff_encoding(block: bytes) -> str:
    if block.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(block, False)
    except UnicodeDecodeError as exc:
        # GBK text forms a valid UTF-8 sequence for one character in a dozen or so; many valid non-ASCII characters
        # before the bad byte mean a UTF-8 file with a corrupt byte, which GB18030 would only turn into gibberish.
        valid = block[: exc.start].decode("utf-8", "ignore")
        if sum(not ch.isascii() for ch in valid) >= 8:
            raise _encoding_error(0, exc) from None
        return "gb18030"
    return "utf-8-sig"


def _encoding_error(lines_before: int, exc: UnicodeDecodeError) -> TableError:
    # exc.object is the chunk (plus at most a few pending bytes of one character), so newlines before the bad byte
    # count the lines of this chunk that precede it.
    return TableError(BAD_ENCODING.format(line=lines_before + exc.object.count(b"\n", 0, exc.start) + 1))


# --------------------------------------------------------------------------------------------------------- xlsx


def _open_xlsx(src: _Source, columns: Sequence[Column], lookup: dict[str, str]) -> Table:
    import python_calamine

    with src.reader() as f:
        package = _Package(f)
        sheet_index, sheet_path = package.first_visible_worksheet()
        _check_sheet(package, sheet_path)
        names = package.sheet_names
    with src.reader() as f:
        sheet = _calamine(
            lambda: _load_sheet(python_calamine, src.path if src.path is not None else f, sheet_index, names)
        )
    if sheet.start is None:  # nothing in the sheet (iter_rows would fail on it)
        raise TableError(NO_DATA)
    first_col = sheet.start[1]
    last_row = sheet.end[0]
    header_row = None
    for row_number, row in enumerate(_calamine(sheet.iter_rows), 1):
        cells = [""] * first_col + [_cell_text(v) for v in row]
        if any(cells):
            header_row = row_number
            header_map, extra = _match_header(cells, row_number, columns, lookup)
            break
    if header_row is None:
        raise TableError(NO_DATA)
    merged = [
        top
        for (top, _left), (bottom, _right) in _calamine(lambda: sheet.merged_cell_ranges or ())
        if bottom >= header_row - 1 and top <= last_row
    ]
    if merged:
        raise TableError(f"第 {max(min(merged), header_row - 1) + 1} 行起有合并单元格，请取消合并后再导入")

    def rows(table: Table) -> Iterator[tuple[int, dict[str, str]]]:
        # Strings, by far the most common cells, are stripped inline; anything else goes through _cell_text.
        build = _row_builder(table, lambda v: v.strip() if v.__class__ is str else _cell_text(v), first_col)
        convert = _cell_text
        numbered = itertools.islice(enumerate(_calamine(sheet.iter_rows), 1), table.header_row, None)
        for row_number, row in numbered:
            values = build(row)
            if not any(values.values()) and not any(map(convert, row)):
                continue
            yield row_number, values

    table = Table(
        kind="xlsx",
        columns=columns,
        header_row=header_row,
        header_map=header_map,
        extra_headers=extra,
        rows=rows,
    )
    return _require_data(table)


def _load_sheet(python_calamine, source, index: int, names: list[str]):
    if isinstance(source, pathlib.Path):
        workbook = python_calamine.CalamineWorkbook.from_path(str(source))
    else:
        workbook = python_calamine.CalamineWorkbook.from_filelike(source)
    with workbook:
        # The sheet checked by _check_sheet must be the one calamine reads.
        meta = workbook.sheets_metadata[index] if index < len(workbook.sheets_metadata) else None
        if workbook.sheet_names != names or meta is None or meta.typ != python_calamine.SheetTypeEnum.WorkSheet:
            raise TableError(BROKEN_XLSX)
        if meta.visible != python_calamine.SheetVisibleEnum.Visible:
            raise TableError(BROKEN_XLSX)
        return workbook.get_sheet_by_index(index)


def _calamine(call):
    """Run a calamine call, turning its errors (and Rust panics, which are BaseException) into TableError."""
    try:
        return call()
    except TableError:
        raise
    except Exception as exc:
        raise TableError(BROKEN_XLSX) from exc
    except BaseException as exc:
        if type(exc).__name__ == "PanicException":
            raise TableError(BROKEN_XLSX) from exc
        raise


def _cell_text(value) -> str:
    """A calamine cell value as the text a user typed: whole numbers without ".0", dates as YYYY-MM-DD."""
    kind = type(value)
    if kind is str:
        return value.strip()
    if kind is float:
        return _float_text(value)
    if kind is bool:
        return "是" if value else "否"
    if kind is int:
        return str(value)
    if kind is dt.date:
        return value.isoformat()
    if kind is dt.datetime:
        if value.time() == dt.time():
            return value.date().isoformat()
        return value.isoformat(sep=" ", timespec="seconds")
    if kind is dt.time:
        return value.isoformat(timespec="seconds")
    if kind is dt.timedelta:
        return str(value)
    return str(value).strip()


def _float_text(value: float) -> str:
    if value.is_integer():
        return str(int(value))
    if value != value or value in (float("inf"), float("-inf")):
        return ""
    text = f"{value:.15g}"  # the 15 significant digits Excel shows; drops binary noise such as 0.30000000000000004
    if "e" in text:
        text = format(Decimal(text), "f")
    return text


class _Package:
    """The parts of an .xlsx zip needed to find the sheet calamine will read, resolved exactly as calamine does."""

    def __init__(self, f: BinaryIO):
        self.f = f
        try:
            self.zip = zipfile.ZipFile(f)
        except (zipfile.BadZipFile, OSError, ValueError, EOFError):
            raise TableError(NOT_XLSX) from None
        self.members = {}
        for info in self.zip.infolist():
            key = _ascii_lower(info.filename.replace("\\", "/"))
            if key in self.members:  # two entries calamine and zipfile might resolve differently
                raise TableError(BROKEN_XLSX)
            self.members[key] = info
        office, _ = self._relationships("_rels/.rels")
        targets = [target for target, kind in office.values() if kind.endswith("/relationships/officeDocument")]
        if not targets:
            raise TableError(NOT_XLSX)
        self.xl_path = targets[-1][: targets[-1].rfind("/") + 1].removeprefix("/")
        rels, raw_rels = self._relationships(f"{self.xl_path}_rels/workbook.xml.rels")
        self.sheets = []  # (name, visible, kind, path), in workbook order
        for el in self._xml(f"{self.xl_path}workbook.xml", required=True).iter():
            if _local(el.tag) != "sheet":
                continue
            rel_id = next((v for k, v in el.attrib.items() if _local(k) == "id"), None)
            if rel_id not in rels:
                raise TableError(BROKEN_XLSX)
            target, kind = rels[rel_id]
            # calamine uses the Target text as written; only a literal one is sure to name the same part here.
            if f'Target="{target}"'.encode() not in raw_rels and f"Target='{target}'".encode() not in raw_rels:
                raise TableError(BROKEN_XLSX)
            path = target[1:] if target.startswith("/") else self.xl_path + target
            self.sheets.append((el.get("name", ""), el.get("state", "visible") == "visible", kind, path))
        self.sheet_names = [s[0] for s in self.sheets]
        if len(set(self.sheet_names)) != len(self.sheet_names):
            raise TableError(BROKEN_XLSX)
        for _ in self.chunks(f"{self.xl_path}styles.xml", MAX_STYLES_XML_BYTES, required=False):
            pass

    def first_visible_worksheet(self) -> tuple[int, str]:
        for index, (_name, visible, kind, path) in enumerate(self.sheets):
            if visible and kind.rsplit("/", 1)[-1] == "worksheet":
                return index, path
        raise TableError("文件中没有可导入的工作表")

    def info(self, path: str):
        return self.members.get(_ascii_lower(path))

    def chunks(self, path: str, limit: int, *, required: bool = True) -> Iterator[bytes]:
        info = self.info(path)
        if info is None:
            if required:
                raise TableError(BROKEN_XLSX)
            return iter(())
        return _member_chunks(self.f, info, limit)

    def _xml(self, path: str, *, required: bool = False):
        if self.info(path) is None and required:
            raise TableError(NOT_XLSX)
        return self._parse(b"".join(self.chunks(path, MAX_PART_BYTES, required=False)))

    @staticmethod
    def _parse(data: bytes):
        if not data:
            return ElementTree.Element("empty")
        try:
            # Small package parts only; expat (2.4+) refuses entity-expansion bombs and ElementTree never fetches
            # external entities.
            return ElementTree.fromstring(data)  # noqa: S314
        except ElementTree.ParseError:
            raise TableError(BROKEN_XLSX) from None

    def _relationships(self, path: str) -> tuple[dict[str, tuple[str, str]], bytes]:
        """Relationship id -> (target, type), and the part's raw bytes."""
        raw = b"".join(self.chunks(path, MAX_PART_BYTES, required=False))
        rels = {}
        for el in self._parse(raw).iter():
            if _local(el.tag) == "Relationship" and el.get("Id") is not None:
                if el.get("Id") in rels:  # calamine, comparing raw text, might see two ids where we see one
                    raise TableError(BROKEN_XLSX)
                rels[el.get("Id")] = (el.get("Target", ""), el.get("Type", ""))
        return rels, raw


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _ascii_lower(text: str) -> str:
    """Lower-case ASCII letters only, as calamine (Rust's to_ascii_lowercase) does for zip paths."""
    return text.translate(_ASCII_LOWER)


_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def _member_chunks(f: BinaryIO, info, limit: int) -> Iterator[bytes]:
    """Decompress a zip member from its raw bytes, in chunks of at most CHUNK bytes.

    All of the member's compressed data is inflated, whatever size the zip directory declares — that is what
    calamine's zip reader will see — and TableError is raised once more than `limit` bytes come out.
    """
    if info.flag_bits & 0x1:
        raise TableError(OLE_XLSX)
    if info.compress_type not in (0, 8):  # stored, deflated: all Excel and WPS write
        raise TableError(BROKEN_XLSX)
    f.seek(info.header_offset)
    header = f.read(30)
    if len(header) != 30 or not header.startswith(XLSX_MAGIC):
        raise TableError(BROKEN_XLSX)
    name_len, extra_len = struct.unpack("<HH", header[26:30])
    f.seek(info.header_offset + 30 + name_len + extra_len)
    remaining = info.compress_size
    inflate = zlib.decompressobj(-15) if info.compress_type == 8 else None
    produced = 0
    while remaining > 0:
        data = f.read(min(CHUNK, remaining))
        if not data:
            raise TableError(BROKEN_XLSX)
        remaining -= len(data)
        while data:
            if inflate is None:
                out, data = data, b""
            else:
                try:
                    out = inflate.decompress(data, CHUNK)
                except zlib.error:
                    raise TableError(BROKEN_XLSX) from None
                data = inflate.unconsumed_tail
            produced += len(out)
            if produced > limit:
                raise TableError(f"文件内容过多（解压后超过 {limit // MIB} MB），无法导入；请拆分为多个文件后再导入")
            if out:
                yield out
            if inflate is not None and inflate.eof:
                return


# Sheet XML scanning. The fast path handles the canonical form that mainstream writers produce (Excel, WPS,
# LibreOffice, openpyxl, XlsxWriter, POI, the .NET Open XML SDK...): <c> tags, all with the same namespace prefix as
# the root element (usually none), whose first attribute is r="A1" and whose other attributes are plain s/t/cm/vm/ph
# (so there is no second r). One regex per chunk finds any cell tag that is not canonical or lies beyond the rows and
# columns seen so far; the running maxima come from the chunk's last cell, as rows and cells are written in order,
# so in practice it finds nothing and costs one C-speed pass. Anything unusual (mixed prefixes, cells without r,
# other attributes) sends the whole sheet through the exact path instead.
_CELL_ATTRS = rb'(?: (?:s|t|cm|vm|ph)="[^"<>]*")*/?>'
_ROOT = re.compile(rb"<([A-Za-z_][\w.-]*:)?worksheet[\s>/]")


class _Dialect:
    """The byte patterns for cells written with namespace prefix `prefix` (b"" or e.g. b"x:")."""

    def __init__(self, prefix: bytes):
        p = re.escape(prefix)
        self.cell_start = b"<" + prefix + b'c r="'
        self.canonical = re.compile(b"<" + p + rb'c r="([A-Z]{1,3})([1-9][0-9]{0,6})"' + _CELL_ATTRS)
        # Cell tags written any other way: with another prefix, or without one when the sheet uses one.
        if prefix:
            self.foreign = (re.compile(rb":(?<![</]" + p + rb")c[\s>/]"), re.compile(rb"<c[\s>/]"))
        else:
            self.foreign = (re.compile(rb":c[\s>/]"),)
        self.formula = re.compile(b"<" + p + rb"f[\s>/]")  # only a cell's formula is an <f> in the main namespace
        self.shared_value = re.compile(rb' t="s"[^>]*><' + p + rb"v>([0-9]{1,10})</" + p + rb"v>")
        self.prefix = p

    @lru_cache(maxsize=64)  # noqa: B019 - a handful of dialects live for the whole process
    def outside(self, max_col: int, max_row: int) -> re.Pattern:
        """Matches a cell start tag that is not canonical, or whose column or row exceeds the given (1-based) ones."""
        if max_col and max_row:
            within = _up_to(_col_letters(max_col - 1), "A", "Z") + _up_to(str(max_row), "0", "9")
            canonical = b' r="' + within.encode() + b'"' + _CELL_ATTRS
        else:
            canonical = b"(?!)"
        return re.compile(b"<" + self.prefix + rb"c(?=[\s>/])(?!" + canonical + b")")


@lru_cache(maxsize=8)
def _dialect(prefix: bytes) -> _Dialect:
    return _Dialect(prefix)


@dataclass
class _SheetFacts:
    cells: int = 0  # <c> elements written
    max_row: int = 0  # 1-based
    max_col: int = 0  # 1-based
    shared_cells: int = 0  # cells of type t="s"
    shared_uses: Counter | None = None  # shared string index -> cells using it (exact path only)
    merged: int = 0  # an upper bound on the <mergeCell> elements
    dialect: _Dialect | None = None  # fast path only


def _check_sheet(package: _Package, path: str) -> None:
    """Refuse formulas, and sheets whose materialised size in calamine would be excessive."""
    facts = _scan_sheet_fast(package, path)
    if facts is None:
        facts = _scan_sheet_exact(package, path)
    if facts.merged > MAX_MERGED_RANGES:
        raise TableError("文件中合并单元格过多，请取消合并后再导入")
    area = facts.max_row * facts.max_col
    if area > MAX_XLSX_CELLS or area > max(SPARSE_FLOOR, SPARSE_FACTOR * facts.cells):
        used = f"A1:{_col_letters(facts.max_col - 1)}{facts.max_row}"
        raise TableError(
            f"表格的使用范围（{used}）过大或远大于实际数据，可能在很远的行或列中有多余内容；"
            "请删除多余的行和列（或只复制数据到新表格）后再导入"
        )
    strings = f"{package.xl_path}sharedStrings.xml"
    if facts.shared_cells and package.info(strings) is not None:
        # Cheap bound first: every shared-string cell using the longest string. If that is too much, count exactly.
        if facts.shared_cells * _longest_shared_string(package, strings) > MAX_SHARED_TEXT_BYTES:
            uses = facts.shared_uses
            if uses is None:
                uses = _shared_uses(package, path, facts)
            if uses is None:
                uses = _scan_sheet_exact(package, path).shared_uses
            lengths = _shared_string_lengths(package, strings)
            total = sum(lengths[i] * n for i, n in uses.items() if i < len(lengths))
            if total > MAX_SHARED_TEXT_BYTES:
                raise TableError(
                    f"文件中的文字内容过多（展开后约 {total // MIB} MB），无法导入；请拆分为多个文件后再导入"
                )


class _NotCanonical(Exception):
    pass


def _cut_chunks(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """Re-cut decompressed chunks just after a '>' so that no tag is split between two of them."""
    carry = b""
    for block in chunks:
        data = carry + block if carry else block
        cut = data.rfind(b">") + 1
        if cut == 0:
            if len(data) > 8 * CHUNK:  # megabytes without a tag end: leave it to the exact path
                raise _NotCanonical
            carry = data
            continue
        carry = data[cut:]
        yield data[:cut]
    if carry:
        yield carry


def _scan_sheet_fast(package: _Package, path: str) -> _SheetFacts | None:
    """Facts about a canonical sheet, or None when the sheet is not canonical."""
    facts = _SheetFacts()
    last_ref = ""
    dialect = None
    try:
        for chunk in _cut_chunks(package.chunks(path, MAX_SHEET_XML_BYTES)):
            if dialect is None:
                root = _ROOT.search(chunk)
                if root is None:
                    return None
                dialect = facts.dialect = _dialect(root.group(1) or b"")
            if any(pattern.search(chunk) for pattern in dialect.foreign):
                return None
            if formula := dialect.formula.search(chunk):
                at = chunk.rfind(dialect.cell_start, 0, formula.start())
                cell = dialect.canonical.match(chunk, at) if at >= 0 else None
                raise _formula_error((cell.group(1) + cell.group(2)).decode() if cell else last_ref)
            cells = chunk.count(dialect.cell_start)
            if cells and (cell := dialect.canonical.match(chunk, chunk.rfind(dialect.cell_start))):
                last_ref = (cell.group(1) + cell.group(2)).decode()
                facts.max_row = max(facts.max_row, int(cell.group(2)))
                facts.max_col = max(facts.max_col, _col_number(cell.group(1)))
            position = 0
            while odd := dialect.outside(facts.max_col, facts.max_row).search(chunk, position):
                cell = dialect.canonical.match(chunk, odd.start())
                if cell is None:
                    return None
                facts.max_row = max(facts.max_row, int(cell.group(2)))
                facts.max_col = max(facts.max_col, _col_number(cell.group(1)))
                position = odd.start()
            facts.cells += cells
            facts.shared_cells += chunk.count(b' t="s"')
            facts.merged += chunk.count(b"mergeCell")  # also counts <mergeCells> itself: an upper bound
    except _NotCanonical:
        return None
    return facts


def _formula_error(cell: str) -> TableError:
    where = f"{cell} 单元格" if cell else "文件中有单元格"
    return TableError(f"{where}含公式，请改为数值后再导入")


def _up_to(limit: str, low: str, high: str) -> str:
    """A regex for the strings of `low`..`high` digits that sort at or below `limit` in column or row order:
    fewer digits (without leading zero), or as many and not greater."""
    first_low = chr(ord(low) + 1) if low == "0" else low
    size = len(limit)
    alternatives = [f"[{first_low}-{high}][{low}-{high}]{{0,{size - 2}}}"] if size > 1 else []
    for i, ch in enumerate(limit):
        floor = first_low if i == 0 else low
        if ch > floor:
            alternatives.append(f"{limit[:i]}[{floor}-{chr(ord(ch) - 1)}][{low}-{high}]{{{size - i - 1}}}")
    alternatives.append(limit)
    return "(?:" + "|".join(alternatives) + ")"


def _shared_uses(package: _Package, path: str, facts: _SheetFacts) -> Counter | None:
    """How often each shared string is used, read with a regex from a canonical sheet; None if that misses some."""
    uses = Counter()
    try:
        for chunk in _cut_chunks(package.chunks(path, MAX_SHEET_XML_BYTES)):
            uses.update(facts.dialect.shared_value.findall(chunk))
    except _NotCanonical:
        return None
    if uses.total() != facts.shared_cells:
        return None
    return Counter({int(index): n for index, n in uses.items()})


def _scan_sheet_exact(package: _Package, path: str) -> _SheetFacts:
    """Parse the sheet XML with expat, placing cells exactly as calamine does (XML-aware, several times slower).

    Like calamine, elements are recognised by local name and the position attribute is exactly "r". Duplicate
    attributes, which calamine would silently resolve to the last one, are an XML error here.
    """
    from xml.parsers import expat

    facts = _SheetFacts(shared_uses=Counter())
    uses = facts.shared_uses
    row = col = 0  # 0-based, as calamine counts: the next row, and the next column in this row
    cell_row = cell_col = 0
    in_cell = has_value = shared = False
    text: list[str] = []

    def start(name: str, attrs: list[str]) -> None:
        nonlocal row, col, cell_row, cell_col, in_cell, has_value, shared
        if in_cell:
            has_value = True
            if name == "f" or name.endswith(":f"):
                raise _formula_error(f"{_col_letters(cell_col)}{cell_row + 1}")
        elif name == "c" or name.endswith(":c"):
            values = dict(zip(attrs[::2], attrs[1::2], strict=True))
            ref = values.get("r")
            cell_row, cell_col = _parse_ref(ref) if ref is not None else (row, col)
            col = cell_col + 1
            in_cell, has_value, shared = True, False, values.get("t") == "s"
            text.clear()
        elif name == "mergeCell" or name.endswith(":mergeCell"):
            facts.merged += 1
        elif name == "row" or name.endswith(":row"):
            for key, value in zip(attrs[::2], attrs[1::2], strict=True):
                if key == "r":
                    row = _parse_ref(value, need_column=False)[0]

    def end(name: str) -> None:
        nonlocal row, col, in_cell
        if name == "c" or name.endswith(":c"):
            in_cell = False
            facts.cells += 1
            if has_value:  # calamine keeps only cells with a value
                facts.max_row = max(facts.max_row, cell_row + 1)
                facts.max_col = max(facts.max_col, cell_col + 1)
            if shared:
                facts.shared_cells += 1
                index = "".join(text).strip()
                if index.isdigit():
                    uses[int(index)] += 1
        elif name == "row" or name.endswith(":row"):
            row += 1
            col = 0

    def characters(data: str) -> None:
        if shared and in_cell:
            text.append(data)

    # expat (2.4+) refuses entity-expansion bombs and, with no handler set, never fetches external entities.
    parser = expat.ParserCreate()
    parser.buffer_text = True
    parser.ordered_attributes = True
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = characters
    try:
        for chunk in package.chunks(path, MAX_SHEET_XML_BYTES):
            parser.Parse(chunk, False)
        parser.Parse(b"", True)
    except expat.ExpatError:
        raise TableError(BROKEN_XLSX) from None
    return facts


_REF = re.compile(r"([A-Za-z]*)([0-9]+)")


def _parse_ref(ref: str, *, need_column: bool = True) -> tuple[int, int]:
    """'B12' -> (11, 1), 0-based, reading letters then digits as calamine does; TableError if it cannot."""
    m = _REF.fullmatch(ref)
    if m is None or (need_column and not m.group(1)):
        raise TableError(BROKEN_XLSX)
    return int(m.group(2)) - 1, _col_number(m.group(1)) - 1


def _longest_shared_string(package: _Package, path: str) -> int:
    """An upper bound, in bytes, on the longest shared string: the longest stretch between two "</si>".

    A "</si>" split between chunks, or written another way, only merges stretches, so the bound stays an upper one.
    """
    longest = 0
    carry = 0
    for chunk in package.chunks(path, MAX_SHARED_STRINGS_XML_BYTES):
        parts = chunk.split(b"</si>")
        if len(parts) == 1:
            carry += len(chunk)
            continue
        longest = max(longest, carry + len(parts[0]), *map(len, parts[1:-1]))
        carry = len(parts[-1])
    return max(longest, carry)


def _shared_string_lengths(package: _Package, path: str) -> array:
    """The UTF-8 length of every shared string, by index (text of all its runs, phonetic ones included), via expat."""
    from xml.parsers import expat

    lengths = array("q")
    depth = 0  # inside an <si> element when > 0

    def start(name: str, attrs: list[str]) -> None:
        nonlocal depth
        if depth:
            depth += 1
        elif name == "si" or name.endswith(":si"):
            depth = 1
            lengths.append(0)

    def end(name: str) -> None:
        nonlocal depth
        if depth:
            depth -= 1

    def characters(data: str) -> None:
        if depth:
            lengths[-1] += len(data.encode("utf-8", "surrogatepass"))

    parser = expat.ParserCreate()
    parser.buffer_text = True
    parser.ordered_attributes = True
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = characters
    try:
        for chunk in package.chunks(path, MAX_SHARED_STRINGS_XML_BYTES):
            parser.Parse(chunk, False)
        parser.Parse(b"", True)
    except expat.ExpatError:
        raise TableError(BROKEN_XLSX) from None
    return lengths


# ----------------------------------------------------------------------------------------------------- template


def write_template(columns: Sequence[Column], example_rows: Sequence[Sequence[str]] = ()) -> bytes:
    """An .xlsx import template: bold header row, every cell formatted as text (so ID numbers stay intact),
    the example rows, and a second sheet explaining the columns."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill

    text = "@"
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "导入数据"
    bold = Font(bold=True)
    required_fill = PatternFill("solid", fgColor="FCE4D6")
    optional_fill = PatternFill("solid", fgColor="EDEDED")
    for index, column in enumerate(columns, start=1):
        letter = _col_letters(index - 1)
        cell = sheet.cell(row=1, column=index, value=column.header)
        cell.data_type = "s"
        cell.font = bold
        cell.fill = required_fill if column.required else optional_fill
        cell.number_format = text
        cell.alignment = Alignment(horizontal="center", vertical="center")
        dimension = sheet.column_dimensions[letter]
        dimension.number_format = text  # cells typed later in this column are text too
        longest = max([len(column.header), *(len(str(r[index - 1])) for r in example_rows if len(r) >= index)])
        dimension.width = min(max(10, longest * 2 + 2), 40)
    for row_index, row in enumerate(example_rows, start=2):
        for col_index, value in enumerate(row, start=1):
            cell = sheet.cell(row=row_index, column=col_index)
            if value not in (None, ""):
                cell.value = str(value)
                cell.data_type = "s"  # never a formula, even if it starts with "="
            cell.number_format = text
    sheet.freeze_panes = "A2"

    notes = workbook.create_sheet("填写说明")
    notes.append(["列名", "是否必填", "也可使用的列名"])
    for cell in notes[1]:
        cell.font = bold
    for column in columns:
        notes.append([column.header, "必填" if column.required else "选填", "、".join(column.aliases)])
    notes.append([])
    notes.append(["请在第一个工作表中填写，第 1 行为表头，从第 2 行起每行一条记录；示例行导入前请删除。"])
    notes.append(["表头为橙色的是必填列，灰色的是选填列；不需要的选填列可以删除，列的顺序可以调整。"])
    notes.append(["请勿合并单元格，请勿使用公式；身份证号码等请保持文本格式。"])
    for letter, width in (("A", 20), ("B", 10), ("C", 30)):
        notes.column_dimensions[letter].width = width

    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
