"""The household's way from application to payment, and every refusal on it with its reason."""

import pytest
from django.core.exceptions import PermissionDenied

from yiyang.core.errors import Conflict, FieldErrors
from yiyang.elders import categories
from yiyang.renovation import services
from yiyang.renovation.models import (
    Application,
    ApplicationStep,
    Budget,
    BudgetEntry,
    Check,
    HouseholdClaim,
    OrgRole,
    Payment,
    Stage,
    Status,
)

from .conftest import CAP, basic_items, orgs_data, png

pytestmark = pytest.mark.django_db


def plan_for(application, *, extra=(), subsidy=None, self_pay=None, price=None):
    lines = [{"item_id": item.pk, "quantity": 2, **({"unit_price": price} if price is not None else {})}
             for item in basic_items(application)[:3]]  # fmt: skip
    lines += [{"item_id": item.pk, "quantity": 1} for item in extra]
    return {"lines": lines, "subsidy": subsidy, "self_pay": self_pay}


def build_and_complete(application, managers):
    contractor = managers[OrgRole.CONSTRUCT]
    services.take_step(contractor, application.pk, "start")
    for line in application.lines.filter(in_plan=True):
        services.add_photos(contractor, application.pk, line.item_id, Stage.BEFORE, [png()])
        services.add_photos(contractor, application.pk, line.item_id, Stage.AFTER, [png()])
    services.take_step(contractor, application.pk, "complete")


def test_whole_way_with_a_rework_round_ends_paid_once_and_closed(approved, managers, family, officer):
    assessor, acceptor = managers[OrgRole.ASSESS], managers[OrgRole.ACCEPT]
    item = basic_items(approved)[0]
    services.add_photos(assessor, approved.pk, item.pk, Stage.ASSESS, [png()])
    services.propose_plan(assessor, approved.pk, plan_for(approved, price="300"))
    approved.refresh_from_db()
    assert approved.status == Status.ASSESSED
    assert approved.plan_total == 3 * 2 * 30_000 and approved.subsidy == 180_000 and approved.self_pay == 0

    services.take_step(family, approved.pk, "confirm")
    # The commitment shrinks from the cap to the confirmed subsidy: the rest is back in the budget.
    assert services.commitment_of(approved) == 180_000
    build_and_complete(approved, managers)

    lines = list(approved.lines.filter(in_plan=True))
    results = [{"line_id": line.pk, "passed": i != 0, "note": "扶手位置过高，老人够不着" if i == 0 else ""}
               for i, line in enumerate(lines)]  # fmt: skip
    services.check_items(acceptor, approved.pk, results)
    approved.refresh_from_db()
    assert approved.status == Status.REWORK and approved.rework_rounds == 1
    # The failed item needs an after photo taken since the check before the works can be reported again.
    with pytest.raises(Conflict, match="整改后的照片"):
        services.take_step(managers[OrgRole.CONSTRUCT], approved.pk, "complete")
    services.add_photos(managers[OrgRole.CONSTRUCT], approved.pk, lines[0].item_id, Stage.AFTER, [png()])
    services.take_step(managers[OrgRole.CONSTRUCT], approved.pk, "complete")
    services.check_items(acceptor, approved.pk, [{"line_id": line.pk, "passed": True} for line in lines])
    approved.refresh_from_db()
    assert approved.status == Status.ACCEPTED
    assert Check.objects.filter(application=approved).count() == 2 * len(lines)

    services.take_step(officer, approved.pk, "approve_subsidy")
    services.take_step(officer, approved.pk, "pay")
    with pytest.raises(Conflict):
        services.take_step(officer, approved.pk, "pay")
    assert Payment.objects.filter(application=approved).get().amount == 180_000
    services.take_step(officer, approved.pk, "close")
    approved.refresh_from_db()
    assert approved.status == Status.CLOSED
    actions = list(ApplicationStep.objects.filter(application=approved).values_list("action", flat=True))
    assert actions[:4] == ["submit", "street_approve", "county_approve", "assess"] and actions[-1] == "close"


