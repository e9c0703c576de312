"""Demo data of three supervision areas (DESIGN.md §8), despite the module's name not only escrow:

- prepaid-fee escrow: accounts and prepaid ledgers of the demo city's institutions, with alerts;
- cadre pairing: scoring schemes, cadres paired with centres, and their visits;
- complaints: complaints in every state with the steps that led there.

Called with a seeded `random.Random`; rows are written in bulk (ledger entries are immutable rows, so
bulk_create is how they are written here as well). Rules that the services apply to a change of state
(deadlines, closing times) come from the services themselves."""

import random
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from yiyang.core.audit import Actor
from yiyang.facilities.models import Facility, FacilityType, Residence
from yiyang.supervision import conf
from yiyang.supervision.models import (
    AlertKind,
    Cadre,
    CadreVisit,
    Channel,
    Complaint,
    ComplaintStatus,
    ComplaintStep,
    EntryType,
    EscrowAccount,
    EscrowAlert,
    EscrowEntry,
    FeeKind,
    Pairing,
    ScoringScheme,
)
from yiyang.supervision.services import complaints
from yiyang.supervision.workflows import COMPLAINT

DEMO_CITY_PREFIX = "4110"  # 许昌市
BANKS = ["中国银行许昌分行", "中国建设银行许昌分行", "中国工商银行许昌分行", "许昌农商银行"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = ["建国", "志强", "德华", "文华", "国庆", "振华", "明德", "保国", "新民", "爱华", "秀英", "桂兰"]
POSTS = ["区民政局副局长", "区委组织部科长", "街道办事处主任", "街道党工委副书记", "区卫健委副主任", "区市场监管局股长"]
FINDINGS = ["查看消防通道、食堂留样和值班记录", "与入住老人座谈，了解饮食和护理情况", "检查电动车停放充电和用电安全",
            "了解护理员配备和持证情况", "查看老人能力评估和服务协议"]  # fmt: skip
PROBLEMS = ["消防通道堆放杂物", "食堂留样不足48小时", "夜间值班记录不全", "护理员持证比例偏低", "电动车在楼道充电"]
COMPLAINTS = ["护理员态度生硬，老人反映不被尊重", "饭菜偏咸偏凉，多次反映未改进", "收费项目不透明，押金迟迟不退",
              "夜间呼叫无人应答", "居家上门服务迟到早退", "助浴服务时间不足"]  # fmt: skip


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN)


def build_escrow(rng: random.Random) -> int:
    """An escrow account for each institution of the demo city with residents, and their ledgers."""
    today = timezone.localdate()
    this_month = today.replace(day=1)
    last_month = (this_month - timedelta(days=1)).replace(day=1)
    no_membership = conf.value("ESCROW_NO_MEMBERSHIP_OPERATION_MODELS")
    facilities = Facility.objects.filter(
        county_code__startswith=DEMO_CITY_PREFIX, facility_type=FacilityType.INSTITUTION, beds_total__gt=0
    ).order_by("id")
    entries, alerts, accounts = [], [], 0
    for number, facility in enumerate(facilities):
        fee = facility.monthly_fee_min or rng.choice([180000, 220000, 260000])
        residences = list(Residence.objects.filter(facility=facility, left_on__isnull=True).order_by("id")[:60])
        account = EscrowAccount.objects.create(
            facility=facility, region_code=facility.region_code, county_code=facility.county_code,
            bank_name=rng.choice(BANKS), account_number=f"6217{rng.randrange(10**14, 10**15)}",
            filing_number=f"许民预备{today.year}{number + 1:03d}",
            # Most facilities stay well inside their assets; every fifth one is short of them.
            net_fixed_assets=(rng.randrange(2, 6) if number % 5 == 4 else rng.randrange(40, 120)) * fee * max(
                len(residences), 1) // 10,
            risk_reserve=rng.randrange(10, 50) * 10000_00, monthly_fee=fee,
        )  # fmt: skip
        accounts += 1
        total = 0
        for residence in residences:
            months = rng.randint(1, 6)
            rows = [(FeeKind.SERVICE, months * fee), (FeeKind.DEPOSIT, rng.randint(1, 3) * fee)]
            if facility.operation_model not in no_membership and rng.random() < 0.2:
                rows.append((FeeKind.MEMBERSHIP, rng.randint(2, 6) * fee))
            for kind, amount in rows:
                entries.append(EscrowEntry(
                    account=account, facility=facility, residence=residence, region_code=facility.region_code,
                    county_code=facility.county_code, fee_kind=kind, entry_type=EntryType.RECEIPT, amount=amount,
                    key=f"receipt-demo-{residence.pk}-{kind}", note="入住预收",
                ))  # fmt: skip
                total += amount
            entries.append(EscrowEntry(
                account=account, facility=facility, residence=residence, region_code=facility.region_code,
                county_code=facility.county_code, fee_kind=FeeKind.SERVICE, entry_type=EntryType.DRAWDOWN,
                amount=-fee, month=last_month, key=f"drawdown-{residence.pk}-{last_month:%Y-%m}",
                note=f"{last_month:%Y年%m月}服务费",
            ))  # fmt: skip
            total -= fee
        if total > account.net_fixed_assets:
            alerts.append(EscrowAlert(
                facility=facility, region_code=facility.region_code, county_code=facility.county_code,
                kind=AlertKind.OVER_ASSETS, total_prepaid=total, net_fixed_assets=account.net_fixed_assets,
            ))  # fmt: skip
    EscrowEntry.objects.bulk_create(entries, batch_size=2000)
    EscrowAlert.objects.bulk_create(alerts)
    return accounts


