"""The look of the report documents, kept by the bureau on a page of its own: the
logo on the title page and the Word template of the DOCX, for all reports of a
municipality. The files are checked (reports/design_checks.py) before they are
stored; a refused file changes nothing."""

import hashlib
import io

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from helpers.decorators import requires
from working_groups.versions import concepts_changed

from .docx_template import missing_styles
from .exports import logo_data_url
from .forms import LogoForm, WordTemplateForm
from .models import Report, ReportDesign
from .permissions import can_design_reports

ACTIONS = ("upload_logo", "remove_logo", "upload_template", "remove_template")


def _store(municipality, user, **fields):
    with transaction.atomic():
        design, _created = ReportDesign.objects.select_for_update().get_or_create(
            municipality=municipality
        )
        for name, value in fields.items():
            setattr(design, name, value)
        design.updated_by = user
        design.save()
        # The documents of the municipality's reports look different now.
        concepts_changed(*municipality.concepts.values_list("pk", flat=True))
    return design


def _template_styles_note(request, content):
    from docx import Document

    missing = missing_styles(Document(io.BytesIO(content)))
    if missing:
        messages.info(
            request,
            _(
                "The template does not define these styles, which the report uses: "
                "%(styles)s. They are added in a plain form based on its “Normal” style."
            )
            % {"styles": ", ".join(missing)},
        )


@login_required
@require_http_methods(["GET", "POST"])
@requires(can_design_reports)
def report_design(request, slug):
    """The bureau uploads or removes the logo and the Word template of the report's
    municipality; they apply to the documents of all its reports."""
    report = get_object_or_404(Report.objects.select_related("concept__municipality"), slug=slug)
    municipality = report.concept.municipality
    design = ReportDesign.objects.filter(municipality=municipality).defer("word_template").first()
    logo_form, template_form = LogoForm(prefix="logo"), WordTemplateForm(prefix="template")
    action = request.POST.get("action")
    if request.method == "POST" and action not in ACTIONS:
        messages.error(request, _("Unknown action; nothing was changed."))
        return redirect("reports:report_design", report.slug)
    if action == "upload_logo":
        logo_form = LogoForm(request.POST, request.FILES, prefix="logo")
        if logo_form.is_valid():
            content_type, content = logo_form.cleaned_data["content"]
            _store(
                municipality,
                request.user,
                logo=content,
                logo_type=content_type,
                logo_name=logo_form.cleaned_data["file"].name[:200],
            )
            messages.success(request, _("The logo has been saved."))
            return redirect("reports:report_design", report.slug)
    elif action == "upload_template":
        template_form = WordTemplateForm(request.POST, request.FILES, prefix="template")
        if template_form.is_valid():
            content, removed = template_form.cleaned_data["content"]
            _store(
                municipality,
                request.user,
                word_template=content,
                word_template_name=template_form.cleaned_data["file"].name[:200],
                word_template_sha256=hashlib.sha256(content).hexdigest(),
            )
            messages.success(
                request, _("The Word template has been saved; the next DOCX is made from it.")
            )
            if removed:
                messages.warning(
                    request,
                    _(
                        "Only the template’s styles, page setup, headers and footers are "
                        "used. Left out of it: %(removed)s."
                    )
                    % {"removed": "; ".join(removed)},
                )
            _template_styles_note(request, content)
            return redirect("reports:report_design", report.slug)
    elif action == "remove_logo":
        _store(municipality, request.user, logo=b"", logo_type="", logo_name="")
        messages.success(request, _("The logo has been removed."))
        return redirect("reports:report_design", report.slug)
    elif action == "remove_template":
        _store(
            municipality,
            request.user,
            word_template=b"",
            word_template_name="",
            word_template_sha256="",
        )
        messages.success(
            request, _("The Word template has been removed; the DOCX uses the built-in look.")
        )
        return redirect("reports:report_design", report.slug)
    return render(
        request,
        "reports/report_design.html",
        {
            "report": report,
            "municipality": municipality,
            "design": design,
            "logo": logo_data_url(design),
            "logo_form": logo_form,
            "template_form": template_form,
        },
        status=400 if request.method == "POST" else 200,
    )
