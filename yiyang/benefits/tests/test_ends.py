"""End rules: entering a facility ends a home-only subsidy from the month after the admission (the old-age
allowance goes on), shown in the month's must-stop list and applied by the next payroll run."""

import io
from datetime import date

import pytest
from django.test import Client

from conftest import make_id_number
from yiyang.benefits import payroll, services
from yiyang.benefits.models import Payment, PayrollLine, Recipient, RecoveryCase
from yiyang.benefits.months import add_months, first_of
from yiyang.benefits.tests.conftest import COUNTY, born, enrol
from yiyang.core.audit import Actor
from yiyang.core.roles import Role
from yiyang.elders import categories

pytestmark = pytest.mark.django_db
THIS_MONTH = first_of(date.today())


@pytest.fixture
def admitting(make_user):
    return Actor(user=make_user(Role.PLATFORM_ADMIN, username="admissions"))


@pytest.fixture
def both(officer, make_elder, programs):
    """A poor elder of 85 receiving the home-only service subsidy and the old-age allowance from two
    months back."""
    elder = make_elder(
        name="冯入院", id_number=make_id_number(birth=born(85)), categories=categories.to_bits(["dibao"])
    )
    start = add_months(THIS_MONTH, -2)
    return elder, enrol(officer, elder, programs["service"], start), enrol(officer, elder, programs["old_age"], start)


def _admit(admitting, facility, elder, day):
    from yiyang.facilities import services as facilities

    return facilities.admit(admitting, facility.pk, elder.pk, day, "3-201")


def test_admission_shows_in_the_must_stop_list_for_a_home_only_subsidy_only(officer, admitting, facility, both):
    elder, service, old_age = both
    admitted = add_months(THIS_MONTH, -1).replace(day=12)
    _admit(admitting, facility, elder, admitted)
    found = services.candidates(officer.user, COUNTY, THIS_MONTH)
    [ending] = found["stopping"]
    assert ending.recipient == service and ending.rule.code == "facility_entry"
    assert (ending.event_date, ending.stop_month, ending.by_rule) == (admitted, THIS_MONTH, True)
    assert facility.name in ending.detail


def test_next_payroll_stops_from_the_month_after_admission_with_the_reason_and_pays_nothing_after(
    officer, admitting, facility, both
):
    elder, service, old_age = both
    _admit(admitting, facility, elder, add_months(THIS_MONTH, -1).replace(day=12))
    run, added = payroll.run(officer, COUNTY, THIS_MONTH)
    months = dict.fromkeys((service.pk, old_age.pk), None)
    for pk in months:
        months[pk] = sorted(PayrollLine.objects.filter(recipient_id=pk).values_list("month", flat=True))
    # The month of the admission is still owed; the old-age allowance does not end in a facility.
    assert months[service.pk] == [add_months(THIS_MONTH, -2), add_months(THIS_MONTH, -1)]
    assert months[old_age.pk] == [add_months(THIS_MONTH, n) for n in (-2, -1, 0)]
    assert added == 5 and run.lines_count == 5
    service.refresh_from_db()
    assert (service.status, service.stop_month, service.stop_reason) == ("stopped", THIS_MONTH, "facility")
    step = service.steps.order_by("-at", "-id").first()
    assert step.action == "auto_stop" and "按项目规则停发" in step.note and facility.name in step.note
    again, added = payroll.run(officer, COUNTY, THIS_MONTH)
    assert added == 0
    following, added = payroll.run(officer, COUNTY, add_months(THIS_MONTH, 1))
    assert list(following.lines.values_list("recipient_id", flat=True)) == [old_age.pk]
    found = services.candidates(officer.user, COUNTY, THIS_MONTH)
    assert found["stopping"] == [] and [r.pk for r in found["stopped"]] == [service.pk]


def _pay(officer, run):
    """The bank pays every line of an approved payroll."""
    payroll.export(officer, run.pk)
    rows = [f"{line.line_no},{line.bank_account},{line.holder},{line.amount / 100:.2f},成功"
            for line in run.lines.order_by("line_no")]  # fmt: skip
    total = sum(line.amount for line in run.lines.all())
    text = "序号,账号,户名,金额,处理结果\n" + "\n".join(rows) + f"\n汇总,{len(rows)},{total / 100:.2f}\n"
    payroll.import_result(officer, run.pk, io.BytesIO(text.encode()), "回盘.csv")


