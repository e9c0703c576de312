"""Checks of an .xlsx package before calamine reads it: bounds on the memory it would take, and the formula
cells whose value must not be read.

See the package docstring for why: calamine materialises the whole used rectangle of a sheet. A formula is
never evaluated: calamine reads the value the spreadsheet program saved with it (its cached value), which is
plain data like any typed cell. The guard notes, per cell, the formulas whose value cannot be used (see
`FormulaFlag`), so that the reader refuses those cells' rows, never the whole file.
"""

from __future__ import annotations

import re
import struct
import zipfile
import zlib
from array import array
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from enum import IntEnum
from functools import lru_cache
from typing import BinaryIO
from xml.etree import ElementTree
from xml.sax.saxutils import unescape

from .table import BROKEN_XLSX, CHUNK, MIB, NOT_XLSX, OLE_XLSX, XLSX_MAGIC, TableError, col_letters, col_number

# What calamine may materialise for one sheet (see the package docstring). A legitimate 1,000,000-row file with 16
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
MAX_FLAGGED_FORMULAS = 500_000  # formula cells noted as unusable (those with a usable value cost nothing)


class FormulaFlag(IntEnum):
    """Why a formula cell's value may not be used as data."""

    CHECK = 1  # no cached value seen: usable only if calamine still reads a non-empty value
    ERROR = 2  # the cached value is an error (#N/A, #REF! ...), which calamine reads as empty
    EXTERNAL = 3  # links to another workbook, a DDE command or a function fetching outside data: never used


# Formulas whose cached value comes from outside the file or runs a command (DDE: =cmd|'/c calc'!A0), never used
# even when a value was saved with them: the classic spreadsheet-injection vectors.
_EXTERNAL_FORMULA = re.compile(
    r"\[[^\]]*\]|\||\b(?:WEBSERVICE|HYPERLINK|CALL|REGISTER(?:\.ID)?|EXEC|FILTERXML|RTD|DDE|DDEAUTO|IMPORTXML"
    r"|IMPORTDATA|IMPORTHTML|IMPORTRANGE|IMPORTFEED|IMAGE|INFO|CELL|EXECUTE|SHELL)\s*\(",
    re.IGNORECASE,
)


def formula_flag(text: str, error: bool, has_value: bool) -> FormulaFlag | None:
    """The flag of a formula cell (None: its cached value is plain data, read like any cell)."""
    if _EXTERNAL_FORMULA.search(text):
        return FormulaFlag.EXTERNAL
    if error:
        return FormulaFlag.ERROR
    if not has_value:
        return FormulaFlag.CHECK
    return None


class Package:
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
        # A formula cell as written by mainstream writers: <c r="B3" t="..."><f ...>text</f><v>value</v>.
        self.formula_cell = re.compile(
            b"<"
            + p
            + rb'c r="([A-Z]{1,3})([1-9][0-9]{0,6})"((?: (?:s|t|cm|vm|ph)="[^"<>]*")*)>'
            + b"(<"
            + p
            + rb'f)((?: [\w:]+="[^"<>]*")*)\s*(?:/>|>([^<]*)</'
            + p
            + rb"f>)(<"
            + p
            + rb"v>[^<]|</)?"
        )
        self.shared_value = re.compile(rb' t="s"[^>]*><' + p + rb"v>([0-9]{1,10})</" + p + rb"v>")
        self.prefix = p

    @lru_cache(maxsize=64)  # noqa: B019 - a handful of dialects live for the whole process
    def outside(self, max_col: int, max_row: int) -> re.Pattern:
        """Matches a cell start tag that is not canonical, or whose column or row exceeds the given (1-based) ones."""
        if max_col and max_row:
            within = _up_to(col_letters(max_col - 1), "A", "Z") + _up_to(str(max_row), "0", "9")
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
    # 0-based row -> [(0-based column, FormulaFlag)] of the formula cells whose value may not be used as is
    formulas: dict[int, list[tuple[int, FormulaFlag]]] = field(default_factory=dict)
    flagged: int = 0
    shared_formulas: dict[str, str] = field(default_factory=dict)  # si -> text of the shared formula

    def note_formula(self, row: int, col: int, text: str, attrs: str, error: bool, has_value: bool) -> None:
        """Note one formula cell (0-based row and column; `attrs` those of its <f> element)."""
        shared = re.search(r'\bsi="([0-9]+)"', attrs)
        if shared:
            if text:
                self.shared_formulas[shared.group(1)] = text
            else:
                text = self.shared_formulas.get(shared.group(1), "")
        flag = formula_flag(text, error, has_value)
        if flag is None:
            return
        self.flagged += 1
        if self.flagged > MAX_FLAGGED_FORMULAS:
            raise TableError("文件中无法读取结果的公式过多；请将整个表格复制后“选择性粘贴”为数值，另存后再导入")
        self.formulas.setdefault(row, []).append((col, flag))


