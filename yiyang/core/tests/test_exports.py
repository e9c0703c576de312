from openpyxl import load_workbook

from yiyang.core.exports import neutralise, write_xlsx


def test_cells_that_a_spreadsheet_would_run_are_neutralised():
    handle = write_xlsx(["a", "b"], [["=HYPERLINK('http://x')", "+1"], ["-2", "@SUM(A1)"], ["110105194912310021", 7]])
    rows = list(load_workbook(handle).active.iter_rows(min_row=2, values_only=True))
    assert rows[0] == ("'=HYPERLINK('http://x')", "'+1")
    assert rows[1] == ("'-2", "'@SUM(A1)")
    assert rows[2] == ("110105194912310021", 7)  # ID numbers stay text, numbers stay numbers
    assert neutralise("张三") == "张三"
