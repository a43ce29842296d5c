import datetime

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, F, OuterRef, Prefetch, Q, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from helpers.decorators import requires
from helpers.roles import is_bureau, is_council, is_office_staff
from helpers.scope import chosen_municipality
from helpers.spreadsheets import spreadsheet_filename
from helpers.worker import fail_lost_tasks, overdue, worker_is_late
from working_groups.models import Concept, Membership, Office, WorkingGroup

from . import start_page
from .audit import TRACKED, change_log, record_name
from .filters import MeasureFilter
from .forms import (
    ConflictChoiceForm,
    OfficeUploadForm,
    ReopenRoundForm,
    ReportingRoundForm,
    ReturnForm,
    SpreadsheetUploadForm,
    StatusEntryForm,
)
from .models import (
    IndicatorValue,
    Measure,
    ReportingRound,
    SpreadsheetImport,
    StatusEntry,
)
from .permissions import (
    can_enter_status,
    can_import_export,
    can_read_history,
    can_read_progress,
    can_review,
    can_run_rounds,
    editable_entries,
    open_work,
    readable_concepts,
    readable_entries,
    uses_office_file,
    uses_workspace,
    without_others_drafts,
    workspace_measures,
)
from .services import (
    AlreadyOpen,
    AlreadyWaiting,
    Conflict,
    NotAllowed,
    RoundAlreadyOpen,
    approve_entry,
    close_round,
    open_entries,
    open_entry,
    open_round,
    reopen_round,
    return_entry,
    save_entry,
    submit_entry,
    waiting_entry,
)
from .tables import (
    EXPORTS,
    OfficeStatusResource,
    export_table,
    import_outcome,
    office_template,
    readable_changes,
)
from .tables import FORMATS as TABLE_FORMATS
from .tables import checksum as table_checksum
from .tasks import check_spreadsheet, import_spreadsheet, remind_late_offices

MEASURES_PER_PAGE = 50
NOTIFICATIONS_PER_PAGE = 25
# The due measures without a lead office named on a round's page; the rest are counted.
WITHOUT_OFFICE_LISTED = 50


def _concept_context(request, concept):
    """Everything the concept page shows, in a fixed number of queries; the measures
    one page at a time, in the order of the report's headings."""
    measures = (
        Measure.objects.visible_to(request.user)
        .filter(concept=concept)
        .select_related("lead_office", "responsible_department", "current_entry", "topic__parent")
        .prefetch_related("partner_offices", "partner_organisations")
        .order_by(F("topic__position").asc(nulls_last=True), "topic_id", "position", "number")
    )
    page = Paginator(measures, MEASURES_PER_PAGE).get_page(request.GET.get("page"))
    groups = WorkingGroup.objects.filter(concept=concept).prefetch_related(
        "fields_of_action",
        Prefetch(
            "memberships",
            queryset=Membership.objects.select_related("organisation", "office", "department"),
        ),
    )
    return {
        "concept": concept,
        "action_plan": getattr(concept, "action_plan", None),
        "fields_of_action": concept.fields_of_action.all(),
        "groups": groups,
        "page": page,
        "measure_count": page.paginator.count,
    }


@require_safe
def home(request):
    """The start page: what the user's role has to do next (see start_page), then the
    concepts; each concept's full structure is on its own, paginated page."""
    if not can_read_progress(request.user):
        # Progress pages are not public: a short page on what this is and whom to
        # ask, instead of a login that leads back here.
        return render(request, "measures/home_public.html")
    visible = (
        Measure.objects.visible_to(request.user)
        .filter(concept=OuterRef("pk"))
        .order_by()
        .values("concept")
        .annotate(count=Count("pk"))
        .values("count")
    )
    concepts = (
        readable_concepts(request.user)
        .select_related("municipality")
        .annotate(visible_measure_count=Coalesce(Subquery(visible), 0))
    )
    user = request.user
    role = start_page.role_of(user, is_bureau(user), is_council(user), is_office_staff(user))
    context = {"concepts": concepts, **start_page.context_for(request, role)}
    return render(request, "measures/home.html", context)


