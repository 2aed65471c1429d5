"""The consultation record's models now belong to eligibility (its migration 0003, which
keeps their tables): the patients app forgets them here without dropping a table."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("patients", "0003_contact_details_and_email_change"),
        ("eligibility", "0003_consultation_record"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.DeleteModel(name="Allergy"),
                migrations.DeleteModel(name="Condition"),
                migrations.DeleteModel(name="Medication"),
                migrations.DeleteModel(name="Preventive"),
                migrations.DeleteModel(name="ToxinExposure"),
            ],
        ),
    ]
