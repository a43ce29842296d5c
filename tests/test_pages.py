"""The home page and the concept page: rights per role, content, query budgets."""

import datetime
import re

import pytest
from django.urls import reverse

from .budgets import REQUEST
from .factories import (
    ConceptFactory,
    MeasureFactory,
    MembershipFactory,
    StatusEntryFactory,
    WorkingGroupFactory,
)


def test_the_public_sees_a_short_start_page_when_pages_are_not_public(client, dresden):
    """What this is, whom to ask, the accessibility statement and plain language;
    no link that would end at the login, and never a setting's name."""
    response = client.get(reverse("measures:home"))
    assert response.status_code == 200
    content = response.content.decode()
    assert "Die Fortschrittsseiten sind derzeit nicht öffentlich." in content
    assert "Büro der Integrations- und Ausländerbeauftragten" in content
    for link in ("/barrierefreiheit/", "/leichte-sprache/", "/konto/login/"):
        assert f'href="{link}"' in content
    for link in ("/fortschritt/", "/offene-daten/"):
        assert f'href="{link}"' not in content
    assert "BUREAU_CONTACT" not in content and "PUBLIC_PROGRESS" not in content
    login = client.get(reverse("login")).content.decode()
    assert 'href="/fortschritt/"' not in login and "BUREAU_CONTACT" not in login
    # The pages behind it still ask for a login.
    response = client.get(reverse("measures:concept_detail", args=["ik-2009"]))
    assert response.status_code == 302


def test_the_public_finds_progress_and_open_data_when_pages_are_public(
    client, dresden, public_pages
):
    content = client.get(reverse("measures:home")).content.decode()
    assert 'href="/fortschritt/"' in content and 'href="/offene-daten/"' in content
    assert "derzeit nicht öffentlich" not in content


def test_a_wrong_password_says_so_and_not_that_the_fields_are_empty(client, bureau_user):
    response = client.post(reverse("login"), {"username": "bureau", "password": "falsch"})
    content = response.content.decode()
    assert "Benutzername oder Passwort sind nicht richtig." in content
    assert "Bitte Benutzername und Passwort eingeben" not in content


def test_the_header_names_the_person_not_the_login(client, bureau_user):
    bureau_user.first_name, bureau_user.last_name = "Jana", "Müller"
    bureau_user.save()
    client.force_login(bureau_user)
    content = client.get(reverse("measures:home")).content.decode()
    assert "Abmelden (Jana Müller)" in content


def test_concept_page_shows_the_concept_its_groups_and_measures(client, council_member, dresden):
    client.force_login(council_member)
    assert "Konzept zur Integration von Migrantinnen und Migranten 2009" in (
        client.get(reverse("measures:home")).content.decode()
    )
    response = client.get(reverse("measures:concept_detail", args=["ik-2009"]))
    assert response.status_code == 200
    content = response.content.decode()
    assert "Konzept zur Integration von Migrantinnen und Migranten 2009" in content
    assert "FAG 1 – Wirtschaft, Arbeit, Berufsausbildung" in content
    assert "Cabana, ÖIZ e. V." in content
    assert "Meldescheine, mehrsprachiges Material" in content
    assert "1. Juli 2009" in content  # action plan in force, German date
    assert "Mai 2013" in content  # the groups worked until May 2013
    assert reverse("admin:index") not in content  # no admin link for the council


def test_bureau_sees_links_to_the_admin(client, bureau_user, dresden):
    client.force_login(bureau_user)
    content = client.get(reverse("measures:home")).content.decode()
    assert reverse("admin:index") in content


def test_public_visitor_sees_only_public_measures(client, dresden, public_pages):
    from measures.models import Measure

    Measure.objects.filter(number="3.1.3").update(is_public=False)
    response = client.get(reverse("measures:concept_detail", args=["ik-2009"]))
    assert response.status_code == 200
    content = response.content.decode()
    assert "Dresden-Informationsflyer" in content
    assert "Meldescheine, mehrsprachiges Material" not in content


