"""Seed the national catalogs (yiyang/renovation/catalogs.py), so that every database has them."""

from django.db import migrations


def seed(apps, schema_editor):
    from yiyang.renovation import catalogs

    catalogs.seed(apps.get_model("renovation", "Catalog"), apps.get_model("renovation", "CatalogItem"))


class Migration(migrations.Migration):
    dependencies = [("renovation", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
