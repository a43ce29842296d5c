"""The members' lines of the report (issue 21, item 3): a line prints the recorded
wording of the seat that opens it (``Membership.report_wording``, for Dresden the
source's words) and is composed from the seats only where that seat has none. The
three formats of the Dresden report are checked in test_report_faithful.py."""

import html as html_lib
import io
import re

import pytest
from django.urls import reverse

from reports.exports import render_docx, render_html
from reports.models import Report
from reports.rendering import _member_lines
from working_groups.models import Membership
from working_groups.resources import MembershipResource

from .factories import (
    DepartmentFactory,
    MembershipFactory,
    OfficeFactory,
    OrganisationFactory,
    WorkingGroupFactory,
)

SLUG = "umsetzungsbericht-2009-2014"
OB_LINE = "VertreterInnen Ämter 15, 33, 41, des OB-Bereiches"
COMPOSED_OB_LINE = "VertreterInnen der Ämter 15, 33, 41 und aus dem OB-Bereich"


def shape(lines):
    """Each line as (kind, its seats' names, its wording)."""
    result = []
    for line in lines:
        if line["kind"] == "offices":
            seats = [office.code for office in line["offices"]]
            if line["department"]:
                seats.append(line["department"].name)
        else:
            seats = [str(line["seat"].holder or line["seat"].role)]
        result.append((line["kind"], seats, line["wording"]))
    return result


def seats_of(group, *holders):
    for position, (holder, wording) in enumerate(holders, 1):
        kind = {"Office": "office", "Department": "department"}.get(
            type(holder).__name__, "organisation"
        )
        holds = {"organisation": None, kind: holder}
        MembershipFactory(group=group, position=position, report_wording=wording, **holds)
    return Membership.objects.filter(group=group).select_related(
        "organisation", "office", "department"
    )


@pytest.mark.django_db
def test_a_group_without_wording_gets_composed_lines():
    group = WorkingGroupFactory()
    verein = OrganisationFactory(name="Verein A e. V.")
    a, b = OfficeFactory(code="15"), OfficeFactory(code="33")
    area = DepartmentFactory(code="", name="OB-Bereich")
    seats = seats_of(group, (verein, ""), (a, ""), (b, ""), (area, ""))
    assert shape(_member_lines(seats)) == [
        ("organisation", ["Verein A e. V."], ""),
        ("offices", ["15", "33", "OB-Bereich"], ""),
    ]


@pytest.mark.django_db
def test_a_wording_covers_its_seat_and_the_seats_of_its_line_that_follow():
    group = WorkingGroupFactory()
    a, b = OfficeFactory(code="15"), OfficeFactory(code="33")
    area = DepartmentFactory(code="", name="OB-Bereich")
    verein = OrganisationFactory(name="Verein A e. V.")
    seats = seats_of(group, (a, OB_LINE), (b, ""), (area, ""), (verein, "Verein A"))
    assert shape(_member_lines(seats)) == [
        ("offices", ["15", "33", "OB-Bereich"], OB_LINE),
        ("organisation", ["Verein A e. V."], "Verein A"),
    ]


@pytest.mark.django_db
def test_a_seat_with_a_wording_opens_a_line_of_its_own():
    group = WorkingGroupFactory()
    a, b, c = OfficeFactory(code="10"), OfficeFactory(code="15"), OfficeFactory(code="51")
    area = DepartmentFactory(code="", name="OB-Bereich")
    seats = seats_of(group, (a, ""), (b, "VertreterInnen Ämter 15, 51"), (c, ""), (area, "OB"))
    assert shape(_member_lines(seats)) == [
        ("offices", ["10"], ""),
        ("offices", ["15", "51"], "VertreterInnen Ämter 15, 51"),
        ("other", ["OB-Bereich"], "OB"),
    ]


def _docx_lines(content):
    from docx import Document

    paragraphs = Document(io.BytesIO(content)).paragraphs
    return [re.sub(r"\s+", " ", p.text) for p in paragraphs if p.style.name == "List Bullet"]


def _html_lines(report):
    """The members' lines, without their note marks."""
    markup = re.sub(r"<sup[^>]*>.*?</sup>", "", render_html(report), flags=re.S)
    lists = re.findall(r'<ul class="report-members">(.*?)</ul>', markup, re.S)
    items = [item for block in lists for item in re.findall(r"<li>(.*?)</li>", block, re.S)]
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", item)).strip() for item in items]


def test_without_its_wording_the_line_is_composed_again_in_html_and_docx(dresden):
    report = Report.objects.get(slug=SLUG)
    for lines in (_html_lines(report), _docx_lines(render_docx(report))):
        assert OB_LINE in lines and COMPOSED_OB_LINE not in lines

    Membership.objects.filter(report_wording=OB_LINE).update(report_wording="")
    html_lines = _html_lines(report)
    assert COMPOSED_OB_LINE in html_lines and OB_LINE not in html_lines
    # the composed line carries the note on the department, which quotes the source
    notes = re.sub(r"\s+", " ", html_lib.unescape(render_html(report)))
    assert f"nur in der Zeile „{OB_LINE}“" in notes
    docx_lines = _docx_lines(render_docx(report))
    assert COMPOSED_OB_LINE in docx_lines and OB_LINE not in docx_lines


def test_the_spreadsheet_of_memberships_carries_the_wording(dresden):
    dataset = MembershipResource().export()
    column = dataset.headers.index(str(Membership._meta.get_field("report_wording").verbose_name))
    assert OB_LINE in dataset.get_col(column)


def test_the_working_group_admin_edits_the_wording_of_its_seats(client, bureau_user, dresden):
    seat = Membership.objects.get(report_wording=OB_LINE)
    client.force_login(bureau_user)
    response = client.get(reverse("admin:working_groups_workinggroup_change", args=[seat.group_id]))
    content = response.content.decode()
    assert re.search(
        r'name="memberships-\d+-report_wording"[^>]*value="' + re.escape(OB_LINE), content
    )