@require_safe
@requires(can_read_progress)
def concept_detail(request, slug):
    concept = get_object_or_404(
        Concept.objects.select_related("municipality", "predecessor", "action_plan"),
        slug=slug,
    )
    if not can_read_progress(request.user, concept):
        # Another municipality's pages are public, this one's are not.
        return redirect_to_login(request.get_full_path())
    return render(request, "measures/concept_detail.html", _concept_context(request, concept))


# --- Workspace: office staff and the bureau -------------------------------------------


def _get_measure_for_user(request, pk):
    """The measure if it is in the user's workspace, else 404."""
    queryset = workspace_measures(
        request.user,
        Measure.objects.select_related(
            "concept",
            "lead_office",
            "responsible_department",
            "topic",
            "field_of_action",
            "working_group",
            "parent",
            "current_entry",
        ).with_timeliness(),
    )
    return get_object_or_404(queryset, pk=pk)


@requires(uses_workspace)
@require_safe
def measure_list(request):
    # The measures of every concept, with the work of the user's offices on them.
    return render(request, "measures/measure_list.html", _measure_list_context(request))


def _measure_list_context(request):
    measures = workspace_measures(
        request.user,
        Measure.objects.select_related("lead_office", "responsible_department", "current_entry")
        .with_timeliness()
        .with_work_state(open_work(request.user)),
    )
    measure_filter = MeasureFilter(request.GET, queryset=measures, request=request)
    queryset = measure_filter.qs
    if not request.GET.get("ordering"):
        queryset = queryset.order_by("concept", "position", "number")
    page = Paginator(queryset, 25).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return {
        "page_title": _("All measures") if can_review(request.user) else _("My measures"),
        "filter": measure_filter,
        "page": page,
        "query": query.urlencode(),
        "open_rounds": ReportingRound.objects.open().order_by("deadline")[:5],
        "returned_entries": editable_entries(request.user)
        .filter(state=StatusEntry.State.RETURNED)
        .select_related("measure")[:10],
    }


@requires(uses_workspace)
@require_safe
def measure_detail(request, pk):
    return render(request, "measures/measure_detail.html", _measure_detail_context(request, pk))


def _measure_detail_context(request, pk):
    measure = _get_measure_for_user(request, pk)
    entries = readable_entries(request.user, measure.status_entries.all()).select_related(
        "author", "reviewer", "reporting_round"
    )
    indicators = measure.indicators.prefetch_related(
        Prefetch(
            "values",
            queryset=IndicatorValue.objects.filter(
                Q(status_entry__isnull=True) | Q(status_entry__state=StatusEntry.State.APPROVED)
            ),
        )
    )
    entries = list(entries.prefetch_related("indicator_values__indicator"))
    editable = list(open_entries(measure, request.user).only("pk", "state"))
    return {
        "measure": measure,
        "page_title": f"{measure.number} {measure.title}",
        # The one step the page offers: continue the entry the user carries on, else
        # start one unless another waits for review.
        "open_entry": editable[0] if editable else None,
        "waiting_entry": next((e for e in entries if e.state == StatusEntry.State.SUBMITTED), None),
        "partner_offices": measure.partner_offices.all(),
        "partner_organisations": measure.partner_organisations.all(),
        "languages": measure.languages.all(),
        "entries": entries,
        "indicators": indicators,
        "funding_lines": measure.funding_lines.select_related(
            "programme", "responsible_office"
        ).prefetch_related("amounts"),
        "action_needs": measure.action_needs.all(),
        "children": measure.children.select_related("current_entry", "lead_office"),
        "can_enter": can_enter_status(request.user, measure),
        "editable_entry_ids": {entry.pk for entry in editable},
        "user_can_review": can_review(request.user),
    }


