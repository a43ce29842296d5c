"""Progress pages for the advisory council and, when switched on, the public.

Only approved entries are shown, and to the public only public measures; never
drafts, returned entries, internal notes or names of staff."""

import base64
import csv
from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Exists, F, OuterRef, Prefetch, Q
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from integration_tracker.page_cache import ANY, SHARED, audience, cached_body, concept_scope
from integration_tracker.roles import is_bureau, is_council
from measures.filters import annotate_timeliness
from measures.models import (
    ActionNeed,
    FundingAmount,
    FundingLine,
    IndicatorValue,
    Measure,
    Status,
    StatusEntry,
)
from measures.permissions import can_read_progress, readable_measures, sees_internal_records
from working_groups.models import Concept, FieldOfAction, Membership, Office, WorkingGroup

from .exports import CONTENT_TYPES, RENDERERS
from .forms import PublishForm
from .models import PublishedVersion, Report
from .open_data import FIELDS, LICENCE, rows_for
from .progress import overdue_filter, status_counts
from .publishing import publish
from .rendering import report_context


def progress_access(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not can_read_progress(request.user):
            return redirect_to_login(request.get_full_path())
        return view(request, *args, **kwargs)

    return require_safe(wrapper)


def _concept(request):
    """The concept chosen in the query string, else the latest with measures."""
    concepts = list(
        Concept.objects.select_related("municipality")
        .annotate(has_measures=Exists(Measure.objects.filter(concept=OuterRef("pk"))))
        .order_by("-start_year")
    )
    chosen = request.GET.get("konzept")
    by_slug = {c.slug: c for c in concepts}
    if chosen in by_slug:
        return by_slug[chosen], concepts
    for concept in concepts:
        if concept.has_measures:
            return concept, concepts
    return (concepts[0] if concepts else None), concepts


def _int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _progress_page(request, template, scopes, build_context):
    """A progress page whose body comes from the cache (integration_tracker/page_cache.py)
    when the records of ``scopes`` have not changed since it was rendered for the same
    audience; the frame around it is rendered for each request."""

    def render_body():
        context = build_context()
        html = render_to_string(template, context, request=request)
        return html, {"page_title": context.get("page_title", "")}

    body, frame = cached_body(request, template, scopes, audience(request), render_body)
    return render(request, "reports/progress_page.html", {"body": body, **frame})


def _concept_scopes(concept):
    return [SHARED, concept_scope(concept.pk)] if concept else [SHARED]


@progress_access
def overview(request):
    concept, concepts = _concept(request)
    return _progress_page(
        request,
        "reports/_overview_body.html",
        _concept_scopes(concept),
        lambda: _overview_context(request, concept, concepts),
    )


def _overview_context(request, concept, concepts):
    context = {
        "concepts": concepts,
        "concept": concept,
        "statuses": Status.choices,
        "page_title": _("Progress"),
    }
    if concept is None:
        return context
    fields = list(FieldOfAction.objects.filter(concept=concept))
    groups = list(WorkingGroup.objects.filter(concept=concept))
    offices = list(Office.objects.filter(municipality=concept.municipality))
    base = readable_measures(request.user, Measure.objects.filter(concept=concept))

    measures = base
    selected = {
        "field": _int(request.GET.get("handlungsfeld")),
        "group": _int(request.GET.get("gruppe")),
        "office": _int(request.GET.get("amt")),
        "status": request.GET.get("status") if request.GET.get("status") in Status.values else "",
        "overdue": request.GET.get("ueberfaellig") == "1",
        "stale": request.GET.get("veraltet") == "1",
        "q": request.GET.get("q", "").strip()[:100],
    }
    if selected["field"]:
        measures = measures.filter(field_of_action=selected["field"])
    if selected["group"]:
        measures = measures.filter(working_group=selected["group"])
    if selected["office"]:
        # A subquery rather than a join, so that the grouped counts below count each
        # measure once however many partner offices it has.
        partner_of = Measure.partner_offices.through.objects.filter(office=selected["office"])
        measures = measures.filter(
            Q(lead_office=selected["office"]) | Q(pk__in=partner_of.values("measure_id"))
        )
    if selected["status"]:
        if selected["status"] == Status.NOT_STARTED:
            measures = measures.filter(
                Q(current_entry__isnull=True) | Q(current_entry__status=Status.NOT_STARTED)
            )
        else:
            measures = measures.filter(current_entry__status=selected["status"])
    if selected["overdue"]:
        measures = measures.filter(overdue_filter())
    if selected["stale"]:
        measures = annotate_timeliness(measures).filter(is_due=True, has_round_entry=False)
    if selected["q"]:
        measures = measures.filter(
            Q(number__istartswith=selected["q"]) | Q(title__icontains=selected["q"])
        )

    overall = status_counts(measures)[None]
    by_field = status_counts(measures, "field_of_action")
    by_group = status_counts(measures, "working_group")
    by_office = status_counts(measures, "lead_office")
    overdue_count = measures.filter(overdue_filter()).count()
    stale_count = annotate_timeliness(measures).filter(is_due=True, has_round_entry=False).count()
    page = Paginator(
        measures.select_related("current_entry", "lead_office", "responsible_department").order_by(
            "position", "number"
        ),
        25,
    ).get_page(request.GET.get("seite"))
    query = request.GET.copy()
    query.pop("seite", None)

    def rows(counts, objects, none_label):
        result = [(obj, counts[obj.pk]) for obj in objects if obj.pk in counts]
        if None in counts:
            result.append((none_label, counts[None]))
        return result

    context.update(
        {
            "fields": fields,
            "groups": groups,
            "offices": offices,
            "selected": selected,
            "overall": overall,
            "by_field": rows(by_field, fields, _("without field of action")),
            "by_group": rows(by_group, groups, _("without working group")),
            "by_office": rows(by_office, offices, _("without lead office")),
            "overdue_count": overdue_count,
            "stale_count": stale_count,
            # Reports in the making are for the bureau and the council.
            "reports": Report.objects.filter(concept=concept)
            if is_bureau(request.user) or is_council(request.user)
            else [],
            "page": page,
            "query": query.urlencode(),
        }
    )
    return context


@progress_access
def measure_progress(request, pk):
    concept_id = Measure.objects.filter(pk=pk).values_list("concept_id", flat=True).first()
    if concept_id is None:
        raise Http404
    return _progress_page(
        request,
        "reports/_measure_progress_body.html",
        [SHARED, concept_scope(concept_id)],
        lambda: _measure_context(request, pk),
    )


def _measure_context(request, pk):
    measure = get_object_or_404(
        readable_measures(request.user, Measure.objects.all()).select_related(
            "concept",
            "current_entry",
            "lead_office",
            "responsible_department",
            "topic",
            "field_of_action",
            "working_group",
            "parent",
        ),
        pk=pk,
    )
    approved = Q(status_entry__isnull=True) | Q(status_entry__state=StatusEntry.State.APPROVED)
    context = {
        "measure": measure,
        "page_title": f"{measure.number} {measure.title}",
        # Only approved entries, and only the fields that may be published.
        "timeline": measure.status_entries.approved()
        .order_by("-as_of", "-pk")
        .only("status", "progress", "as_of", "note", "reason", "measure_id"),
        "partner_offices": measure.partner_offices.all(),
        "partner_organisations": measure.partner_organisations.all(),
        "indicators": measure.indicators.prefetch_related(
            Prefetch("values", queryset=IndicatorValue.objects.filter(approved))
        ),
        "funding_lines": measure.funding_lines.select_related(
            "programme", "responsible_office"
        ).prefetch_related("amounts"),
        "action_needs": measure.action_needs.select_related("carried_into"),
        "children": readable_measures(request.user, measure.children.all()).select_related(
            "current_entry"
        ),
    }
    return context


@progress_access
def members(request):
    # Groups and members are master data: the shared version alone.
    return _progress_page(
        request, "reports/_members_body.html", [SHARED], lambda: _members_context(request)
    )


def _members_context(request):
    concept, concepts = _concept(request)
    groups = (
        WorkingGroup.objects.filter(concept=concept)
        .select_related("members_involved_in")
        .prefetch_related(
            "fields_of_action",
            Prefetch(
                "memberships",
                queryset=Membership.objects.select_related("organisation", "office", "department"),
            ),
        )
        if concept
        else []
    )
    return {
        "concept": concept,
        "concepts": concepts,
        "groups": groups,
        "page_title": _("Contributors"),
    }


@progress_access
def funding(request):
    # Funding lines of every concept.
    return _progress_page(
        request, "reports/_funding_body.html", [SHARED, ANY], lambda: _funding_context(request)
    )


def _funding_context(request):
    lines = (
        FundingLine.objects.select_related("programme", "responsible_office", "measure")
        .prefetch_related(
            Prefetch("amounts", queryset=FundingAmount.objects.order_by("year_from", "year_to")),
            "fundinglinearea_set__area",
        )
        .order_by(F("programme__name").asc(nulls_last=True), "title")
    )
    if not sees_internal_records(request.user):
        lines = lines.filter(Q(measure__isnull=True) | Q(measure__is_public=True))
    programmes = {}
    for line in lines:
        amounts = list(line.amounts.all())
        line.amount_list = amounts
        line.change = _change(amounts)
        programmes.setdefault(line.programme, []).append(line)
    return {"programmes": list(programmes.items()), "page_title": _("Funding")}


def _change(amounts):
    """First and last single-year amount of the same kind, and the difference."""
    single = [a for a in amounts if a.year_from == a.year_to]
    if len(single) < 2:
        return None
    first, last = single[0], single[-1]
    if first.kind != last.kind:
        return None
    difference = last.amount - first.amount
    return {
        "first": first,
        "last": last,
        "difference": difference,
        "percent": round(100 * difference / first.amount, 1) if first.amount else None,
    }


@progress_access
def needs(request):
    # A need lists the measures addressing it, with their status, from any concept.
    return _progress_page(
        request, "reports/_needs_body.html", [SHARED, ANY], lambda: _needs_context(request)
    )


def _needs_context(request):
    concept, concepts = _concept(request)
    readable = readable_measures(request.user, Measure.objects.all())
    all_needs = (
        list(
            ActionNeed.objects.filter(concept=concept)
            .select_related("carried_into", "carried_into_field", "field_of_action")
            .prefetch_related(
                "responsible_offices",
                Prefetch("measures", queryset=readable.select_related("current_entry")),
            )
        )
        if concept
        else []
    )
    children = {}
    for need in all_needs:
        children.setdefault(need.parent_id, []).append(need)
    for need in all_needs:
        need.sub_needs = children.get(need.pk, [])
    return {
        "concept": concept,
        "concepts": concepts,
        "needs": children.get(None, []),
        "page_title": _("Needs for action"),
    }


@progress_access
def open_data(request):
    return render(request, "reports/open_data.html", {"fields": FIELDS, "licence": LICENCE()})


@progress_access
def open_data_csv(request):
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="massnahmen.csv"'
    writer = csv.writer(response)
    writer.writerow([field.name for field in FIELDS])
    for row in rows_for(Measure.objects.all()):
        writer.writerow([row[field.name] for field in FIELDS])
    return response


@progress_access
def open_data_json(request):
    return JsonResponse(
        {
            "licence": LICENCE(),
            "fields": [f.name for f in FIELDS],
            "measures": list(rows_for(Measure.objects.all())),
        },
        json_dumps_params={"ensure_ascii": False, "indent": 1},
    )


@require_safe
def accessibility_statement(request):
    """Erklärung zur Barrierefreiheit: reachable by everyone, always."""
    return render(request, "reports/accessibility.html", {"a11y": settings.ACCESSIBILITY})


def _report_for(request, slug):
    """The report, for the bureau and the council only."""
    if not (is_bureau(request.user) or is_council(request.user)):
        raise PermissionDenied
    return get_object_or_404(
        Report.objects.select_related(
            "concept__municipality", "concept__action_plan", "presented_to", "issued_by"
        ),
        slug=slug,
    )


def _versions(report):
    """The report's published versions, newest first, without their documents."""
    return report.versions.select_related("published_by").defer("html", "pdf")


@login_required
@require_safe
def report_list(request):
    """All reports with their published versions (bureau and council)."""
    if not (is_bureau(request.user) or is_council(request.user)):
        raise PermissionDenied
    reports = Report.objects.select_related("concept__municipality").prefetch_related(
        Prefetch("versions", queryset=PublishedVersion.objects.defer("html", "pdf"))
    )
    paginator = Paginator(reports, 25)
    page = paginator.get_page(request.GET.get("page"))
    return render(request, "reports/report_list.html", {"page": page, "reports": page})


@login_required
@require_safe
def report_detail(request, slug):
    """The report rendered from the records (bureau and council), with its
    published versions."""
    report = _report_for(request, slug)
    context = report_context(report)
    context["versions"] = _versions(report)
    context["can_publish"] = is_bureau(request.user)
    return render(request, "reports/report_detail.html", context)


@login_required
@require_safe
def report_download(request, slug, format):
    report = _report_for(request, slug)
    if format not in RENDERERS:
        raise Http404
    response = HttpResponse(RENDERERS[format](report), content_type=CONTENT_TYPES[format])
    response["Content-Disposition"] = f'attachment; filename="{report.slug}-entwurf.{format}"'
    return response


@login_required
@require_http_methods(["GET", "POST"])
def report_publish(request, slug):
    """The bureau freezes the current draft as the next published version."""
    if not is_bureau(request.user):
        raise PermissionDenied
    report = _report_for(request, slug)
    form = PublishForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        version = publish(report, request.user, note=form.cleaned_data["note"])
        messages.success(
            request,
            _("Version %(number)s of the report has been published.") % {"number": version.number},
        )
        return redirect(report)
    next_number = (_versions(report).values_list("number", flat=True).first() or 0) + 1
    return render(
        request,
        "reports/report_publish.html",
        {"report": report, "form": form, "next_number": next_number},
        status=400 if form.is_bound else 200,
    )


@login_required
@require_safe
def version_download(request, slug, number, format):
    """A published version's document, byte for byte as it was frozen."""
    report = _report_for(request, slug)
    if format not in ("html", "pdf"):
        raise Http404
    version = get_object_or_404(report.versions, number=number)
    content = version.content(format)
    response = HttpResponse(content, content_type=CONTENT_TYPES[format])
    response["Content-Disposition"] = (
        f'attachment; filename="{report.slug}-fassung-{version.number}.{format}"'
    )
    checksum = version.checksum(format)
    response["ETag"] = f'"{checksum}"'
    response["Repr-Digest"] = f"sha-256=:{base64.b64encode(bytes.fromhex(checksum)).decode()}:"
    # Immutable: a version's bytes never change.
    response["Cache-Control"] = "private, max-age=31536000, immutable"
    return response
