"""Complaints and the 12345 hotline: registration rules, the state machine with its recorded steps,
deadlines and the overdue filter, masking, the facility answering its own complaints, and the scope
of each route."""

from datetime import timedelta

import pytest
from django.utils import timezone

from yiyang.core.audit import Actor
from yiyang.core.errors import Conflict, FieldErrors
from yiyang.core.models import AuditEntry
from yiyang.core.roles import Role
from yiyang.providers.models import Provider
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


def test_a_subject_is_required_and_only_one(county_officer, facility, provider):
    with pytest.raises(FieldErrors) as excinfo:
        register(county_officer)
    assert "facility_id" in excinfo.value.fields
    with pytest.raises(FieldErrors):
        register(county_officer, facility_id=facility.pk, provider_id=provider.pk)


def test_hotline_complaints_need_the_ticket_number(county_officer, facility):
    with pytest.raises(FieldErrors) as excinfo:
        register(county_officer, facility_id=facility.pk, ticket_number="")
    assert set(excinfo.value.fields) == {"ticket_number"}
    assert register(county_officer, facility_id=facility.pk, channel="walk_in", ticket_number="").pk


@pytest.fixture
def provider(regions):
    return Provider.objects.create(
        name="安康居家服务公司", region_code="411002001000", county_code="411002", service_regions=["411002000000"]
    )


@pytest.fixture
def neighbour_provider(regions):
    return Provider.objects.create(
        name="建安服务社", region_code="411003100000", county_code="411003", service_regions=["411003000000"]
    )


@pytest.fixture
def neighbour_provider_manager(make_user, neighbour_provider):
    return make_user(Role.PROVIDER_MANAGER, region_code=neighbour_provider.region_code, scope_id=neighbour_provider.pk)


def test_provider_complaints_take_name_and_region_from_the_provider(county_officer, neighbour_officer, provider):
    complaint = register(county_officer, provider_id=provider.pk, provider_name="随便写的名字",
                         region_code="411003100000")  # fmt: skip
    assert (complaint.subject_name, complaint.region_code, complaint.county_code, complaint.facility_id) == (
        "安康居家服务公司", "411002001000", "411002", None)  # fmt: skip
    assert client_for(neighbour_officer).get(f"/api/v1/supervision/complaints/{complaint.pk}").status_code == 404


def test_provider_manager_answers_complaints_about_their_own_provider(county_officer, make_user, provider):
    manager = make_user(Role.PROVIDER_MANAGER, region_code=provider.region_code, scope_id=provider.pk)
    complaint = register(county_officer, provider_id=provider.pk)
    assert client_for(manager).get(f"/api/v1/supervision/complaints/{complaint.pk}").status_code == 200


@pytest.mark.parametrize("provider_id", ["neighbour", 987654, 2**63 - 1])
def test_a_provider_outside_the_scope_or_unknown_is_refused(county_officer, neighbour_provider,
                                                            neighbour_provider_manager, provider_id):  # fmt: skip
    if provider_id == "neighbour":
        provider_id = neighbour_provider.pk
    response = call(client_for(county_officer), "post", "/api/v1/supervision/complaints",
                    {"provider_id": provider_id, "provider_name": "建安服务社", "region_code": "411002001000",
                     "channel": "phone", "complainant_name": "甲", "complainant_phone": "13800000000",
                     "content": "x"})  # fmt: skip
    assert response.status_code == 422 and set(response.json()["fields"]) == {"provider_id"}
    assert "服务商" in response.json()["fields"]["provider_id"]
    assert not Complaint.objects.exists()
    assert client_for(neighbour_provider_manager).get("/api/v1/supervision/complaints").json()["count"] == 0


def test_the_page_refuses_a_provider_outside_the_scope(county_officer, neighbour_provider):
    response = client_for(county_officer).post("/supervision/complaints/", {
        "provider_id": neighbour_provider.pk, "channel": "phone", "complainant_name": "甲",
        "complainant_phone": "13800000000", "content": "x", "received_on": timezone.localdate().isoformat()})  # fmt: skip
    assert response.status_code == 200 and "不在您的管辖范围内" in response.content.decode()
    assert not Complaint.objects.exists()


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


@pytest.mark.parametrize(
    "route", ["/api/v1/supervision/complaints/{id}", "/api/v1/supervision/complaints/{id}?reveal=true"]
)
def test_oversized_path_ids_are_refused_not_a_server_error(county_officer, route):
    for value in ("99999999999999999999", str(2**63), "-1"):
        response = client_for(county_officer).get(route.format(id=value))
        assert response.status_code in (404, 422), (value, response.status_code)
    response = call(client_for(county_officer), "post", "/api/v1/supervision/complaints/99999999999999999999/transitions",
                    {"to": "handling"})  # fmt: skip
    assert response.status_code in (404, 422)


def test_reopening_sets_a_fresh_deadline_and_closing_the_time(complaint, county_officer, facility_manager):
    officer = Actor(user=county_officer)
    services.transition(officer, complaint.pk, S.HANDLING)
    services.transition(Actor(user=facility_manager), complaint.pk, S.REPLIED, reply="已整改")
    closed = services.transition(officer, complaint.pk, S.CLOSED)
    assert closed.closed_at is not None
    Complaint.objects.filter(pk=complaint.pk).update(deadline=timezone.localdate() - timedelta(days=30))
    reopened = services.transition(officer, complaint.pk, S.REOPENED, "再次来电")
    assert reopened.deadline == services.reply_deadline(timezone.localdate()) and reopened.closed_at is None
