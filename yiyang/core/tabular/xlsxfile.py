"""Reading .xlsx tables with python-calamine, after the guard has bounded what calamine would allocate."""

from __future__ import annotations

import datetime as dt
import itertools
import pathlib
from collections.abc import Iterator, Sequence
from decimal import Decimal

from .source import Source
from .table import (
    BROKEN_XLSX,
    HEAD_ROWS,
    NO_DATA,
    Column,
    Footers,
    Numeric,
    Refused,
    Table,
    TableError,
    locate_header,
    require_data,
    row_builder,
)
from .xlsxguard import FormulaFlag, Package, check_sheet

FORMULA_REASONS = {
    FormulaFlag.CHECK: "该单元格是公式，但文件中没有保存计算结果；请在 Excel 或 WPS 中打开并保存，或直接填写内容",
    FormulaFlag.ERROR: "该单元格的公式计算结果为错误值（如 #N/A、#REF!）；请改正公式或直接填写内容",
    FormulaFlag.EXTERNAL: "该单元格的公式引用其他文件、网络数据或命令，不予读取；请直接填写内容",
}
MERGED_REASON = "该单元格是合并单元格；请取消合并，并在每一行填写完整内容"


def open_xlsx(src: Source, columns: Sequence[Column], lookup: dict[str, str], *, allow_missing: bool = False) -> Table:
    import python_calamine

    with src.reader() as f:
        package = Package(f)
        sheet_index, sheet_path = package.first_visible_worksheet()
        facts = check_sheet(package, sheet_path)
        names = package.sheet_names
    with src.reader() as f:
        sheet = _calamine(
            lambda: _load_sheet(python_calamine, src.path if src.path is not None else f, sheet_index, names)
        )
    if sheet.start is None:  # nothing in the sheet (iter_rows would fail on it)
        raise TableError(NO_DATA)
    first_col = sheet.start[1]
    head: list[tuple[int, list[str]]] = []
    for row_number, row in enumerate(_calamine(sheet.iter_rows), 1):
        cells = [""] * first_col + [_cell_text(v) for v in row]
        if any(cells):
            head.append((row_number, cells))
            if len(head) > HEAD_ROWS:
                break
    if not head:
        raise TableError(NO_DATA)
    ranges = _calamine(lambda: sheet.merged_cell_ranges or ())
    spans: dict[int, list[tuple[int, int]]] = {}
    for (top, left), (_bottom, right) in ranges:
        if right > left:
            spans.setdefault(top + 1, []).append((left, right))
    header_row, body_start, header_map, extra = locate_header(
        head, columns, lookup, spans=spans, allow_missing=allow_missing
    )
    # Merged cells above and in the header (titles, group labels) are expected; in the data rows they are refused
    # per row (a footer row, such as a merged 填表人 line, is skipped whole).
    merged = sorted((top, bottom, left, right) for (top, left), (bottom, right) in ranges if bottom >= body_start - 1)
    formulas = facts.formulas

    def rows(table: Table) -> Iterator[tuple[int, dict[str, str]]]:
        # Strings, by far the most common cells, are stripped inline; anything else goes through _cell_value.
        build = row_builder(table, lambda v: v.strip() if v.__class__ is str else _cell_value(v), first_col)
        convert = _cell_text
        footer = Footers(table)
        keys = {index: key for key, index in table.header_map.items()}
        active: list[tuple[int, int, int, int]] = []
        upcoming = iter(merged)
        pending = next(upcoming, None)
        numbered = itertools.islice(enumerate(_calamine(sheet.iter_rows), 1), table.body_start - 1, None)
        for row_number, row in numbered:
            values = build(row)
            if not any(values.values()) and not any(map(convert, row)):
                continue
            if footer(row_number, row):
                continue
            index = row_number - 1
            if index in formulas:
                for col, flag in formulas[index]:
                    key = keys.get(col)
                    if key is not None and (flag != FormulaFlag.CHECK or not values[key]):
                        values[key] = Refused(values[key], FORMULA_REASONS[flag])
            if pending is not None or active:
                while pending is not None and pending[0] <= index:
                    active.append(pending)
                    pending = next(upcoming, None)
                active = [m for m in active if m[1] >= index]
                for _top, _bottom, left, right in active:
                    for col in range(left, right + 1):
                        key = keys.get(col)
                        if key is not None:
                            values[key] = Refused(values[key], MERGED_REASON)
            yield row_number, values

    table = Table(
        kind="xlsx",
        columns=columns,
        header_row=header_row,
        header_map=header_map,
        extra_headers=extra,
        rows=rows,
        body_start=body_start,
        missing=[c.header for c in columns if c.required and c.key not in header_map],
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


def _cell_value(value) -> str:
    """A data cell's text; a number's text is marked `Numeric` (see there)."""
    kind = type(value)
    if kind is float:
        return Numeric(_float_text(value))
    if kind is int:
        return Numeric(str(value))
    return _cell_text(value)


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
