"""The reports' part of the start page (see measures.start_page): the latest published
report (for the council and the bureau, who read reports) and, for the bureau, the
report being prepared; for the council and the public the progress summary with the
overview's figures, and for the council what changed since the last published
version."""

from django.db.models import Exists, OuterRef

from measures.models import Measure, StatusEntry
from measures.permissions import readable_concepts

from .models import PublishedVersion, Report
from .progress import status_counts


def _featured_concept(user):
    """The overview's default: the latest concept with measures that ``user`` reads."""
    return (
        readable_concepts(user)
        .annotate(has_measures=Exists(Measure.objects.filter(concept=OuterRef("pk"))))
        .filter(has_measures=True)
        .order_by("-start_year")
        .first()
    )


def context(request, role):
    if role == "office_staff":
        return {}
    if role == "public":
        # Reports are read after login (the council); the public reads the progress.
        return _summary(request)
    latest = (
        PublishedVersion.objects.select_related("report", "published_by")
        .defer(*PublishedVersion.STORED)
        .order_by("-published_at", "-pk")
        .first()
    )
    result = {"latest_version": latest}
    if role == "bureau":
        result["draft_reports"] = list(Report.objects.select_related("concept").order_by("-pk")[:3])
        return result
    result.update(_summary(request))
    if latest is not None and role == "council":
        changed = (
            StatusEntry.objects.approved()
            .filter(reviewed_at__gt=latest.published_at)
            .select_related("measure")
            .order_by("-reviewed_at")
        )
        result["changed_since"] = list(changed[:10])
        result["changed_count"] = changed.count()
    return result


def _summary(request):
    """The progress summary: the overview's figures of the featured concept."""
    concept = _featured_concept(request.user)
    result = {"summary_concept": concept}
    if concept is not None:
        measures = Measure.objects.visible_to(request.user).filter(concept=concept)
        result["summary"] = status_counts(measures)[None]
    return result
