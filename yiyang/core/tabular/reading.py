"""Opening an uploaded table: the format follows the file name, checked against the first bytes."""

from __future__ import annotations

import pathlib
from collections.abc import Sequence
from typing import BinaryIO

from .csvfile import open_csv
from .source import Source
from .table import (
    EXCEL_AS_CSV,
    NO_DATA,
    NOT_XLSX,
    OLE_MAGIC,
    OLE_XLSX,
    XLS_REFUSED,
    XLSX_MAGIC,
    Column,
    Table,
    TableError,
    column_lookup,
)
from .xlsxfile import open_xlsx


def open_table(
    source: str | pathlib.Path | BinaryIO,
    filename: str,
    columns: Sequence[Column],
    *,
    max_bytes: int,
    allow_missing: bool = False,
) -> Table:
    """Open an uploaded table and check it; raise TableError naming the first problem found.

    `source` is a path or a binary file object (read from its current position; not closed here). `filename` is
    the name the user uploaded, whose extension decides the format (.xlsx or .csv). With `allow_missing`, a
    header lacking required columns is accepted when it has unknown columns (that a clerk may map to them); the
    table's `missing` lists them.
    """
    lookup = column_lookup(columns)
    suffix = pathlib.PurePath(filename or "").suffix.lower()
    if suffix == ".xls":
        raise TableError(XLS_REFUSED)
    if suffix not in (".xlsx", ".csv"):
        shown = f"（当前为 {suffix}）" if suffix else ""
        raise TableError(f"仅支持 .xlsx 和 .csv 文件{shown}；请在 Excel 或 WPS 中另存为 .xlsx 后再导入")
    src = Source.open(source, max_bytes)
    if src.size == 0:
        raise TableError(NO_DATA)
    magic = src.head(8)
    if suffix == ".csv":
        if magic.startswith((XLSX_MAGIC, OLE_MAGIC)):
            raise TableError(EXCEL_AS_CSV)
        return open_csv(src, columns, lookup, allow_missing=allow_missing)
    if magic.startswith(OLE_MAGIC):
        raise TableError(OLE_XLSX)
    if not magic.startswith(XLSX_MAGIC):
        raise TableError(NOT_XLSX)
    return open_xlsx(src, columns, lookup, allow_missing=allow_missing)
