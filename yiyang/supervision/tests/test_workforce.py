"""The care workforce: staff, certificates, training, the staffing figures, and who may see what."""

import json
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.http import Http404
from django.utils import timezone

from yiyang.core.audit import Actor
from yiyang.core.errors import Conflict, FieldErrors
from yiyang.core.models import AuditAction, AuditEntry, Interface
from yiyang.core.roles import Role
from yiyang.facilities.models import Residence
from yiyang.providers.models import Attendance, Certificate, Provider, Staff
from yiyang.supervision.services import workforce

from .conftest import assert_locks_only_own_rows, client_for


def staff(actor, facility, **fields):
    data = {"facility_id": facility.pk, "name": "王建国", "role": "carer", "hired_on": date(2023, 1, 1), **fields}
    return workforce.add_staff(actor, data)


def resident(make_elder, facility, level, admitted=date(2025, 1, 1)):
    elder = make_elder()
    elder.capability_level = level
    elder.save(update_fields=["capability_level"])
    return Residence.objects.create(facility=facility, elder=elder, region_code=facility.region_code,
                                    county_code=facility.county_code, admitted_on=admitted)  # fmt: skip


# --- staffing_of ---------------------------------------------------------------------------------


def test_staffing_counts_current_staff_and_residents_by_capability(officer_actor, facility, make_elder):
    for level in (0, 1, 2, 2, 3, 4, None):
        resident(make_elder, facility, level)
    gone = resident(make_elder, facility, 4)
    gone.left_on = date(2025, 6, 1)
    gone.save()
    today = timezone.localdate()
    certified = staff(officer_actor, facility, name="甲")
    workforce.add_certificate(officer_actor, certified.pk, {"kind": "carer", "level": 5, "number": "C-1",
                                                            "issuer": "许昌市人社局", "issued_on": date(2023, 5, 1)})  # fmt: skip
    staff(officer_actor, facility, name="乙", trained_junior_standard=True)
    staff(officer_actor, facility, name="丙")
    staff(officer_actor, facility, name="已离职", left_on=today - timedelta(days=1))
    staff(officer_actor, facility, name="医生", role="doctor")
    staff(officer_actor, facility, name="护士", role="nurse")
    staff(officer_actor, facility, name="社工", role="social_worker", is_full_time=False)
    staff(officer_actor, facility, name="院长", role="manager", is_director=True, education="college")
    s = workforce.staffing_of(facility)
    assert (s.residents, s.severe_residents, s.moderate_residents) == (7, 2, 2)
    assert (s.carers, s.certified_carers) == (3, 2)
    assert (s.doctors, s.nurses, s.social_workers_full_time, s.social_workers_part_time) == (1, 1, 0, 1)
    assert (s.directors, s.directors_college) == (1, 1)
    figures = s.as_dict()
    assert figures["certified_carer_share"] == 0.667
    assert figures["carers_per_severe"] == 1.5 and figures["carers_per_moderate"] == 1.5
    assert figures["doctors_per_200"] == round(200 / 7, 2)
    assert figures["occupancy"] == 0.1  # 10 of 100 registered beds


def test_a_person_left_today_no_longer_counts(officer_actor, facility):
    today = timezone.localdate()
    staff(officer_actor, facility, left_on=today)
    assert workforce.staffing_of(facility).carers == 0
    assert workforce.staffing_of(facility, today - timedelta(days=1)).carers == 1


# --- Validation ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "fields, field",
    [
        ({"name": ""}, "name"),
        ({"role": "cook"}, "role"),
        ({"phone": "12345"}, "phone"),
        ({"education": "phd"}, "education"),
        ({"left_on": date(2022, 1, 1)}, "left_on"),
        ({"hired_on": date(2999, 1, 1)}, "hired_on"),
        ({"is_director": True}, "is_director"),  # a carer is not the director
    ],
)
def test_bad_staff_input_names_the_field(officer_actor, facility, fields, field):
    with pytest.raises(FieldErrors) as refused:
        staff(officer_actor, facility, **fields)
    assert field in refused.value.fields
    assert not Staff.objects.exists()


