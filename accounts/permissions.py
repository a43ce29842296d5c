"""Who runs which accounts: the one place where this is decided.

The bureau invites and runs the accounts of office staff and council members of
the municipality it works in, and their roles there: an account that also works
with another municipality keeps its role there. Only the administrator (superuser)
makes or changes bureau accounts, and the accounts of administrators are changed in
the Django admin only. Nobody changes their own role or deactivates themselves here.
"""

from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef, Q

from helpers.roles import Role, is_bureau, working_in
from working_groups.models import Assignment

User = get_user_model()


def can_manage_accounts(user):
    return is_bureau(user)


def assignable_roles(user):
    """The roles ``user`` may give an account, in the order the form offers them."""
    roles = [Role.OFFICE_STAFF, Role.COUNCIL]
    if user.is_superuser:
        roles.append(Role.BUREAU)
    return roles


def managed_accounts(user, queryset=None):
    """The accounts ``user`` sees on the accounts page: for the bureau those that
    work with the municipality it works in as office staff, council members or
    without a role, never the bureau's own or the administration's (staff without a
    bureau role anywhere) accounts; for the administrator every account. An account
    of another municipality is not there at all (its pages answer 404)."""
    queryset = User.objects.all() if queryset is None else queryset
    if not can_manage_accounts(user):
        return queryset.none()
    if user.is_superuser:
        return queryset
    here = Assignment.all_objects.filter(user=OuterRef("pk"), municipality=working_in(user))
    bureau_group = User.groups.through.objects.filter(user=OuterRef("pk"), group__name=Role.BUREAU)
    return queryset.filter(
        # Not the bureau here (an assignment without a role: as its groups say).
        Exists(here.exclude(role=Role.BUREAU).exclude(role="", user__groups__name=Role.BUREAU)),
        is_superuser=False,
    ).exclude(Q(is_staff=True) & ~Exists(bureau_group))


def can_change_account(user, account):
    """Edit, deactivate, re-invite: an account of ``managed_accounts(user)`` that is
    neither the user's own nor an administrator's."""
    return (
        can_manage_accounts(user)
        and account.pk != user.pk
        and not account.is_superuser
        and managed_accounts(user, User.objects.filter(pk=account.pk)).exists()
    )


def can_change_address(user, account):
    """Whoever controls an account's e-mail address can reset its password and act as
    the person. So once the person has chosen a password, the bureau cannot change
    the address: it deactivates the account and invites the person with the new one.
    An invitation not yet taken up may go to another address (the old one is told).
    Administrators set passwords in the Django admin anyway; the rule does not hold
    them back."""
    return not account.has_usable_password() or (user is not None and user.is_superuser)
