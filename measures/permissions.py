"""Who may read and write which measures and status entries.

The one place where these rights are decided: views fetch records through these
querysets and predicates and never filter on their own. Every right is checked on the
server; hiding a button is only a courtesy.
"""

from django.conf import settings
from django.db.models import Case, Exists, F, OuterRef, Q, TextField, Value, When

from integration_tracker.roles import is_bureau, is_council, is_office_staff
from working_groups.models import Office

from .models import Measure, StatusEntry


def sees_internal_records(user):
    """Whether the user may see measures that are not flagged public: the members of
    the administration (bureau, council, office staff). ``Measure.objects.visible_to``
    applies it."""
    return user.is_authenticated and (is_bureau(user) or is_council(user) or is_office_staff(user))


def can_read_progress(user):
    """Progress pages: any role after login; anyone when public pages are switched on."""
    return sees_internal_records(user) or settings.PUBLIC_PROGRESS_PAGES


def can_read_reports(user):
    """Reports and their published versions: the bureau and the council (who reads
    drafts is ``can_read_drafts``)."""
    return is_bureau(user) or is_council(user)


def can_read_drafts(user):
    """Drafts (the report rendered from the current records, and its PDF/DOCX/HTML
    exports): the bureau. The council reads what the bureau has published."""
    return is_bureau(user)


def can_design_reports(user):
    """The look of the report documents (logo, Word template): the bureau."""
    return is_bureau(user)


def can_publish(user):
    """Freezing a report into a published version: the bureau."""
    return is_bureau(user)


def can_edit_reports(user):
    """The bureau's texts in a report, its sections' choices and the order of items,
    members and offices: the bureau. The council and office staff read."""
    return is_bureau(user)


def uses_workspace(user):
    """The workspace (measure list, entries, review) is for office staff and the bureau."""
    return is_bureau(user) or is_office_staff(user)


def workspace_measures(user, queryset=None):
    """Measures in the user's workspace: all for the bureau; for office staff those
    their offices lead or take part in."""
    queryset = Measure.objects.all() if queryset is None else queryset
    if is_bureau(user):
        return queryset
    if is_office_staff(user):
        offices = user.offices.values("pk")
        # One subquery of measure ids keeps one row per measure without DISTINCT,
        # which would defeat the index on ordering. It is a UNION of the led and the
        # partnered measures, each found by its index: an OR of the two would make
        # the database test every measure of a state-wide instance.
        led = Measure.objects.filter(lead_office__in=offices).order_by().values("pk")
        partner_of = (
            Measure.partner_offices.through.objects.filter(office__in=offices)
            .order_by()
            .values("measure_id")
        )
        return queryset.filter(pk__in=led.union(partner_of))
    return queryset.none()


def can_enter_status(user, measure):
    """Staff of an office leading or taking part in the measure, and the bureau."""
    if is_bureau(user):
        return True
    return workspace_measures(user, Measure.objects.filter(pk=measure.pk)).exists()


def _in_author_office(user):
    """The entry was written by the user or by someone of one of the user's offices."""
    shared_office = Office.objects.filter(staff=OuterRef("author")).filter(staff=user)
    return Q(author=user) | Exists(shared_office)


def readable_entries(user, queryset=None):
    """Status entries a user reads in the workspace, on measures of their workspace.

    A draft belongs to its author's office until it is submitted: only the author and
    the staff of the author's offices read it (not a partner office, not the bureau).
    The internal note is read by the author's offices and the bureau only; everyone
    else gets ``internal_note_for_reader`` empty, and the note itself is not loaded."""
    queryset = StatusEntry.objects.all() if queryset is None else queryset
    if not uses_workspace(user):
        return queryset.none()
    own_office = _in_author_office(user)
    if is_bureau(user):
        note = F("internal_note")
    else:
        note = Case(
            When(own_office, then=F("internal_note")),
            default=Value(""),
            output_field=TextField(),
        )
    return (
        queryset.filter(measure__in=workspace_measures(user).values("pk"))
        .filter(~Q(state=StatusEntry.State.DRAFT) | own_office)
        .defer("internal_note")
        .annotate(internal_note_for_reader=note)
    )


def open_work(user, queryset=None):
    """The drafts and returned entries the user carries on, on any measure: for office
    staff those of their offices (their own and their colleagues': the colleague who
    stands in continues an entry rather than starting a second one, see
    services.open_entry); for the bureau its own, so that it never reviews what it
    wrote (four eyes). ``editable_entries`` narrows this to the workspace; lists of
    workspace measures use it as it is (``Measure.objects.with_work_state``)."""
    queryset = StatusEntry.objects.all() if queryset is None else queryset
    if not uses_workspace(user):
        return queryset.none()
    carried_by = Q(author=user) if is_bureau(user) else _in_author_office(user)
    return queryset.filter(
        carried_by, state__in=[StatusEntry.State.DRAFT, StatusEntry.State.RETURNED]
    )


def editable_entries(user, queryset=None):
    """Entries a user may still change: the drafts and returned entries they carry on
    (``open_work``) on measures of their workspace."""
    return open_work(user, queryset).filter(measure__in=workspace_measures(user).values("pk"))


def can_review(user, entry=None):
    """Four eyes: the bureau reviews, but never an entry it wrote itself."""
    if not is_bureau(user):
        return False
    return entry is None or entry.author_id != user.pk
