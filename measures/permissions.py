"""Who may read and write which measures and status entries.

The one place where these rights are decided: views fetch records through these
querysets and predicates and never filter on their own. Every right is checked on the
server; hiding a button is only a courtesy.
"""

from django.db.models import Case, Exists, F, OuterRef, Q, TextField, Value, When

from helpers.roles import is_bureau, is_council, is_office_staff
from helpers.scope import public_municipalities
from working_groups.models import Concept, Office

from .models import FundingLine, Measure, StatusEntry


def sees_internal_records(user):
    """Whether the user may see measures that are not flagged public: the members of
    the administration (bureau, council, office staff). ``Measure.objects.visible_to``
    applies it."""
    return user.is_authenticated and (is_bureau(user) or is_council(user) or is_office_staff(user))


def progress_is_public(user):
    """Whether some municipality has made its progress pages and open data public (its
    bureau's setting, ``Municipality.public_pages``, off by default). Read once per
    request and kept on the user object, as the roles are."""
    return bool(public_municipalities(user))


def can_read_progress(user, concept=None):
    """Progress pages and open data (of ``concept``, else of any concept): any role
    after login; anyone where the concept's municipality has made them public."""
    if sees_internal_records(user):
        return True
    if concept is not None:
        return concept.municipality.public_pages
    return progress_is_public(user)


def readable_concepts(user, queryset=None):
    """The concepts whose progress pages ``user`` reads: all for the administration's
    members, those of municipalities with public pages for everyone else."""
    queryset = Concept.objects.all() if queryset is None else queryset
    if sees_internal_records(user):
        return queryset
    return queryset.filter(municipality__public_pages=True)


def readable_funding_lines(user, queryset=None):
    """Funding lines on the progress pages: those of measures ``user`` reads
    (``Measure.objects.visible_to``), and those of no measure; of these, everyone
    outside the administration reads those whose responsible office belongs to a
    municipality with public pages."""
    queryset = FundingLine.objects.all() if queryset is None else queryset
    without_measure = Q(measure__isnull=True)
    if not sees_internal_records(user):
        without_measure &= Q(responsible_office__municipality__public_pages=True)
    return queryset.filter(without_measure | Q(measure__in=Measure.objects.visible_to(user)))


def uses_workspace(user):
    """The workspace (measure list, entries, review, spreadsheets) is for office staff
    and the bureau."""
    return is_bureau(user) or is_office_staff(user)


def can_run_rounds(user):
    """Reporting rounds (open, close, reopen, remind the late offices): the bureau."""
    return is_bureau(user)


def can_read_history(user):
    """The audit trail of a record, as a readable diff: the bureau."""
    return is_bureau(user)


def can_import_export(user):
    """The spreadsheets of every table, and their import: the bureau."""
    return is_bureau(user)


def uses_office_file(user):
    """The office's spreadsheet of its measures' statuses: office staff. The bureau
    exchanges every table instead (``can_import_export``)."""
    return is_office_staff(user) and not is_bureau(user)


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


def without_others_drafts(user, queryset):
    """Status entries, or their history records, without the drafts of an office the
    user does not belong to: a draft belongs to its author's office until it is
    submitted, in the workspace, the change history and the admin alike."""
    return queryset.filter(~Q(state=StatusEntry.State.DRAFT) | _in_author_office(user))


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