def test_staff_sees_internal_measures(client, office_staff, dresden):
    from measures.models import Measure

    Measure.objects.filter(number="3.1.3").update(is_public=False)
    client.force_login(office_staff)
    content = client.get(reverse("measures:concept_detail", args=["ik-2009"])).content.decode()
    assert "Meldescheine, mehrsprachiges Material" in content


def test_unknown_concept_is_404(client, council_member):
    client.force_login(council_member)
    response = client.get(reverse("measures:concept_detail", args=["gibt-es-nicht"]))
    assert response.status_code == 404


def test_user_without_role_sees_the_public_start_page(client, db):
    from .factories import UserFactory

    client.force_login(UserFactory())
    response = client.get(reverse("measures:home"))
    assert "Die Fortschrittsseiten sind derzeit nicht öffentlich." in response.content.decode()


def test_pages_in_english(client, council_member, dresden):
    client.force_login(council_member)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    content = client.get(reverse("measures:home")).content.decode()
    assert '<html lang="en">' in content
    assert "Skip to main content" in content
    content = client.get(reverse("measures:concept_detail", args=["ik-2009"])).content.decode()
    assert "1 July 2009" in content


def test_english_pages_use_one_date_style(client, bureau_user, dresden):
    """Django's English mixes "Dec. 7, 2026" and "12/07/2026 11:30 a.m."; here English
    has one style, short and long alike (integration_tracker/formats)."""
    from measures.models import Measure

    entry = StatusEntryFactory(
        measure=Measure.objects.get(number="4.2.7"), as_of=datetime.date(2014, 12, 16)
    )
    client.force_login(bureau_user)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    content = client.get(entry.measure.get_absolute_url()).content.decode()
    assert "16 December 2014" in content  # the table's as-of date (SHORT_DATE_FORMAT)
    assert not re.search(r"\b\d{2}/\d{2}/\d{4}\b", content)
    assert not re.search(r"\b(Jan|Feb|Aug|Sept|Oct|Nov|Dec)\. \d", content)
    assert "a.m." not in content and "p.m." not in content


def test_pages_in_german_by_default(client, council_member, dresden):
    client.force_login(council_member)
    content = client.get(reverse("measures:home")).content.decode()
    assert '<html lang="de">' in content
    assert "Zum Inhalt springen" in content


def test_home_without_any_concept(client, bureau_user):
    client.force_login(bureau_user)
    response = client.get(reverse("measures:home"))
    assert response.status_code == 200
    assert reverse("admin:working_groups_concept_add") in response.content.decode()


@pytest.mark.parametrize("count", [3, 300])
def test_concept_page_queries_do_not_grow_with_measures(
    client, council_member, django_assert_num_queries, count
):
    concept = ConceptFactory()
    MembershipFactory(group=WorkingGroupFactory(concept=concept))
    for measure in MeasureFactory.create_batch(count, concept=concept):
        StatusEntryFactory(measure=measure)
    client.force_login(council_member)
    # session, user, roles, concept, measures with offices and current entry,
    # partner offices, partner organisations, topics, groups, fields of action
    # (of the groups), memberships, fields of action (of the concept)
    with django_assert_num_queries(REQUEST + 9):
        response = client.get(reverse("measures:concept_detail", args=[concept.slug]))
    assert response.status_code == 200


@pytest.mark.parametrize("count", [3, 300])
def test_home_queries_do_not_grow_with_measures(
    client, council_member, django_assert_num_queries, count
):
    concept = ConceptFactory()
    MembershipFactory(group=WorkingGroupFactory(concept=concept))
    MeasureFactory.create_batch(count, concept=concept)
    client.force_login(council_member)
    # the request (session, user, roles), concepts, latest version, featured concept,
    # counts
    with django_assert_num_queries(REQUEST + 4):
        response = client.get(reverse("measures:home"))
    assert response.status_code == 200


def test_login_page_in_german(client, db):
    content = client.get(reverse("login")).content.decode()
    assert "Anmelden" in content
    assert '<label class="kern-label" for="id_username">' in content


