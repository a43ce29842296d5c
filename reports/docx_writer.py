"""Writes the report context into a python-docx Document: one Heading 1 per section,
Word lists for items, a table per working group's members."""

from django.template.defaultfilters import date as format_date
from django.template.defaultfilters import floatformat
from django.utils.translation import gettext as _

from .models import ReportSection
from .templatetags.progress_tags import office_codes, status_label

Kind = ReportSection.Kind


def _bullet(document, text, level=0):
    style = "List Bullet" if level == 0 else f"List Bullet {min(level + 1, 3)}"
    return document.add_paragraph(text, style=style)


def _money(amount):
    return f"{floatformat(amount, '0g')} €"


def _measure_lines(measure):
    label = measure.title
    languages = list(measure.languages.all())
    if languages:
        label += " (" + " / ".join(str(language) for language in languages) + ")"
    if measure.lead_office:
        label += f" ({measure.lead_office.label})"
    elif measure.responsible_department:
        label += f" ({measure.responsible_department})"
    partners = list(measure.partner_organisations.all())
    if partners:
        label += " – " + ", ".join(str(p) for p in partners)
    status = status_label(measure.report_status)
    if measure.report_progress is not None:
        status += f", {measure.report_progress} %"
    lines = [f"{label} [{status}]"]
    offices = list(measure.partner_offices.all())
    if offices:
        lines.append(_("Offices") + ": " + ", ".join(str(o.label) for o in offices))
    if measure.description:
        lines.append(measure.description)
    for indicator in measure.indicators.all():
        for value in indicator.values.all():
            lines.append(
                _("%(name)s: %(value)s %(unit)s (%(start)s – %(end)s)")
                % {
                    "name": indicator.name,
                    "value": floatformat(value.value, "-2g"),
                    "unit": indicator.unit,
                    "start": format_date(value.period_start, "F Y"),
                    "end": format_date(value.period_end, "F Y"),
                }
            )
    for line in measure.report_funding:
        office = f" ({line.responsible_office.label})" if line.responsible_office else ""
        if line.first_last:
            first, last = line.first_last
            amounts = (
                f"{_money(first.amount)} ({first.years_label}) → "
                f"{_money(last.amount)} ({last.years_label})"
            )
        else:
            amounts = "; ".join(
                f"{_('approx.') + ' ' if a.is_approximate else ''}{_money(a.amount)} "
                f"({a.years_label})"
                for a in line.amounts.all()
            ) or _("no amounts recorded")
        lines.append(f"{line.title}{office}: {amounts}")
        areas = list(line.fundinglinearea_set.all())
        if areas:
            lines.append(
                _("Areas")
                + ": "
                + ", ".join(
                    f"{link.area}"
                    + (f" ({link.get_status_display()})" if link.status == "proposed" else "")
                    for link in areas
                )
            )
    return lines


def _write_measure(document, measure, level):
    first, *rest = _measure_lines(measure)
    _bullet(document, first, level)
    for line in rest:
        document.add_paragraph(line, style="List Continue" if level == 0 else "List Continue 2")
    for child in measure.report_children:
        _write_measure(document, child, level + 1)


def _write_need(document, need, level):
    text = need.title
    if need.sub_needs and need.children_are_examples:
        text += " – " + _("for example:")
    _bullet(document, text, level)
    for sub in need.sub_needs:
        _write_need(document, sub, level + 1)


def write_report(document, context, edition_marks):
    """The report into ``document``; ``edition_marks`` (short, long) say whether it is a
    draft or which published version: the short one heads every page."""
    report, concept = context["report"], context["concept"]
    short, long = edition_marks
    for section in document.sections:
        section.header.paragraphs[0].text = short
        section.header.paragraphs[0].runs[0].bold = True
    document.add_paragraph(long).runs[0].bold = True
    issuer = str(concept.municipality)
    if report.issued_by:
        issuer += f" · {report.issued_by.name}"
    document.add_paragraph(issuer)
    document.add_heading(report.title, level=0)
    document.add_paragraph(
        _("Period %(start)s – %(end)s")
        % {
            "start": format_date(report.period_start, "F Y"),
            "end": format_date(report.period_end, "F Y"),
        }
    )
    if report.presented_on:
        occasion = report.presentation or str(report.presented_to or "")
        document.add_paragraph(
            f"{occasion} " + _("on %(date)s") % {"date": format_date(report.presented_on)}
        )
    for item in context["sections"]:
        section = item["section"]
        document.add_heading(f"{section.number}. {section.title}", level=1)
        if section.text:
            document.add_paragraph(section.text)
        if section.kind == Kind.FOUNDATIONS:
            _bullet(document, concept.title)
            plan = context["action_plan"]
            if plan:
                text = plan.title
                if plan.in_force_from:
                    text += ", " + _("in force from %(date)s") % {
                        "date": format_date(plan.in_force_from)
                    }
                _bullet(document, text)
                for provision in context["provisions"]:
                    _bullet(document, provision.text, 1)
                    for child in provision.report_children:
                        _bullet(document, child.text, 2)
            groups = context["expert_groups"]
            if groups and groups[0].active_until:
                text = _("The expert working groups worked until %(date)s.") % {
                    "date": format_date(groups[0].active_until, "F Y")
                }
                if groups[0].members_involved_in:
                    text += " " + _("Their members were involved in drafting the %(concept)s.") % {
                        "concept": groups[0].members_involved_in.title
                    }
                document.add_paragraph(text)
        elif section.kind == Kind.MEMBERS:
            for group in context["expert_groups"]:
                document.add_heading(f"{group.short_name}: {group.title}", level=2)
                table = document.add_table(rows=1, cols=2)
                table.style = "Table Grid"
                table.rows[0].cells[0].text = _("Member")
                table.rows[0].cells[1].text = _("Role")
                for seat in group.report_organisations:
                    row = table.add_row().cells
                    row[0].text, row[1].text = str(seat.organisation), seat.role
                if group.report_offices:
                    row = table.add_row().cells
                    row[0].text = _("Representatives of the offices %(codes)s") % {
                        "codes": office_codes(group.report_offices)
                    }
                for seat in group.report_others:
                    row = table.add_row().cells
                    if seat.department:
                        row[0].text = _("Representatives of the %(name)s") % {
                            "name": seat.department.name
                        }
                    else:
                        row[0].text = seat.role
        elif section.kind in (Kind.MEASURES, Kind.FUNDING):
            for block in item["blocks"]:
                if len(item["blocks"]) > 1:
                    document.add_heading(block["topic"].title, level=2)
                for measure in block["measures"]:
                    _write_measure(document, measure, 0)
        elif section.kind == Kind.NEEDS:
            for need in context["needs"]:
                _write_need(document, need, 0)
