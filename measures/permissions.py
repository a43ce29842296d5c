"""Who may read which measures. The one place where reading rights are decided;
views fetch measures through ``readable_measures`` and never filter on their own."""

from django.conf import settings

from integration_tracker.roles import is_bureau, is_council, is_office_staff


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
