"""A region's own variant of the catalog, kept on a page: derived from the national list, item by item
offered or not, with its tier, unit, price and subsidy cap; validated, audited; a neighbour may neither
read the page for the county nor change the county's variant. The assessor's plan follows the variant."""

import pytest
from django.test import Client

from yiyang.core.errors import FieldErrors
from yiyang.core.models import AuditEntry
from yiyang.renovation import services
from yiyang.renovation.models import Catalog, CatalogItem, OrgRole

from .conftest import CAP, COUNTY, orgs_data

pytestmark = pytest.mark.django_db
URL = f"/renovation/variants/?region={COUNTY}"


def client_for(actor_or_user):
    client = Client()
    client.force_login(getattr(actor_or_user, "user", actor_or_user))
    return client


@pytest.fixture
def variant(officer, regions):
    return services.derive_catalog(officer, "mca-2020", COUNTY, "weidu-2026", "魏都区适老化改造目录")


def form_of(catalog, **changes):
    """The page's form as it comes back unchanged, with `changes` ({field_number: value}) applied."""
    data = {"form": "items", "catalog": catalog.code}
    for i in catalog.items.all():
        if i.offered:
            data[f"offered_{i.number}"] = "1"
        data[f"tier_{i.number}"] = i.tier
        data[f"unit_{i.number}"] = i.unit
        data[f"price_{i.number}"] = f"{i.reference_price / 100:.2f}"
        data[f"cap_{i.number}"] = "" if i.subsidy_cap is None else f"{i.subsidy_cap / 100:.2f}"
    for key, value in changes.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    return data


def test_the_county_officer_derives_a_variant_on_the_page(officer):
    client = client_for(officer)
    page = client.get(URL).content.decode()
    assert 'id="no-variant"' in page and 'id="derive-form"' in page
    response = client.post(URL, {"form": "derive", "base": "mca-2020", "name": "魏都区适老化改造目录",
                                 "code": "weidu-2026", "document": "魏民〔2026〕1号"})  # fmt: skip
    assert response.status_code == 302
    variant = Catalog.objects.get(code="weidu-2026")
    assert variant.region_code == COUNTY and variant.items.count() == 30
    page = client.get(response.url).content.decode()
    assert 'id="variant-form"' in page and "魏都区适老化改造目录" in page


def test_the_officer_sets_what_is_offered_and_the_caps_and_each_change_is_audited(officer, variant):
    client = client_for(officer)
    data = form_of(variant, offered_10=None, cap_14="500", price_14="900.00", tier_14="basic", unit_14="套")
    response = client.post(URL, data)
    assert response.status_code == 302
    items = {i.number: i for i in CatalogItem.objects.filter(catalog=variant)}
    assert not items[10].offered and items[14].subsidy_cap == 50_000 and items[14].reference_price == 90_000
    assert items[14].tier == "basic" and items[14].unit == "套"
    assert all(i.offered for n, i in items.items() if n != 10)
    variant.refresh_from_db()
    assert variant.version == 2
    entry = AuditEntry.objects.filter(object_type="renovation.catalog", object_id=str(variant.pk),
                                      action="update").get()  # fmt: skip
    assert set(entry.changes) == {"10. 配置护理床", "14. 蹲便器改坐便器"}
    assert entry.changes["14. 蹲便器改坐便器"]["subsidy_cap"] == [None, 50_000]
    assert entry.region_code == COUNTY
    # Saving the same form again changes nothing and writes nothing.
    client.post(URL, form_of(variant))
    variant.refresh_from_db()
    assert variant.version == 2 and AuditEntry.objects.filter(object_type="renovation.catalog",
                                                              action="update").count() == 1  # fmt: skip


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"offered_1": None}, "基础类项目“防滑处理”须在本地提供"),
        ({"price_3": "abc"}, "“平整硬化”的参考单价应为"),
        ({"cap_3": "-1"}, "“平整硬化”的单项补贴上限应为"),
        ({"unit_3": ""}, "“平整硬化”的单位应为"),
        ({"tier_3": "gold"}, "“平整硬化”的类型不是可选的类型"),
    ],
)
def test_bad_values_are_refused_with_the_reason_and_nothing_changes(officer, variant, changes, reason):
    client = client_for(officer)
    response = client.post(URL, form_of(variant, **changes), follow=True)
    assert reason in response.content.decode()
    variant.refresh_from_db()
    assert variant.version == 1
    assert not AuditEntry.objects.filter(object_type="renovation.catalog", action="update").exists()


