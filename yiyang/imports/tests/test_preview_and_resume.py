"""Imports that never damage data and survive their worker: the preview writes nothing, a re-import never
blanks a stored value, a job whose worker dies shows its true committed counts and resumes without losing
or doubling a row, and the error report names each refused row as the bureau numbers it."""

import io
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from openpyxl import load_workbook

from conftest import make_id_number
from yiyang.core.audit import Actor
from yiyang.elders import rollups
from yiyang.elders import services as elder_services
from yiyang.elders.importers import COLUMNS
from yiyang.elders.models import Elder, ElderIdentity, ElderRollup
from yiyang.facilities import services as facility_services
from yiyang.facilities.importers import COLUMNS as FACILITY_COLUMNS
from yiyang.facilities.importers import EXAMPLE_ROWS
from yiyang.facilities.models import Facility
from yiyang.imports import jobs, services
from yiyang.imports.models import ImportJob, JobStatus

HEADERS = [c.header for c in COLUMNS]


def csv_file(headers: list[str], rows: list[list[str]]) -> bytes:
    return ("\n".join(",".join(r) for r in [headers, *rows]) + "\n").encode()


def elder_rows(count: int, **values) -> list[list[str]]:
    rows = []
    for i in range(count):
        base = {"name": f"王秀英{i}", "id_number": make_id_number(), "region_code": "411002001001", **values}
        rows.append([str(base.get(c.key, "")) for c in COLUMNS])
    return rows


def upload(user, content: bytes, captured, *, kind="elders", name="a.csv", confirm=False) -> ImportJob:
    with captured(execute=True):
        job = services.start_import(Actor(user=user), kind, SimpleUploadedFile(name, content), confirm=confirm)
    job.refresh_from_db()
    return job


def confirm(user, job, captured) -> ImportJob:
    with captured(execute=True):
        services.confirm_import(Actor(user=user), job.pk)
    job.refresh_from_db()
    return job


# --- Preview -------------------------------------------------------------------------------------


def test_the_preview_counts_without_writing_and_the_import_waits_for_confirmation(
    county_officer, make_elder, django_capture_on_commit_callbacks
):
    kept = make_elder(health_notes="高血压")
    changed = make_elder(phone="13800002222")
    rows = [
        [kept.name, kept.id_number, "", "", "", "", "", kept.region_code],  # unchanged
        [changed.name, changed.id_number, "", "", "", "13900003333", "", changed.region_code],  # phone changes
        ["新人", make_id_number(), "", "", "", "", "", "411002001001"],  # new
        ["错号", "411002194503080012", "", "", "", "", "", "411002001001"],  # refused
    ]
    before = list(Elder.objects.order_by("id").values())
    job = upload(county_officer, csv_file(HEADERS[:8], rows), django_capture_on_commit_callbacks)
    assert job.status == JobStatus.PREVIEWED and job.total_rows == 4
    preview = job.preview
    assert {k: preview[k] for k in ("rows", "new", "updated", "unchanged", "refused")} == {
        "rows": 4, "new": 1, "updated": 1, "unchanged": 1, "refused": 1,
    }  # fmt: skip
    assert preview["fields"] == [{"field": "phone", "column": "联系电话", "count": 1}]
    assert preview["samples"][0]["changes"] == [
        {"field": "phone", "column": "联系电话", "old": "13800002222", "new": "13900003333"}
    ]
    assert "健康状况" in preview["absent_columns"]
    assert list(Elder.objects.order_by("id").values()) == before  # nothing written
    assert [e["row"] for e in services.error_rows(county_officer, job)] == [5]  # the report is ready already

    job = confirm(county_officer, job, django_capture_on_commit_callbacks)
    assert job.status == JobStatus.DONE
    assert (job.created, job.updated, job.unchanged, job.error_count, job.processed) == (1, 1, 1, 1, 4)
    assert job.confirmed_by == county_officer and job.preview["samples"] == []
    changed.refresh_from_db()
    assert changed.phone == "13900003333" and Elder.objects.count() == 3


