"""Providers and caregivers move to the providers registry (ADR 0010).

Provider and caregiver ids are kept, so `Order.provider_id`, `Order.caregiver_id` and the `scope_id` of
caregiver memberships need no rewriting. A caregiver becomes a carer (`providers.Staff`); the skill
level and certificate number become a carer certificate; each training record becomes a one-person
class of the provider with the person's attendance.
"""

import django.db.models.deletion
from django.core.management.color import no_style
from django.db import migrations, models

BATCH = 2000


def carer_number(taken: set, county: str, number: str) -> tuple[str, str]:
    """The certificate number to store and a note for the issuer field: a number already used in the
    county (a typing slip in the old registry, which did not check) is kept in the note instead."""
    if not number or (county, number) not in taken:
        taken.add((county, number))
        return number, ""
    return "", f"原证书编号 {number} 与他人重复，待核实"


def copy_registry(apps, schema_editor):
    OldProvider = apps.get_model("homecare", "Provider")
    OldCaregiver = apps.get_model("homecare", "Caregiver")
    OldTraining = apps.get_model("homecare", "CaregiverTraining")
    Provider = apps.get_model("providers", "Provider")
    Staff = apps.get_model("providers", "Staff")
    Certificate = apps.get_model("providers", "Certificate")
    TrainingClass = apps.get_model("providers", "TrainingClass")
    Attendance = apps.get_model("providers", "Attendance")
    fields = ["id", "name", "region_code", "county_code", "service_regions", "service_items", "phone", "is_active"]
    Provider.objects.bulk_create(
        (Provider(**{f: getattr(p, f) for f in fields}) for p in OldProvider.objects.order_by("id").iterator()),
        batch_size=BATCH,
    )
    region_of = dict(Provider.objects.values_list("id", "region_code"))
    taken: set = set()
    people, certificates = [], []
    for c in OldCaregiver.objects.order_by("id").iterator():
        people.append(Staff(
            id=c.id, provider_id=c.provider_id, region_code=region_of[c.provider_id], county_code=c.county_code,
            name=c.name, role="carer", phone=c.phone, skill_level=c.skill_level, is_active=c.is_active, lat=c.lat,
            lng=c.lng, work_regions=c.work_regions, work_days=c.work_days, work_start=c.work_start,
            work_end=c.work_end,
        ))  # fmt: skip
        if c.skill_level is not None or c.certificate_no:
            number, note = carer_number(taken, c.county_code, c.certificate_no)
            certificates.append(Certificate(staff_id=c.id, county_code=c.county_code, kind="carer",
                                            level=c.skill_level, number=number, issuer=note))  # fmt: skip
    Staff.objects.bulk_create(people, batch_size=BATCH)
    Certificate.objects.bulk_create(certificates, batch_size=BATCH)
    for t in OldTraining.objects.select_related("caregiver").order_by("id").iterator():
        training = TrainingClass.objects.create(
            region_code=region_of[t.caregiver.provider_id], county_code=t.county_code,
            provider_id=t.caregiver.provider_id, organiser=t.organiser, topic=t.topic, starts_on=t.trained_on,
            ends_on=t.trained_on, hours=t.hours,
        )  # fmt: skip
        Attendance.objects.create(training=training, staff_id=t.caregiver_id, county_code=t.county_code,
                                  hours=t.hours, certificate_no=t.certificate_no)  # fmt: skip
    reset_sequences(schema_editor, [Provider, Staff])


def reset_sequences(schema_editor, models_):
    """Rows inserted with explicit ids leave PostgreSQL's id sequences behind; move them past the rows."""
    connection = schema_editor.connection
    for sql in connection.ops.sequence_reset_sql(no_style(), models_):
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [
        ("homecare", "0007_order_confirmation"),
        ("providers", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(copy_registry, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="order",
            name="caregiver",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="orders",
                to="providers.staff",
            ),  # fmt: skip
        ),
        migrations.AlterField(
            model_name="order",
            name="provider",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="orders",
                to="providers.provider",
            ),  # fmt: skip
        ),
        migrations.DeleteModel(name="CaregiverTraining"),
        migrations.DeleteModel(name="Caregiver"),
        migrations.DeleteModel(name="Provider"),
    ]
