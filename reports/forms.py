from django import forms
from django.utils.translation import gettext_lazy as _

from integration_tracker.forms import AccessibleErrorsMixin

from .models import PublishedVersion


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