def _entry_form_response(
    request, measure, form, entry=None, conflict=None, status=200, carried_on=False
):
    return render(
        request,
        "measures/statusentry_form.html",
        {
            "measure": measure,
            "form": form,
            "entry": entry,
            "conflict": conflict,
            "carried_on": carried_on,
        },
        status=status,
    )


def _carried_on_response(request, measure, entry, indicators):
    """A new entry was sent while the office carries one on (opened before a colleague
    started it, or in a second tab): nothing is saved; the form of the entry to
    continue comes back with what was typed, to be saved there."""
    entry = StatusEntry.objects.select_related("author", "reviewer").get(pk=entry.pk)
    data = request.POST.copy()
    data["measure_version"] = measure.version
    data["entry_version"] = entry.version
    form = StatusEntryForm(data, instance=entry, measure=measure, indicators=indicators)
    form.is_valid()
    return _entry_form_response(request, measure, form, entry, status=409, carried_on=True)


def _waiting_response(request, measure, status=409):
    """The page that links to the entry of ``measure`` waiting for review, if one
    waits: a measure has one at a time, so no second one is started or submitted."""
    waiting = waiting_entry(measure)
    if waiting is None:
        return None
    context = {"measure": measure, "entry": waiting}
    return render(request, "measures/statusentry_waiting.html", context, status=status)


def _save_entry_from_form(request, measure, form, entry=None):
    """Save the entry, or answer with the conflict page keeping what the user typed."""
    try:
        saved = save_entry(
            measure=measure,
            author=request.user,
            data=form.entry_data(),
            indicator_values=form.indicator_values(),
            measure_version=form.cleaned_data["measure_version"],
            entry=entry,
            entry_version=form.cleaned_data.get("entry_version"),
            submit="submit" in request.POST,
        )
    except Conflict:
        fresh = Measure.objects.select_related("current_entry").get(pk=measure.pk)
        data = request.POST.copy()
        data["measure_version"] = fresh.version
        if entry is not None:
            entry = StatusEntry.objects.select_related("author", "reviewer").get(pk=entry.pk)
            data["entry_version"] = entry.version
        retry = StatusEntryForm(
            data,
            instance=entry,
            measure=fresh,
            indicators=form.indicators,
        )
        retry.is_valid()
        latest = (
            readable_entries(request.user, fresh.status_entries.all())
            .select_related("author")
            .order_by("-updated_at")[:5]
        )
        return _entry_form_response(
            request,
            fresh,
            retry,
            entry,
            conflict={"measure": fresh, "entries": latest, "entry": entry},
            status=409,
        )
    except AlreadyWaiting:  # submitted by someone else a moment ago
        return _waiting_response(request, measure) or redirect(measure)
    except AlreadyOpen as error:  # a colleague started one a moment ago
        fresh = Measure.objects.get(pk=measure.pk)
        return _carried_on_response(request, fresh, error.entry, form.indicators)
    except ValidationError as error:
        form.add_error(None, error)
        return _entry_form_response(request, measure, form, entry, status=400)
    if saved.state == StatusEntry.State.SUBMITTED:
        messages.success(request, _("The status was submitted for review."))
    else:
        messages.success(request, _("The draft was saved."))
    return redirect(measure)


@requires(uses_workspace)
@require_http_methods(["GET", "POST"])
def entry_create(request, pk):
    measure = _get_measure_for_user(request, pk)
    if not can_enter_status(request.user, measure):
        raise PermissionDenied
    waiting = _waiting_response(request, measure, status=409 if request.method == "POST" else 200)
    if waiting is not None:
        return waiting
    indicators = list(measure.indicators.all())
    # One open entry per measure and office: a draft or a returned entry is continued.
    carried_on = open_entry(measure, request.user)
    if carried_on is not None and request.method == "POST":
        return _carried_on_response(request, measure, carried_on, indicators)
    if carried_on is not None:
        messages.info(
            request,
            _(
                "A status for this measure is already in progress. "
                "Please continue it here instead of starting a second one."
            ),
        )
        return redirect("measures:entry_edit", pk=carried_on.pk)
    if request.method == "POST":
        form = StatusEntryForm(request.POST, measure=measure, indicators=indicators)
        if form.is_valid():
            return _save_entry_from_form(request, measure, form)
        return _entry_form_response(request, measure, form, status=400)
    form = StatusEntryForm(
        measure=measure,
        indicators=indicators,
        initial={
            "measure_version": measure.version,
            "as_of": datetime.date.today(),
            "status": measure.current_status,
            "progress": measure.current_progress,
        },
    )
    return _entry_form_response(request, measure, form)


