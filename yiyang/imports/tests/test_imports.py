"""Importing elders and facilities from .xlsx/.csv as a background task, through the page and the API."""

import io
from importlib import import_module

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder
from django.http import Http404
from django.test import Client
from django.utils import timezone
from openpyxl import Workbook, load_workbook

from conftest import make_id_number
from yiyang.core.audit import Actor
from yiyang.core.roles import Role
from yiyang.elders.importers import COLUMNS
from yiyang.elders.models import Elder, ElderIdentity
from yiyang.facilities.models import Facility
from yiyang.imports import services
from yiyang.imports.models import ImportJob

HEADERS = [c.header for c in COLUMNS]


def elder_row(**values) -> list[str]:
    base = {"name": "王秀英", "id_number": make_id_number(), "region_code": "411002001001", **values}
    return [str(base.get(c.key, "")) for c in COLUMNS]


def xlsx(rows, headers=HEADERS) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def csv_bytes(rows, encoding="utf-8") -> bytes:
    lines = [",".join(HEADERS)] + [",".join(row) for row in rows]
    return ("\n".join(lines) + "\n").encode(encoding)


def run_import(user, kind, name, content, django_capture_on_commit_callbacks, confirm=True) -> ImportJob:
    """Upload, preview and (with `confirm`, as a machine asks in one call) import a file."""
    with django_capture_on_commit_callbacks(execute=True):
        job = services.start_import(Actor(user=user), kind, SimpleUploadedFile(name, content), confirm=confirm)
    job.refresh_from_db()
    return job


def refusals(job: ImportJob, user=None) -> list[dict]:
    """(row, column, reason) of each refused cell."""
    rows = services.error_rows(user or job.user, job)
    return [{"row": e["row"], "column": e["column"], "reason": e["reason"]} for e in rows]


GOOD_AND_BAD = [
    elder_row(name="甲"),
    elder_row(name="乙", id_number="411002194503080012"),  # wrong check digit
    elder_row(name="丙", region_code="411003100201"),  # neighbour county
    elder_row(name="丁", phone="12345"),
    elder_row(name="戊", sex="男"),  # make_id_number makes women
    elder_row(name="己", categories="高龄、低保"),
]


def test_good_rows_are_saved_and_each_bad_row_is_reported(county_officer, django_capture_on_commit_callbacks):
    job = run_import(county_officer, "elders", "名单.xlsx", xlsx(GOOD_AND_BAD), django_capture_on_commit_callbacks)
    assert job.status == "done", job.message
    assert set(Elder.objects.values_list("name", flat=True)) == {"甲", "己"}
    assert {(e["row"], e["column"]) for e in refusals(job)} == {
        (3, "公民身份号码"),
        (4, "所属社区代码"),
        (5, "联系电话"),
        (6, "性别"),
    }
    assert (job.created, job.updated, job.error_count) == (2, 0, 4)


def test_importing_the_same_file_twice_changes_nothing(county_officer, django_capture_on_commit_callbacks):
    content = xlsx(GOOD_AND_BAD)
    run_import(county_officer, "elders", "a.xlsx", content, django_capture_on_commit_callbacks)
    before = list(Elder.objects.order_by("id").values("id", "name", "id_number", "region_code", "categories"))
    job = run_import(county_officer, "elders", "a.xlsx", content, django_capture_on_commit_callbacks)
    assert (job.created, job.updated, job.unchanged) == (0, 0, 2)
    assert list(Elder.objects.order_by("id").values("id", "name", "id_number", "region_code", "categories")) == before
    assert ElderIdentity.objects.count() == 2


def test_duplicate_id_number_within_a_file_is_reported(county_officer, django_capture_on_commit_callbacks):
    number = make_id_number()
    rows = [elder_row(id_number=number), elder_row(id_number=number)]
    job = run_import(county_officer, "elders", "a.csv", csv_bytes(rows), django_capture_on_commit_callbacks)
    assert job.created == 1 and refusals(job) == [{"row": 3, "column": "公民身份号码", "reason": "与第 2 行重复"}]


