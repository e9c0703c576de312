import io
from datetime import date

import pytest
from django.db import connection

from conftest import make_id_number
from yiyang.benefits import payroll, stops
from yiyang.benefits.models import LineStatus, Payment, PayrollLine, PayrollStatus, RecoveryCase
from yiyang.benefits.months import add_months, first_of
from yiyang.benefits.tests.conftest import COUNTY, born, enrol
from yiyang.core.audit import Actor
from yiyang.core.errors import Conflict, FieldErrors
from yiyang.core.models import AuditEntry

pytestmark = pytest.mark.django_db
THIS_MONTH = first_of(date.today())


@pytest.fixture
def recipients(officer, make_elder, old_age):
    made = []
    for i, years in enumerate((82, 91, 101)):
        elder = make_elder(name=f"老人{i}", id_number=make_id_number(birth=born(years)))
        made.append(enrol(officer, elder, old_age, THIS_MONTH, account=f"62284800123456789{i:02d}"))
    return made


def _approved(officer, checker):
    run, added = payroll.run(officer, COUNTY, THIS_MONTH)
    payroll.take_step(checker, run.pk, "check")
    payroll.take_step(officer, run.pk, "approve")
    return run


def test_payroll_has_one_line_per_recipient_with_the_band_amount(officer, recipients):
    run, added = payroll.run(officer, COUNTY, THIS_MONTH)
    assert added == 3
    amounts = sorted(run.lines.values_list("amount", flat=True))
    assert amounts == [5000, 10000, 30000]
    assert (run.lines_count, run.total_fen) == (3, 45000)


def test_payroll_rerun_adds_nothing(officer, recipients):
    first, _ = payroll.run(officer, COUNTY, THIS_MONTH)
    again, added = payroll.run(officer, COUNTY, THIS_MONTH)
    assert again.pk == first.pk and added == 0
    assert PayrollLine.objects.count() == 3


def test_months_missed_are_paid_on_the_next_payroll(officer, make_elder, old_age):
    elder = make_elder(name="补发", id_number=make_id_number(birth=born(85)))
    enrol(officer, elder, old_age, add_months(THIS_MONTH, -2))
    run, added = payroll.run(officer, COUNTY, THIS_MONTH)
    assert added == 3
    assert sorted(run.lines.values_list("month", flat=True)) == [add_months(THIS_MONTH, n) for n in (-2, -1, 0)]


def test_the_checker_may_not_approve_the_same_payroll(officer, recipients):
    run, _ = payroll.run(officer, COUNTY, THIS_MONTH)
    payroll.take_step(officer, run.pk, "check")
    with pytest.raises(Conflict, match="复核人不能同时审批"):
        payroll.take_step(officer, run.pk, "approve")


def test_home_only_subsidy_is_not_paid_while_the_elder_lives_in_a_facility(officer, make_elder, programs, facility):
    from yiyang.elders import categories
    from yiyang.elders.models import Elder

    home = make_elder(name="居家", id_number=make_id_number(birth=born(70)), categories=categories.to_bits(["dibao"]))
    away = make_elder(name="入住", id_number=make_id_number(birth=born(70)), categories=categories.to_bits(["dibao"]))
    for elder in (home, away):
        enrol(officer, elder, programs["service"], THIS_MONTH)
    Elder.objects.filter(pk=away.pk).update(facility_id=facility.pk)
    run, added = payroll.run(officer, COUNTY, THIS_MONTH)
    assert added == 1 and run.lines.get().recipient.elder == home


def test_payroll_must_be_approved_before_export(officer, checker, recipients):
    run, _ = payroll.run(officer, COUNTY, THIS_MONTH)
    with pytest.raises(Conflict):
        payroll.export(officer, run.pk)
    payroll.take_step(checker, run.pk, "check")
    with pytest.raises(Conflict):
        payroll.export(officer, run.pk)


def test_bank_file_carries_full_accounts_in_the_bank_encoding_with_totals_and_is_audited(officer, checker, recipients):
    run = _approved(officer, checker)
    bank_file = payroll.export(officer, run.pk)
    text = bank_file.content.decode("gbk").splitlines()
    assert text[0].startswith("序号,账号,户名,金额")
    assert recipients[0].bank_account in bank_file.content.decode("gbk")
    assert text[-1] == "汇总,3,450.00"
    assert AuditEntry.objects.filter(action="export", object_type="benefits.payroll").count() == 1


