"""The clinic's policies and ruleset now belong to accounts (its migration 0004, which
keeps their tables): eligibility forgets them here without dropping a table."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("eligibility", "0003_consultation_record"),
        ("accounts", "0004_clinic_rules"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.DeleteModel(name="ClinicPolicy"),
                migrations.DeleteModel(name="ClinicRuleset"),
            ],
        ),
    ]
