"""The base for region-owned rows: one declaration gives the codes, the scoping and the county key."""

import pytest

from yiyang.core.owned import RegionOwned
from yiyang.core.scoping import ScopedQuerySet


def _region_owned_models():
    from django.apps import apps

    return [m for m in apps.get_models() if issubclass(m, RegionOwned)]


def test_region_owned_models_are_scoped_by_their_region_code():
    models = _region_owned_models()
    assert models
    for model in models:
        assert model.scope.region == "region_code"
        assert isinstance(model.objects.all(), ScopedQuerySet)


def test_a_model_keeps_its_own_label_for_the_region_code():
    from yiyang.homecare.models import MealSubsidyRule

    assert MealSubsidyRule._meta.get_field("region_code").verbose_name == "适用区划代码"
    assert MealSubsidyRule._meta.get_field("county_code").verbose_name == "县（区）代码"
    assert [f.name for f in MealSubsidyRule._meta.fields][:3] == ["id", "region_code", "county_code"]


@pytest.mark.django_db
def test_the_county_code_follows_from_the_region_code_when_left_empty():
    from yiyang.homecare.models import MealSubsidyRule

    rule = MealSubsidyRule.objects.create(region_code="411002001001", category="tekun", amount=300)
    assert rule.county_code == "411002"
