"""The e-mails that tell people about their entries and their reporting rounds
(DESIGN.md, "Telling people"): a log the bureau reads on the round's page."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from accounts.models import NotificationKind
from helpers.addresses import addresses_of
from helpers.scope import scoped_manager
from working_groups.models import Office

from .measures import StatusEntry
from .rounds import ReportingRound

# Kinds a person receives once per round (the overdue reminder comes daily instead,
# guarded per office by Reminder).
ONCE_PER_ROUND = [NotificationKind.ROUND_OPENED, NotificationKind.DEADLINE_NEAR]
SUBJECT_LENGTH = 250


class Notification(models.Model):
    """One e-mail to one person (or to an office's shared address for reminders).

    Written in the transaction of what it tells and sent by the task queue once that
    has committed (measures/services.py, ``notify``), so a step that is rolled back
    tells no one; ``sent_at`` and ``subject`` are filled in when the mail has gone."""

    kind = models.CharField(_("kind"), max_length=20, choices=NotificationKind.choices)
    # People are deactivated, not deleted; should one be deleted, the log keeps the address.
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="notifications",
    )
    office = models.ForeignKey(
        Office,
        verbose_name=_("office"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notifications",
        help_text=_("Set when the mail went to the office's shared address for reminders."),
    )
    email = models.EmailField(_("e-mail address"))
    language = models.CharField(_("language"), max_length=7, choices=settings.LANGUAGES)
    reporting_round = models.ForeignKey(
        ReportingRound,
        verbose_name=_("reporting round"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notifications",
        # Covered by the index notification_round_recent.
        db_index=False,
    )
    entry = models.ForeignKey(
        StatusEntry,
        verbose_name=_("status entry"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    created_at = models.DateTimeField(_("queued at"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    subject = models.CharField(_("subject"), max_length=SUBJECT_LENGTH, blank=True)

    # The municipality it belongs to (helpers/scope.py).
    municipality_paths = (
        "reporting_round__concept__municipality",
        "office__municipality",
        "entry__measure__concept__municipality",
    )
    objects = scoped_manager()

    class Meta:
        verbose_name = _("e-mail notification")
        verbose_name_plural = _("e-mail notifications")
        ordering = ["-created_at", "-pk"]
        constraints = [
            # "Once per round and person", also when two runs of the scheduled
            # reminders overlap.
            models.UniqueConstraint(
                fields=["kind", "reporting_round", "recipient"],
                condition=Q(kind__in=ONCE_PER_ROUND),
                name="notification_once_per_round",
            ),
        ]
        indexes = [
            # The round's page lists its newest notifications a page at a time.
            models.Index(
                fields=["reporting_round", "-created_at"], name="notification_round_recent"
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} → {self.email}"

    def link(self, site_url):
        """Where the mail sends its reader: the returned entry's form, the approved
        entry's measure, or the measures due in the round."""
        if self.kind == NotificationKind.ENTRY_RETURNED:
            path = reverse("measures:entry_edit", args=[self.entry_id])
        elif self.kind == NotificationKind.ENTRY_APPROVED:
            path = reverse("measures:measure_detail", args=[self.entry.measure_id])
        else:
            path = reverse("measures:measure_list") + "?due=true"
        return site_url + path

    def office_counts(self):
        """For a mail about a round: per office of the recipient (or the office whose
        address it goes to), the measures due in the round (round opened) or still
        without a submitted or approved entry (reminders), as [(office, count)]."""
        progress = self.reporting_round.office_progress()
        key = "due" if self.kind == NotificationKind.ROUND_OPENED else "outstanding"
        offices = [self.office] if self.office_id else self.recipient.offices.order_by("code")
        return [
            (office, progress[office.pk][key])
            for office in offices
            if progress.get(office.pk, {}).get(key)
        ]

    def municipality(self):
        """The municipality the mail is about (its round's, else its entry's)."""
        if self.reporting_round_id:
            return self.reporting_round.concept.municipality
        return self.entry.measure.concept.municipality

    def render(self, site_url):
        """Subject and plain-text body of the mail, in the recipient's language. Its
        links lead to the municipality's address (``/<slug>/…``), where the
        recipient works in the municipality the mail is about even when it works
        in several."""
        with addresses_of(self.municipality()):
            return self._render(site_url)

    def _render(self, site_url):
        context = {"notification": self, "link": self.link(site_url), "site_url": site_url}
        if self.entry_id:
            context.update(entry=self.entry, measure=self.entry.measure)
        if self.reporting_round_id and self.kind not in (
            NotificationKind.ENTRY_RETURNED,
            NotificationKind.ENTRY_APPROVED,
        ):
            context.update(
                round=self.reporting_round,
                counts=self.office_counts(),
                days_left=(self.reporting_round.deadline - timezone.localdate()).days,
            )
        with translation.override(self.language):
            subject = render_to_string(f"measures/email/{self.kind}_subject.txt", context)
            body = render_to_string(f"measures/email/{self.kind}_body.txt", context)
        # One line, as a mail header must be, and as long as the log keeps it.
        return " ".join(subject.split())[:SUBJECT_LENGTH], body
