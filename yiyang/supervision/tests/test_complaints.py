"""Complaints and the 12345 hotline: registration rules, the state machine with its recorded steps,
deadlines and the overdue filter, masking, the facility answering its own complaints, and the scope
of each route."""

from datetime import timedelta

import pytest
from django.utils import timezone

from yiyang.core.audit import Actor
from yiyang.core.errors import Conflict, FieldErrors
from yiyang.core.models import AuditEntry
from yiyang.supervision.models import Complaint, ComplaintStatus, ComplaintStep
from yiyang.supervision.services import complaints as services

from .conftest import assert_refused_to, call, client_for

S = ComplaintStatus


def register(user, **fields):
    data = {"channel": "hotline_12345", "ticket_number": "XC2025-0001", "complainant_name": "赵桂兰",
            "complainant_phone": "13812345678", "content": "护理员态度差，饭菜凉", **fields}  # fmt: skip
    return services.register(Actor(user=user), data)


@pytest.fixture
def complaint(county_officer, facility):
    return register(county_officer, facility_id=facility.pk)


def test_deadline_defaults_to_fifteen_days_and_is_configurable(settings, county_officer, facility):
    today = timezone.localdate()
    assert register(county_officer, facility_id=facility.pk).deadline == today + timedelta(days=15)
    settings.COMPLAINT_REPLY_DAYS = 10
    assert register(county_officer, facility_id=facility.pk).deadline == today + timedelta(days=10)


def test_a_subject_is_required_and_only_one(county_officer, facility):
    with pytest.raises(FieldErrors) as excinfo:
        register(county_officer)
    assert "facility_id" in excinfo.value.fields
    with pytest.raises(FieldErrors):
        register(county_officer, facility_id=facility.pk, provider_id=5, provider_name="甲", region_code="411002001000")


def test_hotline_complaints_need_the_ticket_number(county_officer, facility):
    with pytest.raises(FieldErrors) as excinfo:
        register(county_officer, facility_id=facility.pk, ticket_number="")
    assert set(excinfo.value.fields) == {"ticket_number"}
    assert register(county_officer, facility_id=facility.pk, channel="walk_in", ticket_number="").pk


def test_provider_complaints_carry_the_given_region_and_stay_in_scope(county_officer, neighbour_officer):
    complaint = register(county_officer, provider_id=42, provider_name="安康居家服务公司", region_code="411002001000")
    assert (complaint.region_code, complaint.county_code, complaint.facility_id) == ("411002001000", "411002", None)
    assert client_for(neighbour_officer).get(f"/api/v1/supervision/complaints/{complaint.pk}").status_code == 404
    response = call(client_for(county_officer), "post", "/api/v1/supervision/complaints",
                    {"provider_id": 43, "provider_name": "建安服务社", "region_code": "411003100000",
                     "channel": "phone", "complainant_name": "甲", "complainant_phone": "13800000000",
                     "content": "x"})  # fmt: skip
    assert response.status_code == 403 and Complaint.objects.count() == 1


def test_the_state_machine_records_who_when_and_why(complaint, county_officer, facility_manager):
    officer, manager = Actor(user=county_officer), Actor(user=facility_manager)
    with pytest.raises(Conflict):
        services.transition(officer, complaint.pk, S.CLOSED)
    services.transition(officer, complaint.pk, S.HANDLING, "转机构核实")
    with pytest.raises(FieldErrors) as excinfo:
        services.transition(manager, complaint.pk, S.REPLIED)
    assert set(excinfo.value.fields) == {"reply"}
    services.transition(manager, complaint.pk, S.REPLIED, reply="已更换护理员，饭菜保温")
    services.transition(officer, complaint.pk, S.CLOSED, "回访满意")
    with pytest.raises(FieldErrors):
        services.transition(officer, complaint.pk, S.REOPENED)
    services.transition(officer, complaint.pk, S.REOPENED, "投诉人再次来电")
    complaint.refresh_from_db()
    assert complaint.status == S.REOPENED and complaint.closed_at is None
    steps = list(
        ComplaintStep.objects.filter(complaint=complaint).values_list("from_status", "to_status", "by_name", "note")
    )
    assert steps == [
        ("", S.RECEIVED, "weidu-officer", "12345热线登记"),
        (S.RECEIVED, S.HANDLING, "weidu-officer", "转机构核实"),
        (S.HANDLING, S.REPLIED, facility_manager.username, "已更换护理员，饭菜保温"),
        (S.REPLIED, S.CLOSED, "weidu-officer", "回访满意"),
        (S.CLOSED, S.REOPENED, "weidu-officer", "投诉人再次来电"),
    ]


