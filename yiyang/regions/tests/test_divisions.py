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