def check_sheet(package: Package, path: str) -> _SheetFacts:
    """Refuse sheets whose materialised size in calamine would be excessive; the facts found, among them the
    formula cells whose value may not be used (`formulas`)."""
    facts = _scan_sheet_fast(package, path)
    if facts is None:
        facts = _scan_sheet_exact(package, path)
    if facts.merged > MAX_MERGED_RANGES:
        raise TableError("文件中合并单元格过多，请取消合并后再导入")
    area = facts.max_row * facts.max_col
    if area > MAX_XLSX_CELLS or area > max(SPARSE_FLOOR, SPARSE_FACTOR * facts.cells):
        used = f"A1:{col_letters(facts.max_col - 1)}{facts.max_row}"
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
    return facts


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


def _scan_sheet_fast(package: Package, path: str) -> _SheetFacts | None:
    """Facts about a canonical sheet, or None when the sheet is not canonical."""
    facts = _SheetFacts()
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
            for formula in dialect.formula.finditer(chunk):
                at = chunk.rfind(dialect.cell_start, 0, formula.start())
                cell = dialect.formula_cell.match(chunk, at) if at >= 0 else None
                if cell is None or cell.start(4) != formula.start() or cell.group(7) is None:
                    return None  # written another way, or cut by the chunk's end: leave it to the exact path
                attrs = cell.group(3).decode()
                facts.note_formula(
                    int(cell.group(2)) - 1,
                    col_number(cell.group(1)) - 1,
                    unescape((cell.group(6) or b"").decode("utf-8", "replace"), {"&quot;": '"', "&apos;": "'"}),
                    cell.group(5).decode(),
                    ' t="e"' in attrs,
                    cell.group(7).startswith(b"<" + dialect_prefix(dialect) + b"v>"),
                )
            cells = chunk.count(dialect.cell_start)
            if cells and (cell := dialect.canonical.match(chunk, chunk.rfind(dialect.cell_start))):
                facts.max_row = max(facts.max_row, int(cell.group(2)))
                facts.max_col = max(facts.max_col, col_number(cell.group(1)))
            position = 0
            while odd := dialect.outside(facts.max_col, facts.max_row).search(chunk, position):
                cell = dialect.canonical.match(chunk, odd.start())
                if cell is None:
                    return None
                facts.max_row = max(facts.max_row, int(cell.group(2)))
                facts.max_col = max(facts.max_col, col_number(cell.group(1)))
                position = odd.start()
            facts.cells += cells
            facts.shared_cells += chunk.count(b' t="s"')
            facts.merged += chunk.count(b"mergeCell")  # also counts <mergeCells> itself: an upper bound
    except _NotCanonical:
        return None
    return facts


def dialect_prefix(dialect: _Dialect) -> bytes:
    return dialect.cell_start[1:-5]  # b"<x:c r=\"" -> b"x:"


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


def _shared_uses(package: Package, path: str, facts: _SheetFacts) -> Counter | None:
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


