"""The workforce moves to the providers registry (ADR 0010), and a complaint's provider becomes a
foreign key.

Supervision staff join the caregivers carried over from home care in one table. A provider's staff
member with the same provider, name and phone as a caregiver is that caregiver: the two rows become
one (the caregiver's id, the staff row's employment details, both sets of certificates and training).
Every other person keeps their row under a new id (old id + the highest caregiver id), and so do
certificates, classes and attendance (old id + the highest id already in their new table), so that
each new id follows from the old one. A provider id that names no provider row (the old registry
stored it without a foreign key) gets an inactive placeholder provider so that no row is lost.
"""

import django.db.models.deletion
from django.core.management.color import no_style
from django.db import migrations, models
from django.db.models import Max

BATCH = 2000


def _offset(model) -> int:
    return model.objects.aggregate(top=Max("id"))["top"] or 0


def _placeholders(Provider, wanted: dict) -> None:
    """Inactive providers for ids that rows point to but no provider row has: {id: region_code}."""
    missing = set(wanted) - set(Provider.objects.filter(id__in=list(wanted)).values_list("id", flat=True))
    Provider.objects.bulk_create(
        Provider(id=pk, name=f"服务商 {pk}（迁移时补登）", region_code=wanted[pk], county_code=wanted[pk][:6],
                 service_regions=[], service_items=[], is_active=False)
        for pk in sorted(missing)
    )  # fmt: skip