def test_the_preview_masks_old_and_new_values_for_a_reader_without_the_right(
    county_officer, make_elder, monkeypatch, django_capture_on_commit_callbacks
):
    elder = make_elder(phone="13800002222")
    row = [elder.name, elder.id_number, "", "", "", "13900003333", "", elder.region_code]
    job = upload(county_officer, csv_file(HEADERS[:8], [row]), django_capture_on_commit_callbacks)
    assert services.preview_for(county_officer, job)["samples"][0]["changes"][0]["new"] == "13900003333"
    monkeypatch.setattr(services, "region_predicate", lambda user, model, permission: lambda code: False)
    change = services.preview_for(county_officer, job)["samples"][0]["changes"][0]
    assert (change["old"], change["new"]) == ("138****2222", "139****3333")


def test_confirming_twice_or_a_job_that_is_not_waiting_is_refused(county_officer, django_capture_on_commit_callbacks):
    from yiyang.core.errors import Conflict

    job = upload(county_officer, csv_file(HEADERS, elder_rows(1)), django_capture_on_commit_callbacks)
    confirm(county_officer, job, django_capture_on_commit_callbacks)
    with pytest.raises(Conflict):
        services.confirm_import(Actor(user=county_officer), job.pk)
    with pytest.raises(Conflict):
        services.resume_import(Actor(user=county_officer), job.pk)
    assert Elder.objects.count() == 1


def test_a_previewed_job_can_be_cancelled(county_officer, django_capture_on_commit_callbacks):
    job = upload(county_officer, csv_file(HEADERS, elder_rows(2)), django_capture_on_commit_callbacks)
    services.cancel_import(Actor(user=county_officer), job.pk)
    job.refresh_from_db()
    assert job.status == JobStatus.CANCELLED and job.stored_path == "" and not Elder.objects.exists()
    assert job.preview["new"] == 2 and job.preview["samples"] == []


def test_the_api_previews_then_confirms_or_imports_in_one_call(
    county_officer, neighbour_officer, django_capture_on_commit_callbacks
):
    client = Client()
    client.force_login(county_officer)
    content = csv_file(HEADERS, elder_rows(3))
    with django_capture_on_commit_callbacks(execute=True):
        answer = client.post("/api/v1/imports/elders", {"file": SimpleUploadedFile("a.csv", content)}).json()
    assert answer["status"] == "queued"
    answer = client.get(f"/api/v1/imports/jobs/{answer['id']}").json()
    assert answer["status"] == "previewed" and answer["preview"]["new"] == 3 and not Elder.objects.exists()
    other = Client()
    other.force_login(neighbour_officer)
    assert other.post(f"/api/v1/imports/jobs/{answer['id']}/confirm").status_code == 404
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/api/v1/imports/jobs/{answer['id']}/confirm")
    assert response.status_code == 202
    job = client.get(f"/api/v1/imports/jobs/{answer['id']}").json()
    assert (job["status"], job["created"], job["total_rows"], job["percent"]) == ("done", 3, 3, 100)
    assert client.post(f"/api/v1/imports/jobs/{answer['id']}/confirm").status_code == 409
    assert client.post(f"/api/v1/imports/jobs/{answer['id']}/resume").status_code == 409


# --- Re-import never blanks ----------------------------------------------------------------------


def test_reimport_with_missing_columns_and_empty_cells_keeps_stored_values(
    county_officer, make_elder, django_capture_on_commit_callbacks
):
    elder = make_elder(health_notes="高血压，需定期随访", categories="低保", living_situation="独居")
    elder_services.update_elder(Actor(user=county_officer), elder.pk, {"ethnicity": "回族"})
    elder.refresh_from_db()
    before = {name: getattr(elder, name) for name in elder_services.EDITABLE_FIELDS}
    # No 健康状况 or 居住地址 column at all; 联系电话, 特殊类别, 民族 and 居住情况 present but empty.
    headers = ["姓名", "公民身份号码", "联系电话", "民族", "特殊类别", "居住情况", "所属社区代码"]
    job = upload(
        county_officer,
        csv_file(headers, [[elder.name, elder.id_number, "", "", "", "", ""]]),
        django_capture_on_commit_callbacks,
        confirm=True,
    )
    assert job.status == JobStatus.DONE and (job.updated, job.unchanged, job.error_count) == (0, 1, 0)
    elder.refresh_from_db()
    assert {name: getattr(elder, name) for name in elder_services.EDITABLE_FIELDS} == before


