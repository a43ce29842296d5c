"""The filter of the progress overview: the workspace's filter definitions
(measures/filters.py) under the German parameter names of shareable progress URLs."""

import django_filters
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from measures.filters import MeasureRulesFilterSet, overdue_filter, search_filter, stale_filter
from measures.filters import status_filter as _status_filter
from measures.models import Measure
from working_groups.models import FieldOfAction, Office, WorkingGroup


def _choices(objects):
    return [(str(obj.pk), str(obj)) for obj in objects]


class ProgressFilter(MeasureRulesFilterSet):
    """Filters the measures of one concept. The dropdowns offer that concept's fields
    of action and working groups and its municipality's offices; they are loaded once
    (``fields``, ``groups``, ``offices``) and serve both the page's tables and the
    validation, so a chosen filter costs no query of its own."""

    q = search_filter()
    handlungsfeld = django_filters.TypedChoiceFilter(
        label=_("Field of action"), field_name="field_of_action", coerce=int
    )
    gruppe = django_filters.TypedChoiceFilter(
        label=_("Working group"), field_name="working_group", coerce=int
    )
    amt = django_filters.TypedChoiceFilter(label=_("Office"), method="filter_office", coerce=int)
    status = _status_filter()
    ueberfaellig = overdue_filter(_("only overdue measures"))
    veraltet = stale_filter(_("only measures without approved status in the current round"))

    def __init__(self, data=None, queryset=None, *, concept, **kwargs):
        super().__init__(data, queryset, **kwargs)
        # In the models' order without its first key (the concept, the municipality),
        # which is the same for all of them and would join its table to sort by it.
        self.fields = list(
            FieldOfAction.objects.filter(concept=concept).order_by("position", "number")
        )
        self.groups = list(
            WorkingGroup.objects.filter(concept=concept).order_by(F("number").asc(nulls_first=True))
        )
        self.offices = list(
            Office.objects.filter(municipality=concept.municipality).order_by("code", "name")
        )
        for name, objects in [
            ("handlungsfeld", self.fields),
            ("gruppe", self.groups),
            ("amt", self.offices),
        ]:
            self.filters[name].extra["choices"] = _choices(objects)

    def filter_office(self, queryset, name, value):
        # A subquery rather than a join, so that grouped counts count each measure
        # once however many partner offices it has.
        partner_of = Measure.partner_offices.through.objects.filter(office=value)
        return queryset.filter(Q(lead_office=value) | Q(pk__in=partner_of.values("measure_id")))

    def selected(self):
        """The valid chosen values by name, for the hand-written form of the page;
        an invalid value is left out (and named in ``errors``)."""
        self.form.is_valid()
        return {name: self.form.cleaned_data.get(name) for name in self.filters}
