"""Writing and reading the accounts' audit trail (see accounts/models.py).

A change of an account's own fields writes a record through simple-history's
post_save. A change of its role (a group) or its offices (``Office.staff``) writes no
user row, so the receivers here write a record for each account concerned, from
either side of the relation (the admin changes staff on the office's page). The
bureau's own actions (accounts/services.py) touch several tables at once and are
written as one record with their reason: ``one_record``.
"""

from contextlib import contextmanager
from functools import partial
from operator import attrgetter

from django.contrib.auth import get_user_model
from django.db.models.signals import m2m_changed
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from simple_history.signals import pre_create_historical_record

from helpers.history import Shown, changes
from helpers.roles import Role
from helpers.templatetags.german import german
from working_groups.models import Assignment, Office

from .models import Reason

User = get_user_model()

# The fields the bureau reads in an account's history, in this order.
SHOWN_FIELDS = [
    "username",
    "first_name",
    "last_name",
    "email",
    "roles",
    "offices",
    "is_active",
    "password_set",
    "is_staff",
    "is_superuser",
]
DEFERRED = "_account_history_deferred"


def _roles(user):
    """The role in each municipality the account works with, "Dresden: bureau;
    Musterstadt: council" (an assignment without a role: its role groups); without
    any, the role groups, "bureau,council"."""
    groups = ",".join(
        sorted(user.groups.filter(name__in=Role.values).values_list("name", flat=True))
    )
    rows = Assignment.all_objects.filter(user=user).order_by("municipality__name")
    return (
        "; ".join(
            f"{name}: {role or groups}"
            for name, role in rows.values_list("municipality__name", "role")
        )
        or groups
    )


def snapshot(user):
    """What a history record keeps besides the user's own fields."""
    return {
        "roles": _roles(user),
        # Through the staff table: an account's offices in every municipality (the
        # offices themselves are read in the request's scope).
        "offices": "; ".join(
            str(row.office)
            for row in Office.staff.through.objects.filter(user=user)
            .select_related("office")
            .order_by("office__municipality", "office__code", "office__name")
        ),
        "password_set": user.has_usable_password(),
    }


def record(account, reason=Reason.CHANGED, actor=None, created=False):
    """Write a history record of ``account`` as it is now. The actor is ``actor``,
    else the account's ``_history_user``, else the user of the current request
    (simple-history's middleware)."""
    User.history.bulk_history_create(
        [account],
        update=not created,
        default_user=actor,
        default_change_reason=reason,
        custom_historical_attrs=snapshot(account),
    )


@contextmanager
def one_record(account, reason, actor):
    """The changes made to ``account`` inside the block (its fields, its groups, its
    offices) are written as one history record at the end, with ``reason`` and
    ``actor``; nothing is written if the block fails."""
    created = account.pk is None
    setattr(account, DEFERRED, True)
    try:
        yield
    finally:
        delattr(account, DEFERRED)
    record(account, reason, actor, created=created)


def is_deferred(account):
    return getattr(account, DEFERRED, False)


def _fill_snapshot(sender, instance, history_instance, **kwargs):
    for name, value in snapshot(instance).items():
        setattr(history_instance, name, value)


def _relation_changed(relation):
    """A receiver for the m2m relation ``relation`` of the user (``groups`` or
    ``offices``), from whichever side it was changed."""

    def receiver(sender, instance, action, pk_set, **kwargs):
        if isinstance(instance, User):
            changed = action in ("post_add", "post_remove", "post_clear") and (
                pk_set is None or pk_set
            )
            if changed and not is_deferred(instance):
                record(instance)
            return
        # Changed from the group's or the office's side: pk_set holds accounts.
        if action == "pre_clear":
            instance._accounts_before_clear = list(
                User.objects.filter(**{relation: instance}).values_list("pk", flat=True)
            )
            return
        if action == "post_clear":
            pks = instance.__dict__.pop("_accounts_before_clear", [])
        elif action in ("post_add", "post_remove"):
            pks = pk_set or ()
        else:
            return
        for account in User.objects.filter(pk__in=pks):
            record(account)

    return receiver


def connect():
    pre_create_historical_record.connect(
        _fill_snapshot, sender=User.history.model, dispatch_uid="accounts.snapshot"
    )
    for through, relation in ((User.groups.through, "groups"), (Office.staff.through, "offices")):
        m2m_changed.connect(
            _relation_changed(relation),
            sender=through,
            weak=False,
            dispatch_uid=f"accounts.history.{relation}",
        )


# --- Reading ------------------------------------------------------------------------


def _label(name, value):
    if name == "roles":
        return _roles_label(value)
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if name == "offices" and value:
        # The offices' names exist in German only (helpers/templatetags/german.py).
        return german(value)
    return value or "–"


def _roles_label(value):
    labels = dict(Role.choices)

    def names(roles):
        return ", ".join(str(labels.get(role, role)) for role in roles.split(",") if role)

    parts = []
    for part in value.split("; "):
        municipality, colon, roles = part.rpartition(": ")
        if colon:
            # The municipalities' names exist in German only.
            parts.append(format_html("{}: {}", german(municipality), names(roles) or "–"))
        elif names(roles):
            parts.append(conditional_escape(names(roles)))
    return mark_safe("; ".join(parts)) if parts else "–"


def reason_label(reason):
    return Reason(reason).label if reason in Reason.values else reason


def account_changes(account, page_number=1, per_page=20):
    """A page of the account's history, newest first: each record with who, when,
    why, and the (field label, old, new) that changed against the record before
    (``helpers.history.changes``)."""
    history_model = User.history.model
    shown = [
        Shown(
            history_model._meta.get_field(name).verbose_name,
            attrgetter(name),
            partial(_label, name),
        )
        for name in SHOWN_FIELDS
    ]
    page, rows = changes(account.history.all(), lambda records: shown, page_number, per_page)
    for row in rows:
        row["reason"] = reason_label(row["record"].history_change_reason or "")
    return page, rows