def test_the_clearing_marker_clears_a_field_and_only_that_field(
    county_officer, make_elder, django_capture_on_commit_callbacks
):
    elder = make_elder(health_notes="高血压", categories="低保")
    headers = ["姓名", "公民身份号码", "所属社区代码", "健康状况", "联系电话", "特殊类别", "居住地址"]
    rows = [[elder.name, elder.id_number, "", "（清空）", "(清空)", "", "新华路 8 号"]]
    job = upload(county_officer, csv_file(headers, rows), django_capture_on_commit_callbacks)
    assert {f["field"] for f in job.preview["fields"]} == {"health_notes", "phone", "address"}
    confirm(county_officer, job, django_capture_on_commit_callbacks)
    elder.refresh_from_db()
    assert (elder.health_notes, elder.phone, elder.address) == ("", "", "新华路 8 号")
    assert elder.categories != 0 and elder.region_code == "411002001001"
    # A required field cannot be cleared.
    job = upload(
        county_officer,
        csv_file(headers, [["（清空）", elder.id_number, "", "", "", "", ""]]),
        django_capture_on_commit_callbacks,
        confirm=True,
    )
    assert services.error_rows(county_officer, job)[0]["column"] == "姓名"
    elder.refresh_from_db()
    assert elder.name == "张华山"


def test_reimporting_facilities_keeps_what_the_file_leaves_out(county_officer, django_capture_on_commit_callbacks):
    data = dict(zip([c.key for c in FACILITY_COLUMNS], EXAMPLE_ROWS[0], strict=True))
    facility = facility_services.register_facility(
        Actor(user=county_officer), {**data, "description": "设有失智照护专区", "beds_total": "40"}
    )
    facility_services.update_facility(Actor(user=county_officer), facility.pk, {"phone": "0374-7654321"})
    headers = [
        "机构编码",
        "机构名称",
        "机构类型",
        "运营模式",
        "所属区划代码",
        "地址",
        "联系电话",
        "开放时间",
        "床位总数",
    ]
    rows = [[facility.code, "", "", "", "", "", "", "（清空）", "60"]]
    job = upload(
        county_officer, csv_file(headers, rows), django_capture_on_commit_callbacks, kind="facilities", confirm=True
    )
    assert job.status == JobStatus.DONE and job.updated == 1, services.error_rows(county_officer, job)
    facility.refresh_from_db()
    assert (facility.name, facility.phone, facility.description) == (data["name"], "0374-7654321", "设有失智照护专区")
    assert (facility.beds_total, facility.opening_hours, facility.monthly_fee_min) == (60, "", 150000)
    assert Facility.objects.count() == 1


def test_the_template_documents_the_clearing_marker(county_officer):
    client = Client()
    client.force_login(county_officer)
    book = load_workbook(io.BytesIO(client.get("/exchange/import/elders/template.xlsx").content))
    notes = " ".join(str(c.value) for row in book["填写说明"].iter_rows() for c in row if c.value)
    assert "（清空）" in notes and "序号" in notes


# --- Surviving the worker ------------------------------------------------------------------------


class WorkerKilled(BaseException):
    """Stands for the worker process dying: nothing in the job catches it."""


def kill_after(monkeypatch, chunks: int) -> None:
    def hook(job_id, committed):
        if committed == chunks:
            raise WorkerKilled

    monkeypatch.setattr(jobs, "after_chunk", hook)