def test_staff_belongs_to_a_facility_or_a_provider(officer_actor, facility):
    with pytest.raises(FieldErrors) as refused:
        workforce.add_staff(officer_actor, {"facility_id": facility.pk, "provider_id": 7, "name": "甲", "role": "carer",
                                            "hired_on": date(2023, 1, 1)})  # fmt: skip
    assert "facility_id" in refused.value.fields


def test_provider_staff_take_the_providers_region_and_stay_in_scope(officer_actor):
    mine = Provider.objects.create(name="安康居家服务公司", region_code="411002001001", county_code="411002")
    theirs = Provider.objects.create(name="建安服务社", region_code="411003100201", county_code="411003")
    person = workforce.add_staff(officer_actor, {"provider_id": mine.pk, "name": "赵师傅", "role": "carer",
                                                 "hired_on": date(2023, 1, 1)})  # fmt: skip
    assert (person.provider_id, person.region_code, person.county_code) == (mine.pk, "411002001001", "411002")
    with pytest.raises(FieldErrors) as refused:
        workforce.add_staff(officer_actor, {"provider_id": theirs.pk, "name": "钱师傅", "role": "carer",
                                            "hired_on": date(2023, 1, 1)})  # fmt: skip
    assert "provider_id" in refused.value.fields
    assert not Staff.objects.filter(provider=theirs).exists()


def test_certificates_are_checked_against_the_role_and_numbered_once(officer_actor, carer):
    base = {
        "kind": "carer",
        "level": 4,
        "number": "HN-2023-001",
        "issuer": "河南省人社厅",
        "issued_on": date(2023, 6, 1),
    }
    for change, field in (({"level": None}, "level"), ({"level": 6}, "level"), ({"kind": "nurse", "level": None},
                          "kind"), ({"number": ""}, "number"), ({"issued_on": date(2999, 1, 1)}, "issued_on")):  # fmt: skip
        with pytest.raises(FieldErrors) as refused:
            workforce.add_certificate(officer_actor, carer.pk, {**base, **change})
        assert field in refused.value.fields
    certificate = workforce.add_certificate(officer_actor, carer.pk, base)
    assert certificate.level_label == "四级"
    with pytest.raises(FieldErrors) as refused:
        workforce.add_certificate(officer_actor, carer.pk, base)
    assert "number" in refused.value.fields
    assert Certificate.objects.count() == 1


# --- Training ------------------------------------------------------------------------------------


def test_training_hours_add_up_and_are_capped_by_the_class(officer_actor, facility, carer, neighbour_carer):
    first = workforce.create_training(officer_actor, {"region_code": "411002000000", "organiser": "魏都区民政局",
                                                      "topic": "失能老人照护", "starts_on": date(2026, 3, 1),
                                                      "ends_on": date(2026, 3, 5), "hours": "40"})  # fmt: skip
    second = workforce.create_training(officer_actor, {"facility_id": facility.pk, "topic": "消防演练",
                                                       "starts_on": date(2026, 4, 1), "ends_on": date(2026, 4, 1),
                                                       "hours": "4"})  # fmt: skip
    assert second.organiser == facility.name
    workforce.record_attendance(officer_actor, first.pk, carer.pk, "40")
    workforce.record_attendance(officer_actor, second.pk, carer.pk, "3.5")
    assert workforce.training_hours([carer.pk]) == {carer.pk: Decimal("43.5")}
    with pytest.raises(Conflict):
        workforce.record_attendance(officer_actor, first.pk, carer.pk, "1")
    with pytest.raises(FieldErrors) as refused:
        workforce.record_attendance(officer_actor, second.pk, carer.pk, "4.5")
    assert "hours" in refused.value.fields or "staff_id" in refused.value.fields
    other = staff(officer_actor, facility, name="新人")
    with pytest.raises(FieldErrors) as refused:
        workforce.record_attendance(officer_actor, second.pk, other.pk, "4.5")
    assert refused.value.fields == {"hours": "认定学时不能超过培训班学时 4.0"}
    # The neighbour's carer is outside the class's region and outside the officer's scope.
    with pytest.raises(FieldErrors) as refused:
        workforce.record_attendance(officer_actor, first.pk, neighbour_carer.pk, "8")
    assert "staff_id" in refused.value.fields
    with pytest.raises(FieldErrors) as refused:
        workforce.create_training(officer_actor, {"region_code": "411002000000", "organiser": "区局", "topic": "x",
                                                  "starts_on": date(2026, 3, 5), "ends_on": date(2026, 3, 1),
                                                  "hours": "0"})  # fmt: skip
    assert {"ends_on", "hours"} <= set(refused.value.fields)
    assert Attendance.objects.count() == 2


