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
    confirm = forms.BooleanField(
        label=_("I have checked the draft. Publish it as a version that cannot be changed."),
        error_messages={
            "required": _("Please confirm that the draft has been checked and may be published.")
        },
    )
