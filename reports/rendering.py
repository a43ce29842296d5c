"""Everything an implementation report shows, read from the records as of the end of
its period, in a fixed number of queries whatever the number of measures."""

import re
from collections import defaultdict

from django.db.models import OuterRef, Prefetch, Q, Subquery
from django.template.defaultfilters import date as format_date
from django.template.defaultfilters import floatformat
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from measures.models import (
    ActionNeed,
    FundingAmount,
    FundingLine,
    IndicatorValue,
    Language,
    Measure,
    StatusEntry,
    Topic,
)
from working_groups.models import Membership, Office, WorkingGroup

from .models import ReportSection
from .progress import STATUS_ORDER
from .templatetags.report_tags import SourceNotes

Kind = ReportSection.Kind


def _with_children(measures):
    for measure in measures:
        yield measure
        yield from _with_children(measure.report_children)


def _status_summary(measures):
    """The statuses of a section's items in the period, as the overview table shows
    them: ``labels`` as (status label, count) for the text, ``counts`` in the form
    the progress pages' status bar takes (items without a status leave the bar
    empty). ``None`` when no item has a status (the report then states none)."""
    counts = {}
    for measure in measures:
        if measure.report_status:
            counts[measure.report_status] = counts.get(measure.report_status, 0) + 1
    if not counts:
        return None
    by_status = [(status, counts[status]) for status in STATUS_ORDER if counts.get(status)]
    return {
        "labels": [(status.label, count) for status, count in by_status],
        "counts": {"total": len(measures), "by_status": by_status},
    }


def approved_as_of(report):
    """Each measure's (``OuterRef("pk")``) approved entries dated on or before the end
    of the report's period, the one that counts first."""
    return (
        StatusEntry.objects.approved()
        .filter(measure=OuterRef("pk"), as_of__lte=report.period_end)
        .order_by("-as_of", "-reviewed_at", "-pk")
    )


def _measures_as_of(report):
    """The concept's measures, each with its status as of the end of the period: the
    latest approved entry dated on or before that day. Later entries, approved or
    not, leave the report as it was."""
    latest = approved_as_of(report)
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
            # in the order the bureau gave the offices (for Dresden the source's order)
            Prefetch(
                "partner_offices", queryset=Office.objects.order_by("position", "code", "name")
            ),
            "partner_organisations",
            # in the order they were recorded (for Dresden the source's: englisch /
            # tschechisch / russisch), not alphabetically
            Prefetch("languages", queryset=Language.objects.order_by("pk")),
            Prefetch("indicators__values", queryset=values_in_period),
        )
        .order_by("position", "number")
    )


def _member_lines(memberships):
    """The seats of a group as the report lists them, in the group's own order (for
    Dresden the source's): one line per organisation or role, and one line for each run
    of offices ("VertreterInnen der Ämter 10, 15, 51, 80"), which takes a department
    that follows it along ("… 15, 33, 41 und aus dem OB-Bereich").

    The one rule on wording: a line prints the recorded wording of the seat that opens
    it (``Membership.report_wording``, e.g. the source's "VertreterInnen Ämter 15, 33,
    41, des OB-Bereiches"), and is composed from the records only where that seat has
    none. A seat with a wording always opens a line of its own; the seats that follow
    it join it as they would join a composed line."""
    lines = []
    for seat in memberships:
        previous = lines[-1] if lines else None
        joins = previous and previous["kind"] == "offices" and not seat.report_wording
        if seat.office_id:
            if joins and not previous["department"]:
                previous["offices"].append(seat.office)
            else:
                lines.append({"kind": "offices", "offices": [seat.office], "department": None})
        elif seat.department_id and joins:
            previous["department"] = seat.department
        elif seat.organisation_id:
            lines.append({"kind": "organisation", "seat": seat})
        else:
            lines.append({"kind": "other", "seat": seat})
        # the wording of the seat that opened the line (a seat with one always does)
        lines[-1].setdefault("wording", seat.report_wording)
    return lines


