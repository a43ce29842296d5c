"""Every page below the start page has breadcrumbs, and no second link back to a page
the breadcrumbs already lead to."""

import re

import pytest
from django.urls import reverse
from django.utils import timezone

from measures.models import Measure

from .factories import ReportingRoundFactory

pytestmark = pytest.mark.usefixtures("dresden")

REPORT = "umsetzungsbericht-2009-2014"


def crumbs_and_rest(html):
    """The breadcrumb links and the links elsewhere in <main> (a form's “Cancel”
    is an action, not a way back)."""
    main = html.split('<main id="main"', 1)[1].split("</main>", 1)[0]
    nav = re.search(r'<nav class="breadcrumbs".*?</nav>', main, re.S)
    assert nav, "no breadcrumbs"
    crumbs = re.findall(r'href="([^"]+)"', nav.group(0))
    rest = [
        href
        for href, text in re.findall(
            r'href="([^"]+)"[^>]*>(.*?)</a>', main.replace(nav.group(0), "")
        )
        if re.sub(r"<[^>]+>", "", text).strip() != "Abbrechen"
    ]
    return crumbs, rest


def test_no_back_link_next_to_the_breadcrumbs(client, bureau_user):
    measure = Measure.objects.get(number="4.1.1")
    reporting_round = ReportingRoundFactory(concept=measure.concept, opened_at=timezone.now())
    client.force_login(bureau_user)
    pages = {
        reverse("measures:measure_detail", args=[measure.pk]): [reverse("measures:measure_list")],
        reverse("measures:entry_create", args=[measure.pk]): [measure.get_absolute_url()],
        reverse("measures:round_detail", args=[reporting_round.pk]): [
            reverse("measures:round_list")
        ],
        reverse("measures:round_create"): [reverse("measures:round_list")],
        reverse("measures:round_close", args=[reporting_round.pk]): [
            reporting_round.get_absolute_url()
        ],
        reverse("reports:report_detail", args=["umsetzungsbericht-2009-2014"]): [
            reverse("reports:report_list")
        ],
        reverse("reports:measure", args=[measure.pk]): [reverse("reports:overview")],
        reverse("reports:report_design", args=[REPORT]): [
            reverse("reports:report_list"),
            reverse("reports:report_detail", args=[REPORT]),
        ],
        reverse("reports:section_edit", args=[REPORT, "3"]): [
            reverse("reports:report_detail", args=[REPORT]) + "#section-3"
        ],
    }
    for url, parents in pages.items():
        response = client.get(url)
        assert response.status_code == 200, url
        crumbs, rest = crumbs_and_rest(response.content.decode())
        assert crumbs[0] == reverse("measures:home"), url
        for parent in parents:
            assert parent in crumbs, (url, parent, crumbs)
            assert parent not in rest, (url, parent)