def test_a_concurrent_attendance_record_is_a_conflict_not_a_server_error(officer_actor, carer, monkeypatch):
    """Two requests both pass the check for an existing record before either inserts: the database's
    once-per-class constraint refuses the second, which answers 409 naming the person."""
    training = workforce.create_training(officer_actor, {"region_code": "411002000000", "organiser": "魏都区民政局",
                                                         "topic": "失能老人照护", "starts_on": date(2026, 3, 1),
                                                         "ends_on": date(2026, 3, 5), "hours": "40"})  # fmt: skip
    workforce.record_attendance(officer_actor, training.pk, carer.pk, "40")
    # The second request's check ran before the first one's row was committed: it saw nothing.
    monkeypatch.setattr(Attendance.objects, "filter", lambda *args, **kwargs: Attendance.objects.none())
    with pytest.raises(Conflict) as refused:
        workforce.record_attendance(officer_actor, training.pk, carer.pk, "36")
    monkeypatch.undo()
    assert refused.value.message == "刘桂兰已登记参加本培训班" and "staff_id" in refused.value.fields
    assert list(Attendance.objects.values_list("hours", flat=True)) == [Decimal("40")]
    response = client_for(officer_actor.user).post(f"/api/v1/supervision/training-classes/{training.pk}/attendance",
                                                   json.dumps({"staff_id": carer.pk, "hours": 1}),
                                                   content_type="application/json")  # fmt: skip
    assert response.status_code == 409 and "staff_id" in response.json()["fields"]


def test_workforce_writes_lock_only_their_own_row(officer_actor, carer, locked_queries):
    workforce.change_staff(officer_actor, carer.pk, {"name": "刘桂芝"})
    workforce.add_certificate(officer_actor, carer.pk, {"kind": "carer", "level": 5, "number": "L-1",
                                                        "issuer": "人社局", "issued_on": date(2023, 1, 1)})  # fmt: skip
    training = workforce.create_training(officer_actor, {"region_code": "411002000000", "organiser": "区局",
                                                         "topic": "防跌倒", "starts_on": date(2026, 3, 1),
                                                         "ends_on": date(2026, 3, 1), "hours": "4"})  # fmt: skip
    workforce.record_attendance(officer_actor, training.pk, carer.pk, "4")
    assert len(locked_queries) == 3
    assert_locks_only_own_rows(locked_queries)


def test_facility_manager_manages_own_staff_only(facility_manager, facility, neighbour_facility):
    actor = Actor(user=facility_manager)
    person = staff(actor, facility)
    assert person.facility_id == facility.pk
    with pytest.raises(Http404):
        staff(actor, neighbour_facility)


# --- The scope table -----------------------------------------------------------------------------