def build_pairing(rng: random.Random) -> int:
    """Four cadres per county of the demo city, each paired with two centres, and their visits."""
    today = timezone.localdate()
    counties = sorted(set(Facility.objects.filter(county_code__startswith=DEMO_CITY_PREFIX).values_list(
        "county_code", flat=True)))  # fmt: skip
    visits = []
    for county in counties:
        region = county.ljust(12, "0")
        ScoringScheme.objects.create(region_code=region, county_code=county, points_per_visit=2, points_per_solved=3,
                                     monthly_cap=20, source="区万人助中心考核办法（演示）")  # fmt: skip
        centres = list(Facility.objects.filter(county_code=county, facility_type__in=[
            FacilityType.STREET_CENTRE, FacilityType.DAY_CARE, FacilityType.INSTITUTION]).order_by("id"))  # fmt: skip
        if not centres:
            continue
        for _ in range(4):
            cadre = Cadre.objects.create(name=_name(rng), post=rng.choice(POSTS),
                                         phone=f"139{rng.randrange(10**8):08d}", region_code=region,
                                         county_code=county)  # fmt: skip
            since = today - timedelta(days=rng.randrange(120, 400))
            for facility in rng.sample(centres, min(2, len(centres))):
                Pairing.objects.create(cadre=cadre, facility=facility, region_code=facility.region_code,
                                       county_code=county, since=since)  # fmt: skip
                for _ in range(rng.randint(1, 5)):
                    raised = rng.choice([0, 0, 1, 1, 2])
                    solved = rng.randint(0, raised)
                    visits.append(CadreVisit(
                        cadre=cadre, facility=facility, region_code=facility.region_code, county_code=county,
                        visited_on=today - timedelta(days=rng.randrange(1, 100)), findings=rng.choice(FINDINGS),
                        problems_raised="；".join(rng.sample(PROBLEMS, raised)), raised_count=raised,
                        problems_solved="现场督促整改到位" if solved else "", solved_count=solved,
                    ))  # fmt: skip
    CadreVisit.objects.bulk_create(visits)
    return Cadre.objects.filter(county_code__startswith=DEMO_CITY_PREFIX).count()


# The path of a complaint to each final state of the demo, following the state machine.
PATHS = {
    ComplaintStatus.RECEIVED: [],
    ComplaintStatus.HANDLING: [ComplaintStatus.HANDLING],
    ComplaintStatus.REPLIED: [ComplaintStatus.HANDLING, ComplaintStatus.REPLIED],
    ComplaintStatus.CLOSED: [ComplaintStatus.HANDLING, ComplaintStatus.REPLIED, ComplaintStatus.CLOSED],
    ComplaintStatus.REOPENED: [ComplaintStatus.HANDLING, ComplaintStatus.REPLIED, ComplaintStatus.REOPENED],
}


NOTES = {
    ComplaintStatus.HANDLING: "转机构核实办理",
    ComplaintStatus.REPLIED: "",
    ComplaintStatus.CLOSED: "电话回访，投诉人满意",
    ComplaintStatus.REOPENED: "投诉人对答复不满意，要求重新办理",
}
REPLY = "已核实并整改，当面答复"


def build_complaints(rng: random.Random, per_county: int = 6) -> int:
    """Complaints in every state, each with the history that led there, written through the
    workflow (`COMPLAINT.replay`). Deadlines, replies and closing times follow the rules of the
    services (`complaints.reply_deadline`, `complaints.step_effects`), at the dates of the history
    rather than today's."""
    bureau = Actor(user=get_user_model().objects.get(username="xuchang"))
    now = timezone.now()
    today = timezone.localdate()
    made = 0
    for county in sorted(set(Facility.objects.filter(county_code__startswith=DEMO_CITY_PREFIX).values_list(
            "county_code", flat=True))):  # fmt: skip
        facilities = list(Facility.objects.filter(county_code=county).order_by("id")[:20])
        for n in range(per_county if facilities else 0):
            facility = rng.choice(facilities)
            final = rng.choice(list(PATHS))
            # Far enough back for every step of the path to lie in the past.
            received = today - timedelta(days=rng.randrange(4 * len(PATHS[final]) + 1, 41))
            channel = rng.choice(Channel.values)
            complaint = Complaint(
                facility=facility, subject_name=facility.name, region_code=facility.region_code, county_code=county,
                channel=channel, ticket_number=f"XC{received:%Y%m%d}{n:04d}" if channel == Channel.HOTLINE else "",
                complainant_name=_name(rng), complainant_phone=f"138{rng.randrange(10**8):08d}",
                content=rng.choice(COMPLAINTS), received_on=received, deadline=complaints.reply_deadline(received),
            )  # fmt: skip
            at = now - timedelta(days=(today - received).days)
            complaint.save()
            ComplaintStep.objects.create(complaint=complaint, county_code=county, from_status="",
                                         to_status=ComplaintStatus.RECEIVED, by_name="系统", at=at,
                                         note=f"{complaint.get_channel_display()}登记")  # fmt: skip
            steps = []
            for step in PATHS[final]:
                at = min(at + timedelta(days=rng.randint(1, 4)), now)
                steps.append((step, NOTES[step] or REPLY, at))
            COMPLAINT.replay(bureau, complaint, steps, change=lambda c, name, when: complaints.step_effects(
                c, name, when, REPLY))  # fmt: skip
            complaint.save()
            made += 1
    return made


@transaction.atomic
def build(rng: random.Random) -> dict:
    """Build the supervision demo data of this module: escrow accounts with their ledgers, paired
    cadres with their visits, and complaints with their histories; returns how many of each."""
    return {
        "escrow_accounts": build_escrow(rng),
        "cadres": build_pairing(rng),
        "complaints": build_complaints(rng),
    }
