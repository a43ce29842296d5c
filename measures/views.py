from django.contrib.auth.views import redirect_to_login
from django.db.models import Count, Prefetch, Q
from django.shortcuts import get_object_or_404, render

from working_groups.models import Concept, Membership, WorkingGroup

from .models import Measure, Topic
from .permissions import can_read_progress, readable_measures, sees_internal_records


def _concept_context(request, concept):
    """Everything the concept page shows, in a fixed number of queries."""
    measures = readable_measures(
        request.user,
        Measure.objects.filter(concept=concept)
        .select_related("lead_office", "responsible_department", "current_entry", "topic")
        .prefetch_related("partner_offices", "partner_organisations"),
    )
    by_topic = {}
    for measure in measures:
        by_topic.setdefault(measure.topic_id, []).append(measure)
    topics = [
        (topic, by_topic.get(topic.pk, []))
        for topic in Topic.objects.filter(concept=concept).select_related("parent")
    ]
    groups = WorkingGroup.objects.filter(concept=concept).prefetch_related(
        "fields_of_action",
        Prefetch(
            "memberships",
            queryset=Membership.objects.select_related("organisation", "office", "department"),
        ),
    )
    return {
        "concept": concept,
        "action_plan": getattr(concept, "action_plan", None),
        "fields_of_action": concept.fields_of_action.all(),
        "groups": groups,
        "topics": topics,
        "untopical_measures": by_topic.get(None, []),
        "measure_count": sum(len(items) for items in by_topic.values()),
    }


def home(request):
    if not can_read_progress(request.user):
        return redirect_to_login(request.get_full_path())
    concepts = Concept.objects.select_related("municipality", "predecessor").annotate(
        measure_count=Count("measures", distinct=True),
        group_count=Count("working_groups", distinct=True),
        public_measure_count=Count("measures", filter=Q(measures__is_public=True), distinct=True),
    )
    internal = sees_internal_records(request.user)
    for concept in concepts:
        concept.visible_measure_count = (
            concept.measure_count if internal else concept.public_measure_count
        )
    featured = max(
        (c for c in concepts if c.visible_measure_count),
        key=lambda c: c.start_year,
        default=None,
    )
    context = {"concepts": concepts}
    if featured:
        context.update(_concept_context(request, featured))
    return render(request, "measures/home.html", context)


def concept_detail(request, slug):
    if not can_read_progress(request.user):
        return redirect_to_login(request.get_full_path())
    concept = get_object_or_404(
        Concept.objects.select_related("municipality", "predecessor", "action_plan"),
        slug=slug,
    )
    return render(request, "measures/concept_detail.html", _concept_context(request, concept))