@requires(uses_workspace)
@require_http_methods(["GET", "POST"])
def entry_edit(request, pk):
    entry = get_object_or_404(
        editable_entries(request.user).select_related("measure", "author", "reviewer"), pk=pk
    )
    measure = _get_measure_for_user(request, entry.measure_id)
    indicators = list(measure.indicators.all())
    if request.method == "POST" and "submit" in request.POST:
        waiting = _waiting_response(request, measure)
        if waiting is not None:
            return waiting
    if request.method == "POST":
        form = StatusEntryForm(request.POST, instance=entry, measure=measure, indicators=indicators)
        if form.is_valid():
            return _save_entry_from_form(request, measure, form, entry)
        return _entry_form_response(request, measure, form, entry, status=400)
    form = StatusEntryForm(
        instance=entry,
        measure=measure,
        indicators=indicators,
        initial={"measure_version": measure.version, "entry_version": entry.version},
        initial_values={v.indicator_id: v for v in entry.indicator_values.all()},
    )
    return _entry_form_response(request, measure, form, entry)


@requires(uses_workspace)
@require_POST
def entry_submit(request, pk):
    entry = get_object_or_404(editable_entries(request.user).select_related("measure"), pk=pk)
    waiting = _waiting_response(request, entry.measure)
    if waiting is not None:
        return waiting
    try:
        submit_entry(entry, request.user)
    except AlreadyWaiting:  # submitted by someone else a moment ago
        return _waiting_response(request, entry.measure) or redirect(entry.measure)
    except NotAllowed:
        messages.error(request, _("This entry can no longer be submitted."))
    else:
        messages.success(request, _("The status was submitted for review."))
    return redirect(entry.measure)


@requires(can_review)
@require_safe
def review_queue(request):
    entries = (
        StatusEntry.objects.filter(state=StatusEntry.State.SUBMITTED)
        .select_related("measure__lead_office", "measure__current_entry", "author")
        .prefetch_related("indicator_values__indicator")
        .order_by("submitted_at", "pk")
    )
    page = Paginator(entries, 25).get_page(request.GET.get("page"))
    return render(request, "measures/review_queue.html", {"page": page})


def _site_url(request):
    """Scheme and host for the links in the e-mails a step sends (as invitations do)."""
    return f"{request.scheme}://{request.get_host()}"


def _submitted_entry(pk):
    return get_object_or_404(
        StatusEntry.objects.select_related("measure", "author"),
        pk=pk,
        state=StatusEntry.State.SUBMITTED,
    )


@requires(can_review)
@require_POST
def entry_approve(request, pk):
    entry = _submitted_entry(pk)
    if not can_review(request.user, entry):
        raise PermissionDenied
    try:
        approve_entry(entry, request.user, site_url=_site_url(request))
    except NotAllowed:
        messages.error(request, _("This entry has already been reviewed."))
    else:
        messages.success(request, _("Approved: %(measure)s.") % {"measure": entry.measure})
    return redirect("measures:review_queue")