def test_gbk_csv_is_read(county_officer, django_capture_on_commit_callbacks):
    job = run_import(
        county_officer,
        "elders",
        "gbk.csv",
        csv_bytes([elder_row(name="欧阳秀兰")], "gbk"),
        django_capture_on_commit_callbacks,
    )
    assert job.created == 1 and Elder.objects.get().name == "欧阳秀兰"


def test_row_registered_in_another_county_is_not_overwritten(
    county_officer, neighbour_elder, django_capture_on_commit_callbacks
):
    row = elder_row(id_number=neighbour_elder.id_number, name="冒名")
    job = run_import(county_officer, "elders", "a.csv", csv_bytes([row]), django_capture_on_commit_callbacks)
    assert refusals(job)[0]["reason"] == "该身份证号码已在其他地区登记"
    neighbour_elder.refresh_from_db()
    assert neighbour_elder.name == "李秀英"


@pytest.mark.parametrize(
    "name, content, fragment",
    [
        ("a.xlsx", xlsx([["甲"]], headers=["姓名"]), "公民身份号码"),
        ("a.xls", b"\xd0\xcf\x11\xe0", ".xlsx"),
        ("a.xlsx", b"not a zip file at all", None),
        ("a.csv", b"", None),
    ],
)
def test_bad_files_are_refused_at_once_with_a_message(county_officer, name, content, fragment):
    from yiyang.core.errors import FieldErrors

    with pytest.raises(FieldErrors) as caught:
        services.start_import(Actor(user=county_officer), "elders", SimpleUploadedFile(name, content))
    if fragment:
        assert fragment in caught.value.message
    assert not ImportJob.objects.exists() and not Elder.objects.exists()


def test_formula_and_merged_cells_refuse_their_rows_not_the_file(county_officer, django_capture_on_commit_callbacks):
    book = Workbook()
    sheet = book.active
    sheet.append(HEADERS)
    sheet.append(elder_row())
    sheet["A2"] = "=1+1"  # openpyxl saves no computed value
    sheet.append(elder_row(name="乙"))
    sheet.append(elder_row(name="丙"))
    sheet.append(elder_row(name="丁"))
    sheet.merge_cells(f"{chr(65 + HEADERS.index('所属社区代码'))}4:{chr(65 + HEADERS.index('所属社区代码'))}5")
    buffer = io.BytesIO()
    book.save(buffer)
    job = run_import(county_officer, "elders", "f.xlsx", buffer.getvalue(), django_capture_on_commit_callbacks)
    assert job.status == "done", job.message
    assert list(Elder.objects.values_list("name", flat=True)) == ["乙"]
    found = refusals(job)
    assert [(e["row"], e["column"]) for e in found] == [(2, "姓名"), (4, "所属社区代码"), (5, "所属社区代码")]
    assert "没有保存计算结果" in found[0]["reason"] and "合并单元格" in found[1]["reason"]


def test_oversize_file_is_refused(county_officer, settings):
    from yiyang.core.errors import FieldErrors

    settings.IMPORT_MAX_BYTES = 1000
    with pytest.raises(FieldErrors, match="文件过大"):
        services.start_import(Actor(user=county_officer), "elders", SimpleUploadedFile("a.csv", b"x" * 2000))


def test_facility_manager_may_not_import_elders(facility_manager):
    client = Client()
    client.force_login(facility_manager)
    assert client.get("/exchange/import/elders/").status_code == 403


