"""The bureau runs its accounts in a real browser: it invites an office account, the
person follows the link from the e-mail, chooses a password and sees the measures of
their office; the invitation form with errors is announced and passes axe."""

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.contrib.auth import get_user_model
from django.core import mail
from playwright.sync_api import expect

from .test_accessibility import WCAG_21_AA

pytestmark = pytest.mark.e2e
PASSWORD = "Sonnenblume-Elbufer-2026"


def test_bureau_invites_an_office_account_that_sets_its_password_and_sees_its_measures(
    page, login, demo_site
):
    login("buero")
    page.get_by_role("link", name="Konten", exact=True).click()
    page.get_by_role("link", name="Person einladen").click()
    page.get_by_label("Vorname").fill("Maria")
    page.get_by_label("Nachname").fill("Schneider")
    page.get_by_label("E-Mail-Adresse").fill("maria.schneider@dresden.example")
    page.get_by_label("Benutzername").fill("mschneider")
    page.get_by_label("Sachbearbeitung im Amt").check()
    page.get_by_label("51 – Jugendamt", exact=True).check()
    page.get_by_role("button", name="Einladung senden").click()
    expect(page.get_by_text("Die Einladung an maria.schneider@dresden.example")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text("Maria Schneider")
    expect(page.get_by_text("Einladung offen")).to_be_visible()

    # The person opens the link from the mailbox, in a browser without a session.
    [message] = mail.outbox
    assert message.to == ["maria.schneider@dresden.example"]
    link = re.search(r"http://\S+/konto/einladung/\S+/", message.body).group(0)
    page.context.clear_cookies()
    page.goto(link)
    # The token has left the address bar.
    assert "passwort-waehlen" in page.url and link.split("/")[-2] not in page.url
    expect(page.get_by_role("heading", level=1)).to_have_text("Passwort wählen")
    page.locator("#id_new_password1").fill(PASSWORD)
    page.get_by_label("Neues Passwort bestätigen").fill(PASSWORD)
    page.get_by_role("button", name="Passwort setzen und anmelden").click()
    # The start page at the inviting bureau's municipality's address.
    page.wait_for_url(f"{demo_site.url}/dresden/")
    expect(page.get_by_text("Willkommen! Ihr Passwort ist gesetzt")).to_be_visible()
    expect(page.get_by_role("button", name="Abmelden (Maria Schneider)")).to_be_visible()

    page.get_by_role("link", name="Meine Maßnahmen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Meine Maßnahmen")
    expect(page.get_by_role("link", name=re.compile("JugendInfoService"))).to_be_visible()
    assert get_user_model().objects.get(username="mschneider").check_password(PASSWORD)

    # The link has done its work.
    page.goto(link)
    expect(page.get_by_text("Der Link wurde bereits benutzt.")).to_be_visible()

    # The bureau sees the account active, with the whole story in its history.
    login("buero")
    page.get_by_role("link", name="Konten", exact=True).click()
    page.get_by_label("Name, Benutzername oder E-Mail").fill("schneider")
    page.get_by_role("button", name="Filter anwenden").click()
    row = page.get_by_role("row").filter(has_text="Maria Schneider")
    expect(row).to_contain_text("aktiv")
    expect(row).to_contain_text("Jugendamt")
    row.get_by_role("link", name="Maria Schneider").click()
    expect(
        page.get_by_text("Passwort über die Einladung gesetzt von Maria Schneider")
    ).to_be_visible()
    expect(page.get_by_text("eingeladen von Birgit Brandt")).to_be_visible()


def test_the_invitation_form_with_errors_is_announced_and_accessible(page, login, demo_site):
    login("buero")
    page.goto(f"{demo_site.url}/konten/einladen/")
    page.get_by_label("Mitglied des Beirats").check()
    page.get_by_label("51 – Jugendamt", exact=True).check()
    page.get_by_role("button", name="Einladung senden").click()
    expect(page).to_have_title(re.compile(r"^Fehler: "))
    expect(page.locator("#error-summary")).to_be_focused()
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("Mitglieder des Beirats gehören zu keinem Amt")
    # The summary leads to the group of checkboxes.
    summary.get_by_role("link", name=re.compile("^Ämter")).click()
    assert page.evaluate("location.hash") == "#id_offices"
    violations = Axe().run(page, options=WCAG_21_AA).response["violations"]
    assert [v["id"] for v in violations] == []
    assert (
        not get_user_model()
        .objects.filter(first_name="")
        .exclude(username__in=["buero", "amt51", "amt41", "beirat", "admin"])
        .exists()
    )