ROUTES = [
    ("get", "/api/v1/supervision/staff/{staff}", None),
    ("patch", "/api/v1/supervision/staff/{staff}", {"name": "改名"}),
    ("get", "/api/v1/supervision/staff/{staff}/certificates", None),
    ("post", "/api/v1/supervision/staff/{staff}/certificates",
     {"kind": "carer", "level": 5, "number": "N-9", "issuer": "人社局", "issued_on": "2024-01-01"}),
    ("get", "/api/v1/supervision/facilities/{facility}/staffing", None),
    ("post", "/api/v1/supervision/staff",
     {"facility_id": "{facility}", "name": "新人", "role": "nurse", "hired_on": "2024-01-01"}),
    ("get", "/api/v1/supervision/training-classes/{training}", None),
    ("get", "/api/v1/supervision/training-classes/{training}/attendance", None),
    ("post", "/api/v1/supervision/training-classes/{training}/attendance", {"staff_id": "{staff}", "hours": 2}),
    ("get", "/supervision/workforce/facilities/{facility}/", None),
    ("post", "/supervision/workforce/facilities/{facility}/",
     {"name": "新人", "role": "nurse", "hired_on": "2024-01-01", "is_full_time": "on"}),
    ("get", "/supervision/workforce/staff/{staff}/", None),
    ("post", "/supervision/workforce/staff/{staff}/", {"staff-name": "改名", "staff-role": "carer",
                                                       "staff-hired_on": "2022-03-01"}),
    ("get", "/supervision/workforce/training/{training}/", None),
    ("post", "/supervision/workforce/training/{training}/", {"staff": "{staff}", "hours": "2", "passed": "on"}),
]  # fmt: skip


@pytest.fixture
def training(facility_manager, facility):
    return workforce.create_training(Actor(user=facility_manager), {"facility_id": facility.pk, "topic": "防跌倒",
                                                                    "starts_on": date(2026, 2, 1),
                                                                    "ends_on": date(2026, 2, 1), "hours": "4"})  # fmt: skip


def _call(user, method, route, body, ids):
    url = route.format(**ids)
    client = client_for(user)
    if body is not None:
        body = {k: (int(v.format(**ids)) if isinstance(v, str) and v.startswith("{") else v) for k, v in body.items()}
    if url.startswith("/api/"):
        if body is None:
            return getattr(client, method)(url)
        return getattr(client, method)(url, json.dumps(body), content_type="application/json")
    return client.post(url, body) if method == "post" else client.get(url)


def _unchanged(carer):
    carer.refresh_from_db()
    assert carer.name == "刘桂兰"
    assert not Certificate.objects.exists() and not Attendance.objects.exists()
    assert Staff.objects.count() == 1


@pytest.mark.parametrize("method, route, body", ROUTES)
@pytest.mark.parametrize("who", ["neighbour_officer", "other_facility_manager", None])
def test_outsiders_can_neither_read_nor_change(request, carer, training, facility, method, route, body, who):
    user = request.getfixturevalue(who) if who else None
    response = _call(user, method, route, body, {"staff": carer.pk, "facility": facility.pk, "training": training.pk})
    if user is None:
        assert response.status_code in (401, 302)
        if response.status_code == 302:
            assert "/accounts/login/" in response["Location"]
    else:
        assert response.status_code == 404, (who, route, response.status_code)
    _unchanged(carer)


@pytest.mark.parametrize("method, route, body", ROUTES)
@pytest.mark.parametrize("who", ["county_officer", "facility_manager"])
def test_rightful_users_reach_every_route(request, carer, training, facility, method, route, body, who):
    user = request.getfixturevalue(who)
    response = _call(user, method, route, body, {"staff": carer.pk, "facility": facility.pk, "training": training.pk})
    assert response.status_code in (200, 201, 302), (who, route, response.status_code, response.content[:300])
    if method == "post" and response.status_code == 302:
        assert "/accounts/login/" not in response["Location"]


def test_lists_hold_only_the_users_rows(county_officer, facility_manager, carer, neighbour_carer):
    for user in (county_officer, facility_manager):
        names = {s["name"] for s in client_for(user).get("/api/v1/supervision/staff").json()["items"]}
        assert names == {"刘桂兰"}
    page = client_for(county_officer).get("/supervision/workforce/").content.decode()
    assert "花园康养中心" in page and "灵井敬老院" not in page


def _phone_views(carer):
    return AuditEntry.objects.filter(action=AuditAction.VIEW_SENSITIVE, object_type="providers.staff",
                                     object_id=str(carer.pk))  # fmt: skip


