"""The consultation record (preventives, medicines, conditions, allergies, botulinum toxin
given for other reasons) moves from the patients app to eligibility, which reads it for
screening (docs/adr/0012-layers.md).

A move, not a copy: the models keep their tables (`patients_preventive`, ...), so this
migration changes only Django's idea of which app owns them, and the rows stay where they
are. Their content types (what the admin's history and any permission name) are renamed
to eligibility's, keeping their ids. `cephalog.patients` 0004 forgets the models there.
"""

import django.db.models.deletion
from django.db import migrations, models

MOVED = ["preventive", "medication", "condition", "allergy", "toxinexposure"]


def _rename_content_types(apps, schema_editor, old, new):
    """Give the moved models' content types to `new`, unless `new` already has its own."""
    content_type = apps.get_model("contenttypes", "ContentType")
    db = schema_editor.connection.alias
    for model in MOVED:
        if not content_type.objects.using(db).filter(app_label=new, model=model).exists():
            content_type.objects.using(db).filter(app_label=old, model=model).update(app_label=new)


def forwards(apps, schema_editor):
    _rename_content_types(apps, schema_editor, "patients", "eligibility")


def backwards(apps, schema_editor):
    _rename_content_types(apps, schema_editor, "eligibility", "patients")


class Migration(migrations.Migration):
    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("eligibility", "0002_clinic_ruleset"),
        ("patients", "0003_contact_details_and_email_change"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name="Allergy",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        (
                            "code",
                            models.CharField(
                                choices=[("botulinum_toxin", "Botulinum toxin")],
                                default="botulinum_toxin",
                                max_length=40,
                            ),
                        ),
                        ("reaction", models.CharField(blank=True, max_length=200)),
                        (
                            "patient",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="allergies",
                                to="patients.patient",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name_plural": "allergies",
                        "db_table": "patients_allergy",
                    },
                ),
                migrations.CreateModel(
                    name="Medication",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("name", models.CharField(max_length=100)),
                        (
                            "drug_class",
                            models.CharField(
                                choices=[
                                    ("aminoglycoside", "Aminoglycoside"),
                                    ("neuromuscular_blocker", "Neuromuscular blocker"),
                                    ("anticholinergic", "Anticholinergic"),
                                    ("muscle_relaxant", "Muscle relaxant"),
                                    ("other", "Other"),
                                ],
                                max_length=30,
                            ),
                        ),
                        ("start", models.DateField(blank=True, null=True)),
                        ("stop", models.DateField(blank=True, null=True)),
                        (
                            "patient",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="medications",
                                to="patients.patient",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "patients_medication",
                        "ordering": ["name"],
                    },
                ),
                migrations.CreateModel(
                    name="ToxinExposure",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("date", models.DateField()),
                        ("product", models.CharField(blank=True, max_length=60)),
                        ("units", models.PositiveIntegerField()),
                        ("indication", models.CharField(max_length=60)),
                        (
                            "patient",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="toxin_exposures",
                                to="patients.patient",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "patients_toxinexposure",
                        "ordering": ["date"],
                    },
                ),
                migrations.CreateModel(
                    name="Condition",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        (
                            "code",
                            models.CharField(
                                choices=[
                                    ("myasthenia_gravis", "Myasthenia gravis"),
                                    ("lambert_eaton", "Lambert–Eaton syndrome"),
                                    ("als", "Amyotrophic lateral sclerosis"),
                                    ("motor_neuropathy", "Motor neuropathy"),
                                    ("dysphagia", "Dysphagia"),
                                    ("respiratory_compromise", "Respiratory compromise"),
                                    ("pregnancy", "Pregnancy"),
                                    ("breastfeeding", "Breastfeeding"),
                                    ("immunocompromised", "Weakened immune system"),
                                    ("multiple_sclerosis", "Multiple sclerosis"),
                                    ("cerebral_palsy", "Cerebral palsy"),
                                    (
                                        "injection_site_infection",
                                        "Infection at the injection sites",
                                    ),
                                ],
                                max_length=40,
                            ),
                        ),
                        ("noted_on", models.DateField(blank=True, null=True)),
                        ("resolved_on", models.DateField(blank=True, null=True)),
                        (
                            "patient",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="conditions",
                                to="patients.patient",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "patients_condition",
                        "constraints": [
                            models.UniqueConstraint(
                                fields=("patient", "code"), name="condition_once_per_patient"
                            )
                        ],
                    },
                ),
                migrations.CreateModel(
                    name="Preventive",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("name", models.CharField(max_length=100)),
                        (
                            "drug_class",
                            models.CharField(
                                choices=[
                                    ("antiepileptic", "Antiepileptic"),
                                    ("beta_blocker", "Beta blocker"),
                                    ("antidepressant", "Antidepressant"),
                                    ("arb_ace", "ARB / ACE inhibitor"),
                                    ("calcium_channel_blocker", "Calcium-channel blocker"),
                                    ("cgrp_mab", "CGRP monoclonal antibody"),
                                    ("gepant", "Gepant"),
                                    ("botulinum_toxin", "Botulinum toxin"),
                                    ("other", "Other"),
                                ],
                                max_length=30,
                            ),
                        ),
                        ("dose", models.CharField(blank=True, max_length=60)),
                        ("start", models.DateField(blank=True, null=True)),
                        ("stop", models.DateField(blank=True, null=True)),
                        (
                            "outcome",
                            models.CharField(
                                choices=[
                                    ("inadequate_response", "Inadequate response"),
                                    ("intolerance", "Intolerance"),
                                    ("contraindicated", "Contraindicated"),
                                    ("effective", "Effective"),
                                    ("ongoing", "Ongoing"),
                                ],
                                max_length=30,
                            ),
                        ),
                        (
                            "patient",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="preventives",
                                to="patients.patient",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "patients_preventive",
                        "ordering": ["start", "name"],
                        "constraints": [
                            models.CheckConstraint(
                                condition=models.Q(
                                    ("stop__isnull", True),
                                    ("start__isnull", True),
                                    ("stop__gte", models.F("start")),
                                    _connector="OR",
                                ),
                                name="preventive_stop_after_start",
                            )
                        ],
                    },
                ),
            ],
        ),
        migrations.RunPython(forwards, backwards),
    ]