@requires(can_review)
@require_http_methods(["GET", "POST"])
def entry_return(request, pk):
    entry = _submitted_entry(pk)
    if not can_review(request.user, entry):
        raise PermissionDenied
    form = ReturnForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            return_entry(
                entry, request.user, form.cleaned_data["comment"], site_url=_site_url(request)
            )
        except NotAllowed:
            messages.error(request, _("This entry has already been reviewed."))
        else:
            messages.success(
                request, _("Returned to the author: %(measure)s.") % {"measure": entry.measure}
            )
        return redirect("measures:review_queue")
    return render(
        request,
        "measures/statusentry_return.html",
        {"entry": entry, "form": form},
        status=400 if form.is_bound else 200,
    )


@requires(can_read_history)
@require_safe
def change_history(request, kind, pk):
    """The audit trail of one record as a readable diff (bureau only)."""
    model = TRACKED.get(kind)
    if model is None:
        raise Http404
    if model is StatusEntry:
        # Another office's draft is not there for the reader, nor are the draft stages
        # of an entry submitted since.
        obj = get_object_or_404(without_others_drafts(request.user, StatusEntry.objects), pk=pk)
        records = without_others_drafts(request.user, obj.history.all())
    else:
        obj = get_object_or_404(model, pk=pk)
        records = None
    page, rows = change_log(obj, request.GET.get("page"), records=records)
    if model is ReportingRound:
        _name_round_steps(rows)
    return render(
        request,
        "measures/change_history.html",
        {
            "object": obj,
            "object_name": record_name(obj),
            "page": page,
            "rows": rows,
            "model_name": model._meta.verbose_name,
        },
    )


# --- Reporting rounds ------------------------------------------------------------------


def _name_round_steps(rows):
    """A round's history says "closed" / "reopened" where its closing date changed,
    rather than "changed"; the reason for reopening is shown with the record."""
    closed_at = ReportingRound._meta.get_field("closed_at").verbose_name
    for row in rows:
        record = row["record"]
        if row["is_first"] or record.history_type != "~":
            continue
        if any(label == closed_at for label, _old, _new in row["changes"]):
            row["action"] = _("closed") if record.closed_at else _("reopened")


def _round_already_open(error):
    return _("The round “%(title)s” is already open for this concept; close it first.") % {
        "title": error.reporting_round.title
    }


@requires(can_run_rounds)
@require_safe
def round_list(request):
    rounds = ReportingRound.objects.select_related("concept").annotate(
        due_count=Count("due_measures", distinct=True)
    )
    return render(request, "measures/round_list.html", {"rounds": rounds})


@requires(can_run_rounds)
@require_http_methods(["GET", "POST"])
def round_create(request):
    form = ReportingRoundForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            reporting_round = open_round(**form.cleaned_data, site_url=_site_url(request))
        except RoundAlreadyOpen as error:
            form.add_error("concept", _round_already_open(error))
        else:
            messages.success(
                request,
                _("The round “%(title)s” is open; %(count)s measures are due.")
                % {"title": reporting_round.title, "count": reporting_round.due_measures.count()},
            )
            return redirect(reporting_round)
    return render(
        request,
        "measures/round_form.html",
        {"form": form},
        status=400 if form.is_bound else 200,
    )


@requires(can_run_rounds)
@require_safe
def round_detail(request, pk):
    reporting_round = get_object_or_404(ReportingRound.objects.select_related("concept"), pk=pk)
    rows, totals = reporting_round.office_rows()
    without_office_count = next((row["due"] for row in rows if row["office"] is None), 0)
    # Due measures that no office is asked to report on (read only when there are any).
    without_office = (
        reporting_round.due_measures.filter(lead_office__isnull=True).order_by(
            "position", "number"
        )[:WITHOUT_OFFICE_LISTED]
        if without_office_count
        else []
    )
    # What the round and its entries told people by e-mail, newest first.
    notifications = Paginator(
        reporting_round.notifications.select_related("recipient", "office", "entry__measure"),
        NOTIFICATIONS_PER_PAGE,
    ).get_page(request.GET.get("page"))
    return render(
        request,
        "measures/round_detail.html",
        {
            "round": reporting_round,
            "rows": rows,
            "totals": totals,
            "without_office": without_office,
            "without_office_count": without_office_count,
            "notifications": notifications,
        },
    )


