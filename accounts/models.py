"""The audit trail of the accounts.

An account is Django's user; its roles are its assignments to municipalities
(``working_groups.Assignment``, helpers/roles.py) and its offices are
``Office.staff``. The bureau runs the accounts itself (accounts/views.py),
and every change of an account is kept as a history record (django-simple-history, as
for measures and entries) with who made it, when and why. The role and the offices
live in other tables, which simple-history does not follow, so each record carries
them as they were at that moment; the password is never copied, only whether one is
set.
"""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history import register
from simple_history.models import HistoricalRecords


class Reason(models.TextChoices):
    """Why an account's history record was written (kept in history_change_reason,
    shown in the reader's language)."""

    RECORDED = "recorded", _("state when the account history began")
    INVITED = "invited", _("invited")
    INVITATION_SENT = "invitation_sent", _("invitation sent again")
    INVITATION_ACCEPTED = "invitation_accepted", _("password set through the invitation")
    CHANGED = "changed", _("account changed")
    DEACTIVATED = "deactivated", _("deactivated")
    REACTIVATED = "reactivated", _("reactivated")
    ASSIGNMENT_ENDED = "assignment_ended", _("no longer works with this municipality")
    PASSWORD_RESET = "password_reset", _("password reset by e-mail")
    PASSWORD_CHANGED = "password_changed", _("password changed")


# A record with one of these reasons sent an invitation mail.
INVITATION_REASONS = [Reason.INVITED, Reason.INVITATION_SENT]


class AccountSnapshot(models.Model):
    """The fields an account's history record keeps besides the user's own."""

    # Per municipality: "Dresden: bureau; Musterstadt: council".
    roles = models.TextField(_("role"), blank=True)
    offices = models.TextField(_("offices"), blank=True)
    password_set = models.BooleanField(_("password set"), default=False)

    class Meta:
        abstract = True


class AccountHistory(HistoricalRecords):
    """A login writes only ``last_login`` (Django's update_last_login): that is not a
    change of the account and would bury the real ones, so it writes no record. The
    bureau's actions write their one record themselves (accounts/history.py,
    ``one_record``)."""

    def post_save(self, instance, created, using=None, **kwargs):
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and set(update_fields) <= {"last_login"}:
            return
        if getattr(instance, "_account_history_deferred", False):
            return
        super().post_save(instance, created, using=using, **kwargs)


register(
    get_user_model(),
    app="accounts",
    records_class=AccountHistory,
    bases=[AccountSnapshot],
    # Never keep password hashes in a second table; last_login changes at every login.
    excluded_fields=["password", "last_login"],
    # History is only read per account (by id).
    no_db_index=["username"],
)


class NotificationKind(models.TextChoices):
    """What a person is told by e-mail (DESIGN.md, "Telling people"); each kind is a
    switch of their own on their account page. The values are the field names of
    NotificationSettings."""

    ENTRY_RETURNED = "entry_returned", _("entry returned")
    ENTRY_APPROVED = "entry_approved", _("entry approved")
    ROUND_OPENED = "round_opened", _("round opened")
    DEADLINE_NEAR = "deadline_near", _("deadline near")
    OVERDUE = "overdue", _("overdue")


class NotificationSettingsQuerySet(models.QuerySet):
    def for_users(self, user_ids):
        """{user id: settings} for ``user_ids`` in one query; a person who has never
        changed a setting gets the defaults (an unsaved row)."""
        user_ids = list(user_ids)
        found = self.in_bulk(user_ids)
        return {pk: found.get(pk) or NotificationSettings(user_id=pk) for pk in user_ids}


class NotificationSettings(models.Model):
    """Which e-mails a person receives, and in which language. The row is made when
    the person first changes a setting or chooses a language; until then every kind
    is on and the mails are in the default language (German)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account"),
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="notification_settings",
    )
    language = models.CharField(
        _("language of the e-mails"),
        max_length=7,
        choices=settings.LANGUAGES,
        default=settings.LANGUAGE_CODE,
    )
    entry_returned = models.BooleanField(NotificationKind.ENTRY_RETURNED.label, default=True)
    entry_approved = models.BooleanField(NotificationKind.ENTRY_APPROVED.label, default=True)
    round_opened = models.BooleanField(NotificationKind.ROUND_OPENED.label, default=True)
    deadline_near = models.BooleanField(NotificationKind.DEADLINE_NEAR.label, default=True)
    overdue = models.BooleanField(NotificationKind.OVERDUE.label, default=True)

    objects = NotificationSettingsQuerySet.as_manager()

    class Meta:
        verbose_name = _("notification settings")
        verbose_name_plural = _("notification settings")
        ordering = ["user"]

    def __str__(self):
        return str(self.user)

    def wants(self, kind):
        return getattr(self, NotificationKind(kind).value)

    @classmethod
    def remember_language(cls, user, language):
        """The language ``user`` last chose is the language of their e-mails."""
        if language in dict(settings.LANGUAGES):
            cls.objects.update_or_create(user=user, defaults={"language": language})
