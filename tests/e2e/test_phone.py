"""Every page type at phone width (390 px, and the narrowest, 320 px, for the start
pages): nothing wider than the screen, tables included, and one h1 per page."""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from helpers.roles import Role, ensure_role_groups
from working_groups.models import Municipality, Office

from .test_accessibility import (
    login,
    progress_pages,
    public_account_pages,
    report_pages,
    site,
    workspace_pages,
)

pytestmark = pytest.mark.e2e
__all__ = ["site"]

# The import check's preview shows the uploaded file's own columns, as many as it has;
# it scrolls inside its frame and is the one table allowed to.
SCROLLING_TABLES = "table.preview"

MEASURE = """(width) => {
  const wide = [];
  const page = document.documentElement.scrollWidth;
  if (page > width) wide.push('page ' + page);
  for (const t of document.querySelectorAll('table:not(SCROLLING)')) {
    const box = t.getBoundingClientRect();
    if (box.right > width + 0.5 || t.scrollWidth > t.clientWidth + 1) {
      const heading = (t.querySelector('th') || t).textContent.trim().slice(0, 40);
      wide.push('table ' + Math.round(box.right) + ' ' + heading);
    }
  }
  return {wide, h1: document.querySelectorAll('h1').length};
}""".replace("SCROLLING", SCROLLING_TABLES)


def pages_for(site, role):
    pages = [reverse("login"), *public_account_pages()] if role == "anonymous" else []
    if role in ("anonymous", "beirat"):
        pages += progress_pages(site)
    if role in ("beirat", "buero"):
        pages += report_pages()
    if role in ("amt51", "buero"):
        pages += [reverse("measures:home"), *workspace_pages(site, role)]
    return pages + ["/gibt-es-nicht/"]


@pytest.mark.parametrize("role", ["anonymous", "beirat", "amt51", "buero"])
def test_every_page_fits_a_phone(browser, site, role):
    context = browser.new_context(locale="de-DE", viewport={"width": 390, "height": 844})
    page = context.new_page()
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    base = site["url"]
    if role != "anonymous":
        login(page, base, role)
    problems = []
    for path in pages_for(site, role):
        page.goto(base + path)
        for width in (390, 320) if path == "/" else (390,):
            page.set_viewport_size({"width": width, "height": 844})
            result = page.evaluate(MEASURE, width)
            if result["wide"] or result["h1"] != 1:
                problems.append((path, width, result))
        page.set_viewport_size({"width": 390, "height": 844})
    assert problems == []
    # The unknown address answers 404 (logged as a failed load); nothing else may fail,
    # a blocked inline style or script included.
    assert [e for e in errors if "404" not in e] == []
    context.close()


@pytest.mark.parametrize("width", [1280, 390])
def test_the_footer_closes_a_short_page_at_the_foot_of_the_window(browser, live_server, width):
    # Two pages without records: the site's data set is not needed.
    context = browser.new_context(locale="de-DE", viewport={"width": width, "height": 1000})
    page = context.new_page()
    for path in (reverse("login"), "/gibt-es-nicht/"):
        page.goto(live_server.url + path)
        bottom = page.evaluate(
            "document.querySelector('.site-footer').getBoundingClientRect().bottom"
        )
        # At the foot of the window, or below it where the page is longer.
        assert bottom >= 999, (path, bottom)
        assert page.evaluate("document.documentElement.scrollWidth") <= width
    context.close()


# On a phone the first result is on the first screen: the filters fold into a
# disclosure under the result count, and the bureau's menu takes one row.
FIRST_RESULT = [
    ("amt51", "/massnahmen/", "table.kern-table tbody tr"),
    ("buero", "/massnahmen/", "table.kern-table tbody tr"),
    ("beirat", "/fortschritt/", "svg.status-bar"),
    ("buero", "/fortschritt/", "svg.status-bar"),
]


@pytest.mark.parametrize(("role", "path", "first"), FIRST_RESULT)
def test_the_first_result_is_on_a_phones_first_screen(browser, site, role, path, first):
    context = browser.new_context(locale="de-DE", viewport={"width": 390, "height": 844})
    page = context.new_page()
    login(page, site["url"], role)
    page.goto(site["url"] + path)
    top = page.locator(first).first.bounding_box()["y"]
    context.close()
    assert top < 844, f"{path} as {role}: the first result is {top:.0f} px down"


def test_the_account_list_fits_the_desktop_page_with_the_longest_state(browser, site):
    """An account whose invitation has lapsed carries the longest state ("ohne
    Passwort (Einladung abgelaufen oder nie gesendet)"): it wraps in its column
    instead of pushing the table past the page."""
    # As the generated municipality of make run has them: long names and offices.
    person = get_user_model().objects.create_user(
        "sachbearbeitung-auslaenderbehoerde",
        email="sachbearbeitung.auslaenderbehoerde@dresden.example",
        first_name="Sachbearbeitung 33 –",
        last_name="Ausländerbehörde und Einbürgerung",
        password=None,
    )
    person.groups.add(ensure_role_groups()[Role.OFFICE_STAFF])
    person.municipalities.add(Municipality.objects.get(slug="dresden"))
    person.offices.set(Office.objects.order_by("-name")[:3])
    context = browser.new_context(locale="de-DE", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    login(page, site["url"], "buero")
    page.goto(site["url"] + reverse("accounts:account_list"))
    assert page.get_by_text("Einladung abgelaufen oder nie gesendet").count() >= 1
    assert page.evaluate(MEASURE, 1280)["wide"] == []
    # Nor wider than its frame, which would scroll it sideways on a desktop.
    frame = "(t) => [t.parentElement.scrollWidth, t.parentElement.clientWidth]"
    scroll_width, client_width = page.locator("table.kern-table").evaluate(frame)
    assert scroll_width <= client_width + 1
    context.close()
