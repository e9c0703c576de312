"""A bureau's real register: titles, a two-level header, footers, formulas, numbers in ID cells, communities
by name, the bureau's own headers and spellings, read into elders and their emergency contacts."""

import io
from datetime import date

from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

from conftest import make_id_number
from yiyang.core import idnumber
from yiyang.core.audit import Actor
from yiyang.elders import categories
from yiyang.elders.importers import NUMERIC_ID
from yiyang.elders.models import Elder, ElderContact, LivingSituation
from yiyang.imports import services
from yiyang.imports.models import ImportJob
from yiyang.regions.models import Region


def id_ending_in_x() -> str:
    for sequence in range(100):
        number = idnumber.make("411002", date(1949, 12, 31), sequence, "F")
        if number.endswith("X"):
            return number
    raise AssertionError


def upload(user, name, content, captured, confirm=True) -> ImportJob:
    with captured(execute=True):
        job = services.start_import(Actor(user=user), "elders", SimpleUploadedFile(name, content), confirm=confirm)
    job.refresh_from_db()
    return job


def refusals(job) -> dict[int, list[tuple[str, str]]]:
    found: dict[int, list[tuple[str, str]]] = {}
    for e in services.error_rows(job.user, job):
        found.setdefault(e["row"], []).append((e["column"], e["reason"]))
    return found


def register(rows) -> bytes:
    """A register as a county bureau sends it (openpyxl): a merged title, a unit-and-date line, a two-level
    header (紧急联系人 merged over 姓名 / 电话 / 关系), then `rows`, a total and a signature line."""
    book = Workbook()
    sheet = book.active
    sheet["A1"] = "许昌市魏都区高龄老人花名册"
    sheet.merge_cells("A1:L1")
    sheet["A2"] = "填报单位：魏都区民政局　　　日期：2024年3月1日"
    headers = ["序号", "姓 名", "身份证号", "联系方式", "现住址", "居住状况", "老人类别", "社区（村）", "出生日期"]
    for index, text in enumerate(headers):
        cell = sheet.cell(row=3, column=index + 1, value=text)
        sheet.merge_cells(start_row=3, start_column=index + 1, end_row=4, end_column=index + 1)
        assert cell.value == text
    sheet["J3"] = "紧急联系人"
    sheet.merge_cells("J3:L3")
    sheet["J4"], sheet["K4"], sheet["L4"] = "姓名", "电话", "关系"
    for row in rows:
        sheet.append(row)
    sheet.append(["合计", f"{len(rows)} 人"])
    sheet.append(["填表人：赵四　　审核人：钱五"])
    sheet.merge_cells(f"A{sheet.max_row}:L{sheet.max_row}")
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_a_bureau_register_is_read_into_elders_and_contacts(county_officer, django_capture_on_commit_callbacks):
    good = id_ending_in_x()
    numeric = next(n for n in iter(make_id_number, None) if n.isdigit())
    formula = make_id_number()
    rows = [
        [1, "张 华山", good.lower(), "138-3960-1234、0374-1234567", "花园社区 3 号楼", "独居", "高龄/低保",
         "花园社区", "1949.12.31", "张小山", "+86 139 0000 2222", "儿子"],
        [2, "李秀英", int(numeric), "13800001111", "", "", "", "花园社区", "", "", "", ""],
        [3, "王五", formula, "=B5", "", "", "", "春晖", "", "", "", ""],
        [4, "赵六", make_id_number(), "", "", "", "", "霍庄村", "", "", "", ""],
        [5, "钱七", make_id_number(), "", "", "住院", "长寿", "金桥社区", "", "", "", ""],
        [6, "孙八", make_id_number(), "", "", "", "", "金桥社区", "", "孙九", "", "同事"],
    ]  # fmt: skip
    job = upload(county_officer, "花名册.xlsx", register(rows), django_capture_on_commit_callbacks)
    assert job.status == "done", job.message
    assert (job.created, job.error_count) == (1, 5)
    elder = Elder.objects.get()
    assert (elder.name, elder.id_number, elder.region_code) == ("张华山", good, "411002001001")
    assert (elder.phone, elder.phone_alt) == ("13839601234", "0374-1234567")
    assert elder.address == "花园社区 3 号楼" and elder.living_situation == LivingSituation.ALONE
    assert elder.birth_date == date(1949, 12, 31)
    assert categories.to_labels(elder.categories) == ["低保", "高龄"]
    contact = ElderContact.objects.get()
    assert (contact.elder_id, contact.name, contact.phone, contact.relation) == (
        elder.pk,
        "张小山",
        "13900002222",
        "child",
    )
    found = refusals(job)
    assert found[6] == [("公民身份号码", NUMERIC_ID)]
    assert found[7][0][0] == "联系电话" and "没有保存计算结果" in found[7][0][1]
    assert found[8][0][0] == "所属社区代码" and "“霍庄村”不是您管辖范围内的社区名称" in found[8][0][1]
    assert (
        "居住情况",
        "未知的居住情况：住院（可填：独居、空巢（仅与配偶同住）、留守、与子女同住、与其他亲属同住、入住养老机构、其他）",
    ) in found[9]
    assert any(column == "特殊类别" and "可填：特困供养、低保" in reason for column, reason in found[9])
    assert {c for c, _ in found[10]} == {"紧急联系人1电话", "紧急联系人1关系"}
    # The total and the signature line are footers, named in the job's result, not refused rows.
    assert 11 not in found and 12 not in found
    assert "第 11 行（合计）" in job.message and "第 12 行（填表人" in job.message
    assert job.preview["notes"] and "第 11 行（合计）" in job.preview["notes"][0]


