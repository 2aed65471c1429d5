"""A clinic chooses its ruleset (spec section 11); sign-offs and decisions record theirs.

Sign-offs and decisions recorded before this migration were made under the
only ruleset there was, standard-1.
"""

import django.db.models.deletion
from django.db import migrations, models

RULESETS = [("standard-1", "standard-1"), ("standard-2", "standard-2")]


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("eligibility", "0001_initial"),
    ]

    operations = [
        migrations.CreateModel(
            name="ClinicRuleset",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "ruleset",
                    models.CharField(choices=RULESETS, default="standard-2", max_length=20),
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
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(("ruleset__in", ("standard-1", "standard-2"))),
                        name="clinic_ruleset_known",
                    )
                ],
            },
        ),
        migrations.AddField(
            model_name="flagsignoff",
            name="ruleset",
            field=models.CharField(choices=RULESETS, default="standard-1", max_length=20),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="startdecision",
            name="ruleset",
            field=models.CharField(choices=RULESETS, default="standard-1", max_length=20),
            preserve_default=False,
        ),
    ]
