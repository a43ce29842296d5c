"""Everything an implementation report shows, read from the records as of the end of
its period, in a fixed number of queries whatever the number of measures."""

from collections import defaultdict

from django.db.models import OuterRef, Prefetch, Q, Subquery

from measures.models import (
    ActionNeed,
    FundingAmount,
    FundingLine,
    IndicatorValue,
    Measure,
    StatusEntry,
    Topic,
)
from working_groups.models import Membership, WorkingGroup

from .models import ReportSection

Kind = ReportSection.Kind


def _measures_as_of(report):
    """The concept's measures, each with its status as of the end of the period: the
    latest approved entry dated on or before that day. Later entries, approved or
    not, leave the report as it was."""
    latest = (
        StatusEntry.objects.approved()
        .filter(measure=OuterRef("pk"), as_of__lte=report.period_end)
        .order_by("-as_of", "-reviewed_at", "-pk")
    )
    values_in_period = IndicatorValue.objects.filter(
        Q(status_entry__isnull=True) | Q(status_entry__state=StatusEntry.State.APPROVED),
        period_start__lte=report.period_end,
    ).order_by("period_start")
    return list(
        Measure.objects.filter(concept=report.concept)
        .annotate(
            report_status=Subquery(latest.values("status")[:1]),
            report_progress=Subquery(latest.values("progress")[:1]),
        )
        .select_related("lead_office", "responsible_department")
        .prefetch_related(
            "partner_offices",
            "partner_organisations",
            "languages",
            Prefetch("indicators__values", queryset=values_in_period),
        )
        .order_by("position", "number")
    )


def _member_lines(memberships):
    """The seats of a group as the report lists them: organisations (with their role),
    then the offices together ("VertreterInnen der Ämter 10, 15, 51, 80"), then
    departments and role-only seats."""
    organisations, offices, others = [], [], []
    for seat in memberships:
        if seat.organisation:
            organisations.append(seat)
        elif seat.office:
            offices.append(seat.office)
        else:
            others.append(seat)
    return organisations, offices, others


def report_context(report):
    sections = list(report.sections.prefetch_related("topics"))
    measures = _measures_as_of(report)
    by_topic = defaultdict(list)
    children = defaultdict(list)
    for measure in measures:
        if measure.parent_id:
            children[measure.parent_id].append(measure)
        else:
            by_topic[measure.topic_id].append(measure)
    for measure in measures:
        measure.report_children = children.get(measure.pk, [])

    topics = list(Topic.objects.filter(concept=report.concept).order_by("position", "pk"))
    sub_topics = defaultdict(list)
    for topic in topics:
        sub_topics[topic.parent_id].append(topic)

    def topic_blocks(section):
        blocks = []
        for topic in section.topics.all():
            for sub in sub_topics.get(topic.pk) or [topic]:
                blocks.append({"topic": sub, "measures": by_topic.get(sub.pk, [])})
        return blocks

    measure_ids = [m.pk for m in measures]
    funding_lines = defaultdict(list)
    for line in (
        FundingLine.objects.filter(measure__in=measure_ids)
        .select_related("programme", "responsible_office")
        .prefetch_related(
            Prefetch(
                "amounts",
                queryset=FundingAmount.objects.filter(
                    year_from__lte=report.period_end.year
                ).order_by("year_from", "year_to"),
            ),
            "fundinglinearea_set__area",
        )
    ):
        amounts = list(line.amounts.all())
        singles = [a for a in amounts if a.year_from == a.year_to]
        line.first_last = (singles[0], singles[-1]) if len(singles) > 1 else None
        funding_lines[line.measure_id].append(line)
    for measure in measures:
        measure.report_funding = funding_lines.get(measure.pk, [])

    groups = list(
        WorkingGroup.objects.filter(concept=report.concept)
        .select_related("members_involved_in")
        .prefetch_related(
            Prefetch(
                "memberships",
                queryset=Membership.objects.select_related("organisation", "office", "department"),
            )
        )
    )
    for group in groups:
        group.report_organisations, group.report_offices, group.report_others = _member_lines(
            group.memberships.all()
        )

    needs = list(ActionNeed.objects.filter(concept=report.concept).select_related("carried_into"))
    sub_needs = defaultdict(list)
    for need in needs:
        sub_needs[need.parent_id].append(need)
    for need in needs:
        need.sub_needs = sub_needs.get(need.pk, [])

    rendered = []
    for section in sections:
        item = {"section": section}
        if section.kind in (Kind.MEASURES, Kind.FUNDING):
            item["blocks"] = topic_blocks(section)
        rendered.append(item)

    action_plan = getattr(report.concept, "action_plan", None)
    provisions = list(action_plan.provisions.all()) if action_plan else []
    for provision in provisions:
        provision.report_children = [p for p in provisions if p.parent_id == provision.pk]
    return {
        "report": report,
        "concept": report.concept,
        "action_plan": action_plan,
        "provisions": [p for p in provisions if p.parent_id is None],
        "sections": rendered,
        "groups": groups,
        "expert_groups": [g for g in groups if g.kind == WorkingGroup.Kind.EXPERT],
        "needs": sub_needs.get(None, []),
    }