def _scan_sheet_exact(package: Package, path: str) -> _SheetFacts:
    """Parse the sheet XML with expat, placing cells exactly as calamine does (XML-aware, several times slower).

    Like calamine, elements are recognised by local name and the position attribute is exactly "r". Duplicate
    attributes, which calamine would silently resolve to the last one, are an XML error here.
    """

    facts = _SheetFacts(shared_uses=Counter())
    uses = facts.shared_uses
    row = col = 0  # 0-based, as calamine counts: the next row, and the next column in this row
    cell_row = cell_col = 0
    in_cell = has_value = shared = False
    text: list[str] = []

    formula: list | None = None  # [text parts, <f> attributes, whether a value followed] in a formula cell
    cell_error = False
    in_formula = in_value = False

    def start(name: str, attrs: list[str]) -> None:
        nonlocal row, col, cell_row, cell_col, in_cell, has_value, shared, formula, cell_error, in_formula
        nonlocal in_value
        if in_cell:
            has_value = True
            if name == "f" or name.endswith(":f"):
                f_attrs = " ".join(f'{k}="{v}"' for k, v in zip(attrs[::2], attrs[1::2], strict=True))
                formula, in_formula = [[], f_attrs, False], True
            elif name == "v" or name.endswith(":v"):
                in_value = True
        elif name == "c" or name.endswith(":c"):
            values = dict(zip(attrs[::2], attrs[1::2], strict=True))
            ref = values.get("r")
            cell_row, cell_col = _parse_ref(ref) if ref is not None else (row, col)
            col = cell_col + 1
            in_cell, has_value, shared = True, False, values.get("t") == "s"
            cell_error, formula = values.get("t") == "e", None
            text.clear()
        elif name == "mergeCell" or name.endswith(":mergeCell"):
            facts.merged += 1
        elif name == "row" or name.endswith(":row"):
            for key, value in zip(attrs[::2], attrs[1::2], strict=True):
                if key == "r":
                    row = _parse_ref(value, need_column=False)[0]

    def end(name: str) -> None:
        nonlocal row, col, in_cell, in_formula, in_value
        if in_formula and (name == "f" or name.endswith(":f")):
            in_formula = False
        elif in_value and (name == "v" or name.endswith(":v")):
            in_value = False
        elif name == "c" or name.endswith(":c"):
            in_cell = False
            if formula is not None:
                facts.note_formula(cell_row, cell_col, "".join(formula[0]), formula[1], cell_error, formula[2])
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
        if in_formula:
            formula[0].append(data)
        elif in_value and formula is not None and data.strip():
            formula[2] = True
        if shared and in_cell:
            text.append(data)

    _expat_parse(package, path, MAX_SHEET_XML_BYTES, start, end, characters)
    return facts


def _expat_parse(package: Package, path: str, limit: int, start, end, characters) -> None:
    """Stream one package part of at most `limit` bytes through expat with these handlers; TableError
    if it is not well-formed XML. expat (2.4+) refuses entity-expansion bombs and, with no handler set,
    never fetches external entities."""
    from xml.parsers import expat

    parser = expat.ParserCreate()
    parser.buffer_text = True
    parser.ordered_attributes = True
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = characters
    try:
        for chunk in package.chunks(path, limit):
            parser.Parse(chunk, False)
        parser.Parse(b"", True)
    except expat.ExpatError:
        raise TableError(BROKEN_XLSX) from None


_REF = re.compile(r"([A-Za-z]*)([0-9]+)")


def _parse_ref(ref: str, *, need_column: bool = True) -> tuple[int, int]:
    """'B12' -> (11, 1), 0-based, reading letters then digits as calamine does; TableError if it cannot."""
    m = _REF.fullmatch(ref)
    if m is None or (need_column and not m.group(1)):
        raise TableError(BROKEN_XLSX)
    return int(m.group(2)) - 1, col_number(m.group(1)) - 1


def _longest_shared_string(package: Package, path: str) -> int:
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


def _shared_string_lengths(package: Package, path: str) -> array:
    """The UTF-8 length of every shared string, by index (text of all its runs, phonetic ones included), via expat."""

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

    _expat_parse(package, path, MAX_SHARED_STRINGS_XML_BYTES, start, end, characters)
    return lengths