def test_second_application_for_the_same_address_is_refused_naming_the_address(
    family, officer, tekun_elder, make_elder, policy, make_user
):
    services.apply(family, {"elder_id": tekun_elder.pk})
    spouse = make_elder(name="王桂兰", categories=categories.to_bits(["tekun"]),
                        address="西大街道花园社区3幢1单元201")  # fmt: skip
    with pytest.raises(FieldErrors) as refused:
        services.apply(officer, {"elder_id": spouse.pk})
    assert "address" in refused.value.fields and "一户只能享受一次" in refused.value.fields["address"]


def test_second_application_for_the_same_elder_is_refused_naming_the_elder(family, officer, tekun_elder, policy):
    services.apply(family, {"elder_id": tekun_elder.pk})
    with pytest.raises(FieldErrors) as refused:
        services.apply(officer, {"elder_id": tekun_elder.pk, "address": "南关街道金桥社区 8 号"})
    assert "elder_id" in refused.value.fields


def test_an_elder_outside_the_funded_categories_is_refused_with_the_reason(officer, make_elder, policy):
    elder = make_elder(categories=categories.to_bits(["empty_nest"]))
    with pytest.raises(FieldErrors) as refused:
        services.apply(officer, {"elder_id": elder.pk})
    assert "特困供养" in refused.value.fields["category"]
    assert not Application.objects.exists()


def test_refused_from_street_review_with_a_reason_and_the_household_may_apply_again(family, officer, tekun_elder,
                                                                                    policy):  # fmt: skip
    application = services.apply(family, {"elder_id": tekun_elder.pk})
    with pytest.raises(FieldErrors) as refused:
        services.take_step(officer, application.pk, "street_refuse")
    assert "note" in refused.value.fields
    services.take_step(officer, application.pk, "street_refuse", {"note": "住房为租住，产权人不同意改造"})
    application.refresh_from_db()
    assert application.status == Status.REFUSED and application.refusal_reason == "住房为租住，产权人不同意改造"
    assert not HouseholdClaim.objects.filter(application=application).exists()
    assert services.apply(family, {"elder_id": tekun_elder.pk}).status == Status.SUBMITTED


@pytest.mark.parametrize(
    ("changes", "field", "reason"),
    [
        ("acceptor_is_contractor", "acceptor_id", "验收机构不能与施工单位相同"),
        ("contractor_is_assessor", "contractor_id", "施工单位不能与评估设计机构相同"),
        ("acceptor_missing", "acceptor_id", "请选择验收机构"),
    ],
)
def test_county_approval_refuses_organisations_that_are_not_three_different_ones(
    changes, field, reason, family, officer, tekun_elder, budget, orgs
):
    application = services.apply(family, {"elder_id": tekun_elder.pk})
    services.take_step(officer, application.pk, "street_approve")
    data = {
        "acceptor_is_contractor": orgs_data(orgs, acceptor_id=orgs[OrgRole.CONSTRUCT].pk),
        "contractor_is_assessor": orgs_data(orgs, contractor_id=orgs[OrgRole.ASSESS].pk),
        "acceptor_missing": orgs_data(orgs, acceptor_id=None),
    }[changes]
    with pytest.raises(FieldErrors) as refused:
        services.take_step(officer, application.pk, "county_approve", data)
    assert refused.value.fields[field] == reason
    application.refresh_from_db()
    assert application.status == Status.STREET_APPROVED and not BudgetEntry.objects.exists()


def test_a_plan_above_the_cap_without_self_pay_is_refused_naming_self_pay(approved, managers):
    assessor = managers[OrgRole.ASSESS]
    optional = approved.policy.catalog.items.filter(tier="optional", number__in=[10, 16])
    data = plan_for(approved, extra=optional)  # a nursing bed and a shower room on top: above 3,000 yuan
    with pytest.raises(FieldErrors) as refused:
        services.propose_plan(assessor, approved.pk, data)
    assert "self_pay" in refused.value.fields and "须填写自付部分" in refused.value.fields["self_pay"]
    with pytest.raises(FieldErrors) as refused:
        services.propose_plan(assessor, approved.pk, {**data, "subsidy": "3500"})
    assert "subsidy" in refused.value.fields
    services.propose_plan(assessor, approved.pk, {**data, "subsidy": "3000", "self_pay": "2220"})
    approved.refresh_from_db()
    assert (approved.subsidy, approved.self_pay, approved.plan_total) == (CAP, 222_000, 522_000)


