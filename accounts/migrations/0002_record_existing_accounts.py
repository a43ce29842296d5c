"""Every account that exists when the history begins gets a first record (its state
then, reason "recorded"), so that the first change made afterwards shows what it
changed rather than a bare first state."""

from django.db import migrations
from django.utils import timezone

ROLES = ("bureau", "council", "office_staff")
UNUSABLE_PASSWORD_PREFIX = "!"


def record_existing(apps, schema_editor):
    User = apps.get_model("auth", "User")
    HistoricalUser = apps.get_model("accounts", "HistoricalUser")
    Office = apps.get_model("working_groups", "Office")
    now = timezone.now()
    fields = [
        "id",
        "username",
        "first_name",
        "last_name",
        "email",
        "is_staff",
        "is_active",
        "is_superuser",
        "date_joined",
    ]
    records = []
    for user in User.objects.prefetch_related("groups").iterator(chunk_size=500):
        offices = Office.objects.filter(staff=user).select_related("municipality")
        records.append(
            HistoricalUser(
                **{name: getattr(user, name) for name in fields},
                roles=",".join(sorted(g.name for g in user.groups.all() if g.name in ROLES)),
                offices="; ".join(
                    f"{o.code} {o.name}" if o.code and o.name else (o.name or f"Amt {o.code}")
                    for o in offices
                ),
                password_set=not user.password.startswith(UNUSABLE_PASSWORD_PREFIX),
                history_date=now,
                history_type="~",
                history_change_reason="recorded",
            )
        )
    HistoricalUser.objects.bulk_create(records, batch_size=500)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_account_history"),
        ("working_groups", "0003_office_position"),
    ]

    operations = [migrations.RunPython(record_existing, migrations.RunPython.noop)]
