"""What the Land view shows of each member municipality, read for all members at
once (a fixed number of queries however many there are), inside the scope of the
members (helpers/scope.py), and only what the municipalities have published:

- its published report versions (never a draft: a report without a version does not
  appear);
- where its progress pages are public and it is in service, what its public progress
  overview counts by default: the public measures of its latest concept with
  measures, by approved status (reports/progress.py), per field of action, or per
  heading where the concept's measures have no field of action (as the overview
  shows them).
"""

from django.contrib.auth.models import AnonymousUser
from django.db.models import Exists, F, OuterRef
from django.utils.translation import gettext as _

from helpers.addresses import municipality_reverse
from measures.models import Measure, Topic
from reports.models import PublishedVersion
from reports.progress import status_counts
from working_groups.models import Concept, FieldOfAction


def published_versions(municipalities):
    """{municipality id: [(report, [version, …]), …]}: the reports with published
    versions, latest period first, each with its versions, newest first (without
    their documents)."""
    versions = (
        PublishedVersion.objects.filter(report__concept__municipality__in=municipalities)
        .select_related("report")
        .defer(*PublishedVersion.STORED)
        .annotate(municipality_pk=F("report__concept__municipality"))
        .order_by("-report__period_end", "report__title", "report_id", "-number")
    )
    result = {}
    for version in versions:
        reports = result.setdefault(version.municipality_pk, [])
        if not reports or reports[-1][0].pk != version.report_id:
            reports.append((version.report, []))
        reports[-1][1].append(version)
    return result


def _shown_concepts(municipalities):
    """{municipality id: concept}: the concept its progress overview shows when none
    is chosen (reports/views.py ``_concept``): the latest with measures, else the
    latest."""
    concepts = (
        Concept.objects.filter(municipality__in=municipalities)
        .annotate(has_measures=Exists(Measure.objects.filter(concept=OuterRef("pk"))))
        .order_by("-start_year", "pk")
    )
    shown = {}
    for concept in concepts:
        current = shown.get(concept.municipality_id)
        if current is None or (concept.has_measures and not current.has_measures):
            shown[concept.municipality_id] = concept
    return shown


def _rows(counts, concept, objects, none_label):
    rows = [
        (obj, counts[(concept.pk, obj.pk)]) for obj in objects if (concept.pk, obj.pk) in counts
    ]
    if (concept.pk, None) in counts:
        rows.append((none_label, counts[(concept.pk, None)]))
    return rows


def public_progress(municipalities):
    """{municipality id: {"concept", "overall", "breakdown_title", "rows", "url"}} for
    the municipalities in service with public progress pages."""
    public = [m for m in municipalities if m.public_pages and m.in_service]
    if not public:
        return {}
    shown = _shown_concepts(public)
    concepts = list(shown.values())
    # The public's audience: public measures of municipalities with public pages,
    # statuses from approved entries only.
    measures = Measure.objects.visible_to(AnonymousUser()).filter(concept__in=concepts)
    overall = status_counts(measures, "concept")
    by_field = status_counts(measures, ("concept", "field_of_action"))
    fields = {}
    for field in FieldOfAction.objects.filter(concept__in=concepts).order_by("position", "number"):
        fields.setdefault(field.concept_id, []).append(field)
    # A breakdown only by a dimension that holds data (as the overview): a concept
    # whose measures have no field of action is counted by its headings.
    without_fields = [
        c for c in concepts if not any((c.pk, f.pk) in by_field for f in fields.get(c.pk, []))
    ]
    by_topic, topics = {}, {}
    if without_fields:
        by_topic = status_counts(measures.filter(concept__in=without_fields), ("concept", "topic"))
        for topic in Topic.objects.filter(concept__in=without_fields).order_by("position", "pk"):
            topics.setdefault(topic.concept_id, []).append(topic)
    result = {}
    for municipality in public:
        concept = shown.get(municipality.pk)
        if concept is None:
            result[municipality.pk] = {"concept": None, "url": _overview_url(municipality)}
            continue
        if concept in without_fields and topics.get(concept.pk):
            title = _("By heading")
            rows = _rows(by_topic, concept, topics[concept.pk], _("without heading"))
        else:
            title = _("By field of action")
            rows = _rows(
                by_field, concept, fields.get(concept.pk, []), _("without field of action")
            )
        result[municipality.pk] = {
            "concept": concept,
            "overall": overall.get(concept.pk),
            "breakdown_title": title,
            "rows": rows,
            "url": _overview_url(municipality, concept),
        }
    return result


def _overview_url(municipality, concept=None):
    url = municipality_reverse(municipality, "reports:overview")
    return f"{url}?konzept={concept.slug}" if concept is not None else url


def side_by_side(municipalities):
    """One row per municipality (in the given order): the municipality, its
    published versions and, where public, its progress counts. Run inside the scope
    of ``municipalities``."""
    versions = published_versions(municipalities)
    progress = public_progress(municipalities)
    return [
        {
            "municipality": m,
            "reports": versions.get(m.pk, []),
            "progress": progress.get(m.pk),
        }
        for m in municipalities
    ]
