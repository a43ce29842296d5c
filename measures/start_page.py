"""What each role sees first: the start page's "what to do next", in a fixed number of
queries whatever the number of measures.

Apps further up (reports) add their own parts (latest report, progress summary) with
add_section() from their AppConfig.ready(), so that this app does not import them."""

import datetime

from django.db.models import Count, Exists, OuterRef

from working_groups.models import Office

from .models import Measure, ReportingRound, StatusEntry, WorkState
from .permissions import editable_entries, open_work, workspace_measures

LIST_LENGTH = 10
_sections = []


def add_section(provider):
    """provider(request, role) -> dict merged into the start page's context."""
    _sections.append(provider)


def role_of(user, bureau, council, office_staff):
    if bureau:
        return "bureau"
    if office_staff:
        return "office_staff"
    if council:
        return "council"
    return "public"


def context_for(request, role):
    context = {"role": role}
    if role == "office_staff":
        context.update(_office_staff(request.user))
    elif role == "bureau":
        context.update(_bureau())
    for provider in _sections:
        context.update(provider(request, role))
    return context


def _open_rounds():
    return ReportingRound.objects.open()


def _answered_in_round():
    """An entry of the measure in an open round that is submitted or approved: the
    office has done its part for that round."""
    return StatusEntry.objects.filter(
        measure=OuterRef("pk"),
        reporting_round__in=_open_rounds(),
        state__in=[StatusEntry.State.SUBMITTED, StatusEntry.State.APPROVED],
    )


def _office_staff(user):
    """Due measures nobody has started, the drafts and returned entries the user
    carries on, and the entries waiting for review on the user's measures: one item
    per measure, each with the state of its work. 5 queries."""
    rounds = list(_open_rounds().select_related("concept").order_by("deadline"))
    # A measure with a draft, a returned entry or an entry waiting for review is
    # listed with that entry (below), not a second time as one to start.
    due = (
        workspace_measures(user, Measure.objects.filter(reporting_rounds__in=rounds))
        .annotate(answered=Exists(_answered_in_round()))
        .with_work_state(open_work(user))
        .filter(answered=False, work_state__in=[WorkState.NONE, WorkState.APPROVED])
        .select_related("lead_office")
        .distinct()
        .order_by("number")
    )
    due_list = list(due[: LIST_LENGTH + 1]) if rounds else []
    entries = list(
        editable_entries(user)
        .select_related("measure", "author", "reviewer")
        .order_by("-updated_at")[:50]
    )
    waiting_list = list(
        StatusEntry.objects.filter(
            state=StatusEntry.State.SUBMITTED, measure__in=workspace_measures(user).values("pk")
        )
        .select_related("measure", "author")
        .order_by("submitted_at", "pk")[: LIST_LENGTH + 1]
    )
    return {
        "open_rounds": rounds,
        "due_measures": due_list[:LIST_LENGTH],
        "more_due": len(due_list) > LIST_LENGTH,
        "returned_entries": [e for e in entries if e.state == StatusEntry.State.RETURNED],
        "draft_entries": [e for e in entries if e.state == StatusEntry.State.DRAFT],
        "waiting_entries": waiting_list[:LIST_LENGTH],
        "more_waiting": len(waiting_list) > LIST_LENGTH,
    }


def _bureau(today=None):
    """The review queue (count, oldest first), open rounds with their late offices and
    the latest changes to measures. 6 queries."""
    today = today or datetime.date.today()
    waiting = StatusEntry.objects.filter(state=StatusEntry.State.SUBMITTED)
    oldest = list(waiting.select_related("measure", "author").order_by("submitted_at", "pk")[:5])
    rounds = list(_open_rounds().select_related("concept").order_by("deadline"))
    due = ReportingRound.due_measures.through.objects.filter(
        reportinground__in=[r.pk for r in rounds]
    )
    answered = StatusEntry.objects.filter(
        measure=OuterRef("measure_id"),
        reporting_round=OuterRef("reportinground_id"),
        state__in=[StatusEntry.State.SUBMITTED, StatusEntry.State.APPROVED],
    )
    outstanding = (
        due.annotate(answered=Exists(answered))
        .filter(answered=False)
        .values_list("reportinground_id", "measure__lead_office")
        .annotate(n=Count("pk"))
        .order_by()
    )
    per_round = {}
    for round_id, office_id, n in outstanding if rounds else []:
        per_round.setdefault(round_id, []).append((office_id, n))
    office_ids = {o for rows in per_round.values() for o, _ in rows if o}
    offices = Office.objects.in_bulk(office_ids) if office_ids else {}
    for r in rounds:
        rows = per_round.get(r.pk, [])
        r.outstanding = sum(n for _, n in rows)
        r.late_offices = (
            sorted(((offices[o], n) for o, n in rows if o in offices), key=lambda x: x[0].label)
            if r.is_past_deadline(today)
            else []
        )
    changes = list(Measure.history.select_related("history_user").order_by("-history_date")[:8])
    return {
        "review_count": waiting.count(),
        "review_oldest": oldest,
        "open_rounds": rounds,
        "recent_changes": changes,
    }