def copy_workforce(apps, schema_editor):
    OldStaff = apps.get_model("supervision", "Staff")
    OldCertificate = apps.get_model("supervision", "Certificate")
    OldTraining = apps.get_model("supervision", "TrainingClass")
    OldAttendance = apps.get_model("supervision", "Attendance")
    Complaint = apps.get_model("supervision", "Complaint")
    Provider = apps.get_model("providers", "Provider")
    Staff = apps.get_model("providers", "Staff")
    Certificate = apps.get_model("providers", "Certificate")
    TrainingClass = apps.get_model("providers", "TrainingClass")
    Attendance = apps.get_model("providers", "Attendance")

    wanted = dict(OldStaff.objects.filter(provider_id__isnull=False).values_list("provider_id", "region_code"))
    wanted.update(Complaint.objects.filter(provider_id__isnull=False).values_list("provider_id", "region_code"))
    _placeholders(Provider, wanted)

    caregivers = {
        (provider_id, name, phone): pk
        for pk, provider_id, name, phone in Staff.objects.filter(provider__isnull=False).values_list(
            "id", "provider_id", "name", "phone"
        )
        if phone
    }
    staff_offset = _offset(Staff)
    details = ["region_code", "county_code", "name", "role", "is_director", "phone", "education", "hired_on",
               "left_on", "is_full_time", "trained_junior_standard", "created_at"]  # fmt: skip
    new_id, merged, people = {}, [], []
    for s in OldStaff.objects.order_by("id").iterator():
        same = caregivers.get((s.provider_id, s.name, s.phone)) if s.provider_id else None
        if same is not None:
            new_id[s.id] = same
            merged.append((same, s))
            continue
        new_id[s.id] = staff_offset + s.id
        people.append(Staff(id=staff_offset + s.id, facility_id=s.facility_id, provider_id=s.provider_id,
                            **{f: getattr(s, f) for f in details}))  # fmt: skip
    Staff.objects.bulk_create(people, batch_size=BATCH)
    for pk, s in merged:
        # The caregiver's own name, phone, duty flag and working hours stay; employment comes from the
        # workforce register, which recorded it.
        Staff.objects.filter(pk=pk).update(**{f: getattr(s, f) for f in details if f not in ("name", "phone")})

    certificate_offset = _offset(Certificate)
    existing = {(c.county_code, c.kind, c.number): c for c in Certificate.objects.exclude(number="")}
    certificates = []
    for c in OldCertificate.objects.order_by("id").iterator():
        staff_id = new_id[c.staff_id]
        twin = existing.get((c.county_code, c.kind, c.number))
        if twin is not None and twin.staff_id == staff_id:
            # The caregiver's certificate number and the workforce certificate are one certificate.
            twin.level, twin.issuer, twin.issued_on, twin.created_at = c.level, c.issuer, c.issued_on, c.created_at
            twin.save(update_fields=["level", "issuer", "issued_on", "created_at"])
            continue
        if twin is not None:
            # The workforce register checked its numbers; the caregiver registry did not: the
            # caregiver's copy gives way and keeps its number in a note.
            twin.issuer, twin.number = f"原证书编号 {twin.number} 与他人重复，待核实", ""
            twin.save(update_fields=["issuer", "number"])
        certificates.append(Certificate(
            id=certificate_offset + c.id, staff_id=staff_id, county_code=c.county_code, kind=c.kind, level=c.level,
            number=c.number, issuer=c.issuer, issued_on=c.issued_on, created_at=c.created_at,
        ))  # fmt: skip
    Certificate.objects.bulk_create(certificates, batch_size=BATCH)

    training_offset = _offset(TrainingClass)
    TrainingClass.objects.bulk_create(
        (TrainingClass(id=training_offset + t.id, region_code=t.region_code, county_code=t.county_code,
                       facility_id=t.facility_id, organiser=t.organiser, topic=t.topic, starts_on=t.starts_on,
                       ends_on=t.ends_on, hours=t.hours, created_by_id=t.created_by_id, created_at=t.created_at)
         for t in OldTraining.objects.order_by("id").iterator()),
        batch_size=BATCH,
    )  # fmt: skip
    attendance_offset = _offset(Attendance)
    Attendance.objects.bulk_create(
        (Attendance(id=attendance_offset + a.id, training_id=training_offset + a.training_id,
                    staff_id=new_id[a.staff_id], county_code=a.county_code, hours=a.hours, passed=a.passed,
                    recorded_at=a.recorded_at)
         for a in OldAttendance.objects.order_by("id").iterator()),
        batch_size=BATCH,
    )  # fmt: skip

    # The best carer level of everyone whose certificates changed hands.
    touched = {pk for pk, _ in merged} | {c.staff_id for c in certificates}
    for pk in touched:
        levels = Certificate.objects.filter(staff_id=pk, kind="carer", level__isnull=False).values_list(
            "level", flat=True
        )
        Staff.objects.filter(pk=pk).update(skill_level=min(levels, default=None))

    connection = schema_editor.connection
    for sql in connection.ops.sequence_reset_sql(no_style(), [Provider, Staff, Certificate, TrainingClass,
                                                              Attendance]):  # fmt: skip
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [
        ("facilities", "0003_facility_star_rating_valid_until"),
        ("homecare", "0008_providers_registry"),
        ("providers", "0001_initial"),
        ("supervision", "0008_step_base"),
    ]

    operations = [
        migrations.RunPython(copy_workforce, migrations.RunPython.noop),
        migrations.DeleteModel(name="Attendance"),
        migrations.DeleteModel(name="Certificate"),
        migrations.DeleteModel(name="TrainingClass"),
        migrations.DeleteModel(name="Staff"),
        migrations.RemoveConstraint(model_name="complaint", name="complaint_one_subject"),
        # The column keeps its name (provider_id), its values and its index; it only gains the key.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(model_name="complaint", name="provider_id"),
                migrations.AddField(
                    model_name="complaint",
                    name="provider",
                    field=models.ForeignKey(
                        blank=True,
                        null=True,
                        db_constraint=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="providers.provider",
                        verbose_name="被投诉服务商",
                    ),  # fmt: skip
                ),
            ],
        ),
        migrations.AlterField(
            model_name="complaint",
            name="provider",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="providers.provider",
                verbose_name="被投诉服务商",
            ),  # fmt: skip
        ),
        migrations.AddConstraint(
            model_name="complaint",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("facility__isnull", False), ("provider__isnull", True)),
                    models.Q(("facility__isnull", True), ("provider__isnull", False)),
                    _connector="OR",
                ),
                name="complaint_one_subject",
            ),
        ),
    ]