@requires(can_run_rounds)
@require_safe
def round_measures(request, pk):
    """The measures due in a round that one office leads (``amt``: its id, or "ohne"
    for those without a lead office): what a count on the round's page stands for."""
    reporting_round = get_object_or_404(ReportingRound.objects.select_related("concept"), pk=pk)
    chosen = request.GET.get("amt", "")
    measures = reporting_round.due_measures.select_related("current_entry").order_by(
        "position", "number"
    )
    if chosen == "ohne":
        office = None
        measures = measures.filter(lead_office__isnull=True)
    elif chosen.isdigit():
        office = get_object_or_404(
            Office, pk=chosen, municipality_id=reporting_round.concept.municipality_id
        )
        measures = measures.filter(lead_office=office)
    else:
        raise Http404
    page = Paginator(measures, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "measures/round_measures.html",
        {"round": reporting_round, "office": office, "page": page, "query": f"amt={chosen}"},
    )


@requires(can_run_rounds)
@require_POST
def round_remind(request, pk):
    """The bureau reminds the late offices of an open round now, in the background."""
    reporting_round = get_object_or_404(ReportingRound, pk=pk)
    if not (reporting_round.is_open and reporting_round.is_past_deadline()):
        messages.error(request, _("Reminders go out only for an open round past its deadline."))
        return redirect(reporting_round)
    remind_late_offices.enqueue(reporting_round.pk, site_url=_site_url(request))
    messages.success(
        request,
        _(
            "The late offices are being reminded by e-mail in the background. An office "
            "that has already been reminded today is not reminded again."
        ),
    )
    return redirect(reporting_round)


@requires(can_run_rounds)
@require_http_methods(["GET", "POST"])
def round_close(request, pk):
    """Closing needs a confirmation on its own page that says what is outstanding."""
    reporting_round = get_object_or_404(ReportingRound.objects.select_related("concept"), pk=pk)
    if not reporting_round.is_open:
        messages.error(request, _("This round is not open."))
        return redirect(reporting_round)
    if request.method == "POST":
        try:
            close_round(reporting_round)
        except NotAllowed:
            messages.error(request, _("This round is not open."))
        else:
            messages.success(
                request, _("The round is closed. You can reopen it from the round's page.")
            )
        return redirect(reporting_round)
    rows, totals = reporting_round.office_rows()
    outstanding = sorted(
        (row for row in rows if row["outstanding"]), key=lambda row: str(row["office"] or "")
    )
    return render(
        request,
        "measures/round_confirm_close.html",
        {
            "round": reporting_round,
            "outstanding": outstanding,
            "outstanding_total": totals["outstanding"],
            "due_total": totals["due"],
            "late": reporting_round.is_past_deadline(),
        },
    )


@requires(can_run_rounds)
@require_http_methods(["GET", "POST"])
def round_reopen(request, pk):
    """The bureau opens a closed round again; the reason goes into its history."""
    reporting_round = get_object_or_404(ReportingRound.objects.select_related("concept"), pk=pk)
    if reporting_round.is_open or reporting_round.opened_at is None:
        messages.error(request, _("Only a closed round can be reopened."))
        return redirect(reporting_round)
    form = ReopenRoundForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            reopen_round(reporting_round, form.cleaned_data["reason"])
        except NotAllowed:
            messages.error(request, _("Only a closed round can be reopened."))
            return redirect(reporting_round)
        except RoundAlreadyOpen as error:
            form.add_error(None, _round_already_open(error))
        else:
            messages.success(request, _("The round is open again."))
            return redirect(reporting_round)
    return render(
        request,
        "measures/round_reopen.html",
        {"round": reporting_round, "form": form},
        status=400 if form.is_bound else 200,
    )