def _result(run, rows, totals=None):
    lines = ["序号,账号,户名,金额,处理结果,失败原因"]
    lines += [",".join(map(str, row)) for row in rows]
    if totals is None:
        totals = (len(rows), f"{sum(float(r[3]) for r in rows):.2f}")
    lines.append(f"汇总,{totals[0]},{totals[1]}")
    return io.BytesIO(("\n".join(lines) + "\n").encode("utf-8"))


def _rows(run, failed=()):
    return [(line.line_no, line.bank_account, line.holder, f"{line.amount / 100:.2f}",
             "失败" if i in failed else "成功", "账户已销户" if i in failed else "")
            for i, line in enumerate(run.lines.order_by("line_no"))]  # fmt: skip


def test_result_file_pays_lines_into_the_ledger_and_sends_failures_to_retry(officer, checker, recipients):
    run = _approved(officer, checker)
    payroll.export(officer, run.pk)
    done = payroll.import_result(officer, run.pk, _result(run, _rows(run, failed={1})), "回盘.csv")
    assert done == {"paid": 2, "failed": 1, "status": PayrollStatus.SETTLED}
    assert Payment.objects.count() == 2
    failed = PayrollLine.objects.get(status=LineStatus.FAILED)
    assert failed.fail_reason == "账户已销户"
    from yiyang.benefits import services

    services.change_account(officer, failed.recipient_id, "工商银行", "6222020000111122223", "")
    retry = payroll.export(officer, run.pk, retry=True)
    assert retry.lines == 1 and "6222020000111122223" in retry.content.decode("gbk")


def test_result_file_with_an_unknown_account_is_refused_with_its_line_number(officer, checker, recipients):
    run = _approved(officer, checker)
    payroll.export(officer, run.pk)
    rows = _rows(run)
    rows[1] = (rows[1][0], "6228489999999999999", *rows[1][2:])
    with pytest.raises(FieldErrors, match="第 3 行") as refused:
        payroll.import_result(officer, run.pk, _result(run, rows), "回盘.csv")
    assert "9999" in refused.value.message and "6228489999999999999" not in refused.value.message
    assert Payment.objects.count() == 0


def test_result_file_with_wrong_totals_is_refused_with_the_totals_line_number(officer, checker, recipients):
    run = _approved(officer, checker)
    payroll.export(officer, run.pk)
    with pytest.raises(FieldErrors, match="第 5 行（汇总行）"):
        payroll.import_result(officer, run.pk, _result(run, _rows(run), totals=(3, "999.00")), "回盘.csv")
    assert not PayrollLine.objects.exclude(status=LineStatus.PENDING).exists()


def _death_list(rows):
    text = "身份证号码,姓名,死亡日期\n" + "\n".join(",".join(r) for r in rows) + "\n"
    return io.BytesIO(text.encode("utf-8"))


def test_death_before_the_last_payment_opens_a_recovery_case_for_the_exact_amount(officer, checker, make_elder,
                                                                                  old_age):  # fmt: skip
    elder = make_elder(name="钱已故", id_number=make_id_number(birth=born(92)))
    start = add_months(THIS_MONTH, -2)
    enrol(officer, elder, old_age, start)
    run = _approved(officer, checker)  # three months: two back months and this one, 100 元 each (90-99 band)
    payroll.export(officer, run.pk)
    payroll.import_result(officer, run.pk, _result(run, _rows(run)), "回盘.csv")
    died = date(start.year, start.month, 20)  # in the first month paid: the two months after it were overpaid
    batch = stops.import_list(officer, COUNTY, "death", "公安户籍注销", _death_list([(elder.id_number, "钱已故",
                                                                                   died.isoformat())]), "死亡.csv")  # fmt: skip
    assert batch.matched == 1
    case = RecoveryCase.objects.get(recipient__elder=elder)
    assert case.due_fen == 2 * 10000 and case.balance_fen == 20000
    again = stops.import_list(officer, COUNTY, "death", "殡葬", _death_list([(elder.id_number, "钱已故",
                                                                            died.isoformat())]), "死亡2.csv")  # fmt: skip
    assert again.matched == 0
    case.refresh_from_db()
    assert case.due_fen == 20000
    stops.repay(officer, case.pk, 15000, "家属退回", key="r1")
    with pytest.raises(Conflict):
        stops.repay(officer, case.pk, 5000, key="r1")
    stops.repay(officer, case.pk, 5000, key="r2")
    case.refresh_from_db()
    assert (case.balance_fen, case.status) == (0, "recovered")


