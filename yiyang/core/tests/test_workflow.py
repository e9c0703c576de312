"""The workflow mechanism: illegal transitions, levels, guards and notes refused with their reasons;
two clicks at once, one winner; every declared transition names a permission that exists."""

import threading

import pytest
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.db import connection, connections

from yiyang.core.audit import Actor
from yiyang.core.errors import Conflict, FieldErrors
from yiyang.core.regioncodes import Level
from yiyang.core.roles import Role, grants
from yiyang.core.workflow import Refusal, StepLog, Transition, Workflow, options_by_row, registered

# The mechanism is exercised on a real scoped model with a step history: the complaint. Its own
# workflow is declared by the supervision app; the ones below are made up for these tests.
from yiyang.supervision.models import Complaint, ComplaintStatus, ComplaintStep
from yiyang.supervision.services import complaints

S = ComplaintStatus
HANDLE = "supervision.handle_complaint"


def _short(complaint, **_):
    return "投诉内容过短，请补充后再受理" if len(complaint.content) < 20 else None


TEST_FLOW = Workflow(
    name="tests.complaint",
    model=Complaint,
    steps=StepLog(ComplaintStep, "complaint"),
    transitions=(
        Transition("take", "受理", S.RECEIVED, S.HANDLING, HANDLE, guards=(_short,)),
        Transition("county_take", "县级受理", S.RECEIVED, S.HANDLING, HANDLE, level=Level.COUNTY),
        Transition("hold", "退回", S.RECEIVED, S.REOPENED, HANDLE, note_required="退回时请写明原因",
                   guards=(lambda c, **_: Refusal("暂停受理", {"status": "暂停"}, code="paused") if c.ticket_number
                           == "paused" else None,)),
        Transition("close", "办结", S.REPLIED, S.CLOSED, HANDLE),
    ),
)  # fmt: skip


def register(user, facility, **fields):
    data = {"facility_id": facility.pk, "channel": "phone", "complainant_name": "王芳",
            "complainant_phone": "13812345678", "content": "护理员态度差，饭菜凉", **fields}  # fmt: skip
    return complaints.register(Actor(user=user), data)


@pytest.fixture
def complaint(county_officer, facility):
    return register(county_officer, facility)


def test_a_transition_the_state_does_not_allow_is_refused_and_leaves_no_step(county_officer, complaint):
    with pytest.raises(Conflict) as refused:
        TEST_FLOW.run(Actor(user=county_officer), complaint.pk, "close")
    assert refused.value.code == "invalid_transition" and refused.value.status == 409
    assert refused.value.message == "当前状态为“已登记”，不能办结"
    complaint.refresh_from_db()
    assert complaint.status == S.RECEIVED and complaint.steps.count() == 1  # the registration only


def test_a_guard_refuses_with_its_reason_and_the_page_shows_it(county_officer, complaint):
    officer = Actor(user=county_officer)
    with pytest.raises(Conflict) as refused:
        TEST_FLOW.run(officer, complaint.pk, "take")
    assert refused.value.message == "投诉内容过短，请补充后再受理"
    options = {o.name: o.refused for o in TEST_FLOW.options(county_officer, complaint)}
    assert options["take"] == "投诉内容过短，请补充后再受理"
    assert "take" not in {t.name for t in TEST_FLOW.allowed(county_officer, complaint)}


def test_a_guard_may_refuse_with_its_own_code_and_fields(county_officer, facility):
    complaint = register(county_officer, facility, channel="hotline_12345", ticket_number="paused")
    with pytest.raises(Conflict) as refused:
        TEST_FLOW.run(Actor(user=county_officer), complaint.pk, "hold", "材料不全")
    assert refused.value.code == "paused" and refused.value.fields == {"status": "暂停"}


def test_a_required_note_is_asked_for(county_officer, complaint):
    with pytest.raises(FieldErrors) as refused:
        TEST_FLOW.run(Actor(user=county_officer), complaint.pk, "hold", "  ")
    assert refused.value.fields == {"note": "退回时请写明原因"}


def test_a_transition_taken_writes_the_state_and_the_step(county_officer, complaint):
    TEST_FLOW.run(Actor(user=county_officer), complaint.pk, "hold", "请补充材料")
    complaint.refresh_from_db()
    step = complaint.steps.last()
    assert complaint.status == S.REOPENED
    assert (step.from_status, step.to_status, step.note, step.by_id) == (S.RECEIVED, S.REOPENED, "请补充材料",
                                                                         county_officer.pk)  # fmt: skip


