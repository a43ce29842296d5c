"""The accessibility statement (BITV 2.0 § 7, model statement of Durchführungsbeschluss
(EU) 2018/1523), its feedback form with a rate limit, and the explanation in Leichte
Sprache with the optional video in German Sign Language (BITV 2.0 § 4)."""

import re

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import translation

from helpers.addresses import municipality_reverse
from reports.models import AccessibilityBarrier, AccessibilityFeedback

from .budgets import REQUEST

pytestmark = pytest.mark.django_db

STATEMENT = reverse("reports:accessibility")
FEEDBACK = reverse("reports:accessibility_feedback")
EASY = reverse("reports:easy_language")


@pytest.fixture
def a11y(settings):
    """Settings as an installation sets them, each changeable by the test."""
    settings.ACCESSIBILITY = {
        **settings.ACCESSIBILITY,
        "contact_name": "Büro der Integrationsbeauftragten",
        "contact_email": "barrierefreiheit@stadt.example",
        "contact_phone": "0351 000000",
        "enforcement_name": "Schlichtungsstelle des Landes",
        "enforcement_address": "Amtsweg 1, 01000 Musterstadt",
        "enforcement_email": "schlichtung@land.example",
        "enforcement_url": "https://schlichtung.land.example/",
        "statement_date": "2026-11-24",
        "review_date": "2026-11-30",
        "feedback_per_hour": "3",
        "sign_language_url": "",
    }
    return settings.ACCESSIBILITY


