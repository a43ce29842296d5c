"""Measures, their status vocabulary and their status entries (Sachstände) with the
review."""

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Case, Exists, F, OuterRef, Q, Subquery, Value, When
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from helpers.scope import scoped_manager
from helpers.spreadsheets import validate_number, validate_slug_key
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


class NoStatus(str):
    """The bucket of measures without any approved status yet ("noch kein freigegebener
    Sachstand"): not the same as "not started", which somebody has to have reported. A
    string, so that it serves as a filter value and a key next to the ``Status`` values.

    Two words for two things, kept apart on every page: this bucket is about the
    *status* readers see, and a measure in it may well have a draft or an entry waiting
    for review ("no approved status yet" / "noch kein freigegebener Sachstand"), while
    ``WorkState.NONE`` is about the *work*: no entry at all, not even a draft ("no
    status yet" / "noch kein Sachstand")."""

    label = _("no approved status yet")
    value = "none"

    def __new__(cls):
        return super().__new__(cls, "none")


NO_STATUS = NoStatus()


def status_label(value):
    """What a status value reads as: its label; for no status (empty, ``None`` or
    ``NO_STATUS``) "no approved status yet", never "not started"; a value the
    vocabulary does not know (kept in an older published snapshot) as it stands."""
    if not value or value == NO_STATUS:
        return NO_STATUS.label
    try:
        return Status(value).label
    except ValueError:
        return value


class WorkState(models.TextChoices):
    """Where the work on a measure stands for the people who carry it on (an office,
    or a member of the bureau): the badge beside a measure in the workspace, as
    ``MeasureQuerySet.with_work_state`` derives it. Not the measure's status."""

    # No entry at all, not even a draft (see ``NoStatus`` for "no approved status yet").
    NONE = "none", _("no status yet")
    DRAFT = "draft", _("draft")
    SUBMITTED = "submitted", _("submitted – waiting for review")
    RETURNED = "returned", _("returned")
    APPROVED = "approved", _("approved")


# The groupings of the status vocabulary, each defined here once; rounds, filters,
# counts and pages use these names (tests/test_measure_rules.py).
# Statuses that need a reason.
STATUSES_NEEDING_REASON = (Status.DEFERRED, Status.DROPPED)
# Finished ("abgeschlossen"): nothing more will be done, so a new reporting round need
# not ask for it. An ongoing task is never finished: it is reported on in every round.
FINISHED_STATUSES = (Status.COMPLETED, Status.DROPPED)
# Put into practice ("umgesetzt"): completed, or carried on as an ongoing task; the
# share the progress pages give. A dropped measure is finished but not in practice.
IN_PRACTICE_STATUSES = (Status.COMPLETED, Status.ONGOING)


