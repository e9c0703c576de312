"""Writing .xlsx import templates."""

from __future__ import annotations

import io
from collections.abc import Sequence

from .table import Column, col_letters


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
        letter = col_letters(index - 1)
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
    notes.append(["数据行中请勿合并单元格；公式按文件中保存的计算结果读取。身份证号码等请保持文本格式。"])
    for letter, width in (("A", 20), ("B", 10), ("C", 30)):
        notes.column_dimensions[letter].width = width

    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