def text(response):
    """The page's text as read, without tags."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", response.content.decode()))


# --- The statement -------------------------------------------------------------------


def test_the_migration_lists_what_the_project_knows():
    titles = list(AccessibilityBarrier.objects.values_list("title", flat=True))
    assert titles == [
        "PDF-Dateien des Umsetzungsberichts",
        "Veröffentlichte Fassungen des Umsetzungsberichts",
        "Auswahlfelder mit Suche in der Stammdatenverwaltung",
    ]


def test_the_statement_lists_the_current_barriers_in_their_order_and_kind(client, a11y):
    AccessibilityBarrier.objects.all().delete()
    AccessibilityBarrier.objects.create(
        title="Zweite Barriere", description="Text zwei", position=2, requirements="WCAG 1.4.3"
    )
    AccessibilityBarrier.objects.create(
        title="Erste Barriere",
        description="Text eins",
        position=1,
        alternative="Die Tabelle darunter.",
    )
    AccessibilityBarrier.objects.create(
        title="Behobene Barriere", description="weg", position=0, is_current=False
    )
    AccessibilityBarrier.objects.create(
        title="Zu teuer",
        description="Altes Video",
        kind=AccessibilityBarrier.Kind.DISPROPORTIONATE,
        reason="Kosten im Verhältnis zum Nutzen",
    )
    response = client.get(STATEMENT)
    content = response.content.decode()
    assert content.index("Erste Barriere") < content.index("Zweite Barriere")
    assert "Behobene Barriere" not in content
    assert "Barrierefreie Alternative: Die Tabelle darunter." in text(response)
    assert "(WCAG 1.4.3)" in content
    assert content.index("Unvereinbarkeit mit den Rechtsvorschriften") < content.index(
        "Erste Barriere"
    )
    assert content.index("Unverhältnismäßige Belastung") < content.index("Zu teuer")
    assert "Grund: Kosten im Verhältnis zum Nutzen" in text(response)
    assert "teilweise" in content
    # The bureau writes the records in German: in English they are marked as German.
    english = client.get(STATEMENT, headers={"accept-language": "en"}).content.decode()
    assert '<strong lang="de">Erste Barriere</strong>' in english
    assert 'Accessible alternative: <span lang="de">Die Tabelle darunter.</span>' in english


def test_the_statement_gives_its_dates_in_german_and_in_english(client, a11y):
    content = client.get(STATEMENT).content.decode()
    assert "Diese Erklärung wurde am 24. November 2026 erstellt." in content
    assert "zuletzt am 30. November 2026 überprüft" in content
    assert "2026-11-24" not in content
    english = client.get(STATEMENT, headers={"accept-language": "en"}).content.decode()
    # One English style (integration_tracker/formats), not Django's American one.
    assert "prepared on 24 November 2026" in english
    assert "last reviewed on 30 November 2026" in english
    assert "Nov." not in english


def test_english_statement_marks_the_barrier_entries_german_and_says_so_once(client, a11y):
    AccessibilityBarrier.objects.create(
        title="Erste Barriere", description="Das Diagramm hat zu wenig Kontrast."
    )
    english = client.get(STATEMENT, headers={"accept-language": "en"}).content.decode()
    assert english.count("The following entries exist in German only.") == 1
    assert english.index("The following entries exist in German only.") < english.index(
        "Erste Barriere"
    )
    assert '<p lang="de">Das Diagramm hat zu wenig Kontrast.</p>' in english
    # The built-in entry on sign language is translated, so it is not marked.
    assert "<strong>Explanation in German Sign Language</strong>" in english
    german = client.get(STATEMENT).content.decode()
    assert "nur auf Deutsch" not in german and "German only" not in german
    assert "<p>Das Diagramm hat zu wenig Kontrast.</p>" in german


def test_the_statement_names_the_contact_and_the_enforcement_body_of_the_settings(client, a11y):
    content = client.get(STATEMENT).content.decode()
    for text in [
        "Büro der Integrationsbeauftragten",
        'href="mailto:barrierefreiheit@stadt.example"',
        "0351 000000",
        "Schlichtungsstelle des Landes",
        "Amtsweg 1, 01000 Musterstadt",
        'href="mailto:schlichtung@land.example"',
        'href="https://schlichtung.land.example/"',
        f'href="{FEEDBACK}"',
    ]:
        assert text in content, text


def test_the_defaults_name_the_saxon_enforcement_body(client, settings):
    defaults = settings.ACCESSIBILITY_DEFAULTS
    assert "Sachsen" in defaults["enforcement_name"]
    assert defaults["enforcement_email"] == "Durchsetzungsstelle@sk.sachsen.de"
    assert defaults["enforcement_url"] == "https://www.durchsetzungsstelle.sachsen.de/"
    settings.ACCESSIBILITY = dict(defaults)
    content = client.get(STATEMENT).content.decode()
    assert "Durchsetzungsstelle beim Landesbeauftragten für Inklusion" in content
    assert "Archivstraße 1, 01097 Dresden" in content


def test_only_the_bureau_is_told_which_settings_are_still_defaults(
    client, settings, bureau_user, council_member
):
    settings.ACCESSIBILITY = dict(settings.ACCESSIBILITY_DEFAULTS)
    note = "Für das Büro: Diese Erklärung nutzt noch Voreinstellungen"
    for visitor in [None, council_member]:
        if visitor:
            client.force_login(visitor)
        assert note not in client.get(STATEMENT).content.decode()
    client.force_login(bureau_user)
    content = client.get(STATEMENT).content.decode()
    assert note in content
    for variable in ["A11Y_CONTACT_EMAIL", "A11Y_ENFORCEMENT_NAME", "A11Y_STATEMENT_DATE"]:
        assert variable in content
    assert reverse("admin:reports_accessibilitybarrier_changelist") in content
    settings.ACCESSIBILITY = {
        **settings.ACCESSIBILITY,
        "contact_email": "a11y@stadt.example",
        "legal_basis": "BGG und BITV 2.0",
        "enforcement_name": "Schlichtungsstelle",
        "statement_date": "2026-12-01",
        "review_date": "2026-12-01",
    }
    assert note not in client.get(STATEMENT).content.decode()


def test_a_missing_sign_language_video_is_listed_until_one_is_set(client, a11y, settings):
    content = client.get(STATEMENT).content.decode()
    assert "Erläuterung in Deutscher Gebärdensprache" in content
    assert "BITV 2.0 § 4" in content
    settings.ACCESSIBILITY = {**a11y, "sign_language_url": "https://video.example/dgs"}
    content = client.get(STATEMENT).content.decode()
    assert "Erläuterung in Deutscher Gebärdensprache" not in content
    assert 'href="https://video.example/dgs"' in content


@pytest.mark.parametrize("count", [3, 30])
def test_the_statement_reads_the_barriers_in_one_query(
    client, a11y, django_assert_num_queries, count
):
    AccessibilityBarrier.objects.bulk_create(
        AccessibilityBarrier(title=f"Barriere {i}", description="x", position=i)
        for i in range(count)
    )
    # The barriers, and whether some municipality's progress pages are public (the
    # footer then links the open data); an anonymous visitor has no session or user
    # to read.
    with django_assert_num_queries(2):
        assert client.get(STATEMENT).status_code == 200


def test_the_bureau_keeps_the_barriers_in_the_admin_with_german_labels(client, bureau_user):
    client.force_login(bureau_user)
    page = client.get(reverse("admin:reports_accessibilitybarrier_add")).content.decode()
    for label in ["Barrierefreie Alternative", "Betroffene Anforderungen", "In der Erklärung"]:
        assert label in page, label
    listing = client.get(reverse("admin:reports_accessibilitybarrier_changelist"))
    assert "PDF-Dateien des Umsetzungsberichts" in listing.content.decode()


# --- Feedback ------------------------------------------------------------------------


def send(client, ip="192.0.2.1", url=FEEDBACK, **fields):
    data = {"message": "Die Tabelle ist mit dem Screenreader nicht lesbar.", **fields}
    return client.post(url, data, REMOTE_ADDR=ip)


def page_field(response):
    return response.context["form"]["page"].value()


def test_the_feedback_form_is_prefilled_with_the_page_concerned(client, a11y):
    page = client.get(FEEDBACK, {"seite": "/fortschritt/?status=completed"})
    assert 'value="/fortschritt/?status=completed"' in page.content.decode()
    referred = client.get(FEEDBACK, headers={"referer": "http://testserver/fortschritt/?q=a"})
    assert page_field(referred) == "/fortschritt/?q=a"
    # Another site's address, or one that only looks local, is never taken.
    for referer in ["https://evil.example/x", "http://testserver.evil.example/x"]:
        assert page_field(client.get(FEEDBACK, headers={"referer": referer})) == ""
    for seite in ["//evil.example/x", "https://evil.example/", "/\\evil.example", "/a\x01b"]:
        assert page_field(client.get(FEEDBACK, {"seite": seite})) == "", seite


def test_feedback_is_stored_mailed_and_confirmed(client, a11y):
    response = send(
        client,
        name="Erika Muster",
        email="erika@example.org",
        page="/fortschritt/",
    )
    assert response.status_code == 302
    feedback = AccessibilityFeedback.objects.get()
    assert (feedback.name, feedback.email, feedback.page) == (
        "Erika Muster",
        "erika@example.org",
        "/fortschritt/",
    )
    assert feedback.mailed_at is not None
    [message] = mail.outbox
    assert message.to == ["barrierefreiheit@stadt.example"]
    assert message.reply_to == ["erika@example.org"]
    assert message.subject == "Rückmeldung zur Barrierefreiheit: /fortschritt/"
    assert "Die Tabelle ist mit dem Screenreader nicht lesbar." in message.body
    assert "http://testserver/fortschritt/" in message.body
    assert f"/admin/reports/accessibilityfeedback/{feedback.pk}/change/" in message.body
    confirmation = client.get(response.url).content.decode()
    assert "Vielen Dank für Ihre Nachricht" in confirmation


def test_feedback_needs_only_a_message(client, a11y):
    assert send(client).status_code == 302
    feedback = AccessibilityFeedback.objects.get()
    assert (feedback.name, feedback.email, feedback.page) == ("", "", "")
    assert mail.outbox[0].reply_to == []


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"message": "  "}, "Dieses Feld ist zwingend erforderlich."),
        ({"page": "https://evil.example/"}, "Adresse einer Seite dieser Website"),
        ({"email": "keine-adresse"}, "gültige E-Mail-Adresse"),
        ({"message": "x" * 5001}, "unter 5.000 Zeichen"),
    ],
)
def test_bad_feedback_is_refused_and_nothing_is_stored(client, a11y, fields, error):
    response = send(client, **fields)
    assert response.status_code == 400
    content = response.content.decode()
    assert error in content
    assert "<title>Fehler:" in content
    assert not AccessibilityFeedback.objects.exists()
    assert mail.outbox == []


def test_a_flood_from_one_address_is_refused_and_not_stored(client, a11y):
    for _ in range(3):
        assert send(client).status_code == 302
    refused = send(client, message="Nummer vier")
    assert refused.status_code == 429
    content = refused.content.decode()
    assert "Ihre Nachricht wurde nicht gesendet" in content
    assert "barrierefreiheit@stadt.example" in content
    assert "Nummer vier" in content  # the text is kept in the form to copy
    assert AccessibilityFeedback.objects.count() == 3
    assert len(mail.outbox) == 3
    # Another address may still write; in English the refusal is English.
    assert send(client, ip="192.0.2.2").status_code == 302
    with translation.override("en"):
        english = client.post(
            FEEDBACK,
            {"message": "fünf"},
            REMOTE_ADDR="192.0.2.1",
            headers={"accept-language": "en"},
        )
    assert english.status_code == 429
    assert "Your message was not sent" in english.content.decode()


def test_a_flood_from_one_email_address_is_refused_from_any_connection(client, a11y):
    for i in range(3):
        assert send(client, ip=f"198.51.100.{i}", email="viel@example.org").status_code == 302
    assert send(client, ip="198.51.100.9", email="VIEL@example.org").status_code == 429
    assert AccessibilityFeedback.objects.count() == 3


def test_feedback_is_kept_when_the_mail_cannot_be_sent(client, a11y, monkeypatch):
    def fail(self, fail_silently=False):
        raise OSError("SMTP server unreachable")

    monkeypatch.setattr("django.core.mail.EmailMessage.send", fail)
    response = send(client)
    assert response.status_code == 302
    feedback = AccessibilityFeedback.objects.get()
    assert feedback.mailed_at is None


def test_the_bureau_reads_the_feedback_in_the_admin(client, a11y, bureau_user):
    # Sent at its municipality's address (tests/test_feedback_per_municipality.py).
    municipality = bureau_user.municipalities.get()
    url = municipality_reverse(municipality, "reports:accessibility_feedback")
    send(client, url=url, email="erika@example.org")
    client.force_login(bureau_user)
    listing = client.get(reverse("admin:reports_accessibilityfeedback_changelist"))
    assert "Die Tabelle ist mit dem Screenreader" in listing.content.decode()
    assert client.get(reverse("admin:reports_accessibilityfeedback_add")).status_code == 403


# --- Leichte Sprache and German Sign Language ----------------------------------------


def test_the_plain_language_page_is_reachable_and_linked_from_every_footer(client, a11y):
    page = client.get(EASY)
    assert page.status_code == 200
    content = page.content.decode()
    assert "Der Integrations-Monitor in Leichter Sprache" in content
    assert "Migranten sind Menschen aus einem anderen Land." in content
    english = client.get(EASY, headers={"accept-language": "en"}).content.decode()
    assert "The Integration Tracker in plain language" in english
    for url in [reverse("login"), STATEMENT, FEEDBACK, EASY]:
        footer = client.get(url).content.decode().split('class="site-footer"')[1]
        assert f'href="{EASY}"' in footer, url
        assert "Leichte Sprache" in footer, url


def test_the_start_page_links_to_plain_language(client, a11y, council_member):
    client.force_login(council_member)
    main = client.get(reverse("measures:home")).content.decode().split('class="site-footer"')[0]
    assert f'href="{EASY}"' in main


def test_the_sign_language_video_is_linked_only_when_set(client, a11y, settings, council_member):
    client.force_login(council_member)
    home = client.get(reverse("measures:home")).content.decode()
    assert "Video in Deutscher Gebärdensprache" not in home
    assert "Deutsche Gebärdensprache</a>" not in home  # the footer's link
    assert "Video in Gebärdensprache ansehen" not in client.get(EASY).content.decode()
    settings.ACCESSIBILITY = {**a11y, "sign_language_url": "https://video.example/dgs"}
    home = client.get(reverse("measures:home")).content.decode()
    main, footer = home.split('class="site-footer"')
    assert 'href="https://video.example/dgs"' in main
    assert 'href="https://video.example/dgs"' in footer
    assert 'href="https://video.example/dgs"' in client.get(EASY).content.decode()


def test_the_footer_offers_to_report_a_barrier_on_the_page_itself(client, a11y):
    content = client.get(reverse("login") + "?next=/x/").content.decode()
    assert f'href="{FEEDBACK}?seite=/konto/login/%3Fnext%3D/x/"' in content


@pytest.mark.parametrize("url", [STATEMENT, FEEDBACK, EASY])
def test_the_accessibility_pages_need_no_login(client, db, url):
    assert client.get(url).status_code == 200


def test_the_pages_refuse_other_methods(client):
    assert client.post(STATEMENT).status_code == 405
    assert client.post(EASY).status_code == 405
    assert client.put(FEEDBACK).status_code == 405


def test_the_logged_in_pages_keep_their_budget(client, council_member, django_assert_num_queries):
    client.force_login(council_member)
    # The request's own, and whether the progress pages are public (the page in plain
    # language tells visitors whether they need to log in).
    with django_assert_num_queries(REQUEST + 1):
        assert client.get(EASY).status_code == 200