def test_a_basic_item_found_needed_must_be_in_the_plan(approved, managers):
    item = basic_items(approved)[0]
    with pytest.raises(FieldErrors) as refused:
        services.propose_plan(managers[OrgRole.ASSESS], approved.pk,
                              {"lines": [{"item_id": item.pk, "in_plan": False}]})  # fmt: skip
    assert "lines.0.in_plan" in refused.value.fields


def test_only_the_assigned_organisation_takes_its_steps(approved, managers):
    # The contractor holds the right to accept works in general, but not on a home it builds itself.
    with pytest.raises(PermissionDenied):
        services.propose_plan(managers[OrgRole.CONSTRUCT], approved.pk, plan_for(approved))
    assert [o.name for o in services.options(managers[OrgRole.ASSESS].user, approved)] == ["assess"]
    assert services.options(managers[OrgRole.CONSTRUCT].user, approved) == []


def test_a_payment_is_written_once_whatever_is_resent(approved, managers, family, officer):
    services.propose_plan(managers[OrgRole.ASSESS], approved.pk, plan_for(approved))
    services.take_step(family, approved.pk, "confirm")
    build_and_complete(approved, managers)
    services.check_items(managers[OrgRole.ACCEPT], approved.pk,
                         [{"line_id": line.pk, "passed": True} for line in approved.lines.filter(in_plan=True)])  # fmt: skip
    services.take_step(officer, approved.pk, "approve_subsidy")
    services.take_step(officer, approved.pk, "pay")
    approved.refresh_from_db()
    assert services.record_payment(officer, approved) is False
    with pytest.raises(Conflict, match="不能拨付补贴"):
        services.take_step(officer, approved.pk, "pay")
    assert Payment.objects.filter(application=approved).count() == 1


def test_approval_beyond_the_budget_is_refused_and_the_household_keeps_waiting(
    family, officer, tekun_elder, make_elder, policy, orgs, root
):
    from yiyang.renovation.models import FundSource

    services.save_budget(root, "411002000000", 2026, FundSource.COUNTY, CAP + CAP // 2)
    first = services.apply(family, {"elder_id": tekun_elder.pk})
    other = make_elder(name="赵福", categories=categories.to_bits(["tekun"]), address="南关街道金桥社区 9 号楼 302")
    second = services.apply(officer, {"elder_id": other.pk})
    for application in (first, second):
        services.take_step(officer, application.pk, "street_approve")
    services.take_step(officer, first.pk, "county_approve", orgs_data(orgs))
    with pytest.raises(Conflict) as refused:
        services.take_step(officer, second.pk, "county_approve", orgs_data(orgs))
    assert refused.value.code == "budget_exhausted" and "剩余 1500.00 元" in refused.value.message
    second.refresh_from_db()
    assert second.status == Status.STREET_APPROVED
    budget = Budget.objects.get()
    assert services.committed(budget) == CAP and budget.seq == 1


def test_a_city_officer_does_not_take_the_county_review(family, tekun_elder, policy, budget, orgs, city_officer):
    from yiyang.core.audit import Actor

    application = services.apply(family, {"elder_id": tekun_elder.pk})
    services.take_step(Actor(user=city_officer), application.pk, "street_approve")
    with pytest.raises(PermissionDenied):
        services.take_step(Actor(user=city_officer), application.pk, "county_approve", orgs_data(orgs))


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("西大街道花园社区 3 号楼 1 单元 201 室", "西大街道花园社区3号楼1单元201"),
        ("西大街道花园社区３幢１单元２０１", "西大街道花园社区3号楼1单元201"),
        ("西大街道花园社区3#1单元201室", "西大街道花园社区3号楼1单元201"),
    ],
)
def test_spellings_of_one_home_normalise_to_one_key(raw, expected):
    assert services.normalise_address(raw) == expected


def test_the_2020_national_list_is_seeded_with_7_basic_and_23_optional_items():
    from yiyang.renovation.models import Catalog

    catalog = Catalog.objects.get(code="mca-2020")
    items = list(catalog.items.all())
    assert len(items) == 30 and sum(i.tier == "basic" for i in items) == 7
    assert {i.number for i in items if i.verified} == set(range(1, 9))
    assert {i.group for i in items} == {"地面", "门", "卧室", "如厕洗浴设备", "厨房设备", "物理环境", "老年用品配置"}
    assert not Catalog.objects.get(code="mohurd-2023").is_complete


