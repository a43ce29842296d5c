from urllib.parse import urlsplit

from django import forms
from django.utils.translation import gettext_lazy as _

from helpers.forms import AccessibleErrorsMixin
from helpers.uploads import FileProblem, check_upload_size

from . import design_checks
from .models import AccessibilityFeedback, PublishedVersion, ReportSection
from .text_markup import has_tags


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


def local_path(value):
    """``value`` as a path of this site ("/fortschritt/?status=…"), or "" if it is
    anything else (another site, a scheme, a protocol-relative URL)."""
    value = (value or "").strip()
    parts = urlsplit(value)
    if (
        not value.startswith("/")
        or value.startswith("//")
        or "\\" in value
        or parts.scheme
        or parts.netloc
        or any(ord(c) < 32 for c in value)
    ):
        return ""
    return value


class FeedbackForm(AccessibleErrorsMixin, forms.ModelForm):
    """Feedback on barriers: only the message is required; name and e-mail address
    are given if the person wants an answer."""

    class Meta:
        model = AccessibilityFeedback
        fields = ["message", "page", "name", "email"]
        labels = {
            "message": _("Your message"),
            "page": _("Page concerned (optional)"),
            "name": _("Your name (optional)"),
            "email": _("Your e-mail address (optional)"),
        }
        help_texts = {
            "message": _(
                "Describe what you could not use or read, and on which page. "
                "You can write in German or English."
            ),
            "page": _("The address of the page within this site, e.g. /fortschritt/."),
            "email": _("Only if you would like an answer."),
        }
        widgets = {"message": forms.Textarea(attrs={"rows": 6, "maxlength": 5000})}

    def clean_message(self):
        message = self.cleaned_data["message"].strip()
        if len(message) > 5000:
            raise forms.ValidationError(
                _("Please keep the message under 5,000 characters (it has %(count)s).")
                % {"count": len(message)}
            )
        return message

    def clean_page(self):
        page = self.cleaned_data["page"]
        if page and not local_path(page):
            raise forms.ValidationError(
                _("Please give the address of a page of this site, beginning with “/”.")
            )
        return page


MARKUP_HELP = _(
    "Plain text: an empty line starts a new paragraph, a line starting with “- ” is an "
    "item of a bulleted list. HTML is not possible."
)
MAX_TEXT = 20000


class SectionTextsForm(AccessibleErrorsMixin, forms.ModelForm):
    """The bureau's texts around a section's generated part, and whether the section
    shows statuses. ``version`` is the section's version when the form was opened: a
    save over a colleague's newer change is refused (reports/section_editing.py)."""

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


class _DesignFileForm(AccessibleErrorsMixin, forms.Form):
    """One uploaded file of the report's look, checked by ``check`` (from
    reports/design_checks.py) before anything is stored; the checked content is in
    ``cleaned_data["content"]``."""

    max_bytes = 0

    def clean_file(self):
        upload = self.cleaned_data["file"]
        try:
            # Refused by its size before it is read.
            check_upload_size(upload.size, self.max_bytes)
            self.cleaned_data["content"] = self.check(upload.read(), upload.name)
        except FileProblem as problem:
            raise forms.ValidationError(str(problem)) from problem
        return upload


class LogoForm(_DesignFileForm):
    max_bytes = design_checks.LOGO_MAX_BYTES
    file = forms.FileField(
        label=_("Logo (PNG or SVG, at most 1 MB)"),
        help_text=_(
            "Shown on the title page of the PDF and the HTML document, and of the DOCX "
            "if it is a PNG. An SVG must not contain scripts or refer to other files."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".png,.svg,image/png,image/svg+xml"}),
    )

    @staticmethod
    def check(content, name):
        return design_checks.check_logo(content, name)


class WordTemplateForm(_DesignFileForm):
    """``cleaned_data["content"]``: (the template rebuilt from its allowed parts, what
    was left out of it; reports/design_checks.py)."""

    max_bytes = design_checks.TEMPLATE_MAX_BYTES
    file = forms.FileField(
        label=_("Word template (.dotx or .docx, at most 10 MB)"),
        help_text=_(
            "The DOCX takes over its styles, page format, header and footer; its own "
            "text is not used. Styles the report needs and the template lacks are "
            "added in a plain form."
        ),
        widget=forms.ClearableFileInput(
            attrs={
                "accept": ".dotx,.docx,application/vnd.openxmlformats-officedocument."
                "wordprocessingml.template,application/vnd.openxmlformats-officedocument."
                "wordprocessingml.document"
            }
        ),
    )

    @staticmethod
    def check(content, name):
        return design_checks.check_word_template(content, name)