def test_contacts_are_added_and_updated_by_name_never_removed(county_officer, django_capture_on_commit_callbacks):
    number = make_id_number()
    first = [[1, "王秀英", number, "", "", "", "", "花园社区", "", "王一", "13900001111", "女儿"]]
    upload(county_officer, "a.xlsx", register(first), django_capture_on_commit_callbacks)
    second = [[1, "王秀英", number, "", "", "", "", "花园社区", "", "王一", "13900009999", ""]]
    job = upload(county_officer, "b.xlsx", register(second), django_capture_on_commit_callbacks, confirm=False)
    assert job.preview["updated"] == 1
    assert job.preview["samples"][0]["changes"] == [
        {
            "field": "contacts",
            "column": "紧急联系人",
            "old": "王一（子女）13900001111",
            "new": "王一（子女）13900009999",
        }
    ]
    with django_capture_on_commit_callbacks(execute=True):
        services.confirm_import(Actor(user=county_officer), job.pk)
    third = [[1, "王秀英", number, "", "", "", "", "花园社区", "", "王二", "13900002222", "配偶"]]
    upload(county_officer, "c.xlsx", register(third), django_capture_on_commit_callbacks)
    assert sorted(ElderContact.objects.values_list("name", "phone", "relation")) == [
        ("王一", "13900009999", "child"),
        ("王二", "13900002222", "spouse"),
    ]
    again = upload(county_officer, "c.xlsx", register(third), django_capture_on_commit_callbacks)
    assert (again.updated, again.unchanged) == (0, 1) and ElderContact.objects.count() == 2


def test_a_community_name_must_name_one_community(county_officer, django_capture_on_commit_callbacks):
    Region.objects.create(code="411002002002", name="花园社区", level=5, parent_code="411002002000")
    rows = [
        [1, "甲", make_id_number(), "", "", "", "", "花园社区", "", "", "", ""],
        [2, "乙", make_id_number(), "", "", "", "", "西大街道花园社区", "", "", "", ""],
        [3, "丙", make_id_number(), "", "", "", "", "411002002002", "", "", "", ""],
    ]
    job = upload(county_officer, "a.xlsx", register(rows), django_capture_on_commit_callbacks)
    assert dict(Elder.objects.values_list("name", "region_code")) == {"乙": "411002001001", "丙": "411002002002"}
    reason = refusals(job)[5][0][1]
    assert reason == "“花园社区”对应多个社区：花园社区（411002001001）、花园社区（411002002002）；请填写 12 位区划代码"


