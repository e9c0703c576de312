"""The column-mapping step: headers no synonym knows are mapped by the clerk (or ignored), kept per region and
used for that region's next files; through the page and the API, refused to outsiders."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from conftest import make_id_number
from yiyang.core.audit import Actor
from yiyang.core.errors import Conflict, FieldErrors
from yiyang.elders.models import Elder
from yiyang.imports import services
from yiyang.imports.models import ColumnMapping, ImportJob, JobStatus


def register(*names) -> bytes:
    lines = ["老人名字,公民身份证号,所属社区,籍贯"]
    lines += [f"{name},{make_id_number()},花园社区,许昌" for name in names]
    return ("\n".join(lines) + "\n").encode()


def upload(user, content, captured, mapping=None) -> ImportJob:
    with captured(execute=True):
        job = services.start_import(Actor(user=user), "elders", SimpleUploadedFile("a.csv", content), mapping=mapping)
    job.refresh_from_db()
    return job


def test_unknown_headers_are_mapped_on_the_page_and_used_next_time(county_officer, django_capture_on_commit_callbacks):
    job = upload(county_officer, register("甲"), django_capture_on_commit_callbacks)
    assert job.status == JobStatus.PREVIEWED
    assert job.preview["missing_columns"] == ["姓名", "公民身份号码"]
    assert job.preview["unknown_columns"] == ["老人名字", "公民身份证号", "籍贯"]
    with pytest.raises(Conflict, match="文件缺少必填列：姓名、公民身份号码"):
        services.confirm_import(Actor(user=county_officer), job.pk)
    client = Client()
    client.force_login(county_officer)
    page = client.get(f"/exchange/jobs/{job.pk}/").content.decode()
    assert 'id="job-mapping"' in page and 'id="job-confirm"' not in page and "公民身份证号" in page
    form = {"header": ["老人名字", "公民身份证号", "籍贯"], "field": ["name", "id_number", ""]}
    with django_capture_on_commit_callbacks(execute=True):
        answer = client.post(f"/exchange/jobs/{job.pk}/mapping/", form)
    assert answer.status_code == 302
    job.refresh_from_db()
    assert job.status == JobStatus.PREVIEWED and job.preview["new"] == 1 and job.preview["unknown_columns"] == []
    assert job.preview["missing_columns"] == []
    assert sorted(ColumnMapping.objects.values_list("region_code", "shown", "field")) == [
        ("411002000000", "公民身份证号", "id_number"),
        ("411002000000", "籍贯", ""),
        ("411002000000", "老人名字", "name"),
    ]
    with django_capture_on_commit_callbacks(execute=True):
        services.confirm_import(Actor(user=county_officer), job.pk)
    assert list(Elder.objects.values_list("name", flat=True)) == ["甲"]
    # The county's next file with the same headers needs no mapping.
    again = upload(county_officer, register("乙", "丙"), django_capture_on_commit_callbacks)
    assert again.preview["new"] == 2 and again.preview["unknown_columns"] == []
    assert again.mapping == {"公民身份证号": "id_number", "籍贯": "", "老人名字": "name"}


def test_another_region_does_not_use_the_mapping(county_officer, neighbour_officer, django_capture_on_commit_callbacks):
    upload(county_officer, register("甲"), django_capture_on_commit_callbacks, mapping={"老人名字": "name",
                                                                                        "公民身份证号": "id_number"})  # fmt: skip
    job = upload(neighbour_officer, register("乙"), django_capture_on_commit_callbacks)
    assert job.preview["missing_columns"] == ["姓名", "公民身份号码"]


def test_a_bad_mapping_is_refused_naming_the_header(county_officer, django_capture_on_commit_callbacks):
    with pytest.raises(FieldErrors) as caught:
        upload(county_officer, register("甲"), django_capture_on_commit_callbacks, mapping={"老人名字": "wage"})
    assert "未知的对应列：wage" in caught.value.fields["mapping.老人名字"]
    with pytest.raises(FieldErrors) as caught:
        upload(
            county_officer, register("甲"), django_capture_on_commit_callbacks,
            mapping={"老人名字": "name", "籍贯": "name"},
        )  # fmt: skip
    assert "都对应到了“姓名”" in caught.value.fields["mapping.籍贯"]
    assert not ColumnMapping.objects.exists() and not ImportJob.objects.exists()


def test_the_api_takes_a_mapping_and_lists_unknown_columns(
    county_officer, neighbour_officer, django_capture_on_commit_callbacks
):
    client = Client()
    client.force_login(county_officer)
    with django_capture_on_commit_callbacks(execute=True):
        answer = client.post("/api/v1/imports/elders", {"file": SimpleUploadedFile("a.csv", register("甲"))})
    assert answer.status_code == 202
    job_id = answer.json()["id"]
    preview = client.get(f"/api/v1/imports/jobs/{job_id}").json()["preview"]
    assert preview["unknown_columns"] == ["老人名字", "公民身份证号", "籍贯"]
    assert {"field": "id_number", "column": "公民身份号码"} in preview["mappable"]
    assert client.post(f"/api/v1/imports/jobs/{job_id}/confirm").status_code == 409
    body = json.dumps({"mapping": {"老人名字": "name", "公民身份证号": "id_number", "籍贯": ""}})
    outsider = Client()
    outsider.force_login(neighbour_officer)
    assert (
        outsider.post(f"/api/v1/imports/jobs/{job_id}/mapping", body, content_type="application/json").status_code
        == 404
    )
    assert (
        Client().post(f"/api/v1/imports/jobs/{job_id}/mapping", body, content_type="application/json").status_code
        == 401
    )
    bad = json.dumps({"mapping": {"籍贯": "nope"}})
    assert (
        client.post(f"/api/v1/imports/jobs/{job_id}/mapping", bad, content_type="application/json").status_code == 422
    )
    with django_capture_on_commit_callbacks(execute=True):
        answer = client.post(f"/api/v1/imports/jobs/{job_id}/mapping", body, content_type="application/json")
    assert answer.status_code == 202
    assert client.get(f"/api/v1/imports/jobs/{job_id}").json()["preview"]["new"] == 1
    # A mapping given with the upload, as a JSON form field.
    with django_capture_on_commit_callbacks(execute=True):
        answer = client.post(
            "/api/v1/imports/elders",
            {"file": SimpleUploadedFile("b.csv", b"name2,id\n\xe4\xb9\x99,1\n"), "mapping": "{not json"},
        )
    assert answer.status_code == 422


def test_the_mapping_page_refuses_outsiders(county_officer, neighbour_officer, django_capture_on_commit_callbacks):
    job = upload(county_officer, register("甲"), django_capture_on_commit_callbacks)
    form = {"header": ["老人名字"], "field": ["name"]}
    outsider = Client()
    outsider.force_login(neighbour_officer)
    assert outsider.post(f"/exchange/jobs/{job.pk}/mapping/", form).status_code == 404
    anonymous = Client().post(f"/exchange/jobs/{job.pk}/mapping/", form)
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/accounts/login/")
    assert not ColumnMapping.objects.exists()


def test_saved_mappings_are_listed_on_the_import_page_and_a_wrong_one_is_forgotten(
    county_officer, neighbour_officer, django_capture_on_commit_callbacks
):
    from yiyang.core.models import AuditEntry

    upload(county_officer, register("甲"), django_capture_on_commit_callbacks,
           mapping={"老人名字": "name", "公民身份证号": "id_number", "籍贯": "address"})  # fmt: skip
    wrong = ColumnMapping.objects.get(shown="籍贯")
    client = Client()
    client.force_login(county_officer)
    page = client.get("/exchange/import/elders/").content.decode()
    assert 'id="saved-mappings"' in page and "籍贯" in page and "居住地址" in page

    # The neighbour county neither sees nor removes it.
    outsider = Client()
    outsider.force_login(neighbour_officer)
    assert "籍贯" not in outsider.get("/exchange/import/elders/").content.decode()
    assert outsider.post(f"/exchange/import/elders/mappings/{wrong.pk}/delete/").status_code == 404
    assert ColumnMapping.objects.filter(pk=wrong.pk).exists()

    answer = client.post(f"/exchange/import/elders/mappings/{wrong.pk}/delete/")
    assert answer.status_code == 302 and not ColumnMapping.objects.filter(pk=wrong.pk).exists()
    assert AuditEntry.objects.filter(action="delete", object_type="imports.columnmapping").count() == 1
    # The next file asks about that header again, and keeps the other mappings.
    again = upload(county_officer, register("乙"), django_capture_on_commit_callbacks)
    assert again.preview["unknown_columns"] == ["籍贯"] and again.preview["missing_columns"] == []