def test_the_national_lists_are_not_edited(officer, regions):
    national = Catalog.objects.get(code="mca-2020")
    with pytest.raises(FieldErrors) as refused:
        services.save_variant_items(officer, national.pk, {3: {"offered": False}})
    assert "全国目录不能修改" in refused.value.fields["catalog"]


def test_a_neighbour_gets_404_for_the_page_and_cannot_change_the_variant(neighbour_officer, variant):
    from django.core.exceptions import PermissionDenied

    from yiyang.core.audit import Actor

    client = client_for(neighbour_officer)
    assert client.get(URL).status_code == 404
    assert client.post(URL, form_of(variant, offered_10=None)).status_code == 404
    with pytest.raises(PermissionDenied):
        services.save_variant_items(Actor(user=neighbour_officer), variant.pk, {10: {"offered": False}})
    assert CatalogItem.objects.get(catalog=variant, number=10).offered


def test_the_city_keeps_its_own_variant_and_the_county_page_offers_it_as_a_base(city_officer, officer, regions):
    from yiyang.core.audit import Actor

    city = Actor(user=city_officer)
    services.derive_catalog(city, "mca-2020", "411000000000", "xuchang-2026", "许昌市适老化改造目录")
    page = client_for(city).get("/renovation/variants/?region=411000000000").content.decode()
    assert "许昌市适老化改造目录" in page and 'id="variant-form"' in page
    county_page = client_for(officer).get(URL).content.decode()
    assert 'value="xuchang-2026"' in county_page and 'id="variant-form"' not in county_page


def test_a_viewer_reads_the_variant_without_forms(make_user, variant):
    from yiyang.core.roles import Role

    viewer = make_user(Role.VIEWER, region_code=COUNTY)
    page = client_for(viewer).get(URL).content.decode()
    assert "魏都区适老化改造目录" in page and 'id="save-variant"' not in page and 'id="derive-form"' not in page
    assert client_for(viewer).post(URL, form_of(variant, offered_10=None)).status_code == 302
    assert CatalogItem.objects.get(catalog=variant, number=10).offered


def test_the_plan_follows_the_variant_items_offered_and_their_caps(
    officer, root, variant, family, tekun_elder, budget, orgs, managers
):
    services.save_variant_items(officer, variant.pk, {10: {"offered": False}, 14: {"subsidy_cap": 50_000}})
    services.save_policy(root, COUNTY, 2026, "weidu-2026", {"tekun": CAP, "dibao": 200_000}, target=5)
    application = services.apply(family, {"elder_id": tekun_elder.pk})
    services.take_step(officer, application.pk, "street_approve")
    services.take_step(officer, application.pk, "county_approve", orgs_data(orgs))
    assessor = managers[OrgRole.ASSESS]
    items = {i.number: i for i in variant.items.all()}
    basic = [{"item_id": i.pk, "quantity": 1} for i in items.values() if i.tier == "basic"]
    with pytest.raises(FieldErrors) as refused:
        services.propose_plan(assessor, application.pk, {"lines": [*basic, {"item_id": items[10].pk}]})
    assert "不在本地提供" in str(refused.value.fields)
    # 蹲便器改坐便器 costs 800 yuan, its subsidy is capped at 500: the rest is the household's.
    lines = [*basic, {"item_id": items[14].pk}]
    total = sum(i.reference_price for i in items.values() if i.tier == "basic") + 80_000
    with pytest.raises(FieldErrors) as refused:
        services.propose_plan(assessor, application.pk, {"lines": lines})
    assert "各项目单项补贴上限之和" in refused.value.fields["self_pay"]
    with pytest.raises(FieldErrors) as refused:
        services.propose_plan(assessor, application.pk, {"lines": lines, "subsidy": total / 100})
    assert "各项目单项补贴上限之和" in refused.value.fields["subsidy"]
    done = services.propose_plan(assessor, application.pk, {"lines": lines, "self_pay": "300"})
    assert (done.subsidy, done.self_pay, done.plan_total) == (total - 30_000, 30_000, total)


def test_the_variants_page_keeps_its_queries_flat(officer, variant):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(officer)
    client.get(URL)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(URL).status_code == 200
    assert len(queries) <= 15, [q["sql"][:120] for q in queries.captured_queries]
