from django import forms
from django.utils.translation import gettext_lazy as _

from integration_tracker.forms import AccessibleErrorsMixin

from .editorial import has_tags
from .models import PublishedVersion, ReportSection


class PublishForm(AccessibleErrorsMixin, forms.Form):
    note = forms.CharField(
        label=_("Note (optional)"),
        max_length=PublishedVersion._meta.get_field("note").max_length,
        required=False,
        help_text=PublishedVersion._meta.get_field("note").help_text,
    )
    # The latest version's number when the form was opened (0 for none): a form sent
    # twice, or after a colleague published, publishes nothing.
    opened_after = forms.IntegerField(widget=forms.HiddenInput, min_value=0, required=False)
    confirm = forms.BooleanField(
        label=_("I have checked the draft. Publish it as a version that cannot be changed."),
        error_messages={
            "required": _("Please confirm that the draft has been checked and may be published.")
        },
    )


MARKUP_HELP = _(
    "Plain text: an empty line starts a new paragraph, a line starting with “- ” is an "
    "item of a bulleted list. HTML is not possible."
)
MAX_TEXT = 20000


class SectionTextsForm(AccessibleErrorsMixin, forms.ModelForm):
    """The bureau's texts around a section's generated part, and whether the section
    shows statuses. ``version`` is the section's version when the form was opened: a
    save over a colleague's newer change is refused (reports/editing.py)."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    class Meta:
        model = ReportSection
        fields = ["text", "text_after", "shows_statuses"]
        widgets = {
            "text": forms.Textarea(attrs={"rows": 6}),
            "text_after": forms.Textarea(attrs={"rows": 6}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial["version"] = self.instance.version
        for name in ("text", "text_after"):
            field = self.fields[name]
            field.help_text = f"{field.help_text} {MARKUP_HELP}"
        # Only lists of measures have statuses to show.
        if self.instance.kind not in (ReportSection.Kind.MEASURES, ReportSection.Kind.FUNDING):
            del self.fields["shows_statuses"]

    def _clean_text(self, name):
        text = self.cleaned_data[name]
        if len(text) > MAX_TEXT:
            raise forms.ValidationError(
                _("At most %(max)s characters, please (now %(count)s).")
                % {"max": MAX_TEXT, "count": len(text)}
            )
        if has_tags(text):
            raise forms.ValidationError(
                _(
                    "The text contains HTML tags such as “<p>”. Texts are plain text: please "
                    "write without tags, with empty lines between paragraphs and “- ” "
                    "before list items."
                )
            )
        return text.replace("\r\n", "\n").strip()

    def clean_text(self):
        return self._clean_text("text")

    def clean_text_after(self):
        return self._clean_text("text_after")
