from django import forms

from .models import Municipality


class MunicipalitySettingsForm(forms.ModelForm):
    """The settings the bureau keeps for its municipality in the workspace."""

    class Meta:
        model = Municipality
        fields = ["public_pages"]
