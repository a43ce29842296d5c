"""The progress pages are cached and rendered afresh after any change to the records:
approving an entry shows at once; one audience's page never reaches another."""

import datetime

import pytest
from django.test import Client
from django.urls import reverse

from measures.models import DataChange, Measure, StatusEntry
from working_groups.models import Membership, Office

from .factories import UserFactory

pytestmark = pytest.mark.usefixtures("dresden")

OVERVIEW = reverse("reports:overview")


def submitted_entry(measure, author):
    return StatusEntry.objects.create(
        measure=measure,
        status="dropped",
        reason="Kein Träger mehr gefunden",
        note="Ersatzlos entfallen",
        as_of=datetime.date.today(),
        state=StatusEntry.State.SUBMITTED,
        author=author,
    )


def test_approval_shows_at_once_on_cached_pages(
    client, council_member, bureau_user, django_assert_max_num_queries
):
    measure = Measure.objects.get(number="3.1.3")
    page = reverse("reports:measure", args=[measure.pk])
    entry = submitted_entry(measure, UserFactory())
    client.force_login(council_member)
    before = client.get(OVERVIEW).content.decode()
    assert "Ersatzlos entfallen" not in client.get(page).content.decode()
    # Unchanged records: the page comes from the cache.
    with django_assert_max_num_queries(3):
        assert client.get(page).content.decode().count("Ersatzlos entfallen") == 0

    bureau = Client()
    bureau.force_login(bureau_user)
    assert bureau.post(reverse("measures:entry_approve", args=[entry.pk])).status_code == 302

    assert "Ersatzlos entfallen" in client.get(page).content.decode()
    after = client.get(OVERVIEW).content.decode()
    assert after != before
    assert 'href="?konzept=ik-2009&amp;status=dropped"' in after or "entfallen" in after


def test_every_kind_of_change_renders_afresh(client, council_member):
    client.force_login(council_member)
    members = reverse("reports:members")
    assert "Neuer Verein Dresden e. V." not in client.get(members).content.decode()
    membership = Membership.objects.filter(organisation__isnull=False).first()
    membership.organisation.name = "Neuer Verein Dresden e. V."
    membership.organisation.save()
    assert "Neuer Verein Dresden e. V." in client.get(members).content.decode()

    # A many-to-many change (a partner office) counts too.
    measure = Measure.objects.get(number="3.1.3")
    page = reverse("reports:measure", args=[measure.pk])
    office = Office.objects.create(
        municipality=measure.concept.municipality, code="99", name="Testamt Neunundneunzig"
    )
    assert "Testamt Neunundneunzig" not in client.get(page).content.decode()
    measure.partner_offices.add(office)
    assert "Testamt Neunundneunzig" in client.get(page).content.decode()


def test_audiences_and_languages_get_their_own_pages(client, council_member, settings):
    settings.PUBLIC_PROGRESS_PAGES = True
    hidden = Measure.objects.filter(concept__slug="ik-2009").first()
    hidden.title = "Nur intern sichtbare Maßnahme"
    hidden.is_public = False
    hidden.save()
    council = Client()
    council.force_login(council_member)
    assert "Nur intern sichtbare" in council.get(OVERVIEW + "?q=Nur+intern").content.decode()
    # The same URL for a visitor: the council's cached page is not served.
    assert "Nur intern sichtbare" not in client.get(OVERVIEW + "?q=Nur+intern").content.decode()

    council.cookies["django_language"] = "en"
    english = council.get(OVERVIEW, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    german = Client()
    german.force_login(council_member)
    assert "Progress of the integration concept" in english
    assert "Fortschritt" in german.get(OVERVIEW).content.decode()


def test_changes_are_recorded_in_the_same_transaction_and_pruned(council_member):
    start = DataChange.objects.count()
    measure = Measure.objects.get(number="3.1.3")
    measure.title = "Neu"
    measure.save()
    assert DataChange.objects.count() > start
    assert DataChange.objects.order_by("-pk").first().model == "measures.measure"


def test_workspace_pages_are_cached_per_user_with_a_fresh_csrf_token(office_staff):
    from measures.page_cache import CSRF_PLACEHOLDER

    measure = Measure.objects.filter(lead_office__code="51").first()
    draft = StatusEntry.objects.create(
        measure=measure,
        status="in_progress",
        progress=10,
        as_of=datetime.date.today(),
        state=StatusEntry.State.DRAFT,
        author=office_staff,
    )
    page = reverse("measures:measure_detail", args=[measure.pk])
    browsers = [Client(enforce_csrf_checks=True) for _ in range(2)]
    tokens = []
    for browser in browsers:
        browser.force_login(office_staff)
        content = browser.get(page).content.decode()
        assert CSRF_PLACEHOLDER not in content
        tokens.append(content.split('name="csrfmiddlewaretoken" value="')[1].split('"')[0])
    assert tokens[0] != tokens[1]
    # The second browser got the cached body with its own token, and it is accepted.
    response = browsers[1].post(
        reverse("measures:entry_submit", args=[draft.pk]), {"csrfmiddlewaretoken": tokens[1]}
    )
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.state == StatusEntry.State.SUBMITTED
    # …and the page shows the submission at once.
    assert "eingereicht" in browsers[0].get(page).content.decode()


def test_one_users_workspace_page_is_not_served_to_another(office_staff, bureau_user):
    staff = Client()
    staff.force_login(office_staff)
    bureau = Client()
    bureau.force_login(bureau_user)
    assert "Meine Maßnahmen" in staff.get(reverse("measures:measure_list")).content.decode()
    assert "Alle Maßnahmen" in bureau.get(reverse("measures:measure_list")).content.decode()


def test_a_page_with_a_message_is_not_cached_with_it(client, office_staff):
    measure = Measure.objects.filter(lead_office__code="51").first()
    page = reverse("measures:measure_detail", args=[measure.pk])
    client.force_login(office_staff)
    client.get(page)  # cached without a message
    draft = StatusEntry.objects.create(
        measure=measure,
        status="in_progress",
        progress=10,
        as_of=datetime.date.today(),
        state=StatusEntry.State.DRAFT,
        author=office_staff,
    )
    response = client.post(reverse("measures:entry_submit", args=[draft.pk]), follow=True)
    assert "Der Sachstand wurde zur Prüfung eingereicht." in response.content.decode()
    again = client.get(page).content.decode()
    assert "Der Sachstand wurde zur Prüfung eingereicht." not in again


def test_a_role_given_shows_at_once_without_a_change_to_the_records(client, council_member):
    from django.contrib.auth.models import Group

    from integration_tracker.roles import Role

    client.force_login(council_member)
    review = reverse("measures:review_queue")
    assert review not in client.get(OVERVIEW).content.decode()
    council_member.groups.add(Group.objects.get(name=Role.BUREAU))
    assert review in client.get(OVERVIEW).content.decode()
    council_member.groups.clear()
    assert client.get(OVERVIEW).status_code == 302  # to the login: no role, no page