def test_a_complaint_about_the_contractor_counts_in_its_complaint_rate(approved, managers, family, officer):
    from yiyang.renovation import reports

    with pytest.raises(Conflict):
        services.complain(family, approved.pk, "还没开工就来要钱")  # no works yet: nothing to complain about
    services.propose_plan(managers[OrgRole.ASSESS], approved.pk, plan_for(approved))
    services.take_step(family, approved.pk, "confirm")
    with pytest.raises(FieldErrors) as refused:
        services.complain(family, approved.pk, "")
    assert "text" in refused.value.fields
    services.complain(family, approved.pk, "施工后卫生间地面有积水，工人未清理垃圾")
    (row,) = [r for r in reports.contractor_quality(officer.user, "411002000000", 2026)
              if r["contractor_id"] == approved.contractor_id]  # fmt: skip
    assert row["households"] == 1 and row["complained"] == 1 and row["complaint_rate"] == 100.0
    whole, _ = reports.progress(officer.user, "411002000000", 2026)
    assert whole.complaints == 1 and whole.in_progress == 1 and whole.target == 5


def test_indicators_show_the_county_and_roll_up_to_the_city(approved, managers, family, officer, city_officer):
    from datetime import date

    from yiyang.analytics import indicators

    services.propose_plan(managers[OrgRole.ASSESS], approved.pk, plan_for(approved))
    services.take_step(family, approved.pk, "confirm")
    today = date(2026, 6, 1)
    county, _ = indicators.gather(officer.user, "411002000000", today=today)
    values = indicators.values(county)
    assert values["renovation_applications"] == 1 and values["renovation_target"] == 5
    approved.refresh_from_db()
    assert values["renovation_committed"] == approved.subsidy / 100 == 1220.0
    city, children = indicators.gather(city_officer, "411000000000", today=today)
    assert indicators.values(city)["renovation_committed"] == 1220.0
    assert indicators.values(city)["renovation_target"] == 5
    assert sum(indicators.values(c)["renovation_applications"] for c in children) == 1


def test_a_region_derives_its_own_catalog_and_its_policy_uses_it(officer, neighbour_officer, regions):
    from yiyang.core.audit import Actor

    variant = services.derive_catalog(officer, "mca-2020", "411002000000", "weidu-2026", "魏都区适老化改造目录",
                                      {14: {"tier": "basic", "reference_price": 90_000}})  # fmt: skip
    items = {i.number: i for i in variant.items.all()}
    assert len(items) == 30 and sum(i.tier == "basic" for i in items.values()) == 8
    assert items[14].reference_price == 90_000 and variant.based_on.code == "mca-2020"
    policy = services.save_policy(officer, "411002000000", 2026, "weidu-2026", {"tekun": CAP})
    assert policy.catalog == variant
    with pytest.raises(PermissionDenied):
        services.derive_catalog(Actor(user=neighbour_officer), "mca-2020", "411002000000", "x-2026", "越权")
    with pytest.raises(FieldErrors) as refused:
        services.derive_catalog(officer, "mca-2020", "411002000000", "weidu-2026", "重复")
    assert "code" in refused.value.fields


def test_figures_group_by_child_region_not_by_household(officer, family, tekun_elder, make_elder, policy, budget,
                                                        orgs):  # fmt: skip
    from yiyang.renovation import reports

    others = [make_elder(name=f"老人{n}", categories=categories.to_bits(["tekun"]), address=f"西大街 {n + 10} 号",
                         region_code=code)
              for n, code in enumerate(["411002001001", "411002001002", "411002002001"])]  # fmt: skip
    for elder in [tekun_elder, *others]:
        application = services.apply(officer, {"elder_id": elder.pk})
        services.take_step(officer, application.pk, "street_approve")
        services.take_step(officer, application.pk, "county_approve", orgs_data(orgs))
    whole, children = reports.progress(officer.user, "411002000000", 2026)
    assert whole.in_progress == 4 and whole.committed == 4 * CAP
    assert {c.code: (c.in_progress, c.committed) for c in children} == {
        "411002001": (3, 3 * CAP),
        "411002002": (1, CAP),
    }
