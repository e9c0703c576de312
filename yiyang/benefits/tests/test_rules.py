from datetime import date

import pytest

from conftest import make_id_number
from yiyang.benefits import rules
from yiyang.benefits.months import add_months, first_of

pytestmark = pytest.mark.django_db


def test_age_counts_from_the_month_after_the_birthday():
    birth = date(1946, 5, 20)
    assert rules.age_for_month(birth, date(2026, 5, 1)) == 79  # the birthday month itself: still 79
    assert rules.age_for_month(birth, date(2026, 6, 1)) == 80


def test_start_month_after_birthday_but_not_before_the_application(old_age, make_elder):
    elder = make_elder(id_number=make_id_number(birth=date(1946, 5, 20)))
    assert rules.start_month(old_age, elder, date(2026, 5, 25), date(2026, 4, 2)) == date(2026, 6, 1)
    assert rules.start_month(old_age, elder, date(2026, 9, 3), date(2026, 8, 30)) == date(2026, 8, 1)


def test_care_subsidy_needs_economic_difficulty_and_a_capability_level_and_pays_by_level(programs, make_elder):
    from yiyang.elders import categories
    from yiyang.elders.models import Elder

    care = programs["care"]
    month = add_months(first_of(date.today()), 1)
    elder = make_elder(id_number=make_id_number(birth=date(1950, 1, 1)))
    assert rules.check(care, elder, month).rule == "category"
    Elder.objects.filter(pk=elder.pk).update(categories=categories.to_bits(["dibao"]), capability_level=1)
    elder.refresh_from_db()
    assert rules.check(care, elder, month).rule == "capability"
    Elder.objects.filter(pk=elder.pk).update(capability_level=3)
    elder.refresh_from_db()
    assert rules.check(care, elder, month) is None
    bands = list(care.bands.all())
    assert rules.band_for(bands, 76, 3).label == "重度失能"


def test_service_subsidy_is_refused_to_an_elder_in_a_facility(programs, make_elder, facility):
    from yiyang.elders import categories
    from yiyang.elders.models import Elder

    elder = make_elder(id_number=make_id_number(birth=date(1950, 1, 1)))
    Elder.objects.filter(pk=elder.pk).update(categories=categories.to_bits(["tekun"]), facility_id=facility.pk)
    elder.refresh_from_db()
    refusal = rules.check(programs["service"], elder, add_months(first_of(date.today()), 1))
    assert refusal.rule == "facility" and "居家" in refusal.text


def test_an_invalid_id_number_is_refused_by_its_rule(old_age, make_elder):
    from yiyang.elders.models import Elder

    elder = make_elder(id_number=make_id_number(birth=date(1940, 1, 1)))
    wrong = "0" if elder.id_number[-1] != "0" else "1"
    Elder.objects.filter(pk=elder.pk).update(id_number=elder.id_number[:-1] + wrong)
    elder.refresh_from_db()
    assert rules.check(old_age, elder, date(2026, 1, 1)).rule == "id_number"
