"""Uploaded spreadsheets, kept to trace an import back to its file."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from helpers.scope import ALL, scoped_manager


class SpreadsheetImport(models.Model):
    """An uploaded spreadsheet, kept with its checked preview until it is imported.

    The file stays stored after the import, so every import can be traced back to
    the exact file, who uploaded it and what it wrote. The check and the import run
    as background tasks (measures/tasks.py); ``state`` says which step it is in.

    A file belongs to the municipality it was uploaded in (at its address, or by an
    account working there), whoever uploaded it: that municipality's bureau sees it,
    and its check and import read and change that municipality's records only. One
    without (the system administration's, uploaded at an address that names no
    municipality, or from before files carried theirs where nothing told) is the
    system administration's alone.
    """

    class Kind(models.TextChoices):
        STATUS_ENTRIES = "status_entries", _("status entries")
        MEASURES = "measures", _("measures")
        # An office's own file: entries of its measures, as drafts or submitted.
        OFFICE_STATUSES = "office_statuses", _("status entries of your office")

    class State(models.TextChoices):
        CHECKING = "checking", _("being checked")
        PREVIEWED = "previewed", _("checked, not imported")
        IMPORTING = "importing", _("being imported")
        IMPORTED = "imported", _("imported")
        FAILED = "failed", _("failed")

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
    municipality = models.ForeignKey(
        "working_groups.Municipality",
        verbose_name=_("municipality"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    state = models.CharField(
        _("state"), max_length=20, choices=State.choices, default=State.PREVIEWED
    )
    imported_at = models.DateTimeField(_("imported at"), null=True, blank=True)
    summary = models.JSONField(_("result"), default=dict, blank=True)
    rows_total = models.PositiveIntegerField(_("rows"), null=True, blank=True)
    # Failed because its worker stopped (helpers/worker.py), not by an error.
    lost = models.BooleanField(_("lost by the background worker"), default=False)

    # The municipality it belongs to (helpers/scope.py); one without is outside
    # every bureau's scope.
    municipality_paths = ("municipality",)
    objects = scoped_manager()

    class Meta:
        verbose_name = _("spreadsheet import")
        verbose_name_plural = _("spreadsheet imports")
        ordering = ["-uploaded_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                name="spreadsheet_import_state_valid",
                condition=Q(state__in=["checking", "previewed", "importing", "imported", "failed"]),
                violation_error_message=_("Unknown state."),
            ),
            models.CheckConstraint(
                name="spreadsheet_import_imported_has_time",
                condition=~Q(state="imported") | Q(imported_at__isnull=False),
                violation_error_message=_("An import records when it happened."),
            ),
        ]

    def __str__(self):
        return f"{self.file_name} ({self.get_kind_display()}, {self.uploaded_at:%d.%m.%Y %H:%M})"

    def scope_for(self, user):
        """The municipalities the check or import of this file for ``user`` reads
        and changes (helpers/scope.py): the one it was uploaded in, not every one
        its uploader works with; for a file without one, every municipality for the
        system administration, none for anybody else."""
        if self.municipality_id is not None:
            return frozenset([self.municipality_id])
        return ALL if user.is_superuser else frozenset()

    @property
    def in_progress(self):
        return self.state in (self.State.CHECKING, self.State.IMPORTING)

    def claim(self):
        """Take a checked file without errors for its import: a guarded update that
        only one of two concurrent confirmations wins. True if this one did (the
        caller has the import done); the instance keeps its state either way (read it
        anew)."""
        if self.summary.get("errors"):
            return False
        return bool(
            type(self)
            .objects.filter(pk=self.pk, state=self.State.PREVIEWED)
            .update(state=self.State.IMPORTING)
        )