def test_an_officer_at_the_wrong_level_is_refused(county_officer, city_officer, complaint):
    assert "county_take" not in {t.name for t in TEST_FLOW.allowed(city_officer, complaint)}
    with pytest.raises(PermissionDenied):
        TEST_FLOW.run(Actor(user=city_officer), complaint.pk, "county_take")
    assert "county_take" in {t.name for t in TEST_FLOW.allowed(county_officer, complaint)}
    TEST_FLOW.run(Actor(user=county_officer), complaint.pk, "county_take")


def test_a_neighbour_county_officer_gets_404_not_the_state(neighbour_officer, complaint):
    from django.http import Http404

    with pytest.raises(Http404):
        TEST_FLOW.run(Actor(user=neighbour_officer), complaint.pk, "close")
    assert TEST_FLOW.options(neighbour_officer, complaint) == []


def test_a_list_page_gets_the_same_options_as_each_row_asked_alone(county_officer, city_officer, neighbour_officer,
                                                                   facility):  # fmt: skip
    rows = [register(county_officer, facility), register(county_officer, facility, content="投诉内容" * 10)]
    for user in (county_officer, city_officer, neighbour_officer):
        by_row = options_by_row(TEST_FLOW, user, rows)
        for row in rows:
            assert by_row[row.pk] == TEST_FLOW.options(user, row), (user, row.pk)


@pytest.mark.django_db(transaction=True)
def test_a_move_outside_a_transaction_is_refused(county_officer, complaint):
    with pytest.raises(ImproperlyConfigured):
        TEST_FLOW.move(Actor(user=county_officer), complaint, "hold", "说明")


def test_every_declared_transition_names_a_permission_some_role_is_granted():
    workflows = registered()
    assert {w.name for w in workflows} >= {"homecare.order", "supervision.complaint", "supervision.ratingapplication",
                                           "supervision.subsidyclaim", "supervision.inspection", "supervision.hazard",
                                           "homecare.volunteerservice", "supervision.escrowalert",
                                           "supervision.facilityclosure"}  # fmt: skip
    roles = [r for r in Role if r != Role.PLATFORM_ADMIN]
    for workflow in workflows:
        states = set(workflow.model._meta.get_field(workflow.field).get_choices(include_blank=False))
        for t in workflow.transitions:
            assert {*t.source, t.target} <= {value for value, _ in states}, (workflow.name, t.name)
            if t.permission is not None:
                assert any(grants(role, t.permission) for role in roles), (workflow.name, t.name, t.permission)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
def test_two_officers_clicking_at_once_one_wins(county_officer, facility):
    complaint = register(county_officer, facility)
    barrier = threading.Barrier(10)
    wins, refusals, errors = [], [], []

    def click():
        try:
            barrier.wait()
            wins.append(complaints.transition(Actor(user=county_officer), complaint.pk, S.HANDLING, "受理"))
        except Conflict:
            refusals.append(1)
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=click) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and len(wins) == 1 and len(refusals) == 9
    assert ComplaintStep.objects.filter(complaint=complaint, to_status=S.HANDLING).count() == 1


def test_a_replayed_history_is_dated_as_given_and_still_follows_the_states(county_officer, facility):
    from datetime import timedelta

    from django.db import transaction
    from django.utils import timezone

    then = timezone.now() - timedelta(days=10)
    system = Actor.system()
    complaint = register(county_officer, facility, content="护理员态度差，饭菜凉，夜间呼叫无人应答，已多次反映未改")
    with pytest.raises(Conflict), transaction.atomic():  # the guards hold in a history too
        TEST_FLOW.replay(system, register(county_officer, facility), [("take", "", then)])
    with transaction.atomic():
        TEST_FLOW.replay(system, complaint, [("take", "", then)], change=lambda c, name, at: setattr(c, "reply", name))
        complaint.save()
    complaint.refresh_from_db()
    step = complaint.steps.get(to_status=S.HANDLING)
    assert (complaint.status, complaint.reply, step.from_status, step.at, step.by_name) == (
        S.HANDLING, "take", S.RECEIVED, then, "系统"
    )  # fmt: skip
    with pytest.raises(Conflict), transaction.atomic():
        TEST_FLOW.replay(system, complaint, [("close", "", then)])
    with pytest.raises(FieldErrors), transaction.atomic():  # and so do the required notes
        TEST_FLOW.replay(system, register(county_officer, facility), [("hold", "", then)])