def test_admission_recorded_late_makes_what_was_paid_after_it_a_recovery_case(officer, checker, admitting, facility,
                                                                              both):  # fmt: skip
    elder, service, old_age = both
    run, _ = payroll.run(officer, COUNTY, THIS_MONTH)
    payroll.take_step(checker, run.pk, "check")
    payroll.take_step(officer, run.pk, "approve")
    _pay(officer, run)
    assert Payment.objects.filter(recipient=service).count() == 3
    # The facility records, weeks late, an admission in the first month paid.
    _admit(admitting, facility, elder, add_months(THIS_MONTH, -2).replace(day=5))
    following, _ = payroll.run(officer, COUNTY, add_months(THIS_MONTH, 1))
    case = RecoveryCase.objects.get(recipient=service)
    assert case.due_fen == 2 * 10000  # the two months after the admission's, 100 元 each
    assert "入住养老机构" in case.reason
    assert not following.lines.filter(recipient=service).exists()
    assert not RecoveryCase.objects.filter(recipient=old_age).exists()


def test_elder_marked_in_a_facility_without_an_admission_is_listed_for_a_person_not_stopped(officer, facility, both):
    from yiyang.elders.models import Elder

    elder, service, _ = both
    Elder.objects.filter(pk=elder.pk).update(facility_id=facility.pk)
    [ending] = services.candidates(officer.user, COUNTY, THIS_MONTH)["stopping"]
    assert (ending.recipient, ending.stop_month, ending.by_rule) == (service, None, False)
    payroll.run(officer, COUNTY, THIS_MONTH)
    assert Recipient.objects.get(pk=service.pk).status == "active"
    assert not PayrollLine.objects.filter(recipient=service).exists()


def test_must_stop_list_through_the_api_and_the_page_names_the_rule_and_the_stop_month(county_officer, admitting,
                                                                                       facility, both):  # fmt: skip
    elder, service, _ = both
    _admit(admitting, facility, elder, add_months(THIS_MONTH, -1).replace(day=12))
    client = Client()
    client.force_login(county_officer)
    rows = client.get(f"/api/v1/benefits/candidates?region={COUNTY}&month={THIS_MONTH:%Y-%m}").json()
    [row] = [r for r in rows if r["kind"] == "stopping"]
    assert (row["recipient_id"], row["rule"], row["stop_month"], row["by_rule"]) == (
        service.pk, "facility_entry", THIS_MONTH.isoformat(), True,
    )  # fmt: skip
    page = client.get(f"/benefits/candidates/?region={COUNTY}&month={THIS_MONTH:%Y-%m}").content.decode()
    assert "入住养老机构（项目仅限居家）" in page and "下次造册时自动停发" in page and facility.name in page


def test_neighbour_officer_does_not_see_the_admission_in_the_must_stop_list(neighbour_officer, admitting, facility,
                                                                            both):  # fmt: skip
    elder, _, _ = both
    _admit(admitting, facility, elder, add_months(THIS_MONTH, -1).replace(day=12))
    client = Client()
    client.force_login(neighbour_officer)
    response = client.get(f"/api/v1/benefits/candidates?region={COUNTY}")
    assert response.status_code == 404 and elder.name not in response.content.decode()
    assert "冯入院" not in client.get("/api/v1/benefits/candidates").content.decode()


def test_the_daily_round_stops_a_short_stay_before_the_next_payroll_and_once_only(officer, admitting, facility, both):
    """A stay that begins and ends between two payroll runs: the daily round finds it while it is open."""
    from io import StringIO

    from django.core.management import call_command

    from yiyang.facilities import services as facilities

    elder, service, old_age = both
    stay = _admit(admitting, facility, elder, THIS_MONTH)
    out = StringIO()
    call_command("benefits_daily", stdout=out)
    assert "按项目规则停发 1 人" in out.getvalue()
    facilities.discharge(admitting, stay.pk, date.today())
    call_command("benefits_daily", stdout=out)
    service.refresh_from_db()
    old_age.refresh_from_db()
    assert (service.status, service.stop_month, service.stop_reason) == (
        "stopped",
        add_months(THIS_MONTH, 1),
        "facility",
    )
    assert old_age.status == "active"
    assert service.steps.filter(action="auto_stop").count() == 1