@requires(uses_workspace)
@require_safe
def data_exchange(request):
    """Spreadsheets: for the bureau the exports, the import form and the recent
    imports; for office staff the file of their own measures' statuses."""
    if can_import_export(request.user):
        return render(request, "measures/data_exchange.html", _bureau_tables())
    return render(request, "measures/office_data.html", _office_tables(request.user))


def _bureau_tables(form=None):
    imports = (
        SpreadsheetImport.objects.exclude(kind=SpreadsheetImport.Kind.OFFICE_STATUSES)
        .select_related("uploaded_by")
        .defer("content")[:20]
    )
    return {
        "exports": EXPORTS.values(),
        "form": form or SpreadsheetUploadForm(),
        "imports": imports,
    }


def _office_tables(user, form=None):
    imports = (
        SpreadsheetImport.objects.filter(
            kind=SpreadsheetImport.Kind.OFFICE_STATUSES, uploaded_by=user
        )
        .select_related("uploaded_by")
        .defer("content")[:20]
    )
    return {
        "form": form or OfficeUploadForm(),
        "imports": imports,
        "columns": [(OfficeStatusResource().heading(key), help) for key, help in OFFICE_HELP],
    }


# What each column of the office's file means (shown next to its download).
OFFICE_HELP = [
    ("concept", gettext_lazy("The concept (filled in; leave it as it is).")),
    ("measure", gettext_lazy("The measure's number (filled in; leave it as it is).")),
    ("title", gettext_lazy("The measure's title, for orientation; not read.")),
    ("current_status", gettext_lazy("The last approved status, for orientation; not read.")),
    ("as_of", gettext_lazy("The date the status refers to, as DD.MM.YYYY.")),
    (
        "status",
        gettext_lazy(
            "The new status, as on the form (e.g. “in Umsetzung”). "
            "Rows without a status are left alone."
        ),
    ),
    ("progress", gettext_lazy("Optional: progress in percent, 0 to 100.")),
    ("note", gettext_lazy("The text for the report.")),
    ("internal_note", gettext_lazy("Optional: a note for your office and the bureau only.")),
    ("reason", gettext_lazy("Required for some statuses, as on the form.")),
    (
        "submit",
        gettext_lazy(
            "“ja” submits the entry for review; “nein” keeps it as a draft "
            "you continue in the browser."
        ),
    ),
]


@requires(uses_office_file)
@require_safe
def office_export(request, format):
    """The office's file to fill in: its measures, the columns to fill empty."""
    if format not in TABLE_FORMATS:
        raise Http404
    response = HttpResponse(
        office_template(request.user, format), content_type=TABLE_FORMATS[format]
    )
    name = spreadsheet_filename(_("Status entries"), format)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@requires(uses_office_file)
@require_POST
def office_upload(request):
    """Stores the office's file and has it checked, as the bureau's files are."""
    form = OfficeUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return render(
            request,
            "measures/office_data.html",
            _office_tables(request.user, form),
            status=400,
        )
    return _store_upload(request, form, SpreadsheetImport.Kind.OFFICE_STATUSES)


def _store_upload(request, form, kind):
    upload = form.cleaned_data["file"]
    content = upload.read()
    # The file is the municipality's the request works in (the system administration
    # uploads for the one whose address it is at), and is checked and imported there.
    chosen = chosen_municipality(request)
    batch = SpreadsheetImport.objects.create(
        municipality_id=chosen[0] if chosen else None,
        kind=kind,
        file_name=upload.name[:255],
        file_format=upload.file_format,
        content=content,
        sha256=table_checksum(content),
        uploaded_by=request.user,
        state=SpreadsheetImport.State.CHECKING,
    )
    check_spreadsheet.enqueue(batch.pk)
    return redirect("measures:import_detail", pk=batch.pk)


