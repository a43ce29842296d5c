"""The bureau edits a report on its own pages, not only in the admin: each section's
texts before and after its generated part (with a preview rendered on the server),
whether the section shows statuses, and the order of its items, members and offices
(up and down, no dragging). Every change is saved through the models, so the audit
trail (django-simple-history) keeps who changed what and when; the concept's version
changes with every save (working_groups/versions.py), so the draft documents and the
cached report read anew.

Concurrent edits: the form carries the section's version as it was opened, and the
save is an UPDATE … WHERE version = <as opened> (as for status entries,
measures/services.py); if a colleague saved in between, nothing is overwritten and
the page shows both texts."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.db.models import F
from django.http import Http404, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from helpers.decorators import requires
from measures.audit import change_log
from measures.models import Measure, Topic
from working_groups.models import Membership, Office, WorkingGroup
from working_groups.versions import concepts_changed, every_concept_changed

from .forms import SectionTextsForm
from .models import ReportSection
from .permissions import can_edit_reports
from .rendering import report_context

Kind = ReportSection.Kind
LISTS_MEASURES = (Kind.MEASURES, Kind.FUNDING)
HISTORY_SHOWN = 10


class Conflict(Exception):
    """The section changed since the form was opened."""


def save_section(section, data, opened_version):
    """Save the section's texts and choices, unless someone saved since
    ``opened_version``; then raise Conflict and change nothing."""
    with transaction.atomic():
        if not ReportSection.objects.filter(pk=section.pk, version=opened_version).update(
            version=F("version") + 1
        ):
            raise Conflict
        if not section.history.exists():
            # Loaded from the data set, the section has no history yet: its state before
            # this first change is kept, so the trail shows what changed.
            baseline = ReportSection.objects.get(pk=section.pk)
            records = ReportSection.history.bulk_history_create(
                [baseline],
                default_change_reason=_("state before the first change on the report page"),
            )
            # Not the editor's state: the data set's.
            ReportSection.history.filter(pk__in=[r.pk for r in records]).update(history_user=None)
        section.version = opened_version + 1
        for name, value in data.items():
            setattr(section, name, value)
        section.save(update_fields=list(data))
        concepts_changed(section.report.concept_id)
    return section


def move(obj, siblings, direction):
    """Move ``obj`` one place up or down among ``siblings`` (in the order shown) by
    their ``position``. Only the siblings' positions change: they take the positions
    the siblings had, made strictly increasing, so that equal positions (the default
    0) become an order as well. Returns whether anything moved."""
    index = siblings.index(obj)
    target = index - 1 if direction == "up" else index + 1
    if not 0 <= target < len(siblings):
        return False
    order = list(siblings)
    order[index], order[target] = order[target], order[index]
    positions = sorted(sibling.position for sibling in siblings)
    for i in range(1, len(positions)):
        positions[i] = max(positions[i], positions[i - 1] + 1)
    for item, position in zip(order, positions, strict=True):
        if item.position != position:
            item.position = position
            # through the model, so the history follows
            item.save(update_fields=["position"])
    return True


def _section_for(request, slug, number):
    section = get_object_or_404(
        ReportSection.objects.select_related(
            "report__concept__municipality",
            "report__concept__action_plan",
            "report__presented_to",
            "report__issued_by",
        ),
        report__slug=slug,
        number=number,
    )
    return section.report, section


def _section_page(request, report, section, form, *, preview=False, conflict=None, status=200):
    unsaved = form.instance if preview else None
    context = report_context(report, unsaved=unsaved)
    item = next(i for i in context["sections"] if i["section"].pk == section.pk)
    page, rows = change_log(section, 1, per_page=HISTORY_SHOWN)
    context.update(
        {
            "section": section,
            "item": item,
            "form": form,
            "preview": preview,
            "conflict": conflict,
            "history": rows,
            "more_history": page.paginator.count > HISTORY_SHOWN,
            "lists_measures": section.kind in LISTS_MEASURES,
        }
    )
    return render(request, "reports/section_edit.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
@requires(can_edit_reports)
def section_edit(request, slug, number):
    """GET: the section's form, its order and its history. POST with ``preview``: the
    section as it would read, nothing saved. POST: save, back to the report."""
    report, section = _section_for(request, slug, number)
    prefix = f"section-{section.pk}"
    if request.method == "GET":
        form = SectionTextsForm(instance=section, prefix=prefix)
        return _section_page(request, report, section, form)
    form = SectionTextsForm(request.POST, instance=section, prefix=prefix)
    if not form.is_valid():
        return _section_page(request, report, section, form, status=400)
    if "preview" in request.POST:
        return _section_page(request, report, section, form, preview=True)
    data = {name: form.cleaned_data[name] for name in form.Meta.fields if name in form.fields}
    stored = ReportSection.objects.get(pk=section.pk)
    try:
        save_section(stored, data, form.cleaned_data["version"])
    except Conflict:
        # What the user typed stays in the form, now carrying the stored version, so
        # that saving again (after checking) overwrites knowingly.
        fresh_data = request.POST.copy()
        fresh_data[f"{prefix}-version"] = stored.version
        current = ReportSection.objects.get(pk=section.pk)
        retry = SectionTextsForm(fresh_data, instance=stored, prefix=prefix)
        retry.is_valid()
        latest = current.history.select_related("history_user").order_by("-history_date").first()
        return _section_page(
            request,
            report,
            current,
            retry,
            conflict={"section": current, "latest": latest},
            status=409,
        )
    messages.success(
        request,
        _("The texts of section %(number)s have been saved.") % {"number": section.number},
    )
    return redirect(f"{report.get_absolute_url()}#section-{section.number}")


def _measure_in_section(section, pk):
    topics = list(section.topics.values_list("pk", flat=True))
    topics += list(Topic.objects.filter(parent__in=topics).values_list("pk", flat=True))
    measure = (
        Measure.objects.filter(concept=section.report.concept_id, pk=pk)
        .select_related("parent")
        .first()
    )
    if measure is None or section.kind not in LISTS_MEASURES:
        raise Http404
    root = measure
    while root.parent_id and root.topic_id not in topics:
        root = root.parent
    if root.topic_id not in topics:
        raise Http404
    return measure


def _siblings(section, kind, pk, list_of):
    """The object to move and the list it is moved in, locked, in the order shown."""
    if kind == "measure":
        measure = _measure_in_section(section, pk)
        siblings = Measure.objects.filter(concept=measure.concept_id, reported_with__isnull=True)
        if measure.parent_id:
            siblings = siblings.filter(parent=measure.parent_id)
        else:
            siblings = siblings.filter(parent__isnull=True, topic=measure.topic_id)
        return measure, list(siblings.select_for_update().order_by("position", "number"))
    if kind == "office":
        measure = _measure_in_section(section, list_of)
        siblings = list(
            Office.objects.filter(partner_measures=measure)
            .select_for_update()
            .order_by("position", "code", "name")
        )
        return Office(pk=pk), siblings
    if kind == "membership":
        membership = get_object_or_404(
            Membership,
            pk=pk,
            group__concept=section.report.concept_id,
            group__kind=WorkingGroup.Kind.EXPERT,
        )
        if section.kind != Kind.MEMBERS:
            raise Http404
        siblings = list(
            Membership.objects.filter(group=membership.group_id)
            .select_for_update()
            .order_by("position", "pk")
        )
        return membership, siblings
    raise Http404


@requires(can_edit_reports)
@require_POST
def section_move(request, slug, number):
    """Move an item, a member or an office one place up or down in its list."""
    report, section = _section_for(request, slug, number)
    kind, direction = request.POST.get("kind"), request.POST.get("direction")
    try:
        pk = int(request.POST.get("pk", ""))
        list_of = int(request.POST.get("list", "0") or 0)
    except ValueError:
        return HttpResponseBadRequest(_("The entry to move is not given correctly."))
    if direction not in ("up", "down"):
        return HttpResponseBadRequest(_("Please choose up or down."))
    with transaction.atomic():
        obj, siblings = _siblings(section, kind, pk, list_of)
        # the locked copy, which must be in the list shown (a measure listed in another
        # item, an office not in this list, are not)
        obj = next((sibling for sibling in siblings if sibling.pk == obj.pk), None)
        if obj is None:
            raise Http404
        moved = move(obj, siblings, direction)
        if moved and kind == "office":
            every_concept_changed()  # an office's place counts in every concept
        elif moved:
            concepts_changed(report.concept_id)
    if not moved:
        messages.info(request, _("The entry is already at that end of its list."))
    url = reverse("reports:section_edit", args=[report.slug, section.number])
    anchor = f"order-{kind}-{pk}" if kind != "office" else f"order-office-{list_of}-{pk}"
    return redirect(f"{url}#{anchor}")
