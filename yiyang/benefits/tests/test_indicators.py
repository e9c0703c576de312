"""The allowance indicators in the analytics registry: recipients by program and band, the month's spend,
new and stopped, overpayments found and recovered, the verification rate; per region, within scope."""

import io
from datetime import date

import pytest

from conftest import make_id_number
from yiyang.analytics import indicators
from yiyang.benefits import payroll, stops, verification
from yiyang.benefits.months import add_months, first_of
from yiyang.benefits.tests.conftest import COUNTY, born, enrol

pytestmark = pytest.mark.django_db
THIS_MONTH = first_of(date.today())


def test_allowance_indicators_per_region(officer, checker, make_elder, old_age, county_officer, neighbour_officer):
    people = [make_elder(name=f"指标{i}", id_number=make_id_number(birth=born(age))) for i, age in
              enumerate((82, 84, 93))]  # fmt: skip
    for person in people:
        enrol(officer, person, old_age, add_months(THIS_MONTH, -1) if person is people[0] else THIS_MONTH)
    run, _ = payroll.run(officer, COUNTY, THIS_MONTH)
    payroll.take_step(checker, run.pk, "check")
    payroll.take_step(officer, run.pk, "approve")
    payroll.export(officer, run.pk)
    lines = list(run.lines.order_by("line_no"))
    text = (
        "序号,账号,户名,金额,处理结果\n"
        + "".join(f"{x.line_no},{x.bank_account},{x.holder},{x.amount / 100:.2f},成功\n" for x in lines)
        + f"汇总,{len(lines)},{sum(x.amount for x in lines) / 100:.2f}\n"
    )
    payroll.import_result(officer, run.pk, io.BytesIO(text.encode()), "回盘.csv")
    died = add_months(THIS_MONTH, -1).replace(day=2)  # owed to the end of last month; this month overpaid
    listing = f"身份证号码,姓名,日期\n{people[0].id_number},{people[0].name},{died.isoformat()}\n"
    stops.import_list(officer, COUNTY, "death", "公安", io.BytesIO(listing.encode()), "死亡.csv")
    verification.open_year(officer, COUNTY, date.today().year, date(date.today().year, 12, 31))
    first = people[1]
    from yiyang.benefits.models import Verification

    verification.verify(officer, Verification.objects.get(recipient__elder=first).pk, "video", "视频 17")

    whole, children = indicators.gather(county_officer, COUNTY)
    figures = indicators.values(whole)
    assert figures["benefit_old_age"] == 2  # one stopped after the death
    assert (figures["benefit_old_age_80"], figures["benefit_old_age_90"]) == (2, 1)
    assert figures["benefit_spend"] == 50 * 2 + 50 + 100  # the first elder's two months, then one each
    assert figures["benefit_new"] == 2
    assert figures["benefit_overpaid"] == 50 and figures["benefit_recovered"] == 0
    assert figures["benefit_verification_rate"] == 50.0
    assert sum(indicators.values(c)["benefit_old_age"] for c in children) == 2
    outside, _ = indicators.gather(neighbour_officer, "411003000000")
    assert indicators.values(outside)["benefit_old_age"] == 0
