"""The public progress data as open data: one documented list of fields drives the
CSV, the JSON and the documentation page, so they cannot drift apart."""

from dataclasses import dataclass

from django.conf import settings
from django.db.models import OuterRef, Subquery
from django.utils.translation import gettext_lazy as _

from measures.models import Measure, Status


@dataclass(frozen=True)
class OpenDataField:
    name: str
    description: str
    example: str
    # (value, label) where the field takes one of a fixed list of values.
    values: tuple = ()
    # The example is a record's text, which exists in German only.
    german: bool = False


FIELDS = [
    OpenDataField("concept", _("Slug of the integration concept."), "ik-2009"),
    OpenDataField(
        "number", _("Number of the measure; stable identifier within the concept."), "3.1.3"
    ),
    OpenDataField(
        "title", _("Title of the measure."), "Meldescheine, mehrsprachiges Material", german=True
    ),
    OpenDataField("parent", _("Number of the parent measure, if any."), "3.1"),
    OpenDataField(
        "topic",
        _("Heading of the report under which the measure is listed."),
        "Mehrsprachigkeit, Infomaterialien, Öffentlichkeitsarbeit",
        german=True,
    ),
    OpenDataField("field_of_action", _("Number of the field of action, if assigned."), "4.1"),
    OpenDataField("lead_office", _("Code or name of the lead office, if known."), "51"),
    OpenDataField(
        "status",
        _(
            "Status of the latest approved entry, one of the values below; empty where no "
            "status has been approved yet."
        ),
        "completed",
        values=Status.choices,
    ),
    OpenDataField(
        "progress",
        _("Progress in percent of the latest approved entry; empty where none applies."),
        "100",
    ),
    OpenDataField("status_as_of", _("Date (ISO 8601) of the latest approved entry."), "2014-03-31"),
    OpenDataField("planned_end", _("Planned end (ISO 8601), if any."), "2011-12-31"),
]


def LICENCE():  # noqa: N802 - a setting read at call time, named like one
    return settings.OPEN_DATA_LICENCE


def rows_for(measures):
    """Rows of public measures with approved data only; the parent's number only
    where the parent is public too."""
    public = Measure.objects.public()
    measures = (
        measures.public()
        .select_related("concept", "topic", "field_of_action", "lead_office", "current_entry")
        .annotate(
            public_parent_number=Subquery(public.filter(pk=OuterRef("parent_id")).values("number"))
        )
        .order_by("concept__slug", "position", "number")
    )
    for measure in measures.iterator(chunk_size=2000):
        entry = measure.current_entry
        yield {
            "concept": measure.concept.slug,
            "number": measure.number,
            "title": measure.title,
            "parent": measure.public_parent_number or "",
            "topic": measure.topic.title if measure.topic else "",
            "field_of_action": measure.field_of_action.number if measure.field_of_action else "",
            "lead_office": measure.lead_office.key if measure.lead_office else "",
            "status": entry.status if entry else "",
            "progress": entry.progress if entry and entry.progress is not None else "",
            "status_as_of": entry.as_of.isoformat() if entry else "",
            "planned_end": measure.planned_end.isoformat() if measure.planned_end else "",
        }