def test_wrong_password_re_displays_the_form_with_an_error(client, council_member):
    response = client.post(reverse("login"), {"username": "council", "password": "falsch"})
    assert response.status_code == 200
    assert 'role="alert"' in response.content.decode()


def test_concept_page_follows_the_report_order(client, council_member, dresden):
    client.force_login(council_member)
    content = client.get(reverse("measures:concept_detail", args=["ik-2009"])).content.decode()
    headings = [
        "Steuerungsgruppe",
        "FAG 1 – Wirtschaft",
        "FAG 4 – Gesellschaftliche",
        "Mehrsprachigkeit, Infomaterialien, Öffentlichkeitsarbeit",
        # the items the source lists under the section's title alone
        "Interkulturelle Orientierung und Öffnung</h",
        "Büro der Integrations- und Ausländerbeauftragten</h",
        "Leistungen: konzeptionell, i. R. Aufgabenerfüllung</h",
        "Förderung</h",
    ]
    positions = [content.index(h) for h in headings]
    assert positions == sorted(positions)
    assert "Steuerungsgruppe – Steuerungsgruppe" not in content


def test_concept_page_lists_measures_a_page_at_a_time(client, council_member):
    concept = ConceptFactory()
    measures = MeasureFactory.create_batch(120, concept=concept)
    client.force_login(council_member)
    url = reverse("measures:concept_detail", args=[concept.slug])
    first = client.get(url).content.decode()
    assert "120 Maßnahmen" in first and "Seite 1 von 3" in first
    assert 'href="?page=2"' in first
    last = client.get(url + "?page=3").content.decode()
    shown = [m for m in measures if f">{m.title}<" in first or f">{m.title}<" in last]
    assert len(shown) == 50 + 20


TITLE_422 = "Integration als Thema im JugendInfoService zwecks fachbezogener Netzwerkarbeit"
CONCEPT_2009 = "Konzept zur Integration von Migrantinnen und Migranten 2009"


def test_english_start_pages_review_queue_and_concept_page_mark_german_content(
    client, bureau_user, office_staff, council_member, dresden
):
    """Titles, names and notes exist in German only: on English pages they are marked
    lang="de" (and blocks of them introduced as German), so that screen readers
    pronounce them as German."""
    from django.utils import timezone

    from measures.models import Measure, StatusEntry

    StatusEntryFactory(
        measure=Measure.objects.get(number="4.2.2"),
        author=office_staff,
        state=StatusEntry.State.SUBMITTED,
        submitted_at=timezone.now(),
        note="Netzwerktreffen geplant.",
    )
    marked_title = f'<span lang="de">{TITLE_422}</span>'

    def english(user, url):
        client.force_login(user)
        client.post(reverse("set_language"), {"language": "en", "next": "/"})
        return client.get(url).content.decode()

    home = reverse("measures:home")
    bureau = english(bureau_user, home)
    assert marked_title in bureau  # waiting for review
    assert f'<a href="/konzepte/ik-2009/"><span lang="de">{CONCEPT_2009}</span></a>' in bureau
    assert marked_title in english(office_staff, home)  # submitted, waiting
    council = english(council_member, home)
    assert f'<p class="meta"><span lang="de">{CONCEPT_2009}</span></p>' in council

    queue = english(bureau_user, reverse("measures:review_queue"))
    assert marked_title in queue
    assert '<dd lang="de">Netzwerktreffen geplant.</dd>' in queue
    assert "The following entries exist in German only." in queue

    concept = english(council_member, reverse("measures:concept_detail", args=["ik-2009"]))
    assert f'<h1><span lang="de">{CONCEPT_2009}</span></h1>' in concept
    assert "The following entries exist in German only." in concept
    assert '<dd><span lang="de">Landeshauptstadt Dresden</span></dd>' in concept
    assert f'<td class="kern-table__cell" data-label="Measure">{marked_title}</td>' in concept

    # In German, nothing is added.
    client.post(reverse("set_language"), {"language": "de", "next": "/"})
    german = client.get(reverse("measures:concept_detail", args=["ik-2009"])).content.decode()
    assert 'lang="de">' not in german.split("<body", 1)[1]
