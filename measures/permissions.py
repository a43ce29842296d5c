"""Who may read and write which measures and status entries.

The one place where these rights are decided: views fetch records through these
querysets and predicates and never filter on their own. Every right is checked on the
server; hiding a button is only a courtesy.
"""

from django.conf import settings

from integration_tracker.roles import is_bureau, is_council, is_office_staff

from .models import Measure, StatusEntry


def can_read_progress(user):
    """Progress pages: any role after login; anyone when public pages are switched on."""
    if user.is_authenticated and (is_bureau(user) or is_council(user) or is_office_staff(user)):
        return True
    return settings.PUBLIC_PROGRESS_PAGES


def sees_internal_records(user):
    """Whether the user may see measures that are not flagged public."""
    return user.is_authenticated and (is_bureau(user) or is_council(user) or is_office_staff(user))


def readable_measures(user, queryset):
    """The measures of ``queryset`` that ``user`` may read on the progress pages."""
    if sees_internal_records(user):
        return queryset
    if settings.PUBLIC_PROGRESS_PAGES:
        return queryset.filter(is_public=True)
    return queryset.none()


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


def editable_entries(user, queryset=None):
    """Entries a user may still change: their own drafts and returned entries on
    measures of their workspace."""
    queryset = StatusEntry.objects.all() if queryset is None else queryset
    if not uses_workspace(user):
        return queryset.none()
    return queryset.filter(
        author=user,
        state__in=[StatusEntry.State.DRAFT, StatusEntry.State.RETURNED],
        measure__in=workspace_measures(user).values("pk"),
    )


def can_review(user, entry=None):
    """Four eyes: the bureau reviews, but never an entry it wrote itself."""
    if not is_bureau(user):
        return False
    return entry is None or entry.author_id != user.pk