def test_import_through_the_page_shows_progress_and_error_report(
    county_officer, neighbour_officer, django_capture_on_commit_callbacks
):
    client = Client()
    client.force_login(county_officer)
    assert "下载导入模板" in client.get("/exchange/import/elders/").content.decode()
    template = load_workbook(io.BytesIO(client.get("/exchange/import/elders/template.xlsx").content)).active
    assert [c.value for c in template[1]][:2] == ["姓名", "公民身份号码"]
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/exchange/import/elders/upload/", {"file": SimpleUploadedFile("a.xlsx", xlsx(GOOD_AND_BAD))}
        )
    job = ImportJob.objects.get()
    assert response["Location"] == f"/exchange/jobs/{job.pk}/"
    page = client.get(response["Location"]).content.decode()
    assert "待确认" in page and "新增 <b>2</b>" in page and not Elder.objects.exists()  # a preview writes nothing
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/exchange/jobs/{job.pk}/confirm/")
    page = client.get(response["Location"]).content.decode()
    assert "已完成" in page and "新增 <b>2</b>" in page
    report = load_workbook(io.BytesIO(b"".join(client.get(f"/exchange/jobs/{job.pk}/errors.xlsx").streaming_content)))
    assert report.active.max_row == 5
    assert [c.value for c in report.active[1]] == services.REPORT_HEADERS
    # Another officer cannot see the job or its error report.
    other = Client()
    other.force_login(neighbour_officer)
    assert other.get(f"/exchange/jobs/{job.pk}/").status_code == 404
    assert other.get(f"/exchange/jobs/{job.pk}/errors.xlsx").status_code == 404


def test_import_through_the_api(county_officer, neighbour_officer, django_capture_on_commit_callbacks):
    client = Client()
    client.force_login(county_officer)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/api/v1/imports/elders?confirm=true", {"file": SimpleUploadedFile("a.csv", csv_bytes(GOOD_AND_BAD[:2]))}
        )
    assert response.status_code == 202
    job = client.get(f"/api/v1/imports/jobs/{response.json()['id']}").json()
    assert job["status"] == "done" and job["created"] == 1 and job["errors"][0]["row"] == 3
    other = Client()
    other.force_login(neighbour_officer)
    assert other.get(f"/api/v1/imports/jobs/{job['id']}").status_code == 404


def test_facility_import_updates_by_code(county_officer, django_capture_on_commit_callbacks):
    from yiyang.facilities.importers import COLUMNS as FCOLS
    from yiyang.facilities.importers import EXAMPLE_ROWS

    row = list(EXAMPLE_ROWS[0])
    bad = list(row)
    bad[0], bad[15], bad[16], bad[17] = "411002-0002", "10", "20", "5"  # more nursing beds than beds
    book = xlsx([row, bad], headers=[c.header for c in FCOLS])
    job = run_import(county_officer, "facilities", "f.xlsx", book, django_capture_on_commit_callbacks)
    assert job.created == 1 and refusals(job) == [
        {"row": 3, "column": "护理型床位", "reason": "护理型床位不能多于床位总数"}
    ]
    facility = Facility.objects.get()
    assert facility.monthly_fee_min == 150000 and facility.services == ["day_care", "meals", "bathing"]
    job = run_import(county_officer, "facilities", "f.xlsx", book, django_capture_on_commit_callbacks)
    assert (job.updated, job.unchanged) == (0, 1) and Facility.objects.count() == 1
    row[1] = "西大街道综合养老服务中心（新址）"
    book = xlsx([row], headers=[c.header for c in FCOLS])
    job = run_import(county_officer, "facilities", "f.xlsx", book, django_capture_on_commit_callbacks)
    assert job.updated == 1 and Facility.objects.get().name.endswith("（新址）")


def _job(user, kind="elders", **values) -> ImportJob:
    spec = services.KINDS[kind]
    return ImportJob.objects.create(
        kind=kind, user=user, filename="a.xlsx", region_code=services.job_region(user, spec), **values
    )


