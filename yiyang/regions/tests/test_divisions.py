from django.core.management import call_command

from yiyang.regions.models import Region


def test_all_of_china_loads_with_every_ancestor_present(db):
    call_command("load_divisions", stdout=open("/dev/null", "w"))
    provinces = Region.objects.filter(level=1).count()
    assert provinces >= 31
    assert Region.objects.get(code="411002000000").name == "魏都区"
    codes = set(Region.objects.values_list("code", flat=True))
    orphans = Region.objects.exclude(level=1).exclude(parent_code__in=codes)
    assert not orphans.exists(), list(orphans[:5])
    # Loading again refreshes instead of duplicating.
    before = Region.objects.count()
    call_command("load_divisions", "--province", "41", stdout=open("/dev/null", "w"))
    assert Region.objects.count() == before


def test_a_placeholder_over_one_county_level_city_is_named_and_placed_after_it():
    from yiyang.regions.divisions import DIRECT_COUNTIES, load

    by_code = {d.code: d for d in load()}
    jiyuan, placeholder = by_code["419001000000"], by_code["419000000000"]
    assert placeholder.name == "济源市（省直辖）" and (placeholder.lat, placeholder.lng) == (jiyuan.lat, jiyuan.lng)
    # Hainan's and Hubei's placeholders hold several cities and keep the statistical name.
    assert by_code["429000000000"].name == DIRECT_COUNTIES and by_code["469000000000"].name == DIRECT_COUNTIES
