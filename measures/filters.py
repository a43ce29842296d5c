"""Filters of measure lists (django-filter). The workspace list and the progress pages
filter with the same definitions: each filter here calls the rule on
``MeasureQuerySet`` (search, status, overdue, due, stale), so a list cannot count or
find differently from another. An invalid value (an unknown choice, a NUL byte, a
number out of range) makes the form invalid for that field only: it is ignored and
the form shows why, never a server error."""

import django_filters
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from working_groups.models import FieldOfAction, WorkingGroup

from .models import NO_STATUS, Measure, Status

SEARCH_MAX_LENGTH = 100


class LazyOrderingFilter(django_filters.OrderingFilter):
    """Sort choices translated when shown, not when the module is imported: the
    descending labels ("number (descending)") follow the user's language too."""

    def build_choices(self, fields, labels):
        choices = []
        for field, param in fields.items():
            label = labels.get(field, param)
            choices.append((param, label))
            choices.append((f"-{param}", format_lazy(_("{label} (descending)"), label=label)))
        return choices


class YesNoAnyWidget(django_filters.widgets.BooleanWidget):
    """A yes/no filter whose empty choice reads "any" rather than "unknown"."""

    def __init__(self, attrs=None):
        super().__init__(attrs)
        self.choices = (("", _("any")), ("true", _("yes")), ("false", _("no")))


def search_filter():
    return django_filters.CharFilter(
        label=_("Search"), method="filter_search", max_length=SEARCH_MAX_LENGTH
    )


def status_filter():
    return django_filters.ChoiceFilter(
        label=_("Status"),
        choices=[*Status.choices, (NO_STATUS.value, NO_STATUS.label)],
        method="filter_status",
        empty_label=_("any status"),
    )


def due_filter():
    return django_filters.BooleanFilter(
        label=_("Due in the current round"), method="filter_due", widget=YesNoAnyWidget()
    )


def overdue_filter(label=None):
    return django_filters.BooleanFilter(
        label=label or _("Overdue"), method="filter_overdue", widget=YesNoAnyWidget()
    )


def stale_filter(label=None):
    return django_filters.BooleanFilter(
        label=label or _("Stale (no approved entry in the current round)"),
        method="filter_stale",
        widget=YesNoAnyWidget(),
    )


class MeasureRulesFilterSet(django_filters.FilterSet):
    """The filter methods shared by every measure list; subclasses name the filters
    (the progress pages keep their German parameter names)."""

    class Meta:
        model = Measure
        fields = []

    def filter_search(self, queryset, name, value):
        return queryset.search(value)

    def filter_status(self, queryset, name, value):
        return queryset.with_status(value)

    def filter_due(self, queryset, name, value):
        return queryset.due() if value else queryset.not_due()

    def filter_overdue(self, queryset, name, value):
        return queryset.overdue() if value else queryset.not_overdue()

    def filter_stale(self, queryset, name, value):
        return queryset.stale() if value else queryset.not_stale()


class MeasureFilter(MeasureRulesFilterSet):
    """The workspace's measure list."""

    q = search_filter()
    field_of_action = django_filters.ModelChoiceFilter(
        label=_("Field of action"),
        # Set per request in __init__ (a queryset made at import would run outside any
        # municipality scope, helpers/scope.py).
        queryset=lambda request: FieldOfAction.objects.none(),
        empty_label=_("all fields of action"),
    )
    status = status_filter()
    working_group = django_filters.ModelChoiceFilter(
        label=_("Working group"),
        queryset=lambda request: WorkingGroup.objects.none(),
        empty_label=_("all working groups"),
    )
    due = due_filter()
    overdue = overdue_filter()
    stale = stale_filter()
    ordering = LazyOrderingFilter(
        label=_("Sort by"),
        empty_label=_("report order"),
        # No "position" choice: the empty choice is the report's order already.
        fields=[
            ("number", "number"),
            ("title", "title"),
            ("current_entry__status", "status"),
            ("planned_end", "planned_end"),
            ("updated_at", "updated"),
        ],
        field_labels={
            "number": _("number"),
            "title": _("title"),
            "current_entry__status": _("status"),
            "planned_end": _("planned end"),
            "updated_at": _("last change"),
        },
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Only the concepts of the listed measures: on a state-wide instance the
        # dropdowns would otherwise offer every municipality's fields of action and
        # groups (hundreds), and the page would grow with the whole state.
        concepts = self.queryset.order_by().values("concept_id")
        self.filters["field_of_action"].queryset = FieldOfAction.objects.filter(
            concept__in=concepts
        ).select_related("concept")
        self.filters["working_group"].queryset = WorkingGroup.objects.filter(
            concept__in=concepts
        ).select_related("concept")
