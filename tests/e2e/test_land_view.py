"""The Land view in Chromium, as the demo account `land` reads it: at 1280 and 390 px
without WCAG 2.1 A/AA violations (axe-core), nothing wider than a phone, one h1, and
no English left on the German page."""

import datetime
import hashlib
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.contrib.auth.models import User
from django.core.management import call_command
from django.urls import reverse

from measures.models import Measure
from reports.models import PublishedVersion, Report
from working_groups.models import Municipality

from .language import english_left
from .test_accessibility import WCAG_21_AA

pytestmark = pytest.mark.e2e

DATA = Path(__file__).resolve().parent.parent / "data"


def test_the_land_view_at_desktop_and_phone_width(browser, demo_site, settings):
    settings.DEBUG = True
    call_command("create_demo_group", verbosity=0)
    settings.DEBUG = False
    # Dresden has published its report once and made its progress pages public (the
    # statuses are test data, tests/data/dresden_test_statuses.json).
    call_command("loaddata", DATA / "dresden_test_statuses.json", verbosity=0)
    Measure.objects.all().refresh_current_status()
    Municipality.objects.filter(slug="dresden").update(public_pages=True)
    report = Report.objects.get(slug="umsetzungsbericht-2009-2014")
    html, pdf = b"<html lang='de'></html>", b"%PDF-1.7"
    PublishedVersion.objects.create(
        report=report,
        number=1,
        published_at=datetime.datetime(2014, 12, 16, 10, tzinfo=datetime.UTC),
        published_by=User.objects.get(username="buero"),
        note="Vorlage für den Ausländerbeirat",
        html=html,
        html_sha256=hashlib.sha256(html).hexdigest(),
        pdf=pdf,
        pdf_sha256=hashlib.sha256(pdf).hexdigest(),
    )
    context = browser.new_context(locale="de-DE", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    # The login leads an account of the Land to its group's page.
    page.goto(f"{demo_site.url}/konto/login/")
    page.locator("#id_username").fill("land")
    page.locator("#id_password").fill("demo")
    page.locator("form.stacked-form button[type=submit]").click()
    page.wait_for_url(f"**{reverse('land:group', args=['sachsen-demo'])}")
    page.get_by_role("navigation", name="Hauptnavigation").get_by_role(
        "link", name="Landesansicht"
    ).click()
    page.wait_for_url(f"**{reverse('land:group', args=['sachsen-demo'])}")
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        violations = Axe().run(page, options=WCAG_21_AA).response["violations"]
        assert [(v["id"], [n["target"] for n in v["nodes"]][:3]) for v in violations] == []
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        assert page.locator("h1").count() == 1
    assert page.get_by_role("rowheader", name="Landeshauptstadt Dresden").is_visible()
    assert page.get_by_text("Fassung 1 vom 16. Dezember 2014").is_visible()
    # The 2009 concept has no fields of action: counted by its headings.
    assert page.get_by_text("Nach Gliederungspunkt").is_visible()
    assert english_left(page) == []
    context.close()
