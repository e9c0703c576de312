import csv
import datetime
import io
import re
import zipfile

import openpyxl
import pytest
import xlsxwriter
from hypothesis import given, settings
from hypothesis import strategies as st

from yiyang.core import tabular
from yiyang.core.tabular import Column, TableError, csvfile, open_table, write_template, xlsxguard
from yiyang.core.tabular import table as table_module

COLUMNS = [
    Column("name", "姓名"),
    Column("id_number", "公民身份号码", aliases=("身份证号码", "身份证号")),
    Column("phone", "联系电话", required=False, aliases=("电话",)),
    Column("birth_date", "出生日期", required=False),
]
HEADERS = ["姓名", "公民身份号码", "联系电话", "出生日期"]
MB = 1024 * 1024
MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


# ----------------------------------------------------------------------------------------------------- helpers


def make_xlsx(tmp_path, rows, name="data.xlsx", setup=None):
    """An .xlsx (openpyxl) with `rows` from A1; None cells are left empty."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row, start=1):
            if value is not None:
                sheet.cell(row=r, column=c, value=value)
    if setup:
        setup(workbook, sheet)
    path = tmp_path / name
    workbook.save(path)
    return path


def make_csv(tmp_path, rows, *, encoding="utf-8", name="data.csv", lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL):
    buffer = io.StringIO(newline="")
    csv.writer(buffer, lineterminator=lineterminator, quoting=quoting).writerows(rows)
    path = tmp_path / name
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def read(source, columns=COLUMNS, filename=None, max_bytes=10 * MB):
    table = open_table(source, filename or source.name, columns, max_bytes=max_bytes)
    return table, list(table)


def refused(source, columns=COLUMNS, filename=None, max_bytes=10 * MB) -> str:
    with pytest.raises(TableError) as caught:
        list(open_table(source, filename or source.name, columns, max_bytes=max_bytes))
    assert caught.value.fields == {"file": caught.value.message}
    return caught.value.message


def replace_part(path, part, change):
    """Rewrite one member of a zip file with change(text) -> text."""
    with zipfile.ZipFile(path) as src:
        members = [(info, src.read(info)) for info in src.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for info, data in members:
            if info.filename == part:
                data = change(data.decode()).encode()
            out.writestr(info.filename, data)


def sheet_xml(rows_xml: str, prefix: str = "") -> str:
    p = f"{prefix}:" if prefix else ""
    ns = f'xmlns:{prefix}="{MAIN_NS}"' if prefix else f'xmlns="{MAIN_NS}"'
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<{p}worksheet {ns}><{p}sheetData>{rows_xml}</{p}sheetData></{p}worksheet>'


def inline(text: str, ref: str = "", p: str = "") -> str:
    r = f' r="{ref}"' if ref else ""
    return f'<{p}c{r} t="inlineStr"><{p}is><{p}t>{text}</{p}t></{p}is></{p}c>'


def with_sheet(tmp_path, xml: str, name="crafted.xlsx"):
    path = make_xlsx(tmp_path, [["placeholder"]], name=name)
    replace_part(path, "xl/worksheets/sheet1.xml", lambda _: xml)
    return path


# ------------------------------------------------------------------------------------------------ round trips


def test_xlsx_round_trip(tmp_path):
    path = make_xlsx(
        tmp_path,
        [
            HEADERS + ["备注"],
            ["  张三 ", "11010519491231002X", "13800001111", "1949-12-31", "无"],
            ["李四", "110105194912310011", None, None, None],
        ],
    )
    table, rows = read(path)
    assert table.kind == "xlsx"
    assert table.header_row == 1
    assert table.header_map == {"name": 0, "id_number": 1, "phone": 2, "birth_date": 3}
    assert table.extra_headers == ["备注"]
    assert rows == [
        (2, {"name": "张三", "id_number": "11010519491231002X", "phone": "13800001111", "birth_date": "1949-12-31"}),
        (3, {"name": "李四", "id_number": "110105194912310011", "phone": "", "birth_date": ""}),
    ]
    assert list(table) == rows  # a Table can be read again


def test_csv_round_trip(tmp_path):
    path = make_csv(tmp_path, [HEADERS, [" 张三", "11010519491231002X", "13800001111 ", ""], ["李四", "1", "", ""]])
    table, rows = read(path)
    assert table.kind == "csv"
    assert table.extra_headers == []
    assert rows == [
        (2, {"name": "张三", "id_number": "11010519491231002X", "phone": "13800001111", "birth_date": ""}),
        (3, {"name": "李四", "id_number": "1", "phone": "", "birth_date": ""}),
    ]


def test_absent_optional_columns_read_as_empty(tmp_path):
    path = make_csv(tmp_path, [["公民身份号码", "姓名"], ["1", "张三"]])
    table, rows = read(path)
    assert table.header_map == {"id_number": 0, "name": 1}
    assert rows == [(2, {"name": "张三", "id_number": "1", "phone": "", "birth_date": ""})]


def test_file_objects_and_unseekable_streams(tmp_path):
    data = make_xlsx(tmp_path, [HEADERS, ["张三", "1", "", ""]]).read_bytes()
    buffer = io.BytesIO(b"xx" + data)
    buffer.seek(2)  # read from the current position
    _, rows = read(buffer, filename="上传.xlsx")
    assert rows == [(2, {"name": "张三", "id_number": "1", "phone": "", "birth_date": ""})]

    class Pipe(io.RawIOBase):
        def __init__(self, data):
            self._data = io.BytesIO(data)

        def readable(self):
            return True

        def readinto(self, b):
            return self._data.readinto(b)

    csv_bytes = "姓名,公民身份号码\r\n张三,1\r\n".encode()
    _, rows = read(Pipe(csv_bytes), filename="a.csv")
    assert rows[0][1]["name"] == "张三"
    message = refused(Pipe(csv_bytes * 1000), filename="a.csv", max_bytes=1000)
    assert message.startswith("文件过大")


# -------------------------------------------------------------------------------------------------- csv encodings


def test_gbk_csv(tmp_path):
    path = make_csv(tmp_path, [HEADERS, ["张三", "11010519491231002X", "", "1949-12-31"]], encoding="gbk")
    _, rows = read(path)
    assert rows[0][1]["name"] == "张三"


def test_utf8_bom_csv(tmp_path):
    path = make_csv(tmp_path, [HEADERS, ["张三", "1", "", ""]], encoding="utf-8-sig")
    table, rows = read(path)
    assert table.header_map["name"] == 0  # the BOM is not part of the first header
    assert rows[0][1]["name"] == "张三"


def test_utf16_csv_with_tabs(tmp_path):
    path = tmp_path / "unicode.csv"
    path.write_bytes("姓名\t公民身份号码\r\n张三\t1\r\n".encode("utf-16"))
    _, rows = read(path)
    assert rows == [(2, {"name": "张三", "id_number": "1", "phone": "", "birth_date": ""})]


def test_csv_ascii_start_then_gbk_switches_encoding(tmp_path, monkeypatch):
    monkeypatch.setattr(csvfile, "CHUNK", 16)
    columns = [Column("name", "name"), Column("note", "note", required=False)]
    path = tmp_path / "late.csv"
    path.write_bytes(b"name,note\r\n" + b"a,b\r\n" * 10 + "张三,备注\r\n".encode("gbk"))
    _, rows = read(path, columns)
    assert rows[-1] == (12, {"name": "张三", "note": "备注"})


def test_csv_with_corrupt_bytes_names_the_line(tmp_path, monkeypatch):
    good = "姓名,公民身份号码\r\n张三丰,11010519491231002X\r\n李四光,110105194912310011\r\n".encode()
    path = tmp_path / "bad.csv"
    path.write_bytes(good + b"\xff\xfe,1\r\n")
    assert refused(path).startswith("文件第 4 行含有无法识别的字符")
    monkeypatch.setattr(csvfile, "CHUNK", 8)  # the bad byte now arrives after the encoding was chosen
    with pytest.raises(TableError, match="文件第 4 行含有无法识别的字符"):
        list(open_table(path, "bad.csv", COLUMNS, max_bytes=MB))
    many = good + "王五,110105194912310011\r\n".encode() * 40 + b"\xff\xfe,1\r\n"
    path.write_bytes(many)  # past the rows searched for the header: found while iterating
    table = open_table(path, "bad.csv", COLUMNS, max_bytes=MB)
    with pytest.raises(TableError, match="文件第 44 行含有无法识别的字符"):
        list(table)


def test_csv_excel_content_refused(tmp_path):
    path = make_xlsx(tmp_path, [HEADERS])
    assert "是 Excel 表格而不是 CSV" in refused(path, filename="data.csv")


values = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=12)


@settings(max_examples=60, deadline=None)
@given(
    rows=st.lists(st.tuples(values, values), max_size=8),
    chunk=st.sampled_from([1, 2, 3, 7, 64, 1024]),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "gb18030"]),
    lineterminator=st.sampled_from(["\r\n", "\n", "\r"]),
)
def test_csv_any_text_survives_any_chunking(rows, chunk, encoding, lineterminator, tmp_path_factory):
    path = make_csv(
        tmp_path_factory.mktemp("csv"),
        [("姓名", "公民身份号码"), *rows, ("最后", "一行")],
        encoding=encoding,
        lineterminator=lineterminator,
        quoting=csv.QUOTE_ALL,  # so that "\r" or "\n" inside a value is quoted whatever the line ending
    )
    original = csvfile.CHUNK
    csvfile.CHUNK = chunk
    try:
        _, read_rows = read(path)
    finally:
        csvfile.CHUNK = original
    expected = [
        (number, {"name": a.strip(), "id_number": b.strip(), "phone": "", "birth_date": ""})
        for number, (a, b) in enumerate([*rows, ("最后", "一行")], start=2)
        if a.strip() or b.strip()
    ]
    assert read_rows == expected


# ------------------------------------------------------------------------------------------------------ headers


def test_header_aliases_full_width_spaces_and_markers(tmp_path):
    path = make_csv(tmp_path, [["\u3000姓\u3000名 ", "*身份证号码", "电 话\n", "出生日期"], ["张三", "1", "2", "3"]])
    table, rows = read(path)
    assert table.header_map == {"name": 0, "id_number": 1, "phone": 2, "birth_date": 3}
    assert rows[0][1] == {"name": "张三", "id_number": "1", "phone": "2", "birth_date": "3"}


def test_missing_required_columns_are_all_named(tmp_path):
    path = make_xlsx(tmp_path, [["籍贯", "备注"], ["1", "2"]])
    assert (
        refused(path)
        == "第 1 行起的前 30 行中没有可识别的表头（缺少必填列：姓名、公民身份号码）；请检查列名是否与导入模板一致"
    )
    path = make_xlsx(tmp_path, [["联系电话", "出生日期", "姓名"], ["1", "2", "3"]])
    assert refused(path) == "表头（第 1 行）缺少必填列：公民身份号码"
    columns = [*COLUMNS, Column("region", "所属社区代码")]
    path = make_csv(tmp_path, [["联系电话", "姓名"], ["1", "2"]])
    assert refused(path, columns) == "表头（第 1 行）缺少必填列：公民身份号码、所属社区代码"


def test_extra_columns_are_listed_once(tmp_path):
    path = make_csv(tmp_path, [["备注", *HEADERS, "备注", "", "籍贯"], ["x", "张三", "1", "", "", "y", "z", "w"]])
    table, rows = read(path)
    assert table.extra_headers == ["备注", "籍贯"]
    assert table.header_map["name"] == 1
    assert rows[0][1]["name"] == "张三"


def test_duplicate_headers_refused(tmp_path):
    path = make_csv(tmp_path, [["姓名", "公民身份号码", "姓名"], ["a", "b", "c"]])
    assert refused(path) == "表头中“姓名”出现了多次（A 列和 C 列），请只保留一列"
    path = make_csv(tmp_path, [["姓名", "身份证号", "公民身份号码"], ["a", "b", "c"]])
    assert refused(path) == "表头中“身份证号”（B 列）和“公民身份号码”（C 列）是同一列“公民身份号码”，请只保留一列"


def test_ambiguous_column_definitions_are_a_programming_error(tmp_path):
    path = make_csv(tmp_path, [HEADERS, ["a", "b", "c", "d"]])
    with pytest.raises(ValueError):
        open_table(path, "a.csv", [Column("a", "姓名"), Column("b", "姓 名")], max_bytes=MB)


# ------------------------------------------------------------------------------------------------ row handling


def test_row_numbers_match_the_spreadsheet(tmp_path):
    # Header on row 3, starting in column B; an empty row 5 and a whitespace-only row 6 are skipped.
    rows = [[None], [None], [None, *HEADERS], [None, "张三", "1"], [None], [None, " ", "\u3000"], [None, "李四", "2"]]
    table, got = read(make_xlsx(tmp_path, rows))
    assert table.header_row == 3
    assert table.header_map == {"name": 1, "id_number": 2, "phone": 3, "birth_date": 4}
    assert [(n, r["name"]) for n, r in got] == [(4, "张三"), (7, "李四")]


def test_csv_row_numbers_count_blank_lines_and_multiline_cells(tmp_path):
    path = tmp_path / "rows.csv"
    path.write_text('\n\n姓名,公民身份号码\n张三,1\n\n,\n" ",\n"李\n四",2\n王五,3', encoding="utf-8")
    table, got = read(path)
    assert table.header_row == 3
    assert [(n, r["name"]) for n, r in got] == [(4, "张三"), (8, "李\n四"), (9, "王五")]


def test_rows_with_values_only_in_ignored_columns_are_kept(tmp_path):
    path = make_csv(tmp_path, [["姓名", "公民身份号码", "备注"], ["", "", "有内容"]])
    _, rows = read(path)
    assert rows == [(2, {"name": "", "id_number": "", "phone": "", "birth_date": ""})]


def test_no_data_rows(tmp_path):
    assert refused(make_csv(tmp_path, [HEADERS, ["", ""], []])) == "文件中没有数据行"
    assert refused(make_xlsx(tmp_path, [HEADERS])) == "文件中没有数据行"
    assert refused(make_xlsx(tmp_path, [])) == "文件中没有数据行"
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    assert refused(empty) == "文件中没有数据行"


def test_whole_number_floats_dates_and_booleans(tmp_path):
    def setup(workbook, sheet):
        sheet["E2"].number_format = "yyyy-mm-dd"  # an Excel date serial with a date format
        sheet["E3"].number_format = 'yyyy"年"m"月"d"日"'

    rows = [
        ["姓名", "公民身份号码", "联系电话", "出生日期", "其他"],
        [13800001111.0, 110105194912, 0.1 + 0.2, datetime.date(1949, 12, 31), 40000],
        [True, 1e-7, -2.5, datetime.datetime(2020, 1, 2, 3, 4, 5), 40000],
        [False, 1.5e17, 7, datetime.datetime(2020, 1, 2), datetime.time(8, 30)],
    ]
    columns = [*COLUMNS, Column("other", "其他", required=False)]
    _, got = read(make_xlsx(tmp_path, rows, setup=setup), columns)
    assert [r for _, r in got] == [
        {
            "name": "13800001111",
            "id_number": "110105194912",
            "phone": "0.3",
            "birth_date": "1949-12-31",
            "other": "2009-07-06",
        },
        {
            "name": "是",
            "id_number": "0.0000001",
            "phone": "-2.5",
            "birth_date": "2020-01-02 03:04:05",
            "other": "2009-07-06",
        },
        {
            "name": "否",
            "id_number": "150000000000000000",
            "phone": "7",
            "birth_date": "2020-01-02",
            "other": "08:30:00",
        },
    ]


# ------------------------------------------------------------------------------------------------- refusals


def test_merged_cells_in_the_data_area_refuse_their_rows_only(tmp_path):
    rows = [HEADERS, ["张三", "1"], ["李四", "2"], ["王五", "3"]]
    path = make_xlsx(tmp_path, rows, setup=lambda wb, ws: ws.merge_cells("B3:B4"))
    _, got = read(path)
    assert [(n, type(r["id_number"]).__name__) for n, r in got] == [(2, "str"), (3, "Refused"), (4, "Refused")]
    assert got[1][1]["id_number"] == "2"
    assert got[1][1]["id_number"].reason == "该单元格是合并单元格；请取消合并，并在每一行填写完整内容"
    # A merged cell in a column that is not read does not matter.
    path = make_xlsx(
        tmp_path, [[*HEADERS, "备注"], ["张三", "1"], ["李四", "2"]], setup=lambda wb, ws: ws.merge_cells("E2:E3")
    )
    _, got = read(path)
    assert all(not isinstance(v, tabular.Refused) for _, r in got for v in r.values())


def test_formulas_refuse_their_row_only_and_cached_values_are_read(tmp_path):
    # openpyxl writes formulas without a cached value: that cell's row is refused, not the file.
    rows = [HEADERS, ["张三", "1"], ["李四", "2"], ["王五", "3"], ["赵六", "4", "=1+1"]]
    _, got = read(make_xlsx(tmp_path, rows))
    assert [n for n, _ in got] == [2, 3, 4, 5]
    assert isinstance(got[3][1]["phone"], tabular.Refused)
    assert "没有保存计算结果" in got[3][1]["phone"].reason
    assert not any(isinstance(v, tabular.Refused) for _, r in got[:3] for v in r.values())
    # Formulas with cached values (as Excel saves them), written by another library: plain values are read,
    # an error value refuses its cell, a formula fetching outside data is never read, even with a value.
    path = tmp_path / "cached.xlsx"
    workbook = xlsxwriter.Workbook(path)
    sheet = workbook.add_worksheet()
    sheet.write_row(0, 0, HEADERS)
    sheet.write_row(1, 0, ["张三", "1"])
    sheet.write_formula("B3", "=B2*2", None, 2)
    sheet.write_formula("A3", '=CONCATENATE("李","四")', None, "李四")
    sheet.write_row(3, 0, ["王五", "3"])
    sheet.write_formula("C4", "=1/0", None, "#DIV/0!")
    sheet.write_row(4, 0, ["赵六", "4"])
    sheet.write_formula("C5", '=WEBSERVICE("http://example.com")', None, "13800001111")
    sheet.write_row(5, 0, ["钱七", "5"])
    sheet.write_formula("C6", "='[1]Sheet1'!A1", None, "13800001111")
    sheet.write_row(6, 0, ["孙八", "6"])
    sheet.write_formula("D7", "=1+1", None, 2)  # plain value in a read column
    workbook.close()
    _, got = read(path)
    assert got[1] == (3, {"name": "李四", "id_number": "2", "phone": "", "birth_date": ""})
    assert not any(isinstance(v, tabular.Refused) for v in got[1][1].values())
    assert "错误值" in got[2][1]["phone"].reason
    assert "引用其他文件、网络数据或命令" in got[3][1]["phone"].reason
    assert "引用其他文件、网络数据或命令" in got[4][1]["phone"].reason
    assert got[5][1]["birth_date"] == "2" and not isinstance(got[5][1]["birth_date"], tabular.Refused)


def test_oversize_refused_before_parsing(tmp_path):
    path = tmp_path / "big.xlsx"
    path.write_bytes(b"not a spreadsheet at all" * 100_000)  # invalid too, but size is checked first
    assert refused(path, max_bytes=2 * MB) == "文件过大：2.3 MB，上限 2 MB"
    assert refused(io.BytesIO(path.read_bytes()), filename="a.csv", max_bytes=2 * MB).startswith("文件过大：2.3 MB")


def test_unsupported_extensions_refused(tmp_path):
    path = make_xlsx(tmp_path, [HEADERS, ["a", "b"]])
    assert "不支持旧版 .xls 格式" in refused(path, filename="老人.xls")
    assert refused(path, filename="老人.et").startswith("仅支持 .xlsx 和 .csv 文件（当前为 .et）")
    assert refused(path, filename="老人").startswith("仅支持 .xlsx 和 .csv 文件；")


def test_not_really_xlsx_refused(tmp_path):
    garbage = tmp_path / "garbage.xlsx"
    garbage.write_bytes(bytes(range(256)) * 10)
    assert refused(garbage).startswith("文件内容不是有效的 .xlsx 表格")
    html = tmp_path / "export.xlsx"
    html.write_text("<html><table><tr><td>姓名</td></tr></table></html>", encoding="utf-8")
    assert refused(html).startswith("文件内容不是有效的 .xlsx 表格")
    ole = tmp_path / "old.xlsx"
    ole.write_bytes(table_module.OLE_MAGIC + bytes(600))
    assert refused(ole).startswith("该文件是旧版 .xls 格式或设置了打开密码")
    not_excel = tmp_path / "other.xlsx"
    with zipfile.ZipFile(not_excel, "w") as z:
        z.writestr("readme.txt", "hello")
    assert refused(not_excel).startswith("文件内容不是有效的 .xlsx 表格")
    truncated = tmp_path / "truncated.xlsx"
    truncated.write_bytes(make_xlsx(tmp_path, [HEADERS, ["a", "b"]]).read_bytes()[:3000])
    assert refused(truncated).startswith(("文件内容不是有效的 .xlsx 表格", "文件结构异常"))


def test_first_visible_worksheet_is_read(tmp_path):
    def setup(workbook, sheet):
        sheet.sheet_state = "hidden"
        visible = workbook.create_sheet("数据")
        visible.append(HEADERS)
        visible.append(["张三", "1"])

    _, rows = read(make_xlsx(tmp_path, [["隐藏的表"]], setup=setup))
    assert rows[0][1]["name"] == "张三"


# ---------------------------------------------------------------------- what calamine would materialise


def test_far_away_cell_refused_without_allocating(tmp_path):
    # Opening this 6 KB file unchecked makes calamine allocate 16384 x 1048576 cells and abort the process.
    path = tmp_path / "far.xlsx"
    workbook = xlsxwriter.Workbook(path)
    sheet = workbook.add_worksheet()
    sheet.write_row(0, 0, HEADERS)
    sheet.write_row(1, 0, ["张三", "1"])
    sheet.write(1_048_575, 16_383, "x")
    workbook.close()
    assert refused(path).startswith("表格的使用范围（A1:XFD1048576）过大或远大于实际数据")


def test_sheet_scans_agree_and_cover_common_writers(tmp_path):
    # openpyxl and XlsxWriter (shared strings) output takes the fast path, and it agrees with the exact one.
    opx = make_xlsx(tmp_path, [HEADERS, ["张三", "1"], [None, None, None, None, None, "x"]])
    xw = tmp_path / "xw.xlsx"
    workbook = xlsxwriter.Workbook(xw)
    sheet = workbook.add_worksheet()
    for r in range(300):
        sheet.write_row(r, 0, ["张三", f"{r}", r * 1.5])
    sheet.write(40, 30, "far column")  # not the last cell: found by the regex, not by the last-cell guess
    sheet.write(2, 2, "")  # nothing
    workbook.close()
    for path in (opx, xw):
        with open(path, "rb") as f:
            package = xlsxguard.Package(f)
            _, part = package.first_visible_worksheet()
            fast = xlsxguard._scan_sheet_fast(package, part)
            exact = xlsxguard._scan_sheet_exact(package, part)
        assert fast is not None
        assert (fast.max_row, fast.max_col, fast.cells) == (exact.max_row, exact.max_col, exact.cells)
    assert (fast.max_row, fast.max_col) == (300, 31)


def test_prefixed_sheet_xml_is_read(tmp_path):
    rows = f'<x:row r="1">{inline("姓名", "A1", "x:")}{inline("公民身份号码", "B1", "x:")}</x:row>'
    rows += f'<x:row r="2">{inline("张三", "A2", "x:")}{inline("1", "B2", "x:")}</x:row>'
    path = with_sheet(tmp_path, sheet_xml(rows, prefix="x"))
    with open(path, "rb") as f:
        package = xlsxguard.Package(f)
        assert xlsxguard._scan_sheet_fast(package, "xl/worksheets/sheet1.xml") is not None
    _, got = read(path)
    assert got == [(2, {"name": "张三", "id_number": "1", "phone": "", "birth_date": ""})]


def test_cells_without_positions_are_placed_like_calamine(tmp_path):
    rows = f"<row>{inline('姓名')}{inline('公民身份号码')}</row><row>{inline('张三')}{inline('1')}</row>"
    path = with_sheet(tmp_path, sheet_xml(rows))
    with open(path, "rb") as f:
        assert xlsxguard._scan_sheet_fast(xlsxguard.Package(f), "xl/worksheets/sheet1.xml") is None  # not canonical
    _, got = read(path)
    assert got == [(2, {"name": "张三", "id_number": "1", "phone": "", "birth_date": ""})]
    far = rows + f'<row r="1048576"><c s="0"/><c/><c/><c/>{inline("x")}</row>'
    assert refused(with_sheet(tmp_path, sheet_xml(far), name="far.xlsx")).startswith("表格的使用范围（A1:E1048576）")


def test_duplicate_position_attribute_refused(tmp_path):
    # calamine would take the last r, placing the cell at XFD1048576; the fast path rejects the tag, expat the XML.
    rows = f'<row r="1">{inline("姓名", "A1")}{inline("公民身份号码", "B1")}</row>'
    rows += '<row r="2"><c r="A2" r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row>'
    assert refused(with_sheet(tmp_path, sheet_xml(rows))).startswith("文件结构异常")


def test_shared_strings_expansion_bounded(tmp_path, monkeypatch):
    monkeypatch.setattr(xlsxguard, "MAX_SHARED_TEXT_BYTES", 1 * MB)
    long_text = "长" * 30_000  # 90 KB once encoded; calamine copies it into every cell that uses it

    def build(name, uses):
        path = tmp_path / name
        workbook = xlsxwriter.Workbook(path)
        sheet = workbook.add_worksheet()
        sheet.write_row(0, 0, ["姓名", "公民身份号码", "备注"])
        for r in range(1, 101):
            sheet.write_row(r, 0, [f"张{r}", f"{r}", long_text if r <= uses else "短"])
        workbook.close()
        return path

    _, rows = read(build("once.xlsx", 1))  # the cheap bound fails, the exact count passes
    assert len(rows) == 100
    assert refused(build("many.xlsx", 20)).startswith("文件中的文字内容过多")


def test_decompressed_size_bounded(tmp_path, monkeypatch):
    path = make_xlsx(tmp_path, [HEADERS] + [["张三", str(i)] for i in range(2000)])
    monkeypatch.setattr(xlsxguard, "MAX_SHEET_XML_BYTES", 20_000)
    assert refused(path).startswith("文件内容过多（解压后超过")


# ------------------------------------------------------------------------------------------------------ template


def test_template_has_headers_text_format_and_examples(tmp_path):
    example = ["张华山", "11010519491231002X", "13800001111", "1949-12-31"]
    data = write_template(COLUMNS, [example, ["=1+1", "000123", "", ""]])
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    assert workbook.sheetnames == ["导入数据", "填写说明"]
    sheet = workbook["导入数据"]
    assert [c.value for c in sheet[1]] == HEADERS
    assert all(c.font.b for c in sheet[1])
    assert [c.value for c in sheet[2]] == example
    assert sheet["A3"].value == "=1+1" and sheet["A3"].data_type == "s"
    assert all(c.number_format == "@" for row in sheet.iter_rows(min_row=1, max_row=3) for c in row)
    assert sheet.column_dimensions["B"].number_format == "@"

    path = tmp_path / "template.xlsx"
    path.write_bytes(data)
    table, rows = read(path)
    assert table.extra_headers == []
    assert rows == [
        (2, dict(zip(["name", "id_number", "phone", "birth_date"], example, strict=True))),
        (3, {"name": "=1+1", "id_number": "000123", "phone": "", "birth_date": ""}),
    ]


def test_error_messages_are_chinese():
    # Every message constant shown to users is Chinese (no English leaking from parsers).
    for name in ("NO_DATA", "NOT_XLSX", "OLE_XLSX", "BROKEN_XLSX", "XLS_REFUSED", "EXCEL_AS_CSV", "BAD_ENCODING"):
        assert re.search(r"[\u4e00-\u9fff]", getattr(table_module, name))
