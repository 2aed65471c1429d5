"""Continuation decisions record the ruleset of the recommendation shown (spec section 11).

Decisions recorded before this migration were shown standard-1's recommendation.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("outcomes", "0002_day_codes"),
    ]

    operations = [
        migrations.AddField(
            model_name="continuationdecision",
            name="ruleset",
            field=models.CharField(
                choices=[("standard-1", "standard-1"), ("standard-2", "standard-2")],
                default="standard-1",
                max_length=20,
            ),
            preserve_default=False,
        ),
    ]