def _names(obj):
    """The ways a record can be named in running text."""
    names = [obj.name, getattr(obj, "short_name", ""), obj.code if hasattr(obj, "code") else ""]
    if isinstance(obj, Office) and obj.code:
        names.append(f"Amt {obj.code}")
    return [name for name in names if name and len(name) > 2]


def _fold(text):
    """Text for comparing words: spaces normalised, case ignored."""
    return " ".join((text or "").split()).casefold()


def _named_in(obj, folded):
    return any(_fold(name) in folded for name in _names(obj))


def _unique(objects):
    seen, result = set(), []
    for obj in objects:
        key = (type(obj), obj.pk)
        if key not in seen:
            seen.add(key)
            result.append(obj)
    return result


def _say_once(measure, context, shows_statuses):
    """What an item adds after its own words (its wording, else its title), leaving
    out whatever these words, the heading above or the parent item already name: the
    lead office (or department), partner organisations and offices, languages, and a
    description the wording already contains. An item may stand for several measures
    (``reported_with``): it then speaks for all of them. Statuses only where the
    section shows them and an approved entry for the period exists."""
    parts = measure.report_parts = [measure, *measure.report_joined]
    words = _fold(measure.report_words)
    around = _fold(" ".join([context, measure.report_words]))
    text = _fold(
        " ".join(
            [around]
            + [part.description for part in parts]
            + [line.title for part in parts for line in part.report_funding]
        )
    )
    measure.report_leads = _unique(
        lead
        for part in parts
        if (lead := part.lead_office or part.responsible_department) is not None
        and not _named_in(lead, text)
    )
    measure.report_partners = _unique(
        org
        for part in parts
        for org in part.partner_organisations.all()
        if not _named_in(org, text)
    )
    measure.report_languages = _unique(
        language
        for part in parts
        for language in part.languages.all()
        if _fold(language.name) not in words
    )
    for part in parts:
        # A note on the item is headed by the item's words (report_tags.SourceNotes).
        part.report_subject = measure.report_words
        description = _fold(part.description).rstrip(".")
        part.report_description = "" if description and description in words else part.description
        for indicator in part.indicators.all():
            for value in indicator.values.all():
                value.report_sentence = _in_words(value)
        part.report_offices = [
            office for office in part.partner_offices.all() if not _named_in(office, around)
        ]
    shown = [part for part in parts if part.report_status] if shows_statuses else []
    measure.report_statuses = [
        {
            "number": part.number if len(parts) > 1 else "",
            "status": part.report_status,
            "progress": part.report_progress,
        }
        for part in shown
    ]
    # What the children need not repeat: these words and the offices named after them.
    said = " ".join([measure.report_words, *(str(lead) for lead in measure.report_leads)])
    for child in measure.report_children:
        _say_once(child, said, shows_statuses)


def _in_words(value):
    """The note of an indicator value where it states the value (the source's own
    sentence, "… nahmen 222 Beschäftigten an Fortbildungen teil"): the report prints
    the sentence rather than taking the figure out of it. Empty otherwise."""
    note = " ".join((value.note or "").split())
    forms = {floatformat(value.value, "-2g"), floatformat(value.value, "-2")}
    for form in forms:
        if re.search(rf"(?<![\d.,]){re.escape(form)}(?!\d|[.,]\d)", note):
            return note
    return ""


def _funding_table(lines):
    """Funding lines with amounts as a table: one column per year (or span of years)
    that any line has, the change in % where a line has two single years."""
    lines = [line for line in lines if line.report_amounts]
    columns = sorted({(a.year_from, a.year_to) for line in lines for a in line.report_amounts})
    rows = []
    for line in lines:
        by_years = {(a.year_from, a.year_to): a for a in line.report_amounts}
        change = None
        if line.first_last:
            first, last = line.first_last
            if first.amount:
                change = (last.amount - first.amount) / first.amount * 100
        rows.append(
            {"line": line, "cells": [by_years.get(column) for column in columns], "change": change}
        )
    labels = [str(a) if a == b else f"{a}–{b}" for a, b in columns]
    for row in rows:
        # Each amount with its column's label: on a phone the table becomes labelled rows.
        row["labelled"] = list(zip(labels, row["cells"], strict=True))
    has_change = any(r["change"] is not None for r in rows)
    return {
        "columns": labels,
        "rows": rows,
        "has_change": has_change,
        # The percentages are the report's own arithmetic: its note says so.
        "change_note": _(
            "The source gives no percentages: the report computes the change from the "
            "first and the last amount of each row."
        )
        if has_change
        else "",
    }