def test_death_list_name_mismatch_is_held_not_stopped(officer, make_elder, old_age):
    elder = make_elder(name="孙正确", id_number=make_id_number(birth=born(85)))
    recipient = enrol(officer, elder, old_age, THIS_MONTH)
    batch = stops.import_list(officer, COUNTY, "death", "卫健", _death_list([(elder.id_number, "孙错误", "2026-01-05")]),
                              "死亡.csv")  # fmt: skip
    recipient.refresh_from_db()
    assert batch.mismatched == 1 and recipient.status == "active"


def test_death_list_rows_with_bad_numbers_are_listed_and_good_rows_compared(officer, make_elder, old_age):
    elder = make_elder(name="李好", id_number=make_id_number(birth=born(85)))
    enrol(officer, elder, old_age, THIS_MONTH)
    bad = elder.id_number[:-1] + ("0" if elder.id_number[-1] != "0" else "1")
    batch = stops.import_list(officer, COUNTY, "death", "公安", _death_list([(bad, "某人", "2026-01-05"),
                              (elder.id_number, "李好", "2026-01-05")]), "死亡.csv")  # fmt: skip
    assert batch.matched == 1
    assert batch.refused == [{"row": 2, "reason": "身份证号码校验码错误"}]


def test_death_stops_lines_of_a_draft_payroll(officer, make_elder, old_age):
    elder = make_elder(name="周草稿", id_number=make_id_number(birth=born(85)))
    enrol(officer, elder, old_age, add_months(THIS_MONTH, -1))
    run, added = payroll.run(officer, COUNTY, THIS_MONTH)
    assert added == 2
    died = add_months(THIS_MONTH, -1).replace(day=3)
    stops.import_list(officer, COUNTY, "death", "公安", _death_list([(elder.id_number, "周草稿", died.isoformat())]),
                      "死亡.csv")  # fmt: skip
    run.refresh_from_db()
    assert list(run.lines.values_list("month", flat=True)) == [add_months(THIS_MONTH, -1)]
    assert run.total_fen == 5000


def test_neighbour_officer_cannot_run_the_home_county_payroll(neighbour_officer, recipients):
    from django.http import Http404

    with pytest.raises(Http404):
        payroll.run(Actor(user=neighbour_officer), COUNTY, THIS_MONTH)


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_ten_concurrent_payroll_runs_make_one_payroll(officer, recipients):
    import threading

    from yiyang.benefits.models import Payroll

    errors, barrier = [], threading.Barrier(10)

    def worker():
        try:
            barrier.wait()
            payroll.run(officer, COUNTY, THIS_MONTH)
        except Exception as exc:  # noqa: BLE001  (collected and asserted below)
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert Payroll.objects.count() == 1
    assert PayrollLine.objects.count() == 3


def _move_list(rows):
    text = "身份证号码,姓名,迁出日期\n" + "\n".join(",".join(r) for r in rows) + "\n"
    return io.BytesIO(text.encode("utf-8"))


def _paid_three_months(officer, checker, elder, old_age):
    """A recipient of the 90-99 band (100 元) paid by the bank for two back months and this one."""
    start = add_months(THIS_MONTH, -2)
    recipient = enrol(officer, elder, old_age, start)
    run = _approved(officer, checker)
    payroll.export(officer, run.pk)
    payroll.import_result(officer, run.pk, _result(run, _rows(run)), "回盘.csv")
    return recipient, start


def test_move_stops_from_the_month_after_and_recovers_the_exact_amount_paid_after_it(officer, checker, make_elder,
                                                                                   old_age):  # fmt: skip
    elder = make_elder(name="赵迁出", id_number=make_id_number(birth=born(92)))
    recipient, start = _paid_three_months(officer, checker, elder, old_age)
    moved = date(start.year, start.month, 28)
    batch = stops.import_list(officer, COUNTY, "move", "公安户籍迁出",
                              _move_list([(elder.id_number, "赵迁出", moved.isoformat())]), "迁出.csv")  # fmt: skip
    assert (batch.matched, batch.records.get().result) == (1, "stopped")
    recipient.refresh_from_db()
    assert (recipient.status, recipient.stop_month, recipient.stop_reason) == ("stopped", add_months(start, 1), "moved")
    case = RecoveryCase.objects.get(recipient=recipient)
    assert case.due_fen == 2 * 10000
    assert sorted(case.entries.values_list("month", flat=True)) == [add_months(start, 1), THIS_MONTH]
    assert "迁出本地后多发" in case.reason


