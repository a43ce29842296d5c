"""Reporting rounds (Berichtsrunden) and the reminders sent to late offices."""

import datetime

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from helpers.scope import scoped_manager
from working_groups.models import (
    Concept,
    Office,
)

from .measures import (
    Measure,
)

# A deadline may lie this long after the period ends: long enough for the offices
# to report on a year, short enough to catch a mistyped year.
DEADLINE_GRACE = datetime.timedelta(days=366)


# Open: opened and not yet closed, the current round. The one definition: the
# queryset and the one-open-round constraint use it, ``is_open`` says the same of the
# round in hand (tests/test_rounds.py holds them equal).
OPEN = Q(opened_at__isnull=False, closed_at__isnull=True)


class ReportingRoundQuerySet(models.QuerySet):
    def open(self):
        """Rounds opened and not yet closed: the current rounds."""
        return self.filter(OPEN)

    def closed(self):
        """Rounds opened and closed since."""
        return self.filter(opened_at__isnull=False, closed_at__isnull=False)


class ReportingRound(models.Model):
    """A reporting round (Berichtsrunde): offices report on the due measures by the deadline."""

    concept = models.ForeignKey(
        Concept,
        verbose_name=_("concept"),
        on_delete=models.CASCADE,
        related_name="reporting_rounds",
    )
    title = models.CharField(_("title"), max_length=200)
    period_start = models.DateField(_("period from"))
    period_end = models.DateField(_("period until"))
    deadline = models.DateField(_("deadline"))
    due_measures = models.ManyToManyField(
        Measure,
        verbose_name=_("due measures"),
        blank=True,
        related_name="reporting_rounds",
    )
    opened_at = models.DateTimeField(_("opened at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    # The municipality it belongs to (helpers/scope.py).
    municipality_paths = ("concept__municipality",)
    objects = scoped_manager(ReportingRoundQuerySet)
    # Closing and reopening are recorded with who, when and (for reopening) why.
    history = HistoricalRecords(no_db_index=["concept"])  # see Measure

    class Meta:
        verbose_name = _("reporting round")
        verbose_name_plural = _("reporting rounds")
        ordering = ["concept", "-period_end"]
        constraints = [
            models.CheckConstraint(
                name="reporting_round_period_in_order",
                condition=Q(period_end__gte=F("period_start")),
                violation_error_message=_("The period cannot end before it starts."),
            ),
            models.CheckConstraint(
                name="reporting_round_deadline_after_start",
                condition=Q(deadline__gte=F("period_start")),
                violation_error_message=_("The deadline cannot lie before the period starts."),
            ),
            # Two open rounds of one concept would be read as one (what is due, which
            # round an entry belongs to); the index also settles two requests at once.
            models.UniqueConstraint(
                fields=["concept"],
                condition=OPEN,
                name="reporting_round_one_open_per_concept",
                violation_error_message=_("Only one reporting round of a concept can be open."),
            ),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("measures:round_detail", args=[self.pk])

    def clean(self):
        errors = {}
        if self.period_start and self.period_end and self.period_end < self.period_start:
            errors["period_end"] = _("The period cannot end before it starts.")
        if self.deadline and self.period_start and self.deadline < self.period_start:
            errors["deadline"] = _("The deadline cannot lie before the period starts.")
        elif self.deadline and self.period_end and self.deadline > self.period_end + DEADLINE_GRACE:
            errors["deadline"] = _("The deadline can lie at most one year after the period ends.")
        if errors:
            raise ValidationError(errors)

    @property
    def is_open(self):
        """``OPEN`` for the round in hand."""
        return self.opened_at is not None and self.closed_at is None

    def is_past_deadline(self, today=None):
        return (today or datetime.date.today()) > self.deadline

    def office_progress(self):
        """Per lead office: how many due measures, and how many of them have an
        approved, submitted, returned or draft entry in this round, or none yet.

        Two queries whatever the size of the round."""
        due = list(self.due_measures.values_list("pk", "lead_office"))
        best = {}
        rank = {"approved": 4, "submitted": 3, "returned": 2, "draft": 1}
        for measure_id, state in self.status_entries.values_list("measure_id", "state"):
            if rank[state] > rank.get(best.get(measure_id), 0):
                best[measure_id] = state
        rows = {}
        for measure_id, office_id in due:
            row = rows.setdefault(
                office_id,
                {"due": 0, "approved": 0, "submitted": 0, "returned": 0, "draft": 0, "missing": 0},
            )
            row["due"] += 1
            row[best.get(measure_id, "missing")] += 1
        for row in rows.values():
            row["outstanding"] = row["due"] - row["approved"] - row["submitted"]
        return rows

    def office_rows(self):
        """``office_progress`` as the round's pages list it: one row per lead office
        (the office, None for measures without one) with its counts and whether it is
        late (the round is open, past its deadline and the office still owes
        entries), late offices first, then by name; and the totals. One query more
        (the offices)."""
        progress = self.office_progress()
        offices = Office.objects.in_bulk([pk for pk in progress if pk])
        late = self.is_open and self.is_past_deadline()
        rows = sorted(
            (
                {"office": offices.get(office_id), "late": late and row["outstanding"] > 0, **row}
                for office_id, row in progress.items()
            ),
            key=lambda row: (not row["late"], str(row["office"] or "")),
        )
        counted = ["due", "approved", "submitted", "returned", "draft", "missing", "outstanding"]
        totals = {key: sum(row[key] for row in rows) for key in counted}
        return rows, totals


class Reminder(models.Model):
    """A reminder e-mail sent to an office for a round; at most one per day."""

    reporting_round = models.ForeignKey(
        ReportingRound,
        verbose_name=_("reporting round"),
        on_delete=models.CASCADE,
        related_name="reminders",
    )
    office = models.ForeignKey(
        Office,
        verbose_name=_("office"),
        on_delete=models.CASCADE,
        related_name="reminders",
    )
    sent_on = models.DateField(_("sent on"))
    recipients = models.TextField(_("recipients"))
    outstanding = models.PositiveIntegerField(_("outstanding measures"))

    # The municipality it belongs to (helpers/scope.py).
    municipality_paths = ("reporting_round__concept__municipality",)
    objects = scoped_manager()

    class Meta:
        verbose_name = _("reminder")
        verbose_name_plural = _("reminders")
        ordering = ["-sent_on"]
        constraints = [
            # Guarantees "once per day at most", also when two cron runs overlap.
            models.UniqueConstraint(
                fields=["reporting_round", "office", "sent_on"],
                name="reminder_once_per_day",
            ),
        ]

    def __str__(self):
        return f"{self.office} – {self.sent_on:%d.%m.%Y}"
