"""Enrolment from the registry at the edges of the rules: age 60 and 80, living alone, disabled from
moderate, institutions, the dead; manual additions and exits; next-due dates; a visitor leaving."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from conftest import make_id_number
from yiyang.core.errors import FieldErrors
from yiyang.elders import categories
from yiyang.elders.models import Elder
from yiyang.visits import services
from yiyang.visits.choices import ExitReason, Tier
from yiyang.visits.models import AssignmentChange, TierRule, VisitTarget

from .conftest import born

TODAY = date(2026, 6, 15)


def elder(years, living="", cats=(), level=None, **fields):
    return Elder(birth_date=born(years, TODAY), living_situation=living, categories=categories.to_bits(cats),
                 capability_level=level, status=fields.pop("status", "active"), **fields)  # fmt: skip


@pytest.mark.parametrize(
    "person, tier",
    [
        (elder(59, "alone"), None),  # under 60: no target
        (elder(60, "with_children"), None),  # no target group
        (elder(60, "alone"), Tier.GENERAL),
        (elder(79, "alone"), Tier.GENERAL),
        (elder(80, "alone"), Tier.HIGH),  # 80 and living alone: high risk from the birthday on
        (elder(80, "", ("living_alone",)), Tier.HIGH),
        (elder(85, "empty_nest"), Tier.GENERAL),  # empty-nest is not alone
        (elder(70, "with_children", level=1), None),  # mild disability is no target group
        (elder(70, "with_children", level=2), Tier.KEY),  # moderate disability and worse: key
        (elder(70, "with_children", ("family_planning",)), Tier.KEY),
        (elder(66, "with_children", ("tekun",)), Tier.KEY),
        (elder(66, "left_behind"), Tier.GENERAL),
        (elder(90, "alone", level=4), Tier.HIGH),
        (elder(90, "in_institution", level=4), None),  # cared for in an institution
        (elder(90, "alone", facility_id=3), None),
        (elder(90, "alone", status="deceased"), None),
    ],
)
def test_tier_rules_at_their_edges(person, tier):
    found = services.classify(person, TODAY)
    assert (found.tier if found else None) == tier


def test_reason_names_the_groups():
    found = services.classify(elder(82, "alone", level=3), TODAY)
    assert found.reason == "82岁独居（独居、失能）" and found.codes == ("living_alone", "disabled")


def test_cadence_is_inherited_up_the_region_tree(regions):
    assert services.cadence("411002001001", Tier.KEY).interval_days == 30
    TierRule.objects.create(region_code="411000000000", tier=Tier.KEY, interval_days=20)
    assert services.cadence("411002001001", Tier.KEY).interval_days == 20
    TierRule.objects.create(region_code="411002001000", tier=Tier.KEY, interval_days=14)
    assert services.cadence("411002001001", Tier.KEY).interval_days == 14
    assert services.cadence("411002002001", Tier.KEY).interval_days == 20
    assert services.cadence("411002001001", Tier.HIGH) == services.Cadence(Tier.HIGH, 7, 24, "")


def test_enrolment_from_registry_with_reason_due_date_and_visitor(officer_actor, make_elder, visitor):
    alone = make_elder(name="孙独居", id_number=make_id_number(birth=born(82, date.today())), living_situation="alone")
    make_elder(name="钱同住", id_number=make_id_number(birth=born(82, date.today())), living_situation="with_children")
    result = services.enrol_from_registry(officer_actor, "411002000000")
    assert (result.enrolled, result.assigned) == (1, 1)
    target = VisitTarget.objects.get()
    assert target.elder == alone and target.tier == Tier.HIGH and "独居" in target.reason
    assert target.next_due == timezone.localdate() + timedelta(days=7)
    assert target.visitor == visitor
    assert AssignmentChange.objects.filter(visitor=visitor, target=target, removed=False).exists()
    # A second run changes nothing.
    again = services.enrol_from_registry(officer_actor, "411002000000")
    assert (again.enrolled, again.retiered, again.exited, again.assigned) == (0, 0, 0, 0)


def test_registry_changes_move_and_exit_automatic_targets(officer_actor, target, lonely_elder):
    Elder.objects.filter(pk=lonely_elder.pk).update(living_situation="with_children", capability_level=3)
    assert services.enrol_from_registry(officer_actor, "411002000000").retiered == 1
    target.refresh_from_db()
    assert target.tier == Tier.KEY and target.next_due == timezone.localdate() + timedelta(days=30)
    Elder.objects.filter(pk=lonely_elder.pk).update(status="deceased")
    assert services.enrol_from_registry(officer_actor, "411002000000").exited == 1
    target.refresh_from_db()
    assert target.exit_reason == ExitReason.DECEASED and target.next_due is None
    assert AssignmentChange.objects.filter(target=target, removed=True).exists()


def test_manual_targets_keep_their_tier_and_exit_needs_a_reason(officer_actor, make_elder):
    person = make_elder(name="周病重", id_number=make_id_number(birth=born(65, date.today())),
                        living_situation="with_children")  # fmt: skip
    with pytest.raises(FieldErrors) as refused:
        services.add_target(officer_actor, person.pk, Tier.HIGH, " ")
    assert refused.value.fields == {"reason": "请填写纳入原因"}
    target = services.add_target(officer_actor, person.pk, Tier.HIGH, "恶性肿瘤晚期")
    with pytest.raises(FieldErrors):
        services.add_target(officer_actor, person.pk, Tier.KEY, "再次")
    services.enrol_from_registry(officer_actor, "411002000000")
    target.refresh_from_db()
    assert target.exited_at is None and target.tier == Tier.HIGH
    with pytest.raises(FieldErrors) as refused:
        services.exit_target(officer_actor, target.pk, ExitReason.OTHER, "")
    assert "exit_note" in refused.value.fields
    services.exit_target(officer_actor, target.pk, ExitReason.MOVED_OUT)
    target.refresh_from_db()
    assert target.exit_reason == ExitReason.MOVED_OUT


def test_neighbour_officer_cannot_enrol_or_exit_our_elders(neighbour_officer, target, lonely_elder):
    from django.http import Http404

    from yiyang.core.audit import Actor

    with pytest.raises(Http404):
        services.exit_target(Actor(user=neighbour_officer), target.pk, ExitReason.MOVED_OUT)
    with pytest.raises(Http404):
        services.add_target(Actor(user=neighbour_officer), lonely_elder.pk, Tier.KEY, "x")


def test_an_event_brings_the_due_date_forward(officer_actor, target):
    TierRule.objects.create(region_code="411002000000", tier=Tier.HIGH, interval_days=7, event_hours=24)
    at = timezone.now()
    services.record_event(officer_actor, target.pk, at)
    target.refresh_from_db()
    assert target.event_due_at == at + timedelta(hours=24)
    assert target.next_due == timezone.localdate(at + timedelta(hours=24))


def test_a_leaving_visitor_hands_targets_to_the_least_loaded_colleague(officer_actor, target, visitor, colleague):
    assert services.visitor_leaves(officer_actor, visitor.pk) == 1
    target.refresh_from_db()
    assert target.visitor == colleague
    assert AssignmentChange.objects.filter(visitor=visitor, target=target, removed=True).exists()
    assert AssignmentChange.objects.filter(visitor=colleague, target=target, removed=False).exists()


def test_lists_are_balanced_between_visitors_of_one_area(officer_actor, make_elder, visitor, make_user):
    from yiyang.visits.choices import VisitorKind

    other = services.register_visitor(officer_actor, {"kind": VisitorKind.VOLUNTEER, "name": "李志愿",
                                                     "region_code": "411002001000"})  # fmt: skip
    for n in range(4):
        make_elder(name=f"独居{n}", id_number=make_id_number(birth=born(70, date.today())), living_situation="alone")
    services.enrol_from_registry(officer_actor, "411002000000")
    assert services.load_of([visitor.pk, other.pk]) == {visitor.pk: 2, other.pk: 2}
