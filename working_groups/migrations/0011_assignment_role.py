"""The accounts of a municipality become assignments with a role: the table of
the many-to-many relation stays (with its rows) and gains the role, filled from
the account's role group."""

from django.conf import settings
from django.db import migrations, models

ROLES = [
    ("bureau", "Commissioner's bureau"),
    ("council", "Advisory council member"),
    ("office_staff", "Office staff"),
]


def fill_roles(apps, schema_editor):
    """Each assignment takes the role its account had for the whole instance: the
    role group, where it has exactly one (the accounts page gave one). An account
    with none or several keeps an empty role, which reads as its role groups
    (working_groups.Assignment)."""
    Assignment = apps.get_model("working_groups", "Assignment")
    Group = apps.get_model("auth", "Group")
    db = schema_editor.connection.alias
    roles = {}
    for name, user_id in Group.objects.using(db).filter(
        name__in=[value for value, _label in ROLES]
    ).values_list("name", "user"):
        if user_id is not None:
            roles.setdefault(user_id, set()).add(name)
    for user_id, names in roles.items():
        if len(names) == 1:
            Assignment.objects.using(db).filter(user_id=user_id, role="").update(
                role=names.pop()
            )


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("working_groups", "0010_municipality_administration"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        # The model of the existing table, and the relation through it: the
        # database already has both.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Assignment",
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
                            "municipality",
                            models.ForeignKey(
                                on_delete=models.deletion.CASCADE,
                                related_name="assignments",
                                to="working_groups.municipality",
                                verbose_name="municipality",
                            ),
                        ),
                        (
                            "user",
                            models.ForeignKey(
                                on_delete=models.deletion.CASCADE,
                                related_name="assignments",
                                to=settings.AUTH_USER_MODEL,
                                verbose_name="account",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "assignment",
                        "verbose_name_plural": "assignments",
                        "db_table": "working_groups_municipality_accounts",
                        "ordering": ["municipality__name", "user__username"],
                        "unique_together": {("municipality", "user")},
                    },
                ),
                migrations.AlterField(
                    model_name="municipality",
                    name="accounts",
                    field=models.ManyToManyField(
                        blank=True,
                        help_text=(
                            "The people who work with this municipality's records. What "
                            "their role lets them read and change, they read and change "
                            "here only."
                        ),
                        related_name="municipalities",
                        through="working_groups.Assignment",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="accounts",
                    ),
                ),
            ],
        ),
        migrations.AddField(
            model_name="assignment",
            name="role",
            field=models.CharField(
                blank=True,
                choices=ROLES,
                help_text="What the account reads and changes in this municipality.",
                max_length=20,
                verbose_name="role",
            ),
        ),
        migrations.RunPython(fill_roles, migrations.RunPython.noop),
    ]