def test_the_facility_answers_but_does_not_steer(complaint, county_officer, facility_manager):
    client = client_for(facility_manager)
    url = f"/api/v1/supervision/complaints/{complaint.pk}/transitions"
    assert call(client, "post", url, {"to": "handling"}).status_code == 403
    services.transition(Actor(user=county_officer), complaint.pk, S.HANDLING)
    detail = client.get(f"/api/v1/supervision/complaints/{complaint.pk}?reveal=true").json()
    assert detail["next_steps"] == ["replied"]
    assert detail["complainant_phone"] == "138****5678" and detail["complainant_name"] == "赵**"
    assert call(client, "post", url, {"to": "replied", "reply": "已整改"}).status_code == 200
    assert call(client, "post", url, {"to": "closed"}).status_code == 403


def test_contact_is_revealed_only_to_the_bureau_and_audited(complaint, county_officer, viewer):
    url = f"/api/v1/supervision/complaints/{complaint.pk}"
    assert client_for(viewer).get(url + "?reveal=true").json()["complainant_phone"] == "138****5678"
    assert client_for(county_officer).get(url).json()["complainant_phone"] == "138****5678"
    assert client_for(county_officer).get(url + "?reveal=true").json()["complainant_phone"] == "13812345678"
    assert AuditEntry.objects.filter(action="view_sensitive", object_type="supervision.complaint").count() == 1


def test_overdue_filter(county_officer, facility):
    today = timezone.localdate()
    late = register(county_officer, facility_id=facility.pk, received_on=today - timedelta(days=20))
    answered = register(county_officer, facility_id=facility.pk, received_on=today - timedelta(days=20))
    register(county_officer, facility_id=facility.pk)
    services.transition(Actor(user=county_officer), answered.pk, S.HANDLING)
    services.transition(Actor(user=county_officer), answered.pk, S.REPLIED, reply="已答复")
    body = client_for(county_officer).get("/api/v1/supervision/complaints?overdue=true").json()
    assert [c["id"] for c in body["items"]] == [late.pk] and body["items"][0]["overdue"]
    page = client_for(county_officer).get("/supervision/complaints/?overdue=1").content.decode()
    assert f"#{late.pk}<" in page and f"#{answered.pk}<" not in page


def test_a_future_registration_date_is_refused(county_officer, facility):
    with pytest.raises(FieldErrors) as excinfo:
        register(county_officer, facility_id=facility.pk, received_on=timezone.localdate() + timedelta(days=1))
    assert set(excinfo.value.fields) == {"received_on"}


# --- Scope: every endpoint and page ----------------------------------------------------------------

ROUTES = [
    ("get", "/api/v1/supervision/complaints/{c}", None),
    ("get", "/api/v1/supervision/complaints/{c}?reveal=true", None),
    ("post", "/api/v1/supervision/complaints/{c}/transitions", {"to": "handling", "note": "外人"}),
    ("get", "/supervision/complaints/{c}/", None),
    ("get", "/supervision/complaints/{c}/?reveal=1", None),
    ("post", "/supervision/complaints/{c}/", {"to": "handling", "note": "外人"}),
]


def _state():
    return list(Complaint.objects.values_list("status", flat=True)), ComplaintStep.objects.count()


@pytest.mark.parametrize("method, route, body", ROUTES)
@pytest.mark.parametrize("who", ["neighbour_officer", "other_facility_manager", None])
def test_outsiders_can_neither_read_nor_change(request, complaint, method, route, body, who):
    user = request.getfixturevalue(who) if who else None
    before = _state()
    url = route.format(c=complaint.pk)
    assert_refused_to(user, call(client_for(user), method, url, body), url)
    assert _state() == before


@pytest.mark.parametrize("who", ["county_officer", "facility_manager"])
@pytest.mark.parametrize("method, route, body", ROUTES)
def test_the_rightful_user_succeeds(request, county_officer, complaint, method, route, body, who):
    user = request.getfixturevalue(who)
    if who == "facility_manager" and method == "post":
        services.transition(Actor(user=county_officer), complaint.pk, S.HANDLING)
        body = {"to": "replied", "reply": "已核实整改"}
    url = route.format(c=complaint.pk)
    response = call(client_for(user), method, url, body)
    assert response.status_code in (200, 302), (url, response.status_code, response.content[:300])
    if method == "post":
        complaint.refresh_from_db()
        assert complaint.status == (S.REPLIED if who == "facility_manager" else S.HANDLING)


def test_lists_show_only_own_complaints(complaint, neighbour_officer, other_facility_manager, facility_manager):
    for user in (neighbour_officer, other_facility_manager):
        assert client_for(user).get("/api/v1/supervision/complaints").json()["count"] == 0
        assert "花园康养中心" not in client_for(user).get("/supervision/complaints/").content.decode()
    assert client_for(facility_manager).get("/api/v1/supervision/complaints").json()["count"] == 1


def test_anonymous_users_are_refused_the_lists(db):
    assert client_for(None).get("/api/v1/supervision/complaints").status_code == 401
    assert client_for(None).get("/supervision/complaints/").status_code == 302