def test_the_list_of_recent_imports_shows_each_jobs_total_rows_and_percentage(county_officer):
    import re
    from datetime import timedelta

    now = timezone.now()
    done = _job(county_officer, status="done", total_rows=200, processed=200, created=190, error_count=10)
    running = _job(county_officer, status="running", total_rows=400, processed=100, heartbeat_at=now)
    stalled = _job(county_officer, status="running", total_rows=300, processed=60, heartbeat_at=now - timedelta(days=1))
    previewing = _job(county_officer, status="previewing", processed=30, heartbeat_at=now)
    previewed = _job(county_officer, status="previewed", total_rows=50, processed=0)
    client = Client()
    client.force_login(county_officer)
    page = client.get("/exchange/import/elders/").content.decode()

    def cells(job):
        row = re.search(rf'<tr data-job="{job.pk}">(.*?)</tr>', page, re.S).group(1)
        found = dict(re.findall(r'data-label="(总行数|进度|状态)"[^>]*>(.*?)</td>', row, re.S))
        return found["状态"], found["总行数"], re.sub(r"<[^>]+>", "", found["进度"])

    assert cells(done) == ("已完成", "200", "100%（200/200）")
    assert cells(running)[1:] == ("400", "25%（100/400）")
    assert 'aria-valuenow="25"' in page
    # A job whose worker stopped says so, with the share it had committed.
    assert cells(stalled) == ("中断", "300", "20%（60/300）")
    assert cells(previewing)[1:] == ("已读 30 行", "—")
    assert cells(previewed)[1:] == ("50", "待确认")


def test_neighbour_county_officer_cannot_see_an_import_job(county_officer, neighbour_officer, make_user):
    job = _job(county_officer)
    assert job.region_code == "411002000000"
    with pytest.raises(Http404):
        services.job_for(neighbour_officer, job.pk)
    assert not services.visible_jobs(neighbour_officer, services.KINDS["elders"]).exists()
    client = Client()
    client.force_login(neighbour_officer)
    assert job.filename not in client.get("/exchange/import/elders/").content.decode()


def test_officers_of_the_county_and_above_see_its_import_jobs(county_officer, city_officer, make_user):
    job = _job(county_officer)
    colleague = make_user(Role.OFFICER, region_code="411002000000")
    assert services.job_for(colleague, job.pk) == job
    assert list(services.visible_jobs(city_officer, services.KINDS["elders"])) == [job]
    client = Client()
    client.force_login(city_officer)
    assert client.get(f"/exchange/jobs/{job.pk}/").status_code == 200


def test_a_viewer_without_the_import_right_or_an_unknown_id_gets_404(county_officer, make_user):
    job = _job(county_officer)
    viewer = make_user(Role.VIEWER, region_code="411002000000")
    with pytest.raises(Http404):
        services.job_for(viewer, job.pk)
    with pytest.raises(Http404):
        services.job_for(county_officer, job.pk + 1000)


def test_jobs_of_the_old_exchange_table_move_over(county_officer):
    step = import_module("yiyang.imports.migrations.0002_rows_from_exchange")
    errors = [{"row": 3, "column": "姓名", "reason": "必填"}]
    job = _job(county_officer, errors=errors, error_count=1)
    columns = ", ".join(step.COLUMNS)
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE exchange_importjob AS SELECT {columns} FROM imports_importjob")
        cursor.execute(
            "INSERT INTO django_migrations (app, name, applied) VALUES (%s, %s, %s)",
            ["exchange", "0001_initial", timezone.now()],
        )
    ImportJob.objects.all().delete()

    assert step.move_rows(connection, ImportJob) == 1
    moved = ImportJob.objects.get()
    assert (moved.pk, moved.user, moved.errors, moved.region_code) == (job.pk, county_officer, errors, "")
    assert "exchange_importjob" not in connection.introspection.table_names()
    assert not MigrationRecorder(connection).migration_qs.filter(app="exchange").exists()
    assert _job(county_officer).pk > job.pk  # new ids continue after the carried ones
    assert step.move_rows(connection, ImportJob) == 0  # nothing to carry on a new database