def test_a_killed_worker_leaves_true_counts_and_the_job_resumes_without_losing_or_doubling_a_row(
    county_officer, settings, monkeypatch, django_capture_on_commit_callbacks
):
    settings.IMPORT_CHUNK_ROWS = 3
    rows = elder_rows(10)
    rows[4][5] = "12345"  # row 6: a bad phone, refused
    rows[8][1] = rows[1][1]  # row 10: repeats row 3's ID number (before the cut: the replay must catch it)
    job = upload(county_officer, csv_file(HEADERS, rows), django_capture_on_commit_callbacks)
    kill_after(monkeypatch, 2)
    confirm(county_officer, job, django_capture_on_commit_callbacks)  # the task backend swallows the kill
    job.refresh_from_db()
    # Two chunks of three rows committed, with their counts: 5 saved, 1 refused, cursor at row 7.
    assert (job.status, job.processed, job.created, job.error_count, job.cursor) == ("running", 6, 5, 1, 7)
    assert Elder.objects.count() == 5
    assert services.shown_status(job)[0] == JobStatus.RUNNING  # the heartbeat is fresh

    # The worker stays silent past the threshold: the job shows as interrupted, with the same counts.
    ImportJob.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now() - timedelta(minutes=10))
    job.refresh_from_db()
    assert services.shown_status(job) == ("interrupted", "中断")
    client = Client()
    client.force_login(county_officer)
    page = client.get(f"/exchange/jobs/{job.pk}/").content.decode()
    assert "中断" in page and "新增 <b>5</b>" in page and "继续导入" in page

    # A worker starts again: the watch resumes the job after its last committed chunk.
    monkeypatch.setattr(jobs, "after_chunk", None)
    with django_capture_on_commit_callbacks(execute=True):
        assert jobs.check_workers() == [job.pk]
    job.refresh_from_db()
    assert job.status == JobStatus.DONE, job.message
    assert (job.processed, job.created, job.updated, job.error_count) == (10, 8, 0, 2)
    assert Elder.objects.count() == ElderIdentity.objects.count() == 8
    assert sorted(Elder.objects.values_list("id_number", flat=True)) == sorted(
        {r[1] for i, r in enumerate(rows) if i not in (4, 8)}
    )
    errors = services.error_rows(county_officer, job)
    assert [(e["row"], e["column"]) for e in errors] == [(6, "联系电话"), (10, "公民身份号码")]
    assert errors[1]["reason"] == "与第 3 行重复"

    # The per-region counts were kept with each chunk: a rebuild from the registry agrees.
    def counts():
        return sorted(ElderRollup.objects.filter(count__gt=0).values_list("region_code", "birth_year", "count"))

    kept = counts()
    rollups.rebuild()
    assert kept == counts() and sum(c for code, _, c in kept if code == "411002001001") == 8


