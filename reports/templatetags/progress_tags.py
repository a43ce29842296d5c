"""Charts as SVG rendered on the server: they work without JavaScript, print, and
carry a text alternative (each chart sits next to a table or a sentence with the
same numbers)."""

from django import template

register = template.Library()

BAR_WIDTH = 300

# The colour of each status in the charts, as SVG attributes so that the same chart
# looks the same on the pages and in the PDF (WeasyPrint takes no CSS ``fill``). The
# legend's swatches in static/css/site.css repeat them (tests/test_report_charts.py).
STATUS_COLOURS = {
    "completed": "#1b6e35",
    "ongoing": "#00528a",
    "in_progress": "#3f79b5",
    "in_preparation": "#8a5a00",
    "not_started": "#6b6b6b",
    "deferred": "#b34700",
    "dropped": "#a8071a",
    "none": "#d9d9d9",
}


@register.inclusion_tag("reports/_status_bar.svg")
def status_bar(counts, label=""):
    """A stacked horizontal bar of the measures per status."""
    total = counts["total"] or 0
    segments, x = [], 0.0
    for status, count in counts["by_status"]:
        if not count:
            continue
        width = BAR_WIDTH * count / total
        segments.append(
            {
                "status": status,
                "count": count,
                "x": round(x, 2),
                "width": round(width, 2),
                "colour": STATUS_COLOURS.get(str(status), "#6b6b6b"),
            }
        )
        x += width
    return {"segments": segments, "total": total, "width": BAR_WIDTH, "label": label}


@register.inclusion_tag("reports/_amount_bars.svg")
def amount_bars(amounts, label="", largest=None):
    """One horizontal bar per amount, scaled to ``largest`` (the largest amount on the
    page, so that bars of different lines compare) or else to the largest here."""
    largest = largest or max((a.amount for a in amounts), default=0) or 1
    rows = [
        {
            "amount": a,
            "y": index * 28,
            "width": round(float(a.amount) / float(largest) * BAR_WIDTH, 2),
        }
        for index, a in enumerate(amounts)
    ]
    return {"rows": rows, "height": len(rows) * 28, "width": BAR_WIDTH, "label": label}


@register.filter
def percent(part, total):
    return round(100 * part / total) if total else 0


@register.filter
def nonzero(pairs):
    """The (status, count) pairs with a count, for the text next to a chart."""
    return [(status, count) for status, count in pairs if count]


@register.filter
def status_label(value):
    """The label of a status value (e.g. from an annotation); see
    ``measures.models.status_label``."""
    from measures.models import status_label

    return status_label(value)


@register.filter
def office_codes(offices):
    """“10, 15, 51, 80”: offices by code, or by name where they have none."""
    return ", ".join(office.code or office.name for office in offices)