class Language(models.Model):
    """A language in which material of a measure is available."""

    code = models.CharField(
        _("language code (ISO 639-1)"), max_length=8, unique=True, validators=[validate_slug_key]
    )
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

    # The municipality it belongs to (helpers/scope.py).
    municipality_paths = ("concept__municipality",)
    objects = scoped_manager()

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
    """The named filters of measures. Each rule of DESIGN.md (overdue, not started,
    stale, the search, who sees which measures) is written here once; filters, counts
    and pages use these methods rather than spelling a rule out again."""

    # --- the rules as conditions, for filters, annotations and grouped counts ---

    @staticmethod
    def overdue_q(today=None):
        """Overdue: past the planned end and neither finished nor put into practice
        (DESIGN.md: "not completed"; an ongoing task has no end to miss, a dropped
        measure none to keep)."""
        today = today or timezone.localdate()
        return Q(planned_end__lt=today) & (
            Q(current_entry__isnull=True)
            | ~Q(current_entry__status__in=[*FINISHED_STATUSES, *IN_PRACTICE_STATUSES])
        )

    @staticmethod
    def status_q(status):
        """Current status ``status``; ``NO_STATUS`` for measures without an approved
        entry (they have no status, which is not "not started")."""
        if status == NO_STATUS:
            return Q(current_entry__isnull=True)
        return Q(current_entry__status=status)

    @staticmethod
    def search_q(text):
        """The search of every measure list: number prefix, title or description."""
        return (
            Q(number__istartswith=text) | Q(title__icontains=text) | Q(description__icontains=text)
        )

    def _rounds(self, rounds):
        # ReportingRound lives in rounds.py, which imports this module.
        if rounds is not None:
            return rounds
        return self.model._meta.get_field("reporting_rounds").related_model.objects.open()

    def _due_and_reported(self, rounds):
        rounds = self._rounds(rounds)
        due = Exists(rounds.filter(due_measures=OuterRef("pk")))
        reported = Exists(
            StatusEntry.objects.approved().filter(
                measure=OuterRef("pk"), reporting_round__in=rounds
            )
        )
        return due, reported

    # --- the named filters ---

    def with_current_status(self):
        """Pre-load each measure's current (latest approved) entry."""
        return self.select_related("current_entry")

    def public(self):
        return self.filter(is_public=True)

    def visible_to(self, user):
        """The measures ``user`` may read outside the workspace (progress pages, open
        data, counts, links): all for the administration's members; for everyone else
        the public ones of the concepts whose municipality has made its progress pages
        public (the bureau's setting, ``Municipality.public_pages``); none otherwise."""
        # Who counts as a member of the administration is a right, decided in
        # permissions.py (which imports the models, hence the late import).
        from measures.permissions import sees_internal_records

        if sees_internal_records(user):
            return self
        return self.public().filter(concept__municipality__public_pages=True)

    def with_status(self, status):
        return self.filter(self.status_q(status))

    def not_started(self):
        """Reported as "not started" (a measure without an approved status is not)."""
        return self.with_status(Status.NOT_STARTED)

    def unfinished(self):
        """Not finished (``FINISHED_STATUSES``), with or without an approved status."""
        return self.exclude(current_entry__status__in=FINISHED_STATUSES)

    def overdue(self, today=None):
        return self.filter(self.overdue_q(today))

    def not_overdue(self, today=None):
        return self.exclude(self.overdue_q(today))

    def due(self, rounds=None):
        """Due in one of ``rounds`` (default: the open reporting rounds)."""
        due, _reported = self._due_and_reported(rounds)
        return self.filter(due)

    def not_due(self, rounds=None):
        due, _reported = self._due_and_reported(rounds)
        return self.filter(~due)

    def stale(self, rounds=None):
        """Stale: due in the current round (``rounds``, default the open ones) without
        an approved entry in it (DESIGN.md)."""
        due, reported = self._due_and_reported(rounds)
        return self.filter(due & ~reported)

    def not_stale(self, rounds=None):
        due, reported = self._due_and_reported(rounds)
        return self.filter(~due | reported)

    def search(self, text):
        text = (text or "").strip()
        return self.filter(self.search_q(text)) if text else self

    def with_timeliness(self, today=None, rounds=None):
        """Mark each measure ``is_due`` (in the current round), ``has_round_entry``
        (an approved entry in it) and ``is_overdue``, for the badges of a list or a
        page, by the same rules as the filters above."""
        due, reported = self._due_and_reported(rounds)
        return self.annotate(
            is_due=due,
            has_round_entry=reported,
            is_overdue=Case(
                When(self.overdue_q(today), then=Value(True)),
                default=Value(False),
                output_field=models.BooleanField(),
            ),
        )

    def with_work_state(self, open_work):
        """Mark each measure with its ``work_state`` (``WorkState``) for whoever
        ``open_work`` belongs to: the drafts and returned entries they carry on
        (``permissions.open_work``). An entry waiting for review counts whoever
        wrote it (a measure has one at a time, and nobody can submit another), then
        a returned entry before a draft, then an approved status."""
        open_work = open_work.filter(measure=OuterRef("pk"))
        waiting = StatusEntry.objects.filter(
            measure=OuterRef("pk"), state=StatusEntry.State.SUBMITTED
        )
        return self.annotate(
            work_state=Case(
                When(Exists(waiting), then=Value(WorkState.SUBMITTED)),
                When(
                    Exists(open_work.filter(state=StatusEntry.State.RETURNED)),
                    then=Value(WorkState.RETURNED),
                ),
                When(Exists(open_work), then=Value(WorkState.DRAFT)),
                When(current_entry__isnull=False, then=Value(WorkState.APPROVED)),
                default=Value(WorkState.NONE),
                output_field=models.CharField(),
            )
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
        validators=[validate_number],
        help_text=_("Stable identifier within the concept, e.g. “3.1.2”."),
    )
    title = models.CharField(_("title"), max_length=500)
    report_wording = models.CharField(
        _("wording in the report"),
        max_length=1000,
        blank=True,
        help_text=_(
            "How the implementation report writes the item, e.g. as the source does, with "
            "the office in its place. Empty: the title. The report adds the lead office, "
            "partners and languages only where these words do not name them."
        ),
    )
    reported_with = models.ForeignKey(
        "self",
        verbose_name=_("in the report together with"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="reported_along",
        help_text=_(
            "Where the source names several measures in one line: the measure whose "
            "item in the report also stands for this one (its wording covers both)."
        ),
    )
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

    # The municipality it belongs to (helpers/scope.py).
    municipality_paths = ("concept__municipality",)
    objects = scoped_manager(MeasureQuerySet)
    # Audit trail: every saved change with who and when (technical fields left out).
    # History is only ever read per record (by id), so the copied foreign keys get no
    # index of their own: each would cost every imported row an index insert.
    history = HistoricalRecords(
        excluded_fields=["version", "updated_at", "current_entry"],
        m2m_fields=[partner_offices, partner_organisations],
        no_db_index=[
            "concept",
            "reported_with",
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
            models.CheckConstraint(
                name="measure_not_reported_with_itself",
                condition=~Q(reported_with=F("pk")),
                violation_error_message=_("A measure cannot be reported together with itself."),
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
        if self.pk and self.parent_id:
            # A measure cannot lie below itself (5.6 → 5.6.1 → 5.6): it would vanish
            # from every tree. Only a stored measure can have descendants.
            chain, parent_id = [], self.parent_id
            while parent_id is not None and parent_id not in chain and len(chain) < 100:
                if parent_id == self.pk:
                    numbers = dict(Measure.objects.filter(pk__in=chain).values_list("pk", "number"))
                    path = [self.number, *(numbers[pk] for pk in chain), self.number]
                    raise ValidationError(
                        {
                            "parent": _("The parent measures would form a cycle: %(path)s.")
                            % {"path": " → ".join(path)}
                        }
                    )
                chain.append(parent_id)
                parent_id = (
                    Measure.objects.filter(pk=parent_id).values_list("parent_id", flat=True).first()
                )
        if self.reported_with_id:
            if self.reported_with_id == self.pk:
                raise ValidationError(
                    {"reported_with": _("A measure cannot be reported together with itself.")}
                )
            if self.reported_with.concept_id != self.concept_id:
                raise ValidationError(
                    {"reported_with": _("That measure belongs to another concept.")}
                )
            # One level: the item a measure joins is always a measure's own item.
            if self.reported_with.reported_with_id or (
                self.pk and Measure.objects.filter(reported_with=self.pk).exists()
            ):
                raise ValidationError(
                    {
                        "reported_with": _(
                            "Choose the measure whose own item stands in the report; it "
                            "cannot itself be listed with another measure."
                        )
                    }
                )
        if self.field_of_action_id and self.field_of_action.concept_id != self.concept_id:
            raise ValidationError(
                {"field_of_action": _("The field of action belongs to another concept.")}
            )
        if self.topic_id and self.topic.concept_id != self.concept_id:
            raise ValidationError({"topic": _("The topic belongs to another concept.")})

    @property
    def report_words(self):
        """The item as the report writes it: its wording, else its title."""
        return self.report_wording or self.title

    @property
    def current_status(self):
        """The latest approved entry's status; ``NO_STATUS`` without one: no approved
        status yet is not "not started", which an office has to report."""
        return self.current_entry.status if self.current_entry else NO_STATUS

    @property
    def current_progress(self):
        return self.current_entry.progress if self.current_entry else None

    def refresh_current_status(self):
        Measure.objects.filter(pk=self.pk).refresh_current_status()
        self.refresh_from_db(fields=["current_entry"])


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
        "measures.ReportingRound",
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

    # The municipality it belongs to (helpers/scope.py).
    municipality_paths = ("measure__concept__municipality",)
    objects = scoped_manager(StatusEntryQuerySet)
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
                name="status_entry_ongoing_has_no_progress",
                condition=~Q(status=Status.ONGOING) | Q(progress__isnull=True),
                violation_error_message=_(
                    "An ongoing task has no percentage; leave the progress empty."
                ),
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
            # One entry of a measure waits for review at a time: a second would compete
            # with it for the measure's status. The workspace says so before anyone
            # tries (services.waiting_entry); this holds against two requests at the
            # same moment and against any other way of writing.
            models.UniqueConstraint(
                fields=["measure"],
                condition=Q(state="submitted"),
                name="status_entry_one_submitted_per_measure",
                violation_error_message=_(
                    "Another entry of this measure already waits for review."
                ),
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

    @property
    def status_label(self):
        """The status as it reads (``status_label``), for lists: Django's
        ``get_status_display`` translates all seven labels on every call."""
        return status_label(self.status)

    def clean(self):
        errors = {}
        if self.progress is not None and self.progress > 100:
            errors["progress"] = _("Progress must lie between 0 and 100 %.")
        if self.status == Status.COMPLETED and self.progress != 100:
            errors["progress"] = _("A completed measure has a progress of 100 %.")
        if self.status == Status.ONGOING and self.progress is not None:
            errors["progress"] = _("An ongoing task has no percentage; leave the progress empty.")
        if self.status in STATUSES_NEEDING_REASON and not self.reason.strip():
            errors["reason"] = _("A deferred or dropped measure needs a reason.")
        if self.as_of and self.as_of > datetime.date.today():
            errors["as_of"] = _("The as-of date cannot lie in the future.")
        if self.reviewer_id and self.reviewer_id == self.author_id:
            errors["reviewer"] = _("Nobody can review their own entry.")
        if errors:
            raise ValidationError(errors)
