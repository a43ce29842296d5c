from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from helpers.forms import AccessibleErrorsMixin
from helpers.uploads import FileProblem, check_upload_size
from working_groups.models import Concept

from .models import STATUSES_NEEDING_REASON, ReportingRound, SpreadsheetImport, StatusEntry


class StatusEntryForm(AccessibleErrorsMixin, forms.ModelForm):
    """Status, progress, note, reason, as-of date, and a value for each indicator of
    the measure. Carries the versions it was opened with for conflict detection."""

    measure_version = forms.IntegerField(widget=forms.HiddenInput)
    entry_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = StatusEntry
        fields = ["status", "progress", "as_of", "note", "internal_note", "reason"]
        labels = {"status": _("Implementation status"), "note": _("Note (published)")}
        widgets = {
            "as_of": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "progress": forms.NumberInput(attrs={"min": 0, "max": 100, "step": 1}),
            "note": forms.Textarea(attrs={"rows": 4}),
            "internal_note": forms.Textarea(attrs={"rows": 2}),
            "reason": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args, measure, indicators=(), initial_values=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.measure = measure
        self.indicators = list(indicators)
        initial_values = initial_values or {}
        for indicator in self.indicators:
            prefix = f"indicator_{indicator.pk}"
            value = initial_values.get(indicator.pk)
            self.fields[f"{prefix}_value"] = forms.DecimalField(
                label=_("%(name)s (%(unit)s)") % {"name": indicator.name, "unit": indicator.unit},
                required=False,
                min_value=0,
                max_digits=14,
                decimal_places=2,
                initial=value.value if value else None,
            )
            self.fields[f"{prefix}_from"] = forms.DateField(
                label=_("%(name)s: period from") % {"name": indicator.name},
                required=False,
                widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
                initial=value.period_start if value else None,
            )
            self.fields[f"{prefix}_until"] = forms.DateField(
                label=_("%(name)s: period until") % {"name": indicator.name},
                required=False,
                widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
                initial=value.period_end if value else None,
            )

    def indicator_fields(self):
        """Bound fields per indicator, for the template."""
        return [
            (
                indicator,
                self[f"indicator_{indicator.pk}_value"],
                self[f"indicator_{indicator.pk}_from"],
                self[f"indicator_{indicator.pk}_until"],
            )
            for indicator in self.indicators
        ]

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("status") not in STATUSES_NEEDING_REASON:
            cleaned["reason"] = ""
        for indicator in self.indicators:
            prefix = f"indicator_{indicator.pk}"
            value = cleaned.get(f"{prefix}_value")
            start, end = cleaned.get(f"{prefix}_from"), cleaned.get(f"{prefix}_until")
            if value is None and not (start or end):
                continue
            if value is None:
                self.add_error(f"{prefix}_value", _("Enter a value for this period."))
            if not start:
                self.add_error(f"{prefix}_from", _("Enter the start of the period."))
            if not end:
                self.add_error(f"{prefix}_until", _("Enter the end of the period."))
            if start and end and end < start:
                self.add_error(f"{prefix}_until", _("The period cannot end before it starts."))
        return cleaned

    def entry_data(self):
        return {field: self.cleaned_data[field] for field in self.Meta.fields}

    def indicator_values(self):
        values = []
        for indicator in self.indicators:
            prefix = f"indicator_{indicator.pk}"
            value = self.cleaned_data.get(f"{prefix}_value")
            if value is not None:
                values.append(
                    (
                        indicator,
                        value,
                        self.cleaned_data[f"{prefix}_from"],
                        self.cleaned_data[f"{prefix}_until"],
                    )
                )
        return values


class ReturnForm(AccessibleErrorsMixin, forms.Form):
    comment = forms.CharField(
        label=_("What should the author change?"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=4000,
    )


class ReportingRoundForm(AccessibleErrorsMixin, forms.Form):
    # The concepts of the request's municipality scope, set in __init__: a queryset
    # made at import would run outside any scope (helpers/scope.py).
    concept = forms.ModelChoiceField(label=_("Concept"), queryset=None)
    title = forms.CharField(label=_("Title"), max_length=200)
    period_start = forms.DateField(
        label=_("Period from"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    period_end = forms.DateField(
        label=_("Period until"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    deadline = forms.DateField(
        label=_("Deadline"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    unfinished_only = forms.BooleanField(
        label=_("Only measures that are not completed or dropped are due"),
        required=False,
        initial=True,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["concept"].queryset = Concept.objects.select_related("municipality")

    def clean(self):
        cleaned = super().clean()
        # The round's own rules (period in order, deadline within reach of the period).
        dates = ReportingRound(
            period_start=cleaned.get("period_start"),
            period_end=cleaned.get("period_end"),
            deadline=cleaned.get("deadline"),
        )
        try:
            dates.clean()
        except ValidationError as error:
            self.add_error(None, error)
        return cleaned


class ReopenRoundForm(AccessibleErrorsMixin, forms.Form):
    reason = forms.CharField(
        label=_("Why is the round reopened?"),
        help_text=_("Recorded in the round's change history."),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=1000,
    )


class OfficeUploadForm(AccessibleErrorsMixin, forms.Form):
    """An office's own file of status entries (measures/tables.py OfficeStatusResource)."""

    file = forms.FileField(
        label=_("File (XLSX or CSV, at most 5 MB)"),
        help_text=_(
            "The first row holds the column headings, as in the exported tables. "
            "The file is checked first; nothing is imported before you confirm."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        extension = upload.name.rsplit(".", 1)[-1].lower() if "." in upload.name else ""
        if extension not in ("xlsx", "csv"):
            raise forms.ValidationError(_("Please upload an XLSX or CSV file."))
        try:
            check_upload_size(upload.size)
        except FileProblem as problem:
            raise forms.ValidationError(str(problem)) from problem
        upload.file_format = extension
        return upload


class SpreadsheetUploadForm(OfficeUploadForm):
    """The bureau's files: status entries of any measure, or the measures table."""

    kind = forms.ChoiceField(
        label=_("What the file holds"),
        choices=[
            choice
            for choice in SpreadsheetImport.Kind.choices
            if choice[0] != SpreadsheetImport.Kind.OFFICE_STATUSES
        ],
        widget=forms.RadioSelect,
    )
    field_order = ["kind", "file"]


class ConflictChoiceForm(AccessibleErrorsMixin, forms.Form):
    """What an import does with rows whose record changed after the export."""

    on_conflict = forms.ChoiceField(
        label=_("Rows whose record changed after the export"),
        choices=[
            ("skip", _("Leave them out and keep the stored values")),
            ("overwrite", _("Take the values of the file")),
        ],
        initial="skip",
        required=False,
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        label=_("Why the file's values replace the stored ones"),
        help_text=_("Recorded in the history of each measure concerned."),
        required=False,
        max_length=100,
        widget=forms.TextInput,
    )

    def clean(self):
        data = super().clean()
        data["on_conflict"] = data.get("on_conflict") or "skip"
        if data["on_conflict"] == "overwrite" and not data.get("reason", "").strip():
            self.add_error(
                "reason", _("Please give a reason for replacing values that others changed.")
            )
        return data
