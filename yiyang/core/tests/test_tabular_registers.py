"""Reading registers the way bureaus send them: titles above the header, two-level headers, footers, formula
cells with cached values, numbers in ID cells."""

import zipfile

import openpyxl
import xlsxwriter

from yiyang.core import tabular
from yiyang.core.tabular import Column, open_table, xlsxguard
from yiyang.core.tabular.xlsxguard import Package

MB = 1024 * 1024
COLUMNS = [
    Column("serial", "序号", required=False),
    Column("name", "姓名"),
    Column("id_number", "公民身份号码", aliases=("身份证号码",)),
    Column("phone", "联系电话", required=False),
    Column("region", "所属社区", required=False, aliases=("社区(村)",)),
    Column("contact1_name", "紧急联系人1姓名", required=False, aliases=("紧急联系人姓名", "紧急联系人")),
    Column("contact1_phone", "紧急联系人1电话", required=False, aliases=("紧急联系人电话",)),
    Column("contact1_relation", "紧急联系人1关系", required=False, aliases=("紧急联系人关系",)),
    Column("contact2_name", "紧急联系人2姓名", required=False, aliases=("紧急联系人2",)),
    Column("contact2_phone", "紧急联系人2电话", required=False),
]


def read(path, columns=COLUMNS):
    table = open_table(path, path.name, columns, max_bytes=10 * MB)
    return table, list(table)


