"""Inspections and the rectification ledger: results open hazards, the facility rectifies with evidence,
the inspector closes or returns, overdue hazards escalate, and nobody outside the scope sees any of it."""

import io
import json
from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from openpyxl import load_workbook

from yiyang.core.audit import Actor
from yiyang.core.errors import Conflict, FieldErrors
from yiyang.supervision.models import Hazard, HazardStatus, HazardStep, InspectionStatus, Photo
from yiyang.supervision.services import inspections

from .conftest import png


def client_for(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


# --- Checklists -------------------------------------------------------------------------------------


def test_checklist_text_is_parsed_and_a_new_version_replaces_the_old(county_officer):
    actor = Actor(user=county_officer)
    first = inspections.save_checklist(actor, "411002", "安全检查表", "消防安全：通道畅通\n\n食品安全：留样")
    assert [i["category"] for i in first.items] == ["fire", "food"]
    second = inspections.save_checklist(actor, "411002", "安全检查表", "消防安全：通道畅通")
    first.refresh_from_db()
    assert (second.version, second.is_active, first.is_active) == (2, True, False)


@pytest.mark.parametrize(
    "text, reason",
    [
        ("没有冒号的一行", "第 1 行"),
        ("火灾：通道", "第 1 行"),
        ("", "至少要有一个检查项"),
        ("消防安全：" + "长" * 201, "1 到 200"),
    ],
)
def test_bad_checklist_is_refused_naming_the_line(county_officer, text, reason):
    with pytest.raises(FieldErrors) as exc:
        inspections.save_checklist(Actor(user=county_officer), "411002", "表", text)
    assert reason in exc.value.fields["items"]


def test_a_county_officer_plans_with_the_city_checklist(county_officer, city_officer, facility):
    city_list = inspections.save_checklist(Actor(user=city_officer), "411000", "市级检查表", "消防安全：通道畅通")
    page = client_for(county_officer).get("/supervision/inspections/")
    assert "市级检查表" in page.content.decode()
    response = client_for(county_officer).post("/supervision/inspections/", {
        "facility": facility.pk, "checklist": city_list.pk, "kind": "scheduled",
        "planned_on": date.today().isoformat(), "inspectors": "王科长"})  # fmt: skip
    assert response.status_code == 302


def test_an_officer_cannot_publish_a_checklist_for_another_county(county_officer):
    from yiyang.core.errors import OutOfScope

    with pytest.raises(OutOfScope):
        inspections.save_checklist(Actor(user=county_officer), "411003", "表", "消防安全：通道")


# --- Results and hazards ----------------------------------------------------------------------------


def test_each_failed_item_opens_one_hazard_with_its_history(hazard, inspection):
    inspection.refresh_from_db()
    assert inspection.status == InspectionStatus.DONE
    assert (hazard.status, hazard.severity, hazard.category) == (HazardStatus.OPEN, "major", "fire")
    assert hazard.deadline == date.today() + timedelta(days=30)  # the default for a major hazard
    assert [s.action for s in hazard.steps.all()] == ["found"]


def test_results_must_cover_every_item_and_describe_each_failure(county_officer, inspection):
    results = {"fire-01": "fail", "food-02": "maybe"}
    with pytest.raises(FieldErrors) as exc:
        inspections.record_results(Actor(user=county_officer), inspection.pk, results, {})
    assert set(exc.value.fields) == {
        "results.food-02",
        "results.video-03",
        "findings.fire-01.description",
        "findings.fire-01.responsible_person",
    }
    assert not Hazard.objects.exists()
    inspection.refresh_from_db()
    assert inspection.status == InspectionStatus.PLANNED


def test_a_resent_result_form_adds_no_second_hazard(county_officer, inspection, hazard):
    with pytest.raises(Conflict):
        inspections.record_results(
            Actor(user=county_officer), inspection.pk, {"fire-01": "fail", "food-02": "pass", "video-03": "pass"},
            {"fire-01": inspections.Finding("又一条", "general", "某人")},
        )  # fmt: skip
    assert Hazard.objects.count() == 1


def test_a_deadline_in_the_past_is_refused(county_officer, inspection):
    findings = {"fire-01": inspections.Finding("杂物", "general", "张", date.today() - timedelta(days=1))}
    with pytest.raises(FieldErrors) as exc:
        inspections.record_results(
            Actor(user=county_officer), inspection.pk, {"fire-01": "fail", "food-02": "pass", "video-03": "pass"},
            findings,
        )  # fmt: skip
    assert exc.value.fields == {"findings.fire-01.deadline": "整改期限不能早于今天"}


def test_a_file_that_is_not_a_photo_is_refused(county_officer, inspection):
    from django.core.files.uploadedfile import SimpleUploadedFile

    fake = SimpleUploadedFile("x.jpg", b"<script>alert(1)</script>", content_type="image/jpeg")
    with pytest.raises(FieldErrors) as exc:
        inspections.record_results(
            Actor(user=county_officer), inspection.pk, {"fire-01": "pass", "food-02": "pass", "video-03": "pass"},
            {}, photos={"fire-01": [fake]},
        )  # fmt: skip
    assert "不是 JPEG、PNG 或 WebP" in exc.value.fields["photos.fire-01"]


# --- The hazard lifecycle ---------------------------------------------------------------------------


def test_rectify_then_close(county_officer, facility_manager, hazard):
    inspections.submit_rectification(Actor(user=facility_manager), hazard.pk, "杂物已清理，通道畅通", [png()])
    hazard.refresh_from_db()
    assert hazard.status == HazardStatus.SUBMITTED
    inspections.verify(Actor(user=county_officer), hazard.pk, True, "现场复核通过")
    hazard.refresh_from_db()
    assert hazard.status == HazardStatus.CLOSED and hazard.closed_at is not None
    steps = list(hazard.steps.values_list("action", "by_name", "note"))
    assert [s[0] for s in steps] == ["found", "submitted", "closed"]
    assert steps[1][1] == facility_manager.username and steps[2][2] == "现场复核通过"
    assert hazard.photos.filter(purpose="evidence").count() == 1


def test_rectification_without_evidence_is_refused(facility_manager, hazard):
    with pytest.raises(FieldErrors) as exc:
        inspections.submit_rectification(Actor(user=facility_manager), hazard.pk, "已整改", [])
    assert exc.value.fields == {"photos": "请上传整改后的照片作为佐证"}
    hazard.refresh_from_db()
    assert hazard.status == HazardStatus.OPEN


def test_a_hazard_cannot_be_closed_before_evidence_is_submitted(county_officer, hazard):
    with pytest.raises(Conflict):
        inspections.verify(Actor(user=county_officer), hazard.pk, True)
    hazard.refresh_from_db()
    assert hazard.status == HazardStatus.OPEN


def test_returning_needs_a_reason_and_reopens_the_hazard(county_officer, facility_manager, hazard):
    inspections.submit_rectification(Actor(user=facility_manager), hazard.pk, "已整改", [png()])
    with pytest.raises(FieldErrors):
        inspections.verify(Actor(user=county_officer), hazard.pk, False, "")
    inspections.verify(Actor(user=county_officer), hazard.pk, False, "照片看不出通道情况")
    hazard.refresh_from_db()
    assert (hazard.status, hazard.returned_times) == (HazardStatus.OPEN, 1)
    # Closing twice, or closing a returned hazard, is refused.
    with pytest.raises(Conflict):
        inspections.verify(Actor(user=county_officer), hazard.pk, True)


def test_the_facility_cannot_close_its_own_hazard(facility_manager, hazard):
    inspections.submit_rectification(Actor(user=facility_manager), hazard.pk, "已整改", [png()])
    with pytest.raises(PermissionDenied):
        inspections.verify(Actor(user=facility_manager), hazard.pk, True)


def test_overdue_hazards_escalate_to_the_city_then_the_province_once(hazard, settings):
    settings.HAZARD_ESCALATE_TO_PROVINCE_AFTER_DAYS = 15
    day_after = hazard.deadline + timedelta(days=1)
    assert inspections.escalate_overdue(hazard.deadline) == 0  # due today: not overdue yet
    assert inspections.escalate_overdue(day_after) == 1
    assert inspections.escalate_overdue(day_after) == 0  # rerun the same day: nothing twice
    hazard.refresh_from_db()
    assert hazard.escalation_level == 1
    assert inspections.escalate_overdue(hazard.deadline + timedelta(days=15)) == 0
    assert inspections.escalate_overdue(hazard.deadline + timedelta(days=16)) == 1
    hazard.refresh_from_db()
    assert hazard.escalation_level == 2
    assert list(hazard.steps.filter(action="escalated").values_list("note", flat=True)) == [
        "逾期 1 天，上报市级",
        "逾期 16 天，上报省级",
    ]


def test_every_overdue_hazard_gets_its_own_escalation_step(county_officer, inspection, hazard):
    twin = Hazard.objects.create(facility=hazard.facility, region_code=hazard.region_code, county_code="411002",
                                 inspection=inspection, item_code="food-02", category="food", description="留样不足",
                                 severity="general", responsible_person="张", deadline=hazard.deadline,
                                 found_on=hazard.found_on)  # fmt: skip
    assert inspections.escalate_overdue(hazard.deadline + timedelta(days=1)) == 2
    for h in (hazard, twin):
        assert h.steps.filter(action="escalated").count() == 1


def test_a_closed_hazard_never_escalates(county_officer, facility_manager, hazard):
    inspections.submit_rectification(Actor(user=facility_manager), hazard.pk, "已整改", [png()])
    inspections.verify(Actor(user=county_officer), hazard.pk, True)
    assert inspections.escalate_overdue(hazard.deadline + timedelta(days=100)) == 0


def test_transitions_lock_only_their_own_row(county_officer, facility_manager, hazard, locked_queries):
    from .conftest import assert_locks_only_own_rows

    inspections.submit_rectification(Actor(user=facility_manager), hazard.pk, "已整改", [png()])
    inspections.verify(Actor(user=county_officer), hazard.pk, True)
    assert_locks_only_own_rows(locked_queries)


def test_history_entries_cannot_be_edited_or_deleted(hazard):
    step = HazardStep.objects.get(hazard=hazard)
    step.note = "改写"
    with pytest.raises(PermissionError):
        step.save()
    with pytest.raises(PermissionError):
        step.delete()


# --- The ledger -------------------------------------------------------------------------------------


def test_summary_counts_per_child_region(county_officer, city_officer, hazard):
    rows = inspections.summary_by_child_region(city_officer, "411000000000")
    assert [(r["region_code"], r["total"], r["open"], r["overdue"]) for r in rows] == [("411002000000", 1, 1, 0)]
    rows = inspections.summary_by_child_region(city_officer, "410000000000")  # the city sees its own city only
    assert [(r["region_code"], r["name"], r["total"]) for r in rows] == [("411000000000", "许昌市", 1)]
    Hazard.objects.filter(pk=hazard.pk).update(deadline=date.today() - timedelta(days=1))
    rows = inspections.summary_by_child_region(county_officer, "411002000000")
    assert [(r["region_code"], r["overdue"], r["closed_rate"]) for r in rows] == [("411002001000", 1, 0.0)]


def test_ledger_pages_keep_the_deadline_order(county_officer, hazard, inspection):
    from django.core.paginator import Paginator

    for n in range(4):
        Hazard.objects.create(facility=hazard.facility, region_code=hazard.region_code, county_code="411002",
                              inspection=inspection, item_code=f"extra-{n}", category="fire", description=f"第{n}条",
                              severity="general", responsible_person="张", deadline=date.today() + timedelta(days=10 - n),
                              found_on=date.today())  # fmt: skip
    rows = inspections.LedgerRows(inspections.ledger(county_officer, "411002000000", status=inspections.PENDING))
    pages = Paginator(rows, 2)
    seen = [h.description for number in pages.page_range for h in pages.page(number)]
    assert seen == ["第3条", "第2条", "第1条", "第0条", "二楼疏散通道堆放杂物"] and pages.count == 5


def test_ledger_export_holds_the_lines_in_scope(county_officer, hazard):
    handle = inspections.export_ledger(Actor(user=county_officer), inspections.ledger(county_officer, "411002000000"))
    sheet = load_workbook(io.BytesIO(handle.read())).active
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert [(r[0], r[5], r[9]) for r in rows] == [("花园康养中心", "二楼疏散通道堆放杂物", "待整改")]


# --- Pages and API ----------------------------------------------------------------------------------


def test_the_on_site_page_records_a_failed_item_with_a_photo(county_officer, inspection):
    client = client_for(county_officer)
    url = f"/supervision/inspections/{inspection.pk}/"
    assert "疏散通道畅通" in client.get(url).content.decode()
    response = client.post(url, {
        "result-fire-01": "fail", "description-fire-01": "灭火器过期", "severity-fire-01": "general",
        "responsible-fire-01": "张院长", "deadline-fire-01": "", "photo-fire-01": png(),
        "result-food-02": "pass", "result-video-03": "pass", "summary": "总体良好",
    })  # fmt: skip
    assert response.status_code == 302
    hazard = Hazard.objects.get()
    assert hazard.description == "灭火器过期" and hazard.deadline == date.today() + timedelta(days=15)
    assert Photo.objects.get().hazard_id == hazard.pk


def test_the_on_site_page_keeps_what_was_typed_when_refused(county_officer, inspection):
    response = client_for(county_officer).post(
        f"/supervision/inspections/{inspection.pk}/", {"result-fire-01": "fail", "description-fire-01": "灭火器过期"}
    )
    page = response.content.decode()
    assert response.status_code == 200 and "灭火器过期" in page and "请填写整改责任人" in page
    assert not Hazard.objects.exists()


def test_the_facility_submits_evidence_and_the_officer_closes_on_the_pages(county_officer, facility_manager, hazard):
    url = f"/supervision/hazards/{hazard.pk}/"
    response = client_for(facility_manager).post(url, {"rectify-note": "已清理", "photos": png()})
    assert response.status_code == 302
    photo = Photo.objects.get(purpose="evidence")
    assert client_for(facility_manager).get(f"/supervision/photos/{photo.pk}/").status_code == 200
    response = client_for(county_officer).post(url, {"decision": "close", "note": "通过"})
    assert response.status_code == 302
    hazard.refresh_from_db()
    assert hazard.status == HazardStatus.CLOSED
    ledger = "/supervision/ledger/?region=411002000000"
    assert "二楼疏散通道" not in client_for(county_officer).get(ledger).content.decode()  # by default: not closed
    page = client_for(county_officer).get(ledger + "&status=").content.decode()
    assert "二楼疏散通道" in page and "已销号" in page


def test_api_journey(county_officer, facility_manager, facility, checklist):
    officer = client_for(county_officer)
    response = officer.post("/api/v1/supervision/inspections", json.dumps({
        "facility_id": facility.pk, "checklist_id": checklist.pk, "kind": "scheduled",
        "planned_on": date.today().isoformat(), "inspectors": "王科长"}), content_type="application/json")  # fmt: skip
    assert response.status_code == 201, response.content
    inspection_id = response.json()["id"]
    body = {"results": {"fire-01": "fail", "food-02": "pass", "video-03": "pass"},
            "findings": {"fire-01": {"description": "通道堵塞", "responsible_person": "张院长"}}}  # fmt: skip
    response = officer.post(f"/api/v1/supervision/inspections/{inspection_id}/results", json.dumps(body),
                            content_type="application/json")  # fmt: skip
    assert response.status_code == 200 and response.json()["status"] == "done"
    hazard_id = officer.get("/api/v1/supervision/hazards").json()["items"][0]["id"]
    response = client_for(facility_manager).post(
        f"/api/v1/supervision/hazards/{hazard_id}/rectification", {"note": "已清理", "photos": [png()]}
    )
    assert response.status_code == 200 and response.json()["status"] == "submitted"
    response = officer.post(f"/api/v1/supervision/hazards/{hazard_id}/verify", json.dumps({"accept": True}),
                            content_type="application/json")  # fmt: skip
    assert response.json()["status"] == "closed"
    detail = officer.get(f"/api/v1/supervision/hazards/{hazard_id}").json()
    assert [s["action"] for s in detail["steps"]] == ["found", "submitted", "closed"] and detail["photo_ids"]
    summary = officer.get("/api/v1/supervision/hazards/summary?region=411002").json()
    assert summary[0]["closed"] == 1 and summary[0]["closed_rate"] == 100.0


def test_api_photos_of_a_checked_item_join_its_hazard(county_officer, neighbour_officer, inspection, hazard):
    url = f"/api/v1/supervision/inspections/{inspection.pk}/photos"
    response = client_for(county_officer).post(url, {"item_code": "fire-01", "photos": [png(), png("b.png")]})
    assert response.status_code == 201 and len(response.json()) == 2
    assert hazard.photos.filter(purpose="finding").count() == 2
    assert client_for(county_officer).post(url, {"item_code": "nope", "photos": [png()]}).status_code == 422
    assert client_for(neighbour_officer).post(url, {"item_code": "fire-01", "photos": [png()]}).status_code == 404
    assert Photo.objects.count() == 2


def test_api_refuses_bad_input_naming_the_field(county_officer, facility, checklist):
    response = client_for(county_officer).post("/api/v1/supervision/inspections", json.dumps({
        "facility_id": facility.pk, "checklist_id": checklist.pk, "kind": "whenever",
        "planned_on": "2020-01-01", "inspectors": ""}), content_type="application/json")  # fmt: skip
    assert response.status_code == 422
    assert set(response.json()["fields"]) == {"kind", "planned_on", "inspectors"}
    assert client_for(county_officer).get("/api/v1/supervision/hazards?region=12x").status_code == 422


def test_a_planned_unannounced_inspection_stays_hidden_from_the_facility(facility_manager, inspection, county_officer):
    manager = client_for(facility_manager)
    assert manager.get("/api/v1/supervision/inspections").json()["count"] == 0
    assert manager.get(f"/api/v1/supervision/inspections/{inspection.pk}").status_code == 404
    assert "王科长" not in manager.get("/supervision/inspections/").content.decode()
    assert client_for(county_officer).get(f"/supervision/inspections/{inspection.pk}/").status_code == 200
    inspections.record_results(Actor(user=county_officer), inspection.pk,
                               {"fire-01": "pass", "food-02": "pass", "video-03": "pass"}, {})  # fmt: skip
    assert manager.get(f"/api/v1/supervision/inspections/{inspection.pk}").status_code == 200  # done: now shown


# --- Scope ------------------------------------------------------------------------------------------

ROUTES = [
    ("get", "/supervision/inspections/{inspection}/"),
    ("post", "/supervision/inspections/{inspection}/"),
    ("get", "/supervision/hazards/{hazard}/"),
    ("post", "/supervision/hazards/{hazard}/"),
    ("get", "/supervision/photos/{photo}/"),
    ("get", "/api/v1/supervision/inspections/{inspection}"),
    ("post", "/api/v1/supervision/inspections/{inspection}/results"),
    ("get", "/api/v1/supervision/hazards/{hazard}"),
    ("post", "/api/v1/supervision/hazards/{hazard}/rectification"),
    ("post", "/api/v1/supervision/hazards/{hazard}/verify"),
]


@pytest.fixture
def photo(hazard, facility_manager):
    inspections.submit_rectification(Actor(user=facility_manager), hazard.pk, "已整改", [png()])
    hazard.refresh_from_db()
    return hazard.photos.get()


@pytest.mark.parametrize("method, route", ROUTES)
@pytest.mark.parametrize("who", ["neighbour_officer", "other_city_officer", "other_facility_manager", None])
def test_outsiders_can_neither_read_nor_change(request, hazard, photo, method, route, who):
    user = request.getfixturevalue(who) if who else None
    url = route.format(inspection=hazard.inspection_id, hazard=hazard.pk, photo=photo.pk)
    client = client_for(user)
    if method == "get":
        response = client.get(url)
    elif url.startswith("/api/") and not url.endswith("rectification"):
        body = {"accept": True} if url.endswith("verify") else {"results": {}, "findings": {}}
        response = client.post(url, json.dumps(body), content_type="application/json")
    else:
        form = {"note": "x", "decision": "close", "rectify-note": "x", "photos": png(), "result-fire-01": "pass"}
        response = client.post(url, form)
    if user is None:
        assert response.status_code in (401, 302)
    else:
        assert response.status_code == 404, (who, url, response.status_code)
    hazard.refresh_from_db()
    assert hazard.status == HazardStatus.SUBMITTED and hazard.steps.count() == 2


@pytest.mark.parametrize("who", ["neighbour_officer", "other_facility_manager"])
def test_lists_summary_and_exports_hold_nothing_of_another_county(request, hazard, who):
    client = client_for(request.getfixturevalue(who))
    assert client.get("/api/v1/supervision/hazards").json()["count"] == 0
    assert client.get("/api/v1/supervision/inspections").json()["count"] == 0
    # A region above or beside the user's own is out of scope: 404, as a detail answers (issue 13).
    assert client.get("/api/v1/supervision/hazards/summary?region=411000").status_code == 404
    assert client.get("/api/v1/supervision/hazards/summary?region=411002").status_code == 404
    assert "二楼疏散通道" not in client.get("/supervision/ledger/").content.decode()
    assert "二楼疏散通道" not in client.get("/supervision/ledger/?region=411002").content.decode()


def test_a_facility_manager_sees_the_ledger_of_their_facility_only(facility_manager, hazard):
    client = client_for(facility_manager)
    response = client.get("/supervision/ledger/", follow=True)
    assert "二楼疏散通道" in response.content.decode()
    assert client.get("/api/v1/supervision/hazards/export.xlsx").status_code == 403
