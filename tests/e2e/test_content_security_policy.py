"""The Content-Security-Policy in real Chromium: every page type, in every role,
including forms with errors, the language switch and the admin, loads without a single
violation (no inline script or style, nothing from another origin)."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from measures.models import Measure

from . import test_accessibility as accessibility
from .conftest import start_page

pytestmark = pytest.mark.e2e

# Runs before any script of the page (Playwright injects it through the DevTools
# protocol, which the page's policy does not govern) and reports each violation.
REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.reportCspViolation({
    page: location.pathname + location.search,
    directive: event.effectiveDirective,
    blocked: event.blockedURI,
    sample: event.sample,
  });
});
"""


# The same data and page lists as the accessibility checks, so that a new page type
# added there is checked against the policy too.
site = accessibility.site


@pytest.fixture
def watched(browser):
    """A page whose CSP violations (DOM events and console reports) are collected."""
    context = browser.new_context(locale="de-DE")
    violations = []
    context.expose_binding("reportCspViolation", lambda _source, v: violations.append(v))
    context.add_init_script(REPORT_VIOLATIONS)
    page = context.new_page()
    page.on(
        "console",
        lambda msg: (
            violations.append({"page": page.url, "console": msg.text})
            if "Content Security Policy" in msg.text
            else None
        ),
    )
    yield page, violations
    context.close()


def visit(page, url):
    response = page.goto(url)
    assert response.status == 200, url
    assert "default-src 'self'" in response.headers["content-security-policy"], url


def log_in(page, base, username, password="demo"):
    page.goto(f"{base}{reverse('login')}")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(password)
    page.locator("form.stacked-form button[type=submit]").click()


def pages_for(role, site):
    measure = site["measure"]
    return {
        "anonymous": [reverse("login"), *accessibility.progress_pages(site)],
        "beirat": [*accessibility.progress_pages(site), *accessibility.report_pages()],
        "amt51": accessibility.workspace_pages(site, "amt51"),
        "buero": [*accessibility.report_pages(), *accessibility.workspace_pages(site, "buero")],
        "admin": [
            reverse("admin:index"),
            reverse("admin:measures_measure_changelist"),
            reverse("admin:measures_measure_changelist") + "?q=Lesestark",
            reverse("admin:measures_measure_change", args=[measure.pk]),
            reverse("admin:measures_measure_add"),
            reverse("admin:measures_measure_history", args=[measure.pk]),
            reverse("admin:measures_measure_import"),
            reverse("admin:measures_measure_export"),
            reverse("admin:working_groups_membership_changelist"),
            reverse("admin:reports_report_changelist"),
        ],
    }[role]


def test_no_page_violates_the_content_security_policy(site, watched):
    page, violations = watched
    base = site["url"]

    # Anonymous: the login page, also with an error, and the public progress pages.
    for path in pages_for("anonymous", site):
        visit(page, base + path)
    log_in(page, base, "amt51", password="falsch")
    expect(page.locator("form.stacked-form")).to_be_visible()

    for role in ["beirat", "amt51", "buero", "admin"]:
        page.context.clear_cookies()
        log_in(page, base, role)
        page.wait_for_url(start_page(base))
        for path in pages_for(role, site):
            visit(page, base + path)

    # The export page's "select all" still works: its inline handler is allowed by hash.
    visit(page, base + reverse("admin:measures_measure_export"))
    page.locator("input.select-toggle").uncheck()
    expect(
        page.locator(".selectable-field-export-row input[type=checkbox]:not(.select-toggle)").first
    ).not_to_be_checked()

    # Forms that post: a status entry with errors, the language switch, logging out.
    page.context.clear_cookies()
    log_in(page, base, "amt51")
    page.wait_for_url(start_page(base))
    # The site's measure has an entry waiting for review, so no second one can be
    # started there (it shows the waiting page): the form with errors on 4.1.1.
    free = Measure.objects.get(number="4.1.1")
    visit(page, base + reverse("measures:entry_create", args=[free.pk]))
    page.locator("#id_status").select_option("completed")
    page.locator("#id_progress").fill("80")
    page.locator("button[name=submit]").click()
    expect(page.get_by_role("alert")).to_be_visible()
    page.locator("form.lang-switch button[name=language]").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.locator("form.inline-form button[type=submit]").click()
    page.wait_for_load_state()
    # A round trip through the page, so that reports still on their way arrive.
    page.evaluate("1")

    assert violations == []