def test_scientific_notation_id_in_a_csv_is_refused(county_officer, django_capture_on_commit_callbacks):
    content = "姓名,身份证号码,所属社区\n甲,4.11002E+17,花园社区\n乙,4.11002194503080E+17,花园社区\n".encode("gbk")
    job = upload(county_officer, "a.csv", content, django_capture_on_commit_callbacks)
    assert Elder.objects.count() == 0
    assert refusals(job) == {2: [("公民身份号码", NUMERIC_ID)], 3: [("公民身份号码", NUMERIC_ID)]}


def test_contact_phones_are_masked_in_the_preview_and_report_for_a_reader_without_the_right(
    county_officer, monkeypatch, django_capture_on_commit_callbacks
):
    number = make_id_number()
    first = [[1, "王秀英", number, "", "", "", "", "花园社区", "", "王一", "13900001111", "女儿"]]
    upload(county_officer, "a.xlsx", register(first), django_capture_on_commit_callbacks)
    second = [
        [1, "王秀英", number, "", "", "", "", "花园社区", "", "王一", "13900009999", ""],
        [2, "李四", make_id_number(), "", "", "", "", "花园社区", "", "李五", "1390000888", "子女"],
    ]
    job = upload(county_officer, "b.xlsx", register(second), django_capture_on_commit_callbacks, confirm=False)
    assert services.preview_for(county_officer, job)["samples"][0]["changes"][0]["new"] == "王一（子女）13900009999"
    assert [e["value"] for e in services.error_rows(county_officer, job)] == ["1390000888"]
    monkeypatch.setattr(services, "region_predicate", lambda user, model, permission: lambda code: False)
    masked = services.preview_for(county_officer, job)["samples"][0]["changes"][0]
    assert (masked["old"], masked["new"]) == ("王一（子女）139****1111", "王一（子女）139****9999")
    assert [e["value"] for e in services.error_rows(county_officer, job)] != ["1390000888"]


def test_a_bureau_facility_list_with_its_own_headers(county_officer, django_capture_on_commit_callbacks):
    from yiyang.facilities.models import Facility

    book = Workbook()
    sheet = book.active
    sheet["A1"] = "魏都区养老服务机构统计表"
    sheet.merge_cells("A1:H1")
    sheet.append(["机构代码", "名称", "类型", "运营方式", "所属街道（乡镇）", "机构地址", "负责人", "电话"])
    sheet.append(["411002-0001", "西大街道综合养老服务中心", "街道综合养老服务中心", "公建民营", "西大街道",
                  "西大街 18 号", "王主任", "0374 1234567"])  # fmt: skip
    sheet.append(["411002-0002", "花园社区日间照料中心", "街道综合养老服务中心", "私营", "灵井镇", "x", "", ""])
    sheet.append(["合计", "2 家"])
    out = io.BytesIO()
    book.save(out)
    with django_capture_on_commit_callbacks(execute=True):
        job = services.start_import(
            Actor(user=county_officer), "facilities", SimpleUploadedFile("机构.xlsx", out.getvalue()), confirm=True
        )
    job.refresh_from_db()
    facility = Facility.objects.get()
    assert (facility.code, facility.region_code, facility.contact_person, facility.phone) == (
        "411002-0001", "411002001000", "王主任", "0374-1234567",
    )  # fmt: skip
    reasons = dict(refusals(job)[4])
    assert "“灵井镇”不是您管辖范围内的街道或社区名称" in reasons["所属区划代码"]
    assert reasons["运营模式"].startswith("不是可选值之一：私营（可填：公建公营、公建民营、民办")
    assert "第 5 行（合计）" in job.message
