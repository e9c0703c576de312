"""Demo allowances: the demo county's programs (placeholder amounts), its elders of 80 and over as
recipients of the old-age allowance, last month's payroll paid through the bank and this month's in
draft, a few applications at different steps of the review, a death reported late (a recovery case),
and this year's verification, half done."""

import io
import random
from datetime import date, timedelta

from django.utils import timezone

from yiyang.benefits import payroll, services, stops, verification
from yiyang.benefits.models import Recipient
from yiyang.benefits.months import add_months, first_of
from yiyang.benefits.rules import age_for_month, birth_of
from yiyang.core.audit import Actor, Interface
from yiyang.core.regioncodes import county_of
from yiyang.core.scoping import SYSTEM_READER
from yiyang.elders.models import Elder, Status


def _account(rng: random.Random) -> str:
    return "622848" + "".join(rng.choice("0123456789") for _ in range(13))


CHECKER = "weidu-fuhe"  # a second county officer: the one who checks a payroll may not approve it


def build(county: str, rng: random.Random) -> str:
    from yiyang.accounts.services import create_user
    from yiyang.core.roles import Role
    from yiyang.demo.generate import DEMO_PASSWORD

    create_user(CHECKER, DEMO_PASSWORD, name="魏都区民政局复核员",
                memberships=[{"role": Role.OFFICER, "region_code": county}])  # fmt: skip
    actor = Actor(user=SYSTEM_READER, interface=Interface.CLI)
    programs = {p.code: p for p in services.seed_programs(county)}
    old_age = programs["old_age"]
    this_month = first_of(timezone.localdate())
    start = add_months(this_month, -3)
    elders = list(Elder.objects.filter(county_code=county_of(county), status=Status.ACTIVE).order_by("pk"))
    eligible = [e for e in elders if age_for_month(birth_of(e), start) >= old_age.min_age]
    # A small demo keeps most of its few old elders as recipients, so that every page has rows.
    cut = 3 if len(eligible) > 6 else min(1, len(eligible) - 1)
    applicants, enrolled = eligible[: max(cut, 0)], eligible[max(cut, 0) :]
    Recipient.objects.bulk_create(
        Recipient(elder=e, program=old_age, region_code=e.region_code, county_code=e.county_code, start_month=start,
                  next_month=start, bank_name="中国农业银行", bank_account=_account(rng), account_holder=e.name)
        for e in enrolled
    )  # fmt: skip
    # Last month's payroll (with the two months before it), paid; one line failed and waits for a retry.
    last = add_months(this_month, -1)
    run, _ = payroll.run(actor, county, last)
    payroll.take_step(actor, run.pk, "check")
    payroll.take_step(actor, run.pk, "approve")
    payroll.export(actor, run.pk)
    lines = list(run.lines.order_by("line_no"))
    rows = ["序号,账号,户名,金额,处理结果,失败原因"]
    for i, line in enumerate(lines):
        ok = i != 1
        rows.append(f"{line.line_no},{line.bank_account},{line.holder},{line.amount / 100:.2f},"
                    f"{'成功' if ok else '失败'},{'' if ok else '账户已冻结'}")  # fmt: skip
    rows.append(f"汇总,{len(lines)},{sum(line.amount for line in lines) / 100:.2f}")
    if lines:
        payroll.import_result(actor, run.pk, io.BytesIO("\n".join(rows).encode()), "回盘.csv")
    payroll.run(actor, county, this_month)
    # A death two months back, reported only now: last month's payment becomes a recovery case.
    recovered = 0
    if enrolled:
        gone = enrolled[0]
        died = add_months(this_month, -2) + timedelta(days=4)
        text = f"身份证号码,姓名,死亡日期\n{gone.id_number},{gone.name},{died.isoformat()}\n"
        batch = stops.import_list(actor, county, "death", "公安户籍注销", io.BytesIO(text.encode()), "死亡名单.csv")
        recovered = batch.matched
    # Applications at several steps of the review.
    today = timezone.localdate()
    for i, elder in enumerate(applicants):
        application = services.apply(actor, {"elder_id": elder.pk, "program_id": old_age.pk, "applicant_name": elder.name,
                                             "bank_name": "中国邮政储蓄银行", "bank_account": _account(rng)})  # fmt: skip
        steps = [("community_pass", today), ("street_pass", today), ("start_notice", today - timedelta(days=10)),
                 ("approve", today)][: 1 + 2 * i]  # fmt: skip
        for step, day in steps:
            services.take_step(actor, application.pk, step, "材料齐全" if step != "approve" else "", today=day)
    opened = verification.open_year(actor, county, today.year, date(today.year, 12, 31))
    for row in Recipient.objects.filter(county_code=county_of(county), status="active").order_by("pk")[:600:2]:
        task = row.verifications.filter(year=today.year).first()
        if task:
            verification.verify(actor, task.pk, rng.choice(["in_person", "video", "visit"]), "社区工作人员核实")
    return (f"老年人补贴（名册复核账号 {CHECKER}）：补贴对象 {len(enrolled)} 人；发放名册 2 个；补贴申请 {len(applicants)} 份；"
            f"死亡比对停发 {recovered} 人；资格认证任务 {opened} 条")  # fmt: skip