def test_move_list_dates_a_stop_made_by_hand_earlier_and_recovers_what_was_paid_since(officer, checker, make_elder,
                                                                                      old_age):  # fmt: skip
    from yiyang.benefits import services

    elder = make_elder(name="钱手停", id_number=make_id_number(birth=born(92)))
    recipient, start = _paid_three_months(officer, checker, elder, old_age)
    # The registry said "moved out": the officer stopped the allowance from next month by hand.
    services.recipient_step(officer, recipient.pk, "stop", "信息库显示已迁出", "moved")
    recipient.refresh_from_db()
    assert recipient.stop_month == add_months(THIS_MONTH, 1) and not RecoveryCase.objects.exists()
    batch = stops.import_list(officer, COUNTY, "move", "公安户籍迁出",
                              _move_list([(elder.id_number, "钱手停", start.replace(day=3).isoformat())]), "迁出.csv")  # fmt: skip
    assert (batch.matched, batch.records.get().result) == (1, "earlier")
    recipient.refresh_from_db()
    assert recipient.stop_month == add_months(start, 1)
    assert recipient.steps.order_by("-at", "-id").first().action == "auto_restop"
    assert RecoveryCase.objects.get(recipient=recipient).due_fen == 2 * 10000
    # A later list never moves the stop month later, and adds nothing.
    again = stops.import_list(officer, COUNTY, "move", "民政", _move_list([(elder.id_number, "钱手停",
                              THIS_MONTH.isoformat())]), "迁出2.csv")  # fmt: skip
    recipient.refresh_from_db()
    assert (again.records.get().result, recipient.stop_month) == ("already", add_months(start, 1))
    assert RecoveryCase.objects.get(recipient=recipient).due_fen == 2 * 10000


def _moved_and_enrolled_again(officer, make_elder, old_age, name):
    """A recipient stopped by a move list six months back, then back home and enrolled anew (as the review
    chain's approval does for a stopped recipient). Returns the elder, the recipient and the move date."""
    from yiyang.benefits.models import Recipient

    elder = make_elder(name=name, id_number=make_id_number(birth=born(92)))
    recipient = enrol(officer, elder, old_age, add_months(THIS_MONTH, -6))
    moved = add_months(THIS_MONTH, -6).replace(day=9)
    stops.import_list(officer, COUNTY, "move", "公安", _move_list([(elder.id_number, name, moved.isoformat())]),
                      "迁出.csv")  # fmt: skip
    Recipient.objects.filter(pk=recipient.pk).update(status="active", start_month=THIS_MONTH, next_month=THIS_MONTH,
                                                     stop_month=None, stop_reason="")  # fmt: skip
    return elder, recipient, moved


def test_a_repeated_move_list_does_not_stop_an_elder_who_came_back_and_was_enrolled_again(officer, make_elder,
                                                                                          old_age):  # fmt: skip
    elder, recipient, moved = _moved_and_enrolled_again(officer, make_elder, old_age, "孙回乡")
    # The police send their whole year's list again, the old move included.
    batch = stops.import_list(officer, COUNTY, "move", "公安", _move_list([(elder.id_number, "孙回乡",
                              moved.isoformat())]), "迁出-全年.csv")  # fmt: skip
    recipient.refresh_from_db()
    assert (batch.matched, batch.records.get().result) == (0, "already")
    assert (recipient.status, recipient.stop_month) == ("active", None)
    run, added = payroll.run(officer, COUNTY, THIS_MONTH)
    assert added == 1


def test_a_death_list_stops_an_elder_enrolled_again_after_an_earlier_stop(officer, make_elder, old_age):
    elder, recipient, moved = _moved_and_enrolled_again(officer, make_elder, old_age, "孙已故")
    # A death dated before the stop was recorded: a death cannot be undone, so the re-enrolment is stopped.
    batch = stops.import_list(officer, COUNTY, "death", "殡葬", _death_list([(elder.id_number, "孙已故",
                              moved.isoformat())]), "死亡.csv")  # fmt: skip
    recipient.refresh_from_db()
    assert batch.records.get().result == "stopped" and recipient.status == "stopped"