def test_a_viewer_reads_masked_phones_and_cannot_change_or_reveal(make_user, carer):
    viewer = make_user(Role.VIEWER, region_code="411002000000")
    client = client_for(viewer)
    assert client.get(f"/api/v1/supervision/staff/{carer.pk}").json()["phone"] == "139****5678"
    revealed = client.get(f"/api/v1/supervision/staff/{carer.pk}?reveal=true").json()
    assert (revealed["phone"], revealed["phone_revealed"]) == ("139****5678", False)
    page = client.get(f"/supervision/workforce/staff/{carer.pk}/?reveal=1").content.decode()
    assert "13912345678" not in page and "139****5678" in page and 'id="reveal-phone"' not in page
    assert not _phone_views(carer).exists()
    response = client.patch(f"/api/v1/supervision/staff/{carer.pk}", json.dumps({"name": "改名"}),
                            content_type="application/json")  # fmt: skip
    assert response.status_code == 403


@pytest.mark.parametrize("who", ["county_officer", "facility_manager"])
def test_phones_are_masked_everywhere_and_shown_in_full_only_on_request_with_an_audit_entry(request, carer, who):
    client = client_for(request.getfixturevalue(who))
    api = "/api/v1/supervision/staff"
    assert [item["phone"] for item in client.get(api).json()["items"]] == ["139****5678"]
    detail = client.get(f"{api}/{carer.pk}").json()
    assert (detail["phone"], detail["phone_revealed"]) == ("139****5678", False)
    changed = client.patch(f"{api}/{carer.pk}", json.dumps({"name": "刘桂兰"}), content_type="application/json")
    assert changed.json()["phone"] == "139****5678"
    for url in (f"/supervision/workforce/facilities/{carer.facility_id}/", f"/supervision/workforce/staff/{carer.pk}/"):
        page = client.get(url).content.decode()
        assert "13912345678" not in page and "139****5678" in page, url
    assert 'id="reveal-phone"' in page
    assert not _phone_views(carer).exists()

    revealed = client.get(f"{api}/{carer.pk}?reveal=true").json()
    assert (revealed["phone"], revealed["phone_revealed"]) == ("13912345678", True)
    entry = _phone_views(carer).get()
    assert (entry.interface, entry.changes) == (Interface.API, {"fields": ["phone"]})
    page = client.get(f"/supervision/workforce/staff/{carer.pk}/?reveal=1").content.decode()
    assert "13912345678" in page and "已记入审计日志" in page
    assert list(_phone_views(carer).order_by("id").values_list("interface", flat=True)) == [
        Interface.API,
        Interface.WEB,
    ]


def test_the_edit_form_never_holds_the_full_phone_and_blank_keeps_it(county_officer, carer):
    client = client_for(county_officer)
    url = f"/supervision/workforce/staff/{carer.pk}/"
    page = client.get(url)
    assert page.context["edit_form"]["phone"].value() in (None, "")
    assert "13912345678" not in page.content.decode()
    form = {"staff-name": "刘桂兰", "staff-role": "carer", "staff-hired_on": "2022-03-01", "staff-is_full_time": "on"}
    assert client.post(url, {**form, "staff-phone": ""}).status_code == 302
    carer.refresh_from_db()
    assert carer.phone == "13912345678"
    assert client.post(url, {**form, "staff-phone": "13800001111"}).status_code == 302
    carer.refresh_from_db()
    assert carer.phone == "13800001111"
    response = client.post(url, {**form, "staff-phone": "13800002222", "staff-clear_phone": "on"})
    assert response.status_code == 200 and "填写了新联系电话时请不要勾选删除" in response.content.decode()
    assert client.post(url, {**form, "staff-phone": "", "staff-clear_phone": "on"}).status_code == 302
    carer.refresh_from_db()
    assert carer.phone == ""


