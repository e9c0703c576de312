"""Spreadsheet export: constant-memory .xlsx writing with formula-injection neutralised (DESIGN.md §5).

Sensitive columns are masked the same way as on pages: annotate the queryset with
`core.masking.with_may_reveal` and write `core.masking.export_values(row, reveal=...)`; audit the export once.
"""

import tempfile
from collections.abc import Iterable, Sequence

import xlsxwriter

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value):
    """Prefix text that a spreadsheet would run as a formula with an apostrophe-like quote."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def write_xlsx(headers: Sequence[str], rows: Iterable[Sequence], *, sheet_name: str = "Sheet1"):
    """Write rows to a temporary .xlsx file and return it opened for reading (binary).

    Strings are written as strings (never parsed as formulas or numbers), so a cell like "=1+1" or an
    ID number stays exactly as typed.
    """
    handle = tempfile.TemporaryFile(suffix=".xlsx")
    workbook = xlsxwriter.Workbook(
        handle,
        {"constant_memory": True, "strings_to_formulas": False, "strings_to_numbers": False, "strings_to_urls": False},
    )
    sheet = workbook.add_worksheet(sheet_name)
    bold = workbook.add_format({"bold": True})
    for col, header in enumerate(headers):
        sheet.write_string(0, col, header, bold)
    for row_index, row in enumerate(rows, start=1):
        for col, value in enumerate(row):
            if value is None or value == "":
                continue
            value = neutralise(value)
            if isinstance(value, str):
                sheet.write_string(row_index, col, value)
            else:
                sheet.write(row_index, col, value)
    workbook.close()
    handle.seek(0)
    return handle