def _lead_in(block):
    """A heading's only item that has items of its own is the line that leads into
    them (Dresden's offices beside the multilingual material): it stands above the
    list, and its items form the list, rather than one bullet with a list inside."""
    measures = block["measures"]
    if len(measures) == 1 and measures[0].report_children:
        block["lead"] = measures[0]
        block["items"] = measures[0].report_children
    else:
        block["lead"] = None
        block["items"] = measures
    return block


def _contents(kind, item, context):
    """What a section holds, for the overview, as a bureau would count it: the
    groups whose members it lists, the items of its lists (a line leading into a list
    is none), the needs for action."""
    if kind == Kind.FOUNDATIONS:
        return _("Concept and action plan") if context["action_plan"] else _("Concept")
    if kind == Kind.MEMBERS:
        count = sum(1 for group in context["expert_groups"] if group.report_lines)
        return ngettext(
            "%(count)s expert working group", "%(count)s expert working groups", count
        ) % {"count": count}
    if kind in (Kind.MEASURES, Kind.FUNDING):
        count = item["count"]
        text = ngettext("%(count)s item", "%(count)s items", count) % {"count": count}
        funded = item.get("with_amounts")
        if funded:
            text += ", " + _("%(count)s of them with amounts") % {"count": funded}
        return text
    if kind == Kind.NEEDS:
        count = len(context["needs"])
        return ngettext("%(count)s need for action", "%(count)s needs for action", count) % {
            "count": count
        }
    if kind == Kind.TEXT:
        return _("Text")
    return ""


def notes_rule():
    """The one rule by which the report departs from its source's wording, as the notes
    at its end state it (the same words in every format)."""
    return _(
        "The report keeps the wording of its source, including its abbreviations and "
        "slips. Where it adds, spells out, corrects or interprets something, a raised "
        "number stands there; the note with that number says what the source writes and "
        "what the report makes of it. Only spaces, line breaks, dashes and arrows, "
        "quotation marks and the form of dates are made uniform without a note."
    )


def summary(report, shows_statuses):
    """The summary's paragraph: the period, and what the report describes."""
    text = _(
        "The report covers the period from %(start)s to %(end)s and describes what was "
        "done or is being done in that time."
    ) % {
        "start": format_date(report.period_start, "F Y"),
        "end": format_date(report.period_end, "F Y"),
    }
    if shows_statuses:
        text += " " + _(
            "Where it gives a status of implementation, it is the status as of %(date)s."
        ) % {"date": format_date(report.period_end)}
    return text


