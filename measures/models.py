"""The work: measures, their status entries and review, indicators, funding,
needs for action and reporting rounds."""

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import F, OuterRef, Q, Subquery
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from working_groups.models import (
    Concept,
    Department,
    FieldOfAction,
    Office,
    Organisation,
    WorkingGroup,
)


class Status(models.TextChoices):
    """Umsetzungsstand, the status vocabulary of DESIGN.md."""

    NOT_STARTED = "not_started", _("not started")
    IN_PREPARATION = "in_preparation", _("in preparation")
    IN_PROGRESS = "in_progress", _("in progress")
    COMPLETED = "completed", _("completed")
    ONGOING = "ongoing", _("ongoing task")
    DEFERRED = "deferred", _("deferred")
    DROPPED = "dropped", _("dropped")


# Statuses that need a reason, and those after which a measure is no longer overdue.
STATUSES_NEEDING_REASON = (Status.DEFERRED, Status.DROPPED)
FINISHED_STATUSES = (Status.COMPLETED, Status.ONGOING, Status.DROPPED)


class Language(models.Model):
    """A language in which material of a measure is available."""

    code = models.CharField(_("language code (ISO 639-1)"), max_length=8, unique=True)
    name = models.CharField(_("name"), max_length=100)

    class Meta:
        verbose_name = _("language")
        verbose_name_plural = _("languages")
        ordering = ["name"]

    def __str__(self):
        return self.name


class Topic(models.Model):
    """A heading of the implementation report under which measures are listed
    (e.g. “Mehrsprachigkeit, Infomaterialien, Öffentlichkeitsarbeit”)."""

    concept = models.ForeignKey(
        Concept,
        verbose_name=_("concept"),
        on_delete=models.CASCADE,
        related_name="topics",
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent topic"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="children",
    )
    slug = models.SlugField(_("key"), max_length=80)
    title = models.CharField(_("title"), max_length=300)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("topic")
        verbose_name_plural = _("topics")
        ordering = ["concept", "position", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["concept", "slug"], name="topic_slug_unique_per_concept"
            ),
        ]

    def __str__(self):
        return self.title


class MeasureQuerySet(models.QuerySet):
    def with_current_status(self):
        """Pre-load each measure's current (latest approved) entry."""
        return self.select_related("current_entry")

    def overdue(self, today=None):
        today = today or datetime.date.today()
        return self.filter(planned_end__lt=today).exclude(
            current_entry__status__in=FINISHED_STATUSES
        )

    def refresh_current_status(self):
        """Recompute ``current_entry`` for these measures from their entries.

        The one place where the denormalised pointer is written; see
        ``StatusEntryQuerySet.latest_approved``.
        """
        latest = StatusEntry.objects.latest_approved().filter(measure=OuterRef("pk"))
        return self.update(current_entry=Subquery(latest.values("pk")[:1]))


