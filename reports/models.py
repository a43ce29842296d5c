"""The implementation report (Umsetzungsbericht) as data: a report of a concept for
a period, and its ordered sections, each saying what it renders; and the records
behind the accessibility statement (known barriers, feedback received)."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from helpers.scope import scoped_manager
from measures.models import Topic
from working_groups.models import Concept, Municipality, Office, Organisation


class Report(models.Model):
    concept = models.ForeignKey(
        Concept, verbose_name=_("concept"), on_delete=models.PROTECT, related_name="reports"
    )
    slug = models.SlugField(_("short name (URL)"), max_length=80, unique=True)
    title = models.CharField(_("title"), max_length=300)
    period_start = models.DateField(_("reporting period from"))
    period_end = models.DateField(_("reporting period until"))
    presented_to = models.ForeignKey(
        Organisation,
        verbose_name=_("presented to"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reports",
    )
    presentation = models.CharField(
        _("occasion"),
        max_length=200,
        blank=True,
        help_text=_("E.g. “Beratung des Ausländerbeirates”."),
    )
    presented_on = models.DateField(_("presented on"), null=True, blank=True)
    issued_by = models.ForeignKey(
        Office,
        verbose_name=_("issued by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reports",
    )
    issuer_label = models.CharField(
        _("issuer as printed"),
        max_length=200,
        blank=True,
        help_text=_(
            "How the title page names the issuer, e.g. “Integrations- und "
            "Ausländerbeauftragte”; empty: the name of the issuing office."
        ),
    )

    # The municipality it belongs to (helpers/scope.py).
    municipality_paths = ("concept__municipality",)
    objects = scoped_manager()

    class Meta:
        verbose_name = _("implementation report")
        verbose_name_plural = _("implementation reports")
        ordering = ["concept", "-period_end"]
        constraints = [
            models.CheckConstraint(
                name="report_period_in_order",
                condition=Q(period_end__gte=F("period_start")),
                violation_error_message=_("The period cannot end before it starts."),
            ),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("reports:report_detail", args=[self.slug])

    @property
    def issuer(self):
        """The issuer as the title page and the document properties name it."""
        return self.issuer_label or (self.issued_by.name if self.issued_by else "")


class ReportSection(models.Model):
    class Kind(models.TextChoices):
        FOUNDATIONS = "foundations", _("foundations (concept, action plan, groups)")
        TEXT = "text", _("free text")
        MEMBERS = "members", _("members of the working groups")
        MEASURES = "measures", _("measures by topic")
        INDICATORS = "indicators", _("indicators")
        FUNDING = "funding", _("funding")
        NEEDS = "needs", _("needs for action")

    report = models.ForeignKey(
        Report, verbose_name=_("report"), on_delete=models.CASCADE, related_name="sections"
    )
    number = models.CharField(_("number"), max_length=10)
    title = models.CharField(_("title"), max_length=300)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    topics = models.ManyToManyField(
        Topic,
        verbose_name=_("topics"),
        blank=True,
        related_name="report_sections",
        help_text=_("For measures and funding: the report headings whose measures it lists."),
    )
    # The bureau's own words around what the records fill in (reports/text_markup.py
    # reads them: paragraphs and bulleted lists, never HTML).
    text = models.TextField(
        _("text before the generated part"),
        blank=True,
        help_text=_("E.g. an introduction or a summary."),
    )
    text_after = models.TextField(
        _("text after the generated part"),
        blank=True,
        help_text=_("E.g. an assessment or an outlook."),
    )
    shows_statuses = models.BooleanField(
        _("show statuses"),
        default=True,
        help_text=_(
            "Items show their status where an approved entry for the report's period "
            "exists. Switch off where the source gives no status."
        ),
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    # Optimistic locking for the texts' form, as for status entries (measures/services.py).
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)

    # Audit trail of the bureau's texts and choices: who changed what, when.
    history = HistoricalRecords(excluded_fields=["version"], no_db_index=["report"])

    # The municipality it belongs to (helpers/scope.py).
    municipality_paths = ("report__concept__municipality",)
    objects = scoped_manager()

    class Meta:
        verbose_name = _("report section")
        verbose_name_plural = _("report sections")
        ordering = ["report", "position", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["report", "number"], name="report_section_number_unique"
            ),
        ]

    def __str__(self):
        return f"{self.number} {self.title}"

    def save(self, *args, **kwargs):
        # A change elsewhere (the admin, an import) makes a texts' form opened before
        # it stale, as a guarded save on the report page does (reports/section_editing.py).
        if self.pk and not kwargs.get("update_fields"):
            self.version += 1
        super().save(*args, **kwargs)


class ImmutableVersionError(Exception):
    """A published version was about to be changed or deleted."""


class PublishedVersionQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise ImmutableVersionError(_("A published version cannot be changed."))

    def delete(self):
        raise ImmutableVersionError(_("A published version cannot be deleted."))


class PublishedVersion(models.Model):
    """A frozen edition of a report: the HTML, PDF and DOCX exactly as they were
    rendered when the bureau published it, with their SHA-256 checksums. Never changed
    or deleted afterwards (the model refuses, and the database refuses updates)."""

    report = models.ForeignKey(
        Report, verbose_name=_("report"), on_delete=models.PROTECT, related_name="versions"
    )
    number = models.PositiveIntegerField(_("version"))
    published_at = models.DateTimeField(_("published at"))
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("published by"),
        on_delete=models.PROTECT,
        related_name="published_report_versions",
    )
    note = models.CharField(
        _("note"),
        max_length=300,
        blank=True,
        help_text=_("E.g. the occasion: “Vorlage für den Ausländerbeirat am 16.12.2014”."),
    )
    html = models.BinaryField(_("HTML"))
    html_sha256 = models.CharField(_("SHA-256 of the HTML"), max_length=64)
    pdf = models.BinaryField(_("PDF"))
    pdf_sha256 = models.CharField(_("SHA-256 of the PDF"), max_length=64)
    # The Word document of the same edition, for the bureau to work on. Empty (null)
    # for versions published before it was kept: nullable, so that adding the columns
    # leaves the table and its immutability triggers in place (SQLite rebuilds a table
    # for a column with a default, and the triggers would go with the old one).
    docx = models.BinaryField(_("DOCX"), null=True, blank=True)
    docx_sha256 = models.CharField(  # noqa: DJ001 - null: see above
        _("SHA-256 of the DOCX"), max_length=64, null=True, blank=True
    )
    # What the version states about each measure, for comparing versions without
    # reading their documents: {"as_of": date, "measures": [{"id", "number", "words",
    # "status", "progress"}, …]} in the report's order. Empty (null) for versions
    # published before it was kept.
    statuses = models.JSONField(_("statuses of the measures"), null=True, blank=True)

    # The municipality it belongs to (helpers/scope.py).
    municipality_paths = ("report__concept__municipality",)
    objects = scoped_manager(PublishedVersionQuerySet)

    # What lists of versions leave unread: the documents and the statuses.
    STORED = ("html", "pdf", "docx", "statuses")

    class Meta:
        verbose_name = _("published version")
        verbose_name_plural = _("published versions")
        ordering = ["report", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["report", "number"], name="published_version_number_unique"
            ),
            models.CheckConstraint(
                name="published_version_checksums_are_sha256",
                condition=Q(html_sha256__regex=r"^[0-9a-f]{64}$")
                & Q(pdf_sha256__regex=r"^[0-9a-f]{64}$"),
                violation_error_message=_("Checksums are SHA-256 in hexadecimal."),
            ),
        ]

    def __str__(self):
        return _("%(report)s, version %(number)s") % {"report": self.report, "number": self.number}

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ImmutableVersionError(_("A published version cannot be changed."))
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("reports:version_detail", args=[self.report.slug, self.number])

    def delete(self, *args, **kwargs):
        raise ImmutableVersionError(_("A published version cannot be deleted."))

    def publisher_name(self):
        """Who published the version, by full name (the username if none is recorded)."""
        return self.published_by.get_full_name() or self.published_by.get_username()

    def formats(self):
        """The formats this version was stored in (DOCX since it was kept)."""
        return ["pdf", "html", "docx"] if self.docx_sha256 else ["pdf", "html"]

    def content(self, format):
        return bytes({"html": self.html, "pdf": self.pdf, "docx": self.docx}[format])

    def checksum(self, format):
        return {"html": self.html_sha256, "pdf": self.pdf_sha256, "docx": self.docx_sha256}[format]


class ReportExport(models.Model):
    """A draft document of a report (PDF or DOCX), rendered by a background task.

    ``fingerprint`` is the version of the report's concept when the document was asked
    for (exports.draft_version; the field's name and label are from when it held a
    checksum of the HTML): while the concept keeps that version, the finished file is
    offered again instead of being rendered anew. The file is written in one update
    together with the state "done", so a failed or interrupted rendering never leaves a
    partial file."""

    class Format(models.TextChoices):
        PDF = "pdf", _("PDF")
        DOCX = "docx", _("Word document (DOCX)")

    class State(models.TextChoices):
        QUEUED = "queued", _("waiting for the background worker")
        RUNNING = "running", _("being rendered")
        DONE = "done", _("ready")
        FAILED = "failed", _("failed")

    # The steps a rendering goes through, for the progress bar: queued, rendering the
    # HTML, typesetting the document, done.
    STEPS = 3

    report = models.ForeignKey(
        Report, verbose_name=_("report"), on_delete=models.CASCADE, related_name="exports"
    )
    format = models.CharField(_("format"), max_length=10, choices=Format.choices)
    fingerprint = models.CharField(_("SHA-256 of the rendered HTML"), max_length=64)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.QUEUED)
    step = models.PositiveSmallIntegerField(_("step"), default=0)
    task_id = models.CharField(_("task"), max_length=64, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    requested_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    # Failed because its worker stopped (helpers/worker.py), not by an error.
    lost = models.BooleanField(_("lost by the background worker"), default=False)
    content = models.BinaryField(_("file"), default=b"", blank=True)
    content_sha256 = models.CharField(_("SHA-256 of the file"), max_length=64, blank=True)

    # The municipality it belongs to (helpers/scope.py).
    municipality_paths = ("report__concept__municipality",)
    objects = scoped_manager()

    class Meta:
        verbose_name = _("report export")
        verbose_name_plural = _("report exports")
        ordering = ["report", "format", "-requested_at", "-pk"]
        indexes = [
            # The report page asks for the latest export of each format.
            models.Index(fields=["report", "format", "-requested_at"], name="report_export_latest"),
        ]
        constraints = [
            models.CheckConstraint(
                name="report_export_state_valid",
                condition=Q(state__in=["queued", "running", "done", "failed"]),
                violation_error_message=_("Unknown state."),
            ),
            # Only a finished export carries a file: nothing half-written is offered.
            models.CheckConstraint(
                name="report_export_file_only_when_done",
                condition=(Q(state="done") & Q(content_sha256__regex=r"^[0-9a-f]{64}$"))
                | (~Q(state="done") & Q(content_sha256="")),
                violation_error_message=_("Only a finished export has a file."),
            ),
        ]

    def __str__(self):
        return f"{self.report} ({self.get_format_display()}, {self.get_state_display()})"

    @property
    def in_progress(self):
        return self.state in (self.State.QUEUED, self.State.RUNNING)

    def is_current(self, fingerprint):
        """A finished file rendered from the records as they are now."""
        return self.state == self.State.DONE and self.fingerprint == fingerprint


class Publication(models.Model):
    """The bureau's wish to publish the report as its next version, carried out by a
    background task: typesetting the PDF takes seconds, and a request that rendered it
    while holding a lock made every other writer wait (on SQLite: fail). The request
    only records the wish; the version exists once the worker has rendered it and the
    page of the publication says so."""

    class State(models.TextChoices):
        QUEUED = "queued", _("waiting for the background worker")
        RUNNING = "running", _("being rendered")
        DONE = "done", _("published")
        REFUSED = "refused", _("not published")
        FAILED = "failed", _("failed")

    class Refusal(models.TextChoices):
        UNCHANGED = "unchanged", _("the report has not changed since the latest version")
        PUBLISHED_MEANWHILE = "meanwhile", _("another version was published in the meantime")

    IN_PROGRESS = (State.QUEUED, State.RUNNING)
    # The steps of the progress bar: queued, rendering the HTML, typesetting the PDF.
    STEPS = 3

    report = models.ForeignKey(
        Report, verbose_name=_("report"), on_delete=models.CASCADE, related_name="publications"
    )
    note = models.CharField(_("note"), max_length=300, blank=True)
    # The number of the latest version when the form was opened (0 for none): if
    # another version is published before this one is rendered, nothing is published.
    opened_after = models.PositiveIntegerField(_("latest version when the form was opened"))
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.QUEUED)
    step = models.PositiveSmallIntegerField(_("step"), default=0)
    refusal = models.CharField(_("reason"), max_length=10, choices=Refusal.choices, blank=True)
    version = models.OneToOneField(
        PublishedVersion,
        verbose_name=_("published version"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="publication",
    )
    task_id = models.CharField(_("task"), max_length=64, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    requested_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    # Failed because its worker stopped (helpers/worker.py), not by an error.
    lost = models.BooleanField(_("lost by the background worker"), default=False)

    # The municipality it belongs to (helpers/scope.py).
    municipality_paths = ("report__concept__municipality",)
    objects = scoped_manager()

    class Meta:
        verbose_name = _("publication")
        verbose_name_plural = _("publications")
        ordering = ["report", "-requested_at", "-pk"]
        constraints = [
            # One publication under way per report: a second click is led to the first.
            models.UniqueConstraint(
                fields=["report"],
                condition=Q(state__in=["queued", "running"]),
                name="publication_one_in_progress_per_report",
            ),
            models.CheckConstraint(
                name="publication_version_only_when_done",
                condition=(Q(state="done") & Q(version__isnull=False))
                | (~Q(state="done") & Q(version__isnull=True)),
                violation_error_message=_("Only a finished publication has a version."),
            ),
            models.CheckConstraint(
                name="publication_refusal_only_when_refused",
                condition=(Q(state="refused") & ~Q(refusal=""))
                | (~Q(state="refused") & Q(refusal="")),
                violation_error_message=_("Only a refused publication has a reason."),
            ),
        ]

    def __str__(self):
        return f"{self.report} ({self.get_state_display()})"

    def get_absolute_url(self):
        return reverse("reports:publication", args=[self.report.slug, self.pk])

    @property
    def in_progress(self):
        return self.state in self.IN_PROGRESS


class AccessibilityBarrier(models.Model):
    """A known barrier, listed in the accessibility statement (Erklärung zur
    Barrierefreiheit, BITV 2.0 § 7 and the model statement of Durchführungsbeschluss
    (EU) 2018/1523) under the heading of its kind. The bureau keeps the list in the
    admin; a barrier that has been removed is taken off (``is_current``) or deleted."""

    class Kind(models.TextChoices):
        # The three kinds of content the model statement lists separately.
        NON_COMPLIANT = "non_compliant", _("non-compliance with the legal requirements")
        DISPROPORTIONATE = "disproportionate", _("disproportionate burden")
        OUT_OF_SCOPE = "out_of_scope", _("content outside the scope of the legal requirements")

    title = models.CharField(_("title"), max_length=200)
    kind = models.CharField(
        _("kind"), max_length=20, choices=Kind.choices, default=Kind.NON_COMPLIANT
    )
    description = models.TextField(
        _("description"), help_text=_("What is not accessible, and for whom, in plain words.")
    )
    requirements = models.CharField(
        _("requirements concerned"),
        max_length=200,
        blank=True,
        help_text=_("E.g. “WCAG 2.1 1.3.1” or “BITV 2.0 § 4”."),
    )
    reason = models.TextField(
        _("reason"),
        blank=True,
        help_text=_("Why it is so; for a disproportionate burden, the assessment behind it."),
    )
    alternative = models.TextField(
        _("accessible alternative"),
        blank=True,
        help_text=_("How the same content can be reached without the barrier."),
    )
    is_current = models.BooleanField(
        _("shown in the statement"),
        default=True,
        help_text=_("Untick once the barrier has been removed."),
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("accessibility barrier")
        verbose_name_plural = _("accessibility barriers")
        ordering = ["position", "pk"]
        constraints = [
            models.CheckConstraint(
                name="accessibility_barrier_kind_valid",
                condition=Q(kind__in=["non_compliant", "disproportionate", "out_of_scope"]),
                violation_error_message=_("Unknown kind."),
            ),
        ]

    def __str__(self):
        return self.title


class AccessibilityFeedback(models.Model):
    """A message sent with the feedback form of the accessibility statement (BITV 2.0
    § 7 (1): a feedback mechanism). It is kept, whether or not the e-mail to the
    contact could be sent, so that no report of a barrier is lost.

    It belongs to the municipality the form was sent in (at its address, or by an
    account working there), and that municipality's bureau reads it. One sent on
    the instance's own pages (a visitor at an address that names no municipality)
    belongs to none: the system administration reads it, not every bureau, since
    it holds the sender's name and e-mail address."""

    municipality = models.ForeignKey(
        Municipality,
        verbose_name=_("municipality"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_(
            "The municipality whose pages the message was sent from. Empty: the "
            "instance's own pages; the system administration handles it."
        ),
    )
    name = models.CharField(_("name"), max_length=200, blank=True)
    email = models.EmailField(_("e-mail address"), blank=True)
    page = models.CharField(
        _("page"), max_length=500, blank=True, help_text=_("The page the message refers to.")
    )
    message = models.TextField(_("message"))
    language = models.CharField(_("language"), max_length=10, blank=True)
    received_at = models.DateTimeField(_("received at"), auto_now_add=True)
    mailed_at = models.DateTimeField(
        _("e-mailed to the contact at"),
        null=True,
        blank=True,
        help_text=_("Empty while the e-mail is waiting or if it could not be sent."),
    )
    is_handled = models.BooleanField(_("handled"), default=False)
    note = models.TextField(_("internal note"), blank=True)

    # The municipality it belongs to (helpers/scope.py); one without is outside
    # every bureau's scope and read by the system administration (unscoped).
    municipality_paths = ("municipality",)
    objects = scoped_manager()

    class Meta:
        verbose_name = _("accessibility feedback message")
        verbose_name_plural = _("accessibility feedback messages")
        ordering = ["-received_at", "-pk"]

    def __str__(self):
        if self.received_at is None:
            return str(_("Feedback"))
        when = date_format(timezone.localtime(self.received_at), "SHORT_DATETIME_FORMAT")
        return _("Feedback of %(date)s") % {"date": when}

    @staticmethod
    def contact_for(municipality):
        """Whom a message sent in ``municipality`` (None: on the instance's own
        pages) is e-mailed to: the municipality's contact where it gave an e-mail
        address, else the contact of the accessibility statement (settings)."""
        if municipality is not None and municipality.contact_email:
            return municipality.contact
        a11y = settings.ACCESSIBILITY
        return {"name": a11y["contact_name"], "email": a11y["contact_email"]}


class ReportDesign(models.Model):
    """The look of a municipality's report documents, as its bureau uploaded it: a
    logo for the title page and a Word template whose styles, header and footer the
    DOCX takes over. The files are checked before they are stored
    (reports/design_checks.py); the SVG logo is stored as cleaned."""

    class LogoType(models.TextChoices):
        PNG = "image/png", "PNG"
        SVG = "image/svg+xml", "SVG"

    municipality = models.OneToOneField(
        Municipality,
        verbose_name=_("municipality"),
        on_delete=models.CASCADE,
        related_name="report_design",
    )
    logo = models.BinaryField(_("logo"), default=b"", blank=True)
    logo_type = models.CharField(
        _("logo format"), max_length=20, choices=LogoType.choices, blank=True
    )
    logo_name = models.CharField(_("logo file name"), max_length=200, blank=True)
    word_template = models.BinaryField(_("Word template"), default=b"", blank=True)
    word_template_name = models.CharField(_("Word template file name"), max_length=200, blank=True)
    word_template_sha256 = models.CharField(
        _("SHA-256 of the Word template"), max_length=64, blank=True
    )
    updated_at = models.DateTimeField(_("changed at"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("changed by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    # The municipality it belongs to (helpers/scope.py).
    municipality_paths = ("municipality",)
    objects = scoped_manager()

    class Meta:
        verbose_name = _("report design")
        verbose_name_plural = _("report designs")
        constraints = [
            # A logo always has its format, so that it is embedded as what it is.
            models.CheckConstraint(
                name="report_design_logo_has_type",
                condition=(Q(logo_type="") & Q(logo_name=""))
                | Q(logo_type__in=["image/png", "image/svg+xml"]),
                violation_error_message=_("A logo is a PNG or an SVG image."),
            ),
        ]

    def __str__(self):
        return str(self.municipality)
