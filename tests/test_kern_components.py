"""The pages are built on KERN UX components (static/kern): buttons, form fields,
alerts, badges, tables and cards carry KERN's classes, and the site's stylesheet no
longer defines its own versions of them."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from measures.models import Measure

from .factories import ReportingRoundFactory

pytestmark = pytest.mark.usefixtures("dresden_statuses")

# The site's own component classes that KERN's replace.
OWN_CLASSES = re.compile(
    r'class="(?:[^"]* )?(button|button-secondary|badge|card|notice|error-summary|field|'
    r'field-check|field-invalid|field-error|help)(?: [^"]*)?"'
)


def test_pages_use_kern_components(client, bureau_user, office_staff):
    measure = Measure.objects.get(number="4.1.1")
    reporting_round = ReportingRoundFactory(concept=measure.concept, opened_at=timezone.now())
    client.force_login(bureau_user)
    pages = {
        reverse("measures:home"): ["kern-card"],
        reverse("measures:measure_list"): ["kern-form-input__select", "kern-table"],
        reverse("measures:measure_detail", args=[measure.pk]): ["kern-badge kern-badge--"],
        reverse("measures:data_exchange"): ["kern-fieldset", "kern-form-check__radio"],
        reverse("measures:round_detail", args=[reporting_round.pk]): ["kern-btn--secondary"],
        reverse("measures:round_create"): ["kern-form-input__input", "kern-form-check__checkbox"],
        reverse("reports:overview"): ["kern-form-input__select", "kern-form-check__checkbox"],
        reverse("reports:funding"): ["kern-card"],
        reverse("reports:members"): ["kern-card"],
    }
    for url, wanted in pages.items():
        content = client.get(url).content.decode()
        assert OWN_CLASSES.findall(content) == [], url
        for name in wanted:
            assert name in content, (url, name)


def test_a_status_is_a_kern_badge_of_its_meaning(client, bureau_user):
    client.force_login(bureau_user)
    completed = Measure.objects.filter(current_entry__status="completed").first()
    content = client.get(reverse("measures:measure_detail", args=[completed.pk])).content.decode()
    assert (
        '<span class="kern-badge kern-badge--success"><span class="kern-label">umgesetzt</span>'
        in content
    )


def test_form_errors_are_kern_alert_and_kern_error(client, office_staff):
    client.force_login(office_staff)
    measure = Measure.objects.get(number="4.1.1")
    response = client.post(
        reverse("measures:entry_create", args=[measure.pk]),
        {"status": "", "measure_version": measure.version, "submit": "1"},
    )
    content = response.content.decode()
    assert 'class="kern-alert kern-alert--danger" role="alert"' in content
    assert 'class="kern-form-input kern-form-input--error"' in content
    assert "kern-form-input__select--error" in content
    assert 'class="kern-error" id="id_status_error"' in content
    assert OWN_CLASSES.findall(content) == []


def test_the_site_stylesheet_has_no_own_components_left():
    css = (Path(settings.BASE_DIR) / "static" / "css" / "site.css").read_text()
    selectors = re.findall(r"(?:^|[},])\s*([^{}@/]+?)\s*\{", css)
    own = [
        s
        for s in selectors
        if re.search(
            r"\.(button|badge-(?!neutral)|card(?![\w-])|notice|error-summary|field(?![\w-])|field-)",
            s,
        )
    ]
    assert own == []


def test_no_template_uses_the_sites_own_components():
    """Pages this test does not visit (the report's look, a section's texts, the
    accessibility pages) are held to KERN's buttons as well."""
    templates = Path(settings.BASE_DIR) / "templates"
    own = [
        (str(path.relative_to(templates)), found)
        for path in sorted(templates.rglob("*.html"))
        if not path.is_relative_to(templates / "admin")
        for found in OWN_CLASSES.findall(path.read_text())
    ]
    assert own == []
