"""Email addresses sign in (issue 16.1), so one address may belong to one account only,
whatever its letter case.

Existing accounts whose addresses differ only in case are resolved before the
constraint is added: the account that signed in most recently (then the newest)
keeps the address; the others lose it (they still sign in with their username).
The accounts changed are listed by id (never by address) when the migration runs,
so an administrator can follow up.
"""

from typing import Any

import django.db.models.functions.text
from django.db import migrations, models


def resolve_duplicates(apps: Any, schema_editor: Any) -> None:
    User = apps.get_model("accounts", "User")
    groups: dict[str, list[Any]] = {}
    for user in User.objects.exclude(email__isnull=True).exclude(email="").order_by("pk"):
        groups.setdefault(user.email.casefold(), []).append(user)
    for users in groups.values():
        if len(users) < 2:
            continue
        users.sort(
            key=lambda u: (u.last_login is not None, u.last_login or u.date_joined, u.pk),
            reverse=True,
        )
        keeper, *others = users
        for user in others:
            User.objects.filter(pk=user.pk).update(email=None)
            print(
                f"\n  accounts: user {user.pk} lost its email address, which user "
                f"{keeper.pk} also had (in another letter case); it signs in by username."
            )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_clinic_country_and_role_changes"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [
        migrations.AlterField(
            model_name="user",
            name="email",
            field=models.EmailField(blank=True, max_length=254, null=True),
        ),
        migrations.RunPython(resolve_duplicates, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="user",
            constraint=models.UniqueConstraint(
                django.db.models.functions.text.Lower("email"),
                condition=models.Q(
                    ("email__isnull", False), models.Q(("email", ""), _negated=True)
                ),
                name="user_email_unique_any_case",
                violation_error_message="Another account already uses this email address.",
            ),
        ),
    ]
