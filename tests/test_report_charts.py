"""The report's overview shows the statuses of a section with the progress pages' status
bar, in the same colours on the pages and in the documents."""

import datetime
import re
from pathlib import Path

import pytest
from django.conf import settings

from measures.models import NO_STATUS, Measure, Status, StatusEntry
from reports.exports import render_html
from reports.models import Report, ReportSection
from reports.templatetags.progress_tags import STATUS_COLOURS

from .factories import StatusEntryFactory

pytestmark = pytest.mark.usefixtures("dresden")


def approve(number, reviewer, status, progress=None):
    StatusEntryFactory(
        measure=Measure.objects.get(number=number),
        status=status,
        progress=progress,
        reviewer=reviewer,
        as_of=datetime.date(2013, 6, 1),
        state=StatusEntry.State.APPROVED,
    )


def overview(document):
    """The overview table of the report's summary."""
    return re.search(r'<table class="report-overview.*?</table>', document, re.S).group(0)


def test_the_overview_draws_a_status_bar_for_a_section_with_statuses(bureau_user):
    ReportSection.objects.filter(number="4").update(shows_statuses=True)
    approve("4.2.5", bureau_user, Status.COMPLETED, 100)
    approve("4.2.7", bureau_user, Status.IN_PROGRESS, 40)
    table = overview(render_html(Report.objects.get()))
    rows = re.findall(r"<tr>.*?</tr>", table, re.S)
    row = next(r for r in rows if "4.&nbsp;" in r)
    bar = re.search(r"<svg[^>]*>.*?</svg>", row, re.S).group(0)
    assert 'role="img"' in bar
    # The text alternative names the section and each status with its count …
    label = re.search(r'aria-label="([^"]*)"', bar).group(1)
    assert label.startswith("Leistungen") and "umgesetzt 1" in label and "in Umsetzung 1" in label
    # … the segments carry their colours themselves (WeasyPrint takes no CSS fill) …
    assert f'fill="{STATUS_COLOURS["completed"]}"' in bar
    assert f'fill="{STATUS_COLOURS["in_progress"]}"' in bar
    # … and the counts stand in words beneath it.
    assert "umgesetzt: 1; in Umsetzung: 1" in row
    # Sections without statuses draw no bar.
    assert sum("<svg" in r for r in rows) == 1


def test_no_bar_where_no_section_shows_statuses(bureau_user):
    approve("4.2.5", bureau_user, Status.COMPLETED, 100)  # section 4 shows no statuses
    table = overview(render_html(Report.objects.get()))
    assert "<svg" not in table and "Umsetzungsstand im Zeitraum" not in table


def test_every_status_has_one_colour_and_the_legend_repeats_it():
    assert set(STATUS_COLOURS) == {str(s) for s in [*Status, NO_STATUS]}
    css = (Path(settings.BASE_DIR) / "static" / "css" / "site.css").read_text()
    swatches = dict(re.findall(r"\.swatch\.bar-(\w+) \{ background: (#[0-9a-f]{6}); \}", css))
    assert swatches == {k: v for k, v in STATUS_COLOURS.items() if k != "none"}
