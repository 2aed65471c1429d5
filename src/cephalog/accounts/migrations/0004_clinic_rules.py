"""The clinic's rules (its own eligibility policies and the ruleset it assesses with) move
from eligibility to accounts, beside the clinic they configure: the diary counts days by
them, and the diary is below eligibility (docs/adr/0012-layers.md).

A move, not a copy: the models keep their tables (`eligibility_clinicpolicy`,
`eligibility_clinicruleset`), so this migration changes only Django's idea of which app
owns them, and the rows stay where they are. Their content types are renamed to
accounts', keeping their ids. `cephalog.eligibility` 0004 forgets the models there.
"""

import django.db.models.deletion
from django.db import migrations, models

MOVED = ["clinicpolicy", "clinicruleset"]


def _rename_content_types(apps, schema_editor, old, new):
    """Give the moved models' content types to `new`, unless `new` already has its own."""
    content_type = apps.get_model("contenttypes", "ContentType")
    db = schema_editor.connection.alias
    for model in MOVED:
        if not content_type.objects.using(db).filter(app_label=new, model=model).exists():
            content_type.objects.using(db).filter(app_label=old, model=model).update(app_label=new)


def forwards(apps, schema_editor):
    _rename_content_types(apps, schema_editor, "eligibility", "accounts")


def backwards(apps, schema_editor):
    _rename_content_types(apps, schema_editor, "accounts", "eligibility")


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_email_unique_any_case"),
        ("contenttypes", "0002_remove_content_type_name"),
        # The tables are made there (0001, 0002); the state here follows them.
        ("eligibility", "0002_clinic_ruleset"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name="ClinicPolicy",
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
                            "name",
                            models.SlugField(
                                help_text="Short code, e.g. 'payer-4-preventives'. Not a built-in name.",
                                max_length=40,
                            ),
                        ),
                        ("title", models.CharField(max_length=200)),
                        ("definition", models.JSONField(default=dict)),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        ("updated_at", models.DateTimeField(auto_now=True)),
                        (
                            "clinic",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="policies",
                                to="accounts.clinic",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "clinic policy",
                        "verbose_name_plural": "clinic policies",
                        "db_table": "eligibility_clinicpolicy",
                        "ordering": ["name"],
                        "constraints": [
                            models.UniqueConstraint(
                                fields=("clinic", "name"), name="clinic_policy_name_unique"
                            )
                        ],
                    },
                ),
                migrations.CreateModel(
                    name="ClinicRuleset",
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
                            "ruleset",
                            models.CharField(
                                choices=[
                                    ("standard-1", "standard-1"),
                                    ("standard-2", "standard-2"),
                                ],
                                default="standard-2",
                                max_length=20,
                            ),
                        ),
                        ("updated_at", models.DateTimeField(auto_now=True)),
                        (
                            "clinic",
                            models.OneToOneField(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="ruleset_setting",
                                to="accounts.clinic",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "clinic ruleset",
                        "db_table": "eligibility_clinicruleset",
                        "constraints": [
                            models.CheckConstraint(
                                condition=models.Q(("ruleset__in", ("standard-1", "standard-2"))),
                                name="clinic_ruleset_known",
                            )
                        ],
                    },
                ),
            ],
        ),
        migrations.RunPython(forwards, backwards),
    ]
