"""The bureau's settings of its municipality (/einstellungen/): whether the progress
pages and the open data are public."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from helpers.decorators import requires

from .forms import MunicipalitySettingsForm
from .models import Municipality
from .permissions import can_change_settings


def _form(municipality, data=None):
    # One form per municipality on the page, told apart by the prefix.
    return MunicipalitySettingsForm(data, instance=municipality, prefix=municipality.slug)


@requires(can_change_settings)
@require_safe
def settings_page(request):
    """Each municipality's settings, a form for each (an instance usually serves one)."""
    municipalities = Municipality.objects.order_by("name")
    return render(
        request,
        "working_groups/municipality_settings.html",
        {"forms": [(m, _form(m)) for m in municipalities]},
    )


@requires(can_change_settings)
@require_POST
def settings_save(request, slug):
    municipality = get_object_or_404(Municipality, slug=slug)
    form = _form(municipality, request.POST)
    # A checkbox: every answer is valid (an absent one means "no").
    if form.is_valid() and form.has_changed():
        form.save(commit=False)
        municipality.save(update_fields=["public_pages"])
        if municipality.public_pages:
            text = _(
                "%(name)s: the progress pages and the open data are now public; visitors "
                "read them without logging in."
            )
        else:
            text = _(
                "%(name)s: the progress pages and the open data are no longer public; "
                "visitors see a short start page that says whom to ask."
            )
        messages.success(request, text % {"name": municipality.name})
    return redirect("working_groups:settings")
