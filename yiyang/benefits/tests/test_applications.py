from datetime import date, timedelta

import pytest

from conftest import make_id_number
from yiyang.benefits import services
from yiyang.benefits.models import ApplicationStatus, Recipient
from yiyang.benefits.rules import NotEligible
from yiyang.benefits.tests.conftest import ACCOUNT, born
from yiyang.core.audit import Actor
from yiyang.core.errors import Conflict, FieldErrors

pytestmark = pytest.mark.django_db


def _form(elder, program, **extra):
    return {"elder_id": elder.pk, "program_id": program.pk, "applicant_name": "王小明", "applicant_relation": "子女",
            "bank_name": "农业银行", "bank_account": ACCOUNT, **extra}  # fmt: skip


def _walk(officer, worker, application, today):
    services.take_step(Actor(user=worker), application.pk, "community_pass")
    services.take_step(officer, application.pk, "street_pass")
    services.take_step(officer, application.pk, "start_notice", today=today)


def test_family_application_goes_through_the_chain_and_makes_a_recipient(family, old_elder, old_age, officer,
                                                                          community_worker):  # fmt: skip
    application = services.apply(Actor(user=family), _form(old_elder, old_age))
    today = date.today()
    _walk(officer, community_worker, application, today)
    with pytest.raises(Conflict, match="公示期至"):
        services.take_step(officer, application.pk, "approve", today=today)
    done = services.take_step(officer, application.pk, "approve", today=today + timedelta(days=8))
    assert done.status == ApplicationStatus.APPROVED
    recipient = Recipient.objects.get(elder=old_elder, program=old_age)
    assert recipient.bank_account == ACCOUNT
    # Turned 85 long ago: owed from the month of the application, not from the 80th birthday.
    assert recipient.start_month == today.replace(day=1)
    assert [s.action for s in done.steps.all()] == ["community_pass", "street_pass", "start_notice", "approve"]


def test_too_young_applicant_is_refused_naming_the_age_rule(family, make_elder, old_age, make_user):
    from yiyang.core.roles import Role

    young = make_elder(name="李青年", id_number=make_id_number(birth=born(75)))
    user = make_user(Role.FAMILY, region_code=young.region_code, scope_id=young.pk)
    with pytest.raises(NotEligible) as refused:
        services.apply(Actor(user=user), _form(young, old_age))
    assert refused.value.rule == "age"
    assert "年龄" in refused.value.message and "80" in refused.value.message


def test_elder_outside_the_programs_region_is_refused_naming_the_region_rule(neighbour_elder, old_age, make_user):
    from yiyang.core.roles import Role
    from yiyang.elders.models import Elder

    Elder.objects.filter(pk=neighbour_elder.pk).update(id_number=make_id_number("411003100201", birth=born(88)))
    admin = make_user(Role.PLATFORM_ADMIN)
    with pytest.raises(NotEligible) as refused:
        services.apply(Actor(user=admin), _form(Elder.objects.get(pk=neighbour_elder.pk), old_age))
    assert refused.value.rule == "region"


def test_existing_recipient_is_refused_naming_the_already_rule(family, old_elder, old_age, officer):
    from yiyang.benefits.tests.conftest import enrol

    enrol(officer, old_elder, old_age, date.today().replace(day=1))
    with pytest.raises(NotEligible) as refused:
        services.apply(Actor(user=family), _form(old_elder, old_age))
    assert refused.value.rule == "already"
    assert refused.value.as_dict()["rule"] == "already"


def test_second_application_while_one_is_open_is_refused(family, old_elder, old_age):
    services.apply(Actor(user=family), _form(old_elder, old_age))
    with pytest.raises(NotEligible, match="办理中"):
        services.apply(Actor(user=family), _form(old_elder, old_age))


def test_family_cannot_apply_for_another_elder(family, make_elder, old_age):
    from django.http import Http404

    other = make_elder(name="赵别人", id_number=make_id_number(birth=born(86)))
    with pytest.raises(Http404):
        services.apply(Actor(user=family), _form(other, old_age))


