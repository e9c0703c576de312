"""Data migrations of the facility registry, run against rows written in the schema before them."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("facilities", "0003_facility_star_rating_valid_until")]
AFTER = [("facilities", "0004_facility_code_once")]


@pytest.mark.django_db(transaction=True)
def test_existing_codes_are_registered_oldest_facility_first():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps.get_model("facilities", "Facility")
    common = {"name": "养老院", "facility_type": "institution", "address": "某路 1 号"}
    first = old.objects.create(code="X-1", region_code="411002001001", county_code="411002", **common)
    old.objects.create(code="X-1", region_code="411003100201", county_code="411003", **common)  # a clash from before
    only = old.objects.create(code="X-2", region_code="411002001001", county_code="411002", **common)

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(AFTER)
    new_apps = executor.loader.project_state(AFTER).apps
    codes = dict(new_apps.get_model("facilities", "FacilityCode").objects.values_list("code", "facility_id"))
    assert codes == {"X-1": first.pk, "X-2": only.pk}

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())  # leave the database as the other tests expect it
