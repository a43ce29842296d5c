import datetime

import django_filters
from django.db.models import BooleanField, Exists, ExpressionWrapper, OuterRef, Q
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from working_groups.models import FieldOfAction, WorkingGroup

from .models import FINISHED_STATUSES, Measure, ReportingRound, Status, StatusEntry

NOT_STARTED = Status.NOT_STARTED.value


def annotate_timeliness(queryset, today=None):
    """Mark each measure as due (in an open reporting round), stale (due without an
    approved entry in that round) and overdue (past its planned end, not finished)."""
    today = today or datetime.date.today()
    open_rounds = ReportingRound.objects.filter(opened_at__isnull=False, closed_at__isnull=True)
    due = open_rounds.filter(due_measures=OuterRef("pk"))
    approved_in_round = StatusEntry.objects.filter(
        measure=OuterRef("pk"),
        state=StatusEntry.State.APPROVED,
        reporting_round__in=open_rounds,
    )
    return queryset.annotate(
        is_due=Exists(due),
        has_round_entry=Exists(approved_in_round),
        is_overdue_flag=ExpressionWrapper(
            Q(planned_end__lt=today)
            & (Q(current_entry__isnull=True) | ~Q(current_entry__status__in=FINISHED_STATUSES)),
            output_field=BooleanField(),
        ),
    )


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


class MeasureFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="search")
    field_of_action = django_filters.ModelChoiceFilter(
        label=_("Field of action"),
        queryset=FieldOfAction.objects.select_related("concept"),
        empty_label=_("all fields of action"),
    )
    status = django_filters.ChoiceFilter(
        label=_("Status"),
        choices=Status.choices,
        method="filter_status",
        empty_label=_("any status"),
    )
    working_group = django_filters.ModelChoiceFilter(
        label=_("Working group"),
        queryset=WorkingGroup.objects.select_related("concept"),
        empty_label=_("all working groups"),
    )
    due = django_filters.BooleanFilter(
        label=_("Due in the current round"),
        method="filter_due",
        widget=YesNoAnyWidget(),
    )
    overdue = django_filters.BooleanFilter(
        label=_("Overdue"),
        method="filter_overdue",
        widget=YesNoAnyWidget(),
    )
    stale = django_filters.BooleanFilter(
        label=_("Stale (no approved entry in the current round)"),
        method="filter_stale",
        widget=YesNoAnyWidget(),
    )
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

    class Meta:
        model = Measure
        fields = []

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

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(number__istartswith=value)
            | Q(title__icontains=value)
            | Q(description__icontains=value)
        )

    def filter_status(self, queryset, name, value):
        if value == NOT_STARTED:
            return queryset.filter(
                Q(current_entry__isnull=True) | Q(current_entry__status=NOT_STARTED)
            )
        return queryset.filter(current_entry__status=value)

    def filter_due(self, queryset, name, value):
        return queryset.filter(is_due=value)

    def filter_overdue(self, queryset, name, value):
        return queryset.filter(is_overdue_flag=value)

    def filter_stale(self, queryset, name, value):
        stale = Q(is_due=True, has_round_entry=False)
        return queryset.filter(stale if value else ~stale)
