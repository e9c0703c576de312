"""Reading .xlsx tables with python-calamine, after the guard has bounded what calamine would allocate."""

from __future__ import annotations

import datetime as dt
import itertools
import pathlib
from collections.abc import Iterator, Sequence
from decimal import Decimal

from .source import Source
from .table import BROKEN_XLSX, NO_DATA, Column, Table, TableError, match_header, require_data, row_builder
from .xlsxguard import Package, check_sheet


def open_xlsx(src: Source, columns: Sequence[Column], lookup: dict[str, str]) -> Table:
    import python_calamine

    with src.reader() as f:
        package = Package(f)
        sheet_index, sheet_path = package.first_visible_worksheet()
        check_sheet(package, sheet_path)
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
            header_map, extra = match_header(cells, row_number, columns, lookup)
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
        build = row_builder(table, lambda v: v.strip() if v.__class__ is str else _cell_text(v), first_col)
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
    return require_data(table)


def _load_sheet(python_calamine, source, index: int, names: list[str]):
    if isinstance(source, pathlib.Path):
        workbook = python_calamine.CalamineWorkbook.from_path(str(source))
    else:
        workbook = python_calamine.CalamineWorkbook.from_filelike(source)
    with workbook:
        # The sheet checked by check_sheet must be the one calamine reads.
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
