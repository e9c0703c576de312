"""Reading .csv tables: encoding sniffed and decoded a chunk at a time, comma or tab separated."""

from __future__ import annotations

import codecs
import csv
import io
import itertools
from collections.abc import Iterator, Sequence
from typing import BinaryIO

from .source import Source
from .table import (
    BAD_ENCODING,
    CHUNK,
    HEAD_ROWS,
    NO_DATA,
    Column,
    Footers,
    Table,
    TableError,
    locate_header,
    require_data,
    row_builder,
)


def open_csv(src: Source, columns: Sequence[Column], lookup: dict[str, str], *, allow_missing: bool = False) -> Table:
    head: list[tuple[int, list[str]]] = []  # the first non-empty rows, where the header is searched
    with src.reader() as f:
        reader = _csv_reader(f)
        row_number = 0
        try:
            for row in reader:
                row_number += 1
                cells = [c.strip() for c in row]
                if any(cells):
                    head.append((row_number, cells))
                    if len(head) > HEAD_ROWS:
                        break
        except csv.Error as exc:
            raise _csv_error(row_number + 1, exc) from None
    if not head:
        raise TableError(NO_DATA)
    header_row, body_start, header_map, extra = locate_header(head, columns, lookup, allow_missing=allow_missing)

    def rows(table: Table) -> Iterator[tuple[int, dict[str, str]]]:
        """The data rows after the header; records count as spreadsheet rows, blank lines included."""
        build = row_builder(table, str.strip)
        width = max(table.header_map.values(), default=0) + 1
        strip = str.strip
        footer = Footers(table)
        row_number = table.body_start - 1
        with src.reader() as f:
            try:
                for row in itertools.islice(_csv_reader(f), table.body_start - 1, None):
                    row_number += 1
                    if len(row) < width:
                        if not row:
                            continue
                        row += [""] * (width - len(row))
                    values = build(row)
                    if not any(values.values()) and not any(map(strip, row)):
                        continue
                    if footer(row_number, row):
                        continue
                    yield row_number, values
            except csv.Error as exc:
                raise _csv_error(row_number + 1, exc) from None

    table = Table(
        kind="csv",
        columns=columns,
        header_row=header_row,
        header_map=header_map,
        extra_headers=extra,
        rows=rows,
        body_start=body_start,
        missing=[c.header for c in columns if c.required and c.key not in header_map],
    )
    return require_data(table)


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