def report_context(report, unsaved=None):
    """What the report shows; ``unsaved`` is a section with changed texts or choices
    (not saved), rendered in its stored section's place: the preview."""
    sections = list(report.sections.prefetch_related("topics"))
    for section in sections:
        if unsaved is not None and section.pk == unsaved.pk:
            for name in ("text", "text_after", "shows_statuses"):
                setattr(section, name, getattr(unsaved, name))
    measures = _measures_as_of(report)
    by_topic = defaultdict(list)
    children = defaultdict(list)
    joined = defaultdict(list)
    in_concept = {measure.pk for measure in measures}
    for measure in measures:
        if measure.reported_with_id in in_concept:
            # Listed in the item of the measure it is reported with, not on its own.
            joined[measure.reported_with_id].append(measure)
        elif measure.parent_id:
            children[measure.parent_id].append(measure)
        else:
            by_topic[measure.topic_id].append(measure)
    for measure in measures:
        measure.report_joined = joined.get(measure.pk, [])
        measure.report_children = children.get(measure.pk, []) + [
            child for part in measure.report_joined for child in children.get(part.pk, [])
        ]

    topics = list(Topic.objects.filter(concept=report.concept).order_by("position", "pk"))
    sub_topics = defaultdict(list)
    for topic in topics:
        sub_topics[topic.parent_id].append(topic)

    def topic_blocks(section):
        """The section's items under their headings. Items of a topic that has
        sub-topics stand without a heading (the source lists them under the section's
        title), in their place among the sub-topics' lists by position. A heading
        without items says nothing: it is left out; one list needs no heading."""
        blocks = []
        for topic in section.topics.all():
            subs = sub_topics.get(topic.pk)
            if not subs:
                if by_topic.get(topic.pk):
                    blocks.append({"topic": topic, "measures": by_topic[topic.pk], "heading": True})
                continue
            lists = [
                {"topic": sub, "measures": by_topic[sub.pk], "heading": True}
                for sub in subs
                if by_topic.get(sub.pk)
            ]
            own = by_topic.get(topic.pk)
            if own:
                at = next(
                    (
                        index
                        for index, block in enumerate(lists)
                        if (block["measures"][0].position, block["measures"][0].number)
                        > (own[0].position, own[0].number)
                    ),
                    len(lists),
                )
                lists.insert(at, {"topic": topic, "measures": own, "heading": False})
            blocks += lists
        if len(blocks) == 1:
            blocks[0]["heading"] = False
        return [_lead_in(block) for block in blocks]

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
        line.report_amounts = amounts
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
        group.report_lines = _member_lines(group.memberships.all())

    needs = list(ActionNeed.objects.filter(concept=report.concept).select_related("carried_into"))
    sub_needs = defaultdict(list)
    for need in needs:
        sub_needs[need.parent_id].append(need)
    for need in needs:
        need.sub_needs = sub_needs.get(need.pk, [])

    expert_groups = [g for g in groups if g.kind == WorkingGroup.Kind.EXPERT]
    rendered = []
    for section in sections:
        item = {"section": section}
        # The headings within a section (``anchor`` their id), which the contents list
        # names under the section's, as the PDF's bookmarks do.
        if section.kind == Kind.MEMBERS:
            item["groups"] = [
                {"group": group, "anchor": f"section-{section.number}-group-{group.pk}"}
                for group in expert_groups
                if group.report_lines
            ]
        if section.kind in (Kind.MEASURES, Kind.FUNDING):
            item["blocks"] = topic_blocks(section)
            for block in item["blocks"]:
                block["anchor"] = f"section-{section.number}-topic-{block['topic'].pk}"
                heading = block["topic"].title if block["heading"] else section.title
                for measure in block["measures"]:
                    _say_once(measure, heading, section.shows_statuses)
            item["headings"] = [block for block in item["blocks"] if block["heading"]]
            items = [m for block in item["blocks"] for m in _with_children(block["measures"])]
            in_section = [part for m in items for part in (m, *m.report_joined)]
            leads = {block["lead"].pk for block in item["blocks"] if block["lead"]}
            item["count"] = sum(1 for m in items if m.pk not in leads)
            item["with_amounts"] = sum(
                1
                for m in items
                if any(
                    line.report_amounts
                    for part in (m, *m.report_joined)
                    for line in part.report_funding
                )
            )
            item["statuses"] = _status_summary(in_section) if section.shows_statuses else None
            if section.kind == Kind.FUNDING:
                item["funding"] = _funding_table(
                    [line for m in in_section for line in m.report_funding]
                )
        rendered.append(item)

    action_plan = getattr(report.concept, "action_plan", None)
    provisions = list(action_plan.provisions.all()) if action_plan else []
    for provision in provisions:
        provision.report_children = [p for p in provisions if p.parent_id == provision.pk]
    context = {
        "source_notes": SourceNotes(),
        "report": report,
        "concept": report.concept,
        "action_plan": action_plan,
        "provisions": [p for p in provisions if p.parent_id is None],
        "sections": rendered,
        "groups": groups,
        "expert_groups": expert_groups,
        "shows_statuses": any(item.get("statuses") for item in rendered),
        "needs": sub_needs.get(None, []),
    }
    for item in rendered:
        item["contents"] = _contents(item["section"].kind, item, context)
    context["summary"] = summary(report, context["shows_statuses"])
    context["notes_rule"] = notes_rule()
    return context