def test_a_job_is_resumed_with_one_click_when_it_may_not_resume_by_itself(
    county_officer, settings, monkeypatch, django_capture_on_commit_callbacks
):
    settings.IMPORT_CHUNK_ROWS = 2
    job = upload(county_officer, csv_file(HEADERS, elder_rows(5)), django_capture_on_commit_callbacks)
    kill_after(monkeypatch, 1)
    confirm(county_officer, job, django_capture_on_commit_callbacks)  # the task backend swallows the kill
    ImportJob.objects.filter(pk=job.pk).update(
        heartbeat_at=timezone.now() - timedelta(minutes=10), attempts=jobs.MAX_AUTO_RESUMES
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert jobs.check_workers() == []  # marked interrupted, left for a person
    job.refresh_from_db()
    assert (job.status, job.created) == ("interrupted", 2)
    monkeypatch.setattr(jobs, "after_chunk", None)
    client = Client()
    client.force_login(county_officer)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/exchange/jobs/{job.pk}/resume/")
    job.refresh_from_db()
    assert (job.status, job.created, Elder.objects.count()) == ("done", 5, 5)


def test_a_stopped_worker_interrupts_the_job_at_once(
    county_officer, settings, monkeypatch, django_capture_on_commit_callbacks
):
    settings.IMPORT_CHUNK_ROWS = 2

    def stop(job_id, committed):
        raise SystemExit(1)  # what the task worker raises in a task when it is told to stop

    job = upload(county_officer, csv_file(HEADERS, elder_rows(4)), django_capture_on_commit_callbacks)
    monkeypatch.setattr(jobs, "after_chunk", stop)
    confirm(county_officer, job, django_capture_on_commit_callbacks)
    job.refresh_from_db()
    assert (job.status, job.created, job.cursor) == ("interrupted", 2, 3) and job.stored_path
    monkeypatch.setattr(jobs, "after_chunk", None)
    with django_capture_on_commit_callbacks(execute=True):
        services.resume_import(Actor(user=county_officer), job.pk)
    job.refresh_from_db()
    assert (job.status, job.created, Elder.objects.count()) == ("done", 4, 4)


def test_a_run_given_up_for_dead_cannot_write_beside_the_one_that_resumed(
    county_officer, settings, monkeypatch, django_capture_on_commit_callbacks
):
    """The old run wakes up after its job was taken from it: its next chunk is refused, not doubled."""
    settings.IMPORT_CHUNK_ROWS = 2
    job = upload(county_officer, csv_file(HEADERS, elder_rows(4)), django_capture_on_commit_callbacks)

    def taken(job_id, committed):
        ImportJob.objects.filter(pk=job_id).update(
            status=JobStatus.INTERRUPTED, run_token="", heartbeat_at=timezone.now() - timedelta(minutes=10)
        )

    monkeypatch.setattr(jobs, "after_chunk", taken)
    confirm(county_officer, job, django_capture_on_commit_callbacks)
    job.refresh_from_db()
    assert (job.status, job.created, Elder.objects.count()) == ("interrupted", 2, 2)
    monkeypatch.setattr(jobs, "after_chunk", None)
    with django_capture_on_commit_callbacks(execute=True):
        jobs.resume(job.pk)
    job.refresh_from_db()
    assert (job.status, job.created, Elder.objects.count()) == ("done", 4, 4)


def test_the_task_frameworks_state_tells_that_the_worker_is_gone(county_officer, monkeypatch):
    job = ImportJob.objects.create(
        kind="elders", user=county_officer, filename="a.csv", status=JobStatus.RUNNING,
        heartbeat_at=timezone.now(), task_id="t-1", region_code="411002000000",
    )  # fmt: skip
    assert not jobs.worker_gone(job)
    monkeypatch.setattr(jobs, "_task_finished", lambda task_id: task_id == "t-1")
    assert jobs.worker_gone(job) and jobs.mark_interrupted(job)
    job.refresh_from_db()
    assert job.status == JobStatus.INTERRUPTED


# --- The error report ----------------------------------------------------------------------------


def test_the_error_report_names_the_bureaus_serial_number_the_masked_id_the_value_and_the_reason(
    county_officer, django_capture_on_commit_callbacks
):
    bad_phone = make_id_number()
    rows = [
        ["A-001", "李桂兰", bad_phone, "12345", "411002001001"],
        ["A-002", "=HYPERLINK(1)", make_id_number(), "=1+2", "411002001001"],
        ["A-003", "赵淑珍", make_id_number(), "", "411002001001"],
    ]
    headers = ["序号", "姓名", "公民身份号码", "联系电话", "所属社区代码"]
    job = upload(county_officer, csv_file(headers, rows), django_capture_on_commit_callbacks, confirm=True)
    assert job.message == ""  # 序号 is read, not reported as an unknown column
    errors = services.error_rows(county_officer, job)
    first = errors[0]
    assert (first["serial"], first["row"], first["name"], first["column"], first["value"]) == (
        "A-001", 2, "李桂兰", "联系电话", "12345",
    )  # fmt: skip
    assert first["identifier"] == bad_phone[:4] + "*" * 13 + bad_phone[-1]
    client = Client()
    client.force_login(county_officer)
    response = client.get(f"/exchange/jobs/{job.pk}/errors.xlsx")
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    assert [c.value for c in sheet[1]] == services.REPORT_HEADERS
    assert [c.value for c in sheet[2]][:2] == ["A-001", 2]
    assert [c.value for c in sheet[3]][2] == "'=HYPERLINK(1)" and [c.value for c in sheet[3]][5] == "'=1+2"
    page = client.get(f"/exchange/jobs/{job.pk}/").content.decode()
    assert "A-001" in page and bad_phone not in page


def test_the_job_page_and_api_show_progress_with_total_and_percentage(county_officer):
    job = ImportJob.objects.create(
        kind="elders", user=county_officer, filename="a.csv", status=JobStatus.RUNNING, total_rows=200,
        processed=50, created=50, heartbeat_at=timezone.now(), confirmed_at=timezone.now(),
        region_code="411002000000",
    )  # fmt: skip
    client = Client()
    client.force_login(county_officer)
    page = client.get(f"/exchange/jobs/{job.pk}/", headers={"HX-Request": "true"}).content.decode()
    assert "共 200 行" in page and "已导入 50 行（25%）" in page and "every 1s" in page
    answer = client.get(f"/api/v1/imports/jobs/{job.pk}").json()
    assert (answer["total_rows"], answer["processed"], answer["percent"], answer["status_label"]) == (
        200, 50, 25, "导入中",
    )  # fmt: skip


@pytest.mark.parametrize(
    "method, url",
    [
        ("post", "/exchange/jobs/{id}/confirm/"),
        ("post", "/exchange/jobs/{id}/resume/"),
        ("post", "/exchange/jobs/{id}/cancel/"),
        ("post", "/api/v1/imports/jobs/{id}/confirm"),
        ("post", "/api/v1/imports/jobs/{id}/resume"),
        ("post", "/api/v1/imports/jobs/{id}/cancel"),
    ],
)
def test_an_officer_of_another_county_can_neither_confirm_resume_nor_cancel(
    county_officer, neighbour_officer, method, url, django_capture_on_commit_callbacks
):
    job = upload(county_officer, csv_file(HEADERS, elder_rows(1)), django_capture_on_commit_callbacks)
    client = Client()
    client.force_login(neighbour_officer)
    assert getattr(client, method)(url.format(id=job.pk)).status_code == 404
    job.refresh_from_db()
    assert job.status == JobStatus.PREVIEWED and not Elder.objects.exists()


def test_streets_and_communities_are_previewed_then_imported(county_officer, django_capture_on_commit_callbacks):
    from yiyang.regions.models import Region

    content = "区划代码,名称\n411002001003,新华社区\n411002001001,花园社区（更名）\n411002009001,无上级\n".encode()
    job = upload(county_officer, content, django_capture_on_commit_callbacks, kind="regions")
    assert (job.preview["new"], job.preview["updated"], job.preview["refused"]) == (1, 1, 1)
    assert not Region.objects.filter(code="411002001003").exists()
    job = confirm(county_officer, job, django_capture_on_commit_callbacks)
    assert (job.status, job.created, job.updated, job.error_count) == ("done", 1, 1, 1)
    assert Region.objects.get(code="411002001001").name == "花园社区（更名）"


def test_the_stored_values_read_for_a_chunk_equal_the_orms(make_elder):
    """Re-imports compare rows with what one raw query per chunk reads; its values must be the ORM's."""
    from yiyang.elders.importers import STORED_FIELDS, _stored

    elder = make_elder(health_notes="高血压", categories="低保", lat="34.1", lng="113.8", status_date="")
    got = _stored([elder.id_number, make_id_number()])
    orm = Elder.objects.filter(pk=elder.pk).values(*STORED_FIELDS).get()
    assert list(got) == [elder.id_number] and got[elder.id_number] == orm
    assert {k: type(v) for k, v in got[elder.id_number].items()} == {k: type(v) for k, v in orm.items()}