def bureau_register(tmp_path, name="花名册.xlsx"):
    """A register as a county bureau keeps it: a merged title, a unit-and-date line, a two-level header with
    紧急联系人 merged over its sub-columns, numbers typed as numbers, a subtotal, a total and a signature line."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet["A1"] = "许昌市魏都区高龄老人花名册"
    sheet.merge_cells("A1:H1")
    sheet["A2"] = "填报单位：魏都区民政局　　　　日期：2024年3月1日"
    sheet.merge_cells("A2:H2")
    for col, text in zip("ABCDE", ["序号", "姓名", "身份证号码", "联系电话", "社区（村）"], strict=True):
        sheet[f"{col}3"] = text
        sheet.merge_cells(f"{col}3:{col}4")
    sheet["F3"] = "紧急联系人"
    sheet.merge_cells("F3:H3")
    sheet["F4"], sheet["G4"], sheet["H4"] = "姓名", "电话", "关系"
    sheet.append([1, "张华山", "11010519491231002X", 13800001111, "花园社区", "张小山", "13900002222", "子女"])
    sheet.append([2, "李秀英", "110105194912310011", "0374-1234567", "花园社区", "", "", ""])
    sheet.append(["小计", "", "", "", "", "", "", ""])
    sheet.append([3, "王五", "110105194912310029", "", "春晖社区", "王六", "13900003333", "配偶"])
    sheet.append(["合  计", "3 人"])
    sheet.append(["填表人：赵四　　审核人：钱五　　填报日期：2024-03-01"])
    sheet.merge_cells(f"A{sheet.max_row}:H{sheet.max_row}")
    sheet.append(["说明：本表按社区排列"])
    path = tmp_path / name
    book.save(path)
    return path


def test_header_below_merged_title_and_two_level_header(tmp_path):
    table, rows = read(bureau_register(tmp_path))
    assert table.header_row == 3 and table.body_start == 5
    assert table.header_map == {
        "serial": 0, "name": 1, "id_number": 2, "phone": 3, "region": 4,
        "contact1_name": 5, "contact1_phone": 6, "contact1_relation": 7,
    }  # fmt: skip
    assert [n for n, _ in rows] == [5, 6, 8]
    assert rows[0][1]["contact1_name"] == "张小山" and rows[0][1]["contact1_relation"] == "子女"
    assert rows[2][1]["name"] == "王五"
    assert [n for n, _ in table.footers] == [7, 9, 10, 11]
    assert "第 7 行（小计）" in table.footer_note() and "第 9 行（合 计）" in table.footer_note()
    # No cell of the data rows is refused: the merged title, header and signature line are not data.
    assert not any(isinstance(v, tabular.Refused) for _, r in rows for v in r.values())
    # A number typed as a number is marked, so that an importer can refuse it where digits would be lost.
    assert isinstance(rows[0][1]["phone"], tabular.Numeric) and rows[0][1]["phone"] == "13800001111"
    assert not isinstance(rows[1][1]["phone"], tabular.Numeric)
    # Footers are found again on a second pass, not doubled.
    list(table)
    assert len(table.footers) == 4


def test_several_contacts_under_numbered_groups(tmp_path):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["姓名", "身份证号码", "紧急联系人1", None, "紧急联系人2", None])
    sheet.append([None, None, "姓名", "电话", "姓名", "电话"])
    sheet.merge_cells("C1:D1")
    sheet.merge_cells("E1:F1")
    sheet.append(["甲", "1", "乙", "13900001111", "丙", "13900002222"])
    path = tmp_path / "two.xlsx"
    book.save(path)
    table, rows = read(path)
    assert table.header_map == {"name": 0, "id_number": 1, "contact1_name": 2, "contact1_phone": 3,
                                "contact2_name": 4, "contact2_phone": 5}  # fmt: skip
    assert [n for n, _ in rows] == [3] and rows[0][1]["contact1_name"] == "乙"
    assert rows[0][1]["contact2_phone"] == "13900002222" and rows[0][1]["phone"] == ""


def test_csv_title_rows_two_level_header_and_footers(tmp_path):
    text = (
        "许昌市魏都区高龄老人花名册,,,,\n"
        "填报单位：魏都区民政局,,,日期：2024年3月1日,\n"
        "\n"
        "姓名,身份证号码,紧急联系人,,\n"
        ",,姓名,电话,关系\n"
        "张华山,11010519491231002X,张小山,13900002222,子女\n"
        "合计,1人,,,\n"
        "审核人：钱五,,,,\n"
    )
    path = tmp_path / "花名册.csv"
    path.write_text(text, encoding="gbk")
    table, rows = read(path)
    assert (table.header_row, table.body_start) == (4, 6)
    assert rows == [(6, {**dict.fromkeys(c.key for c in COLUMNS), **{
        "serial": "", "name": "张华山", "id_number": "11010519491231002X", "phone": "", "region": "",
        "contact1_name": "张小山", "contact1_phone": "13900002222", "contact1_relation": "子女",
        "contact2_name": "", "contact2_phone": "",
    }})]  # fmt: skip
    assert [n for n, _ in table.footers] == [7, 8]


def test_header_spelling_tolerance(tmp_path):
    path = tmp_path / "h.csv"
    path.write_text("姓 名,身份证号码（必填）,联系电话：,社区(村)\n甲,1,2,3\n", encoding="utf-8")
    table, _ = read(path)
    assert table.header_map == {"name": 0, "id_number": 1, "phone": 2, "region": 3}


def test_data_rows_after_a_total_are_still_read(tmp_path):
    path = tmp_path / "h.csv"
    path.write_text("姓名,身份证号码,联系电话\n甲,1,2\n合计,1,\n乙,3,4\n注：以上\n", encoding="utf-8")
    table, rows = read(path)
    assert [n for n, _ in rows] == [2, 4]
    assert [n for n, _ in table.footers] == [3, 5]


def test_missing_required_columns_may_be_allowed_for_mapping(tmp_path):
    path = tmp_path / "m.csv"
    path.write_text("姓名,身份证件号\n甲,1\n", encoding="utf-8")
    table = open_table(path, path.name, COLUMNS, max_bytes=MB, allow_missing=True)
    assert table.missing == ["公民身份号码"] and table.extra_headers == ["身份证件号"]


def test_both_sheet_scans_flag_the_same_formulas(tmp_path):
    path = tmp_path / "f.xlsx"
    workbook = xlsxwriter.Workbook(path)
    sheet = workbook.add_worksheet()
    sheet.write_row(0, 0, ["姓名", "身份证号码", "联系电话"])
    sheet.write_formula("A2", "=1+1", None, 2)
    sheet.write_formula("B2", "=1/0", None, "#DIV/0!")
    sheet.write_formula("C2", '=HYPERLINK("http://x")', None, "x")
    sheet.write_array_formula("A3:A3", "{=SUM(1)}", None, 1)
    workbook.close()
    with zipfile.ZipFile(path) as z, open(path, "rb") as f:
        assert z.namelist()
        package = Package(f)
        fast = xlsxguard._scan_sheet_fast(package, "xl/worksheets/sheet1.xml")
        exact = xlsxguard._scan_sheet_exact(package, "xl/worksheets/sheet1.xml")
    assert fast is not None
    expected = {1: [(1, xlsxguard.FormulaFlag.ERROR), (2, xlsxguard.FormulaFlag.EXTERNAL)]}
    assert fast.formulas == exact.formulas == expected