@pytest.mark.parametrize(
    "method, url, body",
    [
        ("get", "/api/v1/supervision/staff/99999999999999999999", None),
        ("patch", "/api/v1/supervision/staff/99999999999999999999", {"name": "改名"}),
        ("get", "/api/v1/supervision/staff/99999999999999999999/certificates", None),
        ("get", "/api/v1/supervision/staff?facility_id=99999999999999999999", None),
        ("get", "/api/v1/supervision/staff?provider_id=-1", None),
        ("get", "/api/v1/supervision/facilities/9223372036854775808/staffing", None),
        ("get", "/api/v1/supervision/training-classes/99999999999999999999", None),
        ("get", "/api/v1/supervision/training-classes/99999999999999999999/attendance", None),
        ("post", "/api/v1/supervision/staff",
         {"facility_id": 99999999999999999999, "name": "新人", "role": "nurse", "hired_on": "2024-01-01"}),
    ],
)  # fmt: skip
def test_ids_beyond_the_database_range_are_refused_as_input(county_officer, method, url, body):
    client = client_for(county_officer)
    if body is None:
        response = getattr(client, method)(url)
    else:
        response = getattr(client, method)(url, json.dumps(body), content_type="application/json")
    assert response.status_code == 422, (url, response.status_code, response.content[:300])
    assert not Staff.objects.exists()


def test_the_largest_id_the_database_holds_is_simply_not_found(county_officer):
    response = client_for(county_officer).get("/api/v1/supervision/staff/9223372036854775807")
    assert response.status_code == 404


def test_facility_manager_lands_on_own_staff_page(facility_manager, facility):
    response = client_for(facility_manager).get("/supervision/workforce/")
    assert response.status_code == 302 and response["Location"].endswith(f"/workforce/facilities/{facility.pk}/")


def test_api_refusal_names_the_field(county_officer, facility):
    response = client_for(county_officer).post(
        "/api/v1/supervision/staff",
        json.dumps({"facility_id": facility.pk, "name": "甲", "role": "carer", "hired_on": "2024-01-01",
                    "phone": "abc"}),
        content_type="application/json",
    )  # fmt: skip
    assert response.status_code == 422 and "phone" in response.json()["fields"]
    assert not Staff.objects.exists()


def test_staff_page_form_adds_a_person_and_shows_staffing(county_officer, facility):
    client = client_for(county_officer)
    response = client.post(f"/supervision/workforce/facilities/{facility.pk}/",
                           {"name": "孙玉兰", "role": "carer", "hired_on": "2024-01-01", "is_full_time": "on",
                            "trained_junior_standard": "on"})  # fmt: skip
    assert response.status_code == 302
    page = client.get(f"/supervision/workforce/facilities/{facility.pk}/")
    assert "孙玉兰" in page.content.decode()
    assert page.context["staffing"]["certified_carers"] == 1


def test_training_pages_create_a_class_and_record_attendance(county_officer, carer):
    client = client_for(county_officer)
    assert client.get("/supervision/workforce/training/").status_code == 200
    response = client.post("/supervision/workforce/training/", {
        "region_code": "411002000000", "organiser": "魏都区民政局", "topic": "认知症照护", "starts_on": "2026-05-01",
        "ends_on": "2026-05-02", "hours": "16",
    })  # fmt: skip
    assert response.status_code == 302
    url = response["Location"]
    response = client.post(url, {"staff": carer.pk, "hours": "20", "passed": "on"})
    assert response.status_code == 200 and "认定学时不能超过培训班学时" in response.content.decode()
    assert client.post(url, {"staff": carer.pk, "hours": "16", "passed": "on"}).status_code == 302
    assert "刘桂兰" in client.get(url).content.decode()
    assert workforce.training_hours([carer.pk]) == {carer.pk: Decimal("16")}
    listing = client.get("/supervision/workforce/training/").content.decode()
    assert "认知症照护" in listing


def test_a_manager_cannot_organise_for_a_region(facility_manager, facility):
    client = client_for(facility_manager)
    form = client.get("/supervision/workforce/training/").context["form"]
    assert "region_code" not in form.fields and list(form.fields["facility"].queryset) == [facility]
