"""The roles of DESIGN.md, kept as Django groups so the admin can assign them.

A role is a group with a fixed name. Which offices a staff member works for is a
relation on the office (``Office.staff``), not a group, because one person can work
for several offices.
"""

from django.contrib.auth.models import Group, Permission
from django.db import models
from django.utils.translation import gettext_lazy as _

# Apps whose records the bureau keeps (through the admin and the workspace).
BUREAU_APPS = ("working_groups", "measures", "reports")


class Role(models.TextChoices):
    BUREAU = "bureau", _("Commissioner's bureau")
    COUNCIL = "council", _("Advisory council member")
    OFFICE_STAFF = "office_staff", _("Office staff")


def role_names(user):
    """The names of the user's role groups, read once per request (the user object
    lives as long as the request) and kept on the user. Only the fixed role names
    count, so a group whose name merely resembles one grants nothing."""
    if not user.is_authenticated or not user.is_active:
        return frozenset()
    if not hasattr(user, "_role_names"):
        user._role_names = frozenset(
            user.groups.filter(name__in=Role.values).values_list("name", flat=True)
        )
    return user._role_names


def has_role(user, role):
    return role in role_names(user)


def is_bureau(user):
    return user.is_authenticated and (user.is_superuser or has_role(user, Role.BUREAU))


def is_council(user):
    return has_role(user, Role.COUNCIL)


def is_office_staff(user):
    return has_role(user, Role.OFFICE_STAFF)


def ensure_role_groups(using="default"):
    """Create the role groups and give the bureau the permissions it needs.

    Idempotent; runs after every migration so a new database has the roles.
    """
    groups = {}
    for role in Role:
        groups[role], _created = Group.objects.using(using).get_or_create(name=role.value)
    bureau_perms = Permission.objects.using(using).filter(content_type__app_label__in=BUREAU_APPS)
    groups[Role.BUREAU].permissions.set(bureau_perms)
    return groups