@requires(can_import_export)
@require_safe
def table_export(request, slug, format):
    table = EXPORTS.get(slug)
    if table is None or format not in TABLE_FORMATS:
        raise Http404
    content = export_table(table, format)
    response = HttpResponse(content, content_type=TABLE_FORMATS[format])
    response["Content-Disposition"] = f'attachment; filename="{table.filename(format)}"'
    return response


@requires(can_import_export)
@require_POST
def import_upload(request):
    """Stores the file and has a background task check it (dry run); the file's page
    shows how far the check is, then its result."""
    form = SpreadsheetUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return render(request, "measures/data_exchange.html", _bureau_tables(form), status=400)
    return _store_upload(request, form, form.cleaned_data["kind"])


# While a file is being checked or imported its page reloads itself this often (the
# HTTP Refresh header: browsers follow it without JavaScript, like a meta refresh).
IMPORT_REFRESH_SECONDS = 2


def _imports_for_user(user):
    """The files the user may see and import: the bureau's files for the bureau, an
    office's own files for the person who uploaded them."""
    batches = SpreadsheetImport.objects.all()
    if can_import_export(user):
        return batches.exclude(kind=SpreadsheetImport.Kind.OFFICE_STATUSES)
    return batches.filter(kind=SpreadsheetImport.Kind.OFFICE_STATUSES, uploaded_by=user)


@requires(uses_workspace)
@require_http_methods(["GET", "POST"])
def import_detail(request, pk):
    """The check's result, or how far the check or the import is; POST has the file
    imported by a background task, all rows or none."""
    batch = get_object_or_404(_imports_for_user(request.user).select_related("uploaded_by"), pk=pk)
    # Its check or import started after the upload: once it may have run for longer
    # than it can, its worker may have lost it (helpers/worker.py).
    task = (
        check_spreadsheet if batch.state == SpreadsheetImport.State.CHECKING else import_spreadsheet
    )
    if batch.in_progress and overdue(task, batch.uploaded_at):
        fail_lost_tasks()
        batch.refresh_from_db(fields=["state", "lost", "summary"])
    status = 200
    conflict_form = ConflictChoiceForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and not conflict_form.is_valid():
        status = 400
    elif request.method == "POST":
        claimed = batch.claim()
        if not claimed and batch.state == SpreadsheetImport.State.IMPORTED:
            messages.error(request, _("This file has already been imported."))
            return redirect("measures:import_detail", pk=batch.pk)
        if claimed:
            import_spreadsheet.enqueue(
                batch.pk,
                request.user.pk,
                on_conflict=conflict_form.cleaned_data["on_conflict"],
                reason=conflict_form.cleaned_data["reason"],
            )
            batch.refresh_from_db()
        if batch.state == SpreadsheetImport.State.IMPORTED:
            messages.success(request, import_outcome(batch))
            return redirect("measures:import_detail", pk=batch.pk)
        if batch.state != SpreadsheetImport.State.PREVIEWED:
            # Queued for the worker (or failed): the page says how far it is.
            return redirect("measures:import_detail", pk=batch.pk)
        # The records changed since the check: nothing is written, the batch stays
        # unimported and shows the new errors.
        messages.error(request, _("The import found errors; nothing has been imported."))
        status = 400
    earlier = (
        _imports_for_user(request.user)
        .filter(sha256=batch.sha256, state=SpreadsheetImport.State.IMPORTED)
        .exclude(pk=batch.pk)
        .defer("content")
        .first()
    )
    response = render(
        request,
        "measures/import_detail.html",
        {
            "batch": batch,
            "summary": batch.summary,
            "earlier": earlier,
            "conflict_form": conflict_form,
            "changed_rows": readable_changes(batch),
            "outcome": import_outcome(batch)
            if batch.state == SpreadsheetImport.State.IMPORTED
            else "",
            "worker_is_late": batch.in_progress and worker_is_late(),
        },
        status=status,
    )
    if batch.in_progress:
        response["Refresh"] = str(IMPORT_REFRESH_SECONDS)
    return response