def test_refusal_needs_a_reason_and_ends_the_application(family, old_elder, old_age, community_worker):
    application = services.apply(Actor(user=family), _form(old_elder, old_age))
    with pytest.raises(FieldErrors):
        services.take_step(Actor(user=community_worker), application.pk, "refuse_community")
    done = services.take_step(Actor(user=community_worker), application.pk, "refuse_community", "材料不全")
    assert done.status == ApplicationStatus.REFUSED
    with pytest.raises(Conflict):
        services.take_step(Actor(user=community_worker), application.pk, "community_pass")


def test_objection_during_notice_holds_approval_until_resolved(family, old_elder, old_age, officer, community_worker):
    application = services.apply(Actor(user=family), _form(old_elder, old_age))
    today = date.today()
    _walk(officer, community_worker, application, today)
    services.take_step(Actor(user=community_worker), application.pk, "object", "邻居反映老人已长期外出")
    with pytest.raises(Conflict):
        services.take_step(officer, application.pk, "approve", today=today + timedelta(days=30))
    services.take_step(officer, application.pk, "renotice", "经核实老人在本地居住", today=today)
    services.take_step(officer, application.pk, "approve", today=today + timedelta(days=8))
    assert Recipient.objects.filter(elder=old_elder).exists()


def test_community_worker_cannot_approve(family, old_elder, old_age, officer, community_worker):
    from django.core.exceptions import PermissionDenied

    application = services.apply(Actor(user=family), _form(old_elder, old_age))
    _walk(officer, community_worker, application, date.today() - timedelta(days=30))
    with pytest.raises(PermissionDenied):
        services.take_step(Actor(user=community_worker), application.pk, "approve")


def test_candidates_list_elders_turning_eligible_and_recipients_who_must_stop(officer, make_elder, old_age):
    from yiyang.benefits.months import add_months, first_of
    from yiyang.benefits.tests.conftest import enrol
    from yiyang.elders.models import Elder

    month = add_months(first_of(date.today()), 1)
    birth = date(date.today().year - 80, date.today().month, 15)  # turns 80 this month: owed from next month
    make_elder(name="周八十", id_number=make_id_number(birth=birth), birth_date=birth)
    gone = make_elder(name="吴已故", id_number=make_id_number(birth=born(90)))
    enrol(officer, gone, old_age, first_of(date.today()))
    Elder.objects.filter(pk=gone.pk).update(status="deceased")
    found = services.candidates(officer.user, "411002000000", month)
    assert [e.name for _, e in found["turning"]] == ["周八十"]
    assert [e.recipient.elder.name for e in found["stopping"]] == ["吴已故"]


@pytest.mark.parametrize("source", ["candidate", "referral"])
def test_a_source_opened_for_the_household_leaves_the_account_for_later(officer, community_worker, old_elder,
                                                                        old_age, source):  # fmt: skip
    form = {**_form(old_elder, old_age), "bank_account": ""}
    application = services.apply(officer, form, opened_by=source)
    assert application.source == source and application.bank_account == ""
    today = date.today()
    _walk(officer, community_worker, application, today)
    services.take_step(officer, application.pk, "approve", today=today + timedelta(days=8))
    # The recipient's account is set on the recipient's page; until then the payroll passes them by.
    recipient = Recipient.objects.get(elder=old_elder, program=old_age)
    assert recipient.bank_account == ""
    services.change_account(officer, recipient.pk, "农业银行", ACCOUNT, "")
    recipient.refresh_from_db()
    assert recipient.bank_account == ACCOUNT


@pytest.mark.parametrize("source", ["candidate", "referral", "bogus"])
def test_a_caller_cannot_claim_a_source_the_platform_sets(officer, old_elder, old_age, source):
    """The candidate list and a visit's referral may file without an account; a caller claiming either
    (to skip the account) is refused, and nothing is filed."""
    from yiyang.benefits.models import Application

    with pytest.raises(FieldErrors) as refused:
        services.apply(officer, {**_form(old_elder, old_age, source=source), "bank_account": ""})
    assert "source" in refused.value.fields
    assert not Application.objects.filter(elder=old_elder).exists()


@pytest.mark.parametrize("source", ["online", "counter"])
def test_an_applicant_at_hand_gives_the_account(officer, old_elder, old_age, source):
    with pytest.raises(FieldErrors) as refused:
        services.apply(officer, {**_form(old_elder, old_age, source=source), "bank_account": ""})
    assert "bank_account" in refused.value.fields
