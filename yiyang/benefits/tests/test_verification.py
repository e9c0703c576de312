from datetime import date, timedelta

import pytest

from conftest import make_id_number
from yiyang.benefits import payroll, verification
from yiyang.benefits.models import Recipient, Verification
from yiyang.benefits.months import add_months, first_of
from yiyang.benefits.tests.conftest import COUNTY, born, enrol
from yiyang.core.audit import Actor
from yiyang.core.errors import FieldErrors

pytestmark = pytest.mark.django_db


def test_unverified_recipient_is_suspended_after_notice_and_reinstated_with_back_pay(officer, make_elder, old_age,
                                                                                      community_worker):  # fmt: skip
    elder = make_elder(name="认证人", id_number=make_id_number(birth=born(85)))
    this_month = first_of(date.today())
    recipient = enrol(officer, elder, old_age, add_months(this_month, -1))
    today = date.today()
    assert verification.open_year(officer, COUNTY, today.year, today - timedelta(days=40)) == 1
    assert verification.open_year(officer, COUNTY, today.year, today - timedelta(days=40)) == 0
    assert verification.notify_overdue(officer, COUNTY, today - timedelta(days=10)) == 1
    assert verification.suspend_overdue(officer, COUNTY, today) == 0  # the notice runs 30 days
    assert verification.suspend_overdue(officer, COUNTY, today + timedelta(days=21)) == 1
    recipient.refresh_from_db()
    assert recipient.status == "suspended"
    _, added = payroll.run(officer, COUNTY, add_months(this_month, -1))
    assert added == 0  # nothing is paid while suspended
    row = Verification.objects.get(recipient=recipient)
    with pytest.raises(FieldErrors):
        verification.verify(Actor(user=community_worker), row.pk, "video", "")
    verification.verify(Actor(user=community_worker), row.pk, "visit", "探访记录 0f3a")
    recipient.refresh_from_db()
    assert recipient.status == "active" and recipient.verified_until > today
    run, added = payroll.run(officer, COUNTY, this_month)
    assert added == 2  # last month, missed while suspended, and this month


def test_neighbour_officer_cannot_verify(officer, make_elder, old_age, neighbour_officer):
    from django.http import Http404

    elder = make_elder(name="认证人", id_number=make_id_number(birth=born(85)))
    enrol(officer, elder, old_age, first_of(date.today()))
    verification.open_year(officer, COUNTY, date.today().year, date.today())
    row = Verification.objects.get()
    with pytest.raises(Http404):
        verification.verify(Actor(user=neighbour_officer), row.pk, "video", "视频 1")
    assert Recipient.objects.get().verified_until is None


def test_the_daily_command_notifies_the_overdue(officer, make_elder, old_age):
    from io import StringIO

    from django.core.management import call_command

    elder = make_elder(name="逾期", id_number=make_id_number(birth=born(85)))
    enrol(officer, elder, old_age, first_of(date.today()))
    verification.open_year(officer, COUNTY, date.today().year, date.today() - timedelta(days=1))
    out = StringIO()
    call_command("benefits_daily", stdout=out)
    assert "催告 1 人" in out.getvalue()
    assert Verification.objects.get().status == "notified"
    call_command("benefits_daily", stdout=StringIO())  # a second run the same day changes nothing
    assert Verification.objects.get().status == "notified"