class Measure(models.Model):
    """A measure (Maßnahme) of a concept.

    Its current status and progress are those of its latest approved status entry.
    ``current_entry`` points at that entry so lists can filter and sort by status
    without a subquery per row; it is written only by ``refresh_current_status``.
    """

    concept = models.ForeignKey(
        Concept,
        verbose_name=_("concept"),
        on_delete=models.PROTECT,
        related_name="measures",
    )
    number = models.CharField(
        _("number"),
        max_length=30,
        help_text=_("Stable identifier within the concept, e.g. “3.1.2”."),
    )
    title = models.CharField(_("title"), max_length=500)
    description = models.TextField(_("description"), blank=True)
    goal = models.TextField(_("goal"), blank=True)
    field_of_action = models.ForeignKey(
        FieldOfAction,
        verbose_name=_("field of action"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="measures",
    )
    topic = models.ForeignKey(
        Topic,
        verbose_name=_("topic"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="measures",
    )
    working_group = models.ForeignKey(
        WorkingGroup,
        verbose_name=_("working group"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="measures",
    )
    lead_office = models.ForeignKey(
        Office,
        verbose_name=_("lead office"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="led_measures",
    )
    responsible_department = models.ForeignKey(
        Department,
        verbose_name=_("responsible department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="measures",
        help_text=_("Where a source names a department rather than an office."),
    )
    partner_offices = models.ManyToManyField(
        Office,
        verbose_name=_("partner offices"),
        blank=True,
        related_name="partner_measures",
    )
    partner_organisations = models.ManyToManyField(
        Organisation,
        verbose_name=_("partner organisations"),
        blank=True,
        related_name="partner_measures",
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent measure"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="children",
    )
    planned_start = models.DateField(_("planned start"), null=True, blank=True)
    planned_end = models.DateField(_("planned end"), null=True, blank=True)
    languages = models.ManyToManyField(
        Language,
        verbose_name=_("languages"),
        blank=True,
        related_name="measures",
        help_text=_("Languages of multilingual material."),
    )
    is_public = models.BooleanField(_("public"), default=True)
    position = models.PositiveIntegerField(_("position"), default=0)
    source_note = models.TextField(_("source and assumptions"), blank=True)
    current_entry = models.ForeignKey(
        "StatusEntry",
        verbose_name=_("current status entry"),
        null=True,
        blank=True,
        editable=False,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = MeasureQuerySet.as_manager()
    # Audit trail: every saved change with who and when (technical fields left out).
    # History is only ever read per record (by id), so the copied foreign keys get no
    # index of their own: each would cost every imported row an index insert.
    history = HistoricalRecords(
        excluded_fields=["version", "updated_at", "current_entry"],
        m2m_fields=[partner_offices, partner_organisations],
        no_db_index=[
            "concept",
            "field_of_action",
            "topic",
            "working_group",
            "lead_office",
            "responsible_department",
            "parent",
        ],
    )

    class Meta:
        verbose_name = _("measure")
        verbose_name_plural = _("measures")
        ordering = ["concept", "position", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["concept", "number"],
                name="measure_number_unique_per_concept",
            ),
            models.CheckConstraint(
                name="measure_period_in_order",
                condition=Q(planned_start__isnull=True)
                | Q(planned_end__isnull=True)
                | Q(planned_end__gte=F("planned_start")),
                violation_error_message=_("The planned end cannot lie before the planned start."),
            ),
            models.CheckConstraint(
                name="measure_not_own_parent",
                condition=~Q(parent=F("pk")),
                violation_error_message=_("A measure cannot be its own parent."),
            ),
        ]
        indexes = [
            # Staff lists are filtered by lead office, then ordered by position.
            models.Index(fields=["lead_office", "position"], name="measure_lead_office_idx"),
            # Overdue measures: planned end in the past.
            models.Index(fields=["planned_end"], name="measure_planned_end_idx"),
        ]

    def __str__(self):
        return f"{self.number} {self.title}"

    def save(self, *args, **kwargs):
        # Any change bumps the version, so a status form opened before it is
        # detected as stale (see services.py).
        if self.pk and not kwargs.get("update_fields"):
            self.version += 1
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("measures:measure_detail", args=[self.pk])

    def clean(self):
        if self.parent_id and self.parent.concept_id != self.concept_id:
            raise ValidationError({"parent": _("The parent measure belongs to another concept.")})
        if self.field_of_action_id and self.field_of_action.concept_id != self.concept_id:
            raise ValidationError(
                {"field_of_action": _("The field of action belongs to another concept.")}
            )
        if self.topic_id and self.topic.concept_id != self.concept_id:
            raise ValidationError({"topic": _("The topic belongs to another concept.")})

    @property
    def current_status(self):
        return self.current_entry.status if self.current_entry else Status.NOT_STARTED

    @property
    def current_progress(self):
        return self.current_entry.progress if self.current_entry else None

    def is_overdue(self, today=None):
        today = today or datetime.date.today()
        return bool(
            self.planned_end
            and self.planned_end < today
            and self.current_status not in FINISHED_STATUSES
        )

    def refresh_current_status(self):
        Measure.objects.filter(pk=self.pk).refresh_current_status()
        self.refresh_from_db(fields=["current_entry"])


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
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("measures:round_detail", args=[self.pk])

    @property
    def is_open(self):
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


class StatusEntryQuerySet(models.QuerySet):
    def approved(self):
        return self.filter(state=StatusEntry.State.APPROVED)

    def latest_approved(self):
        """Approved entries, latest first: the order that decides a measure's status."""
        return self.approved().order_by("-as_of", "-reviewed_at", "-pk")


class StatusEntry(models.Model):
    """A status report (Sachstand) on a measure. Entries are never overwritten once
    submitted; a new report is a new entry."""

    class State(models.TextChoices):
        DRAFT = "draft", _("draft")
        SUBMITTED = "submitted", _("submitted")
        APPROVED = "approved", _("approved")
        RETURNED = "returned", _("returned")

    measure = models.ForeignKey(
        Measure,
        verbose_name=_("measure"),
        on_delete=models.CASCADE,
        related_name="status_entries",
    )
    status = models.CharField(_("status"), max_length=20, choices=Status.choices)
    progress = models.PositiveSmallIntegerField(
        _("progress (%)"),
        null=True,
        blank=True,
        help_text=_("0 to 100; empty where no percentage applies, e.g. for an ongoing task."),
    )
    note = models.TextField(
        _("note"),
        blank=True,
        help_text=_("Published with the status on the progress pages once approved."),
    )
    internal_note = models.TextField(
        _("internal note"),
        blank=True,
        help_text=_("For the bureau and the offices only; never published."),
    )
    reason = models.TextField(
        _("reason"),
        blank=True,
        help_text=_("Required when the measure is deferred or dropped."),
    )
    as_of = models.DateField(_("as of"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="status_entries",
    )
    state = models.CharField(_("state"), max_length=20, choices=State.choices, default=State.DRAFT)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reviewer"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reviewed_status_entries",
    )
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    review_comment = models.TextField(_("review comment"), blank=True)
    reporting_round = models.ForeignKey(
        ReportingRound,
        verbose_name=_("reporting round"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="status_entries",
    )
    source_note = models.TextField(_("source"), blank=True)
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = StatusEntryQuerySet.as_manager()
    history = HistoricalRecords(
        excluded_fields=["version", "updated_at"],
        no_db_index=["measure", "author", "reviewer", "reporting_round"],  # see Measure
    )

    class Meta:
        verbose_name = _("status entry")
        verbose_name_plural = _("status entries")
        ordering = ["measure", "-as_of", "-pk"]
        constraints = [
            models.CheckConstraint(
                name="status_entry_progress_0_to_100",
                condition=Q(progress__isnull=True) | Q(progress__lte=100),
                violation_error_message=_("Progress must lie between 0 and 100 %."),
            ),
            models.CheckConstraint(
                name="status_entry_completed_is_100",
                condition=~Q(status=Status.COMPLETED) | Q(progress=100),
                violation_error_message=_("A completed measure has a progress of 100 %."),
            ),
            models.CheckConstraint(
                name="status_entry_deferred_or_dropped_needs_reason",
                condition=~Q(status__in=STATUSES_NEEDING_REASON) | ~Q(reason=""),
                violation_error_message=_("A deferred or dropped measure needs a reason."),
            ),
            models.CheckConstraint(
                name="status_entry_no_self_review",
                condition=Q(reviewer__isnull=True)
                | Q(author__isnull=True)
                | ~Q(reviewer=F("author")),
                violation_error_message=_("Nobody can review their own entry."),
            ),
            models.CheckConstraint(
                name="status_entry_status_valid",
                condition=Q(status__in=Status.values),
                violation_error_message=_("Unknown status."),
            ),
            models.CheckConstraint(
                name="status_entry_state_valid",
                condition=Q(state__in=["draft", "submitted", "approved", "returned"]),
                violation_error_message=_("Unknown state."),
            ),
        ]
        indexes = [
            # Finding a measure's latest approved entry (current status).
            models.Index(
                fields=["measure", "state", "-as_of"],
                name="status_entry_latest_idx",
            ),
            # The bureau's review queue: submitted entries, oldest first.
            models.Index(fields=["state", "submitted_at"], name="status_entry_queue_idx"),
        ]

    def __str__(self):
        return f"{self.measure.number}: {self.get_status_display()} ({self.as_of:%d.%m.%Y})"

    def save(self, *args, **kwargs):
        with transaction.atomic():
            super().save(*args, **kwargs)
            # Approval (or withdrawing it) changes which entry is current: keep the
            # measure's pointer in step within the same transaction.
            self.measure.refresh_current_status()

    def delete(self, *args, **kwargs):
        with transaction.atomic():
            result = super().delete(*args, **kwargs)
            self.measure.refresh_current_status()
        return result

    def clean(self):
        errors = {}
        if self.progress is not None and self.progress > 100:
            errors["progress"] = _("Progress must lie between 0 and 100 %.")
        if self.status == Status.COMPLETED and self.progress != 100:
            errors["progress"] = _("A completed measure has a progress of 100 %.")
        if self.status in STATUSES_NEEDING_REASON and not self.reason.strip():
            errors["reason"] = _("A deferred or dropped measure needs a reason.")
        if self.as_of and self.as_of > datetime.date.today():
            errors["as_of"] = _("The as-of date cannot lie in the future.")
        if self.reviewer_id and self.reviewer_id == self.author_id:
            errors["reviewer"] = _("Nobody can review their own entry.")
        if errors:
            raise ValidationError(errors)


class Indicator(models.Model):
    """A measurable indicator of a measure, with a unit and an optional target."""

    measure = models.ForeignKey(
        Measure,
        verbose_name=_("measure"),
        on_delete=models.CASCADE,
        related_name="indicators",
    )
    name = models.CharField(_("name"), max_length=300)
    unit = models.CharField(_("unit"), max_length=60)
    target = models.DecimalField(
        _("target"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    description = models.TextField(_("description"), blank=True)

    class Meta:
        verbose_name = _("indicator")
        verbose_name_plural = _("indicators")
        ordering = ["measure", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["measure", "name"], name="indicator_name_unique_per_measure"
            ),
        ]

    def __str__(self):
        return self.name


class IndicatorValue(models.Model):
    """The value of an indicator for a period (e.g. 222 employees, 07/2009 – 11/2014)."""

    indicator = models.ForeignKey(
        Indicator,
        verbose_name=_("indicator"),
        on_delete=models.CASCADE,
        related_name="values",
    )
    value = models.DecimalField(_("value"), max_digits=14, decimal_places=2)
    period_start = models.DateField(_("period from"))
    period_end = models.DateField(_("period until"))
    status_entry = models.ForeignKey(
        StatusEntry,
        verbose_name=_("status entry"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="indicator_values",
        help_text=_("The entry this value was reported with; it is reviewed with the entry."),
    )
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("indicator value")
        verbose_name_plural = _("indicator values")
        ordering = ["indicator", "period_end"]
        constraints = [
            models.CheckConstraint(
                name="indicator_value_period_in_order",
                condition=Q(period_end__gte=F("period_start")),
                violation_error_message=_("The period cannot end before it starts."),
            ),
        ]

    def __str__(self):
        return f"{self.indicator}: {self.value} ({self.period_start:%m/%Y}–{self.period_end:%m/%Y})"


class FundingProgramme(models.Model):
    """A funding programme (e.g. “Die Soziale Stadt”)."""

    name = models.CharField(_("name"), max_length=300, unique=True)
    short_name = models.CharField(_("short name"), max_length=60, blank=True)
    funder = models.CharField(
        _("funded by"),
        max_length=200,
        blank=True,
        help_text=_("E.g. federal state, EU, city."),
    )
    description = models.TextField(_("description"), blank=True)

    class Meta:
        verbose_name = _("funding programme")
        verbose_name_plural = _("funding programmes")
        ordering = ["name"]

    def __str__(self):
        return self.name


class FundingArea(models.Model):
    """An area that receives funding (e.g. a district in “Die Soziale Stadt”)."""

    name = models.CharField(_("name"), max_length=200, unique=True)

    class Meta:
        verbose_name = _("funding area")
        verbose_name_plural = _("funding areas")
        ordering = ["name"]

    def __str__(self):
        return self.name


class FundingLine(models.Model):
    """What a programme or an office funds for one purpose, linked to the measure it
    finances; amounts per year or span of years hang below it."""

    key = models.SlugField(
        _("key"), max_length=80, unique=True, help_text=_("Stable key for spreadsheets.")
    )
    title = models.CharField(_("title"), max_length=300)
    programme = models.ForeignKey(
        FundingProgramme,
        verbose_name=_("funding programme"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="lines",
    )
    measure = models.ForeignKey(
        Measure,
        verbose_name=_("measure"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="funding_lines",
    )
    responsible_office = models.ForeignKey(
        Office,
        verbose_name=_("responsible office"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="funding_lines",
    )
    areas = models.ManyToManyField(
        FundingArea,
        verbose_name=_("funding areas"),
        blank=True,
        through="FundingLineArea",
        related_name="lines",
    )
    source_note = models.TextField(_("source and assumptions"), blank=True)

    class Meta:
        verbose_name = _("funding line")
        verbose_name_plural = _("funding lines")
        ordering = ["title"]

    def __str__(self):
        return self.title


class FundingLineArea(models.Model):
    """An area of a funding line, with whether it is funded or only proposed."""

    class AreaStatus(models.TextChoices):
        FUNDED = "funded", _("funded area")
        PROPOSED = "proposed", _("proposed for admission")

    line = models.ForeignKey(FundingLine, verbose_name=_("funding line"), on_delete=models.CASCADE)
    area = models.ForeignKey(FundingArea, verbose_name=_("funding area"), on_delete=models.PROTECT)
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=AreaStatus.choices,
        default=AreaStatus.FUNDED,
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("funding area of a line")
        verbose_name_plural = _("funding areas of a line")
        ordering = ["line", "position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["line", "area"], name="funding_line_area_once"),
        ]

    def __str__(self):
        return f"{self.area} ({self.get_status_display()})"


class FundingAmount(models.Model):
    """An amount for one year or a span of years, planned or actual, exact or approximate."""

    class Kind(models.TextChoices):
        PLANNED = "planned", _("planned")
        ACTUAL = "actual", _("actual")

    line = models.ForeignKey(
        FundingLine,
        verbose_name=_("funding line"),
        on_delete=models.CASCADE,
        related_name="amounts",
    )
    year_from = models.PositiveSmallIntegerField(_("from year"))
    year_to = models.PositiveSmallIntegerField(_("to year"))
    amount = models.DecimalField(_("amount (EUR)"), max_digits=14, decimal_places=2)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.ACTUAL)
    is_approximate = models.BooleanField(_("approximate (“ca.”)"), default=False)
    note = models.CharField(_("note"), max_length=300, blank=True)

    history = HistoricalRecords(no_db_index=["line"])  # see Measure

    class Meta:
        verbose_name = _("funding amount")
        verbose_name_plural = _("funding amounts")
        ordering = ["line", "year_from", "year_to"]
        constraints = [
            models.CheckConstraint(
                name="funding_amount_years_in_order",
                condition=Q(year_to__gte=F("year_from")),
                violation_error_message=_("The span of years cannot end before it starts."),
            ),
            models.CheckConstraint(
                name="funding_amount_not_negative",
                condition=Q(amount__gte=0),
                violation_error_message=_("An amount cannot be negative."),
            ),
            models.UniqueConstraint(
                fields=["line", "year_from", "year_to", "kind"],
                name="funding_amount_once_per_span",
                violation_error_message=_(
                    "This line already has an amount of this kind for these years."
                ),
            ),
        ]

    def __str__(self):
        years = (
            str(self.year_from)
            if self.year_from == self.year_to
            else f"{self.year_from}–{self.year_to}"
        )
        return f"{self.line}: {self.amount} € ({years})"

    @property
    def years_label(self):
        if self.year_from == self.year_to:
            return str(self.year_from)
        return f"{self.year_from}–{self.year_to}"


class ActionNeed(models.Model):
    """A need for action (Handlungsbedarf) found when reporting on a concept, possibly
    carried into a later concept."""

    class NeedStatus(models.TextChoices):
        OPEN = "open", _("open")
        IN_PROGRESS = "in_progress", _("being addressed")
        RESOLVED = "resolved", _("resolved")
        CARRIED_OVER = "carried_over", _("carried into a later concept")

    concept = models.ForeignKey(
        Concept,
        verbose_name=_("found in concept"),
        on_delete=models.CASCADE,
        related_name="action_needs",
    )
    number = models.CharField(_("number"), max_length=20)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("part of"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="children",
    )
    children_are_examples = models.BooleanField(
        _("sub-points are examples"),
        default=False,
        help_text=_("The sub-points illustrate the need (“z. B.”) rather than exhaust it."),
    )
    title = models.TextField(_("text"))
    field_of_action = models.ForeignKey(
        FieldOfAction,
        verbose_name=_("field of action"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="action_needs",
    )
    responsible_offices = models.ManyToManyField(
        Office,
        verbose_name=_("responsible offices"),
        blank=True,
        related_name="action_needs",
    )
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=NeedStatus.choices,
        default=NeedStatus.OPEN,
    )
    measures = models.ManyToManyField(
        Measure,
        verbose_name=_("addressed by measures"),
        blank=True,
        related_name="action_needs",
    )
    carried_into = models.ForeignKey(
        Concept,
        verbose_name=_("carried into concept"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="inherited_action_needs",
    )
    carried_into_field = models.ForeignKey(
        FieldOfAction,
        verbose_name=_("carried into field of action"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="inherited_action_needs",
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("need for action")
        verbose_name_plural = _("needs for action")
        ordering = ["concept", "position", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["concept", "number"],
                name="action_need_number_unique_per_concept",
            ),
            models.CheckConstraint(
                name="action_need_not_own_parent",
                condition=~Q(parent=F("pk")),
                violation_error_message=_("A need cannot be part of itself."),
            ),
            models.CheckConstraint(
                name="action_need_carried_over_names_concept",
                condition=~Q(status="carried_over") | Q(carried_into__isnull=False),
                violation_error_message=_("A need carried over names the concept it went into."),
            ),
        ]

    def __str__(self):
        return f"{self.number} {self.title[:80]}"

    def clean(self):
        if self.parent_id and self.parent.concept_id != self.concept_id:
            raise ValidationError({"parent": _("The parent need belongs to another concept.")})
        if self.status == self.NeedStatus.CARRIED_OVER and not self.carried_into_id:
            raise ValidationError(
                {"carried_into": _("A need carried over names the concept it went into.")}
            )


class SpreadsheetImport(models.Model):
    """An uploaded spreadsheet, kept with its checked preview until it is imported.

    The file stays stored after the import, so every import can be traced back to
    the exact file, who uploaded it and what it wrote.
    """

    class Kind(models.TextChoices):
        STATUS_ENTRIES = "status_entries", _("status entries")
        MEASURES = "measures", _("measures")

    class State(models.TextChoices):
        PREVIEWED = "previewed", _("checked, not imported")
        IMPORTED = "imported", _("imported")

    kind = models.CharField(_("content"), max_length=20, choices=Kind.choices)
    file_name = models.CharField(_("file name"), max_length=255)
    file_format = models.CharField(_("format"), max_length=10)
    content = models.BinaryField(_("file"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        on_delete=models.PROTECT,
        related_name="spreadsheet_imports",
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    state = models.CharField(
        _("state"), max_length=20, choices=State.choices, default=State.PREVIEWED
    )
    imported_at = models.DateTimeField(_("imported at"), null=True, blank=True)
    summary = models.JSONField(_("result"), default=dict, blank=True)

    class Meta:
        verbose_name = _("spreadsheet import")
        verbose_name_plural = _("spreadsheet imports")
        ordering = ["-uploaded_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                name="spreadsheet_import_state_valid",
                condition=Q(state__in=["previewed", "imported"]),
                violation_error_message=_("Unknown state."),
            ),
            models.CheckConstraint(
                name="spreadsheet_import_imported_has_time",
                condition=Q(state="previewed") | Q(imported_at__isnull=False),
                violation_error_message=_("An import records when it happened."),
            ),
        ]

    def __str__(self):
        return f"{self.file_name} ({self.get_kind_display()}, {self.uploaded_at:%d.%m.%Y %H:%M})"


class DataChange(models.Model):
    """One row per change to the records the progress pages show; the highest id is
    the data's generation, part of every cached page's key (measures/page_cache.py).

    Appending (rather than counting up one row) takes no lock that writers could
    wait for, and a row becomes visible with the change that wrote it."""

    changed_at = models.DateTimeField(_("changed at"), auto_now_add=True)
    model = models.CharField(_("model"), max_length=100)

    class Meta:
        verbose_name = _("data change")
        verbose_name_plural = _("data changes")

    def __str__(self):
        return f"{self.pk} {self.model}"
