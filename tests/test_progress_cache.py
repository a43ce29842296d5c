"""The progress pages and the workspace pages keep their bodies in Django's cache
(integration_tracker/page_cache.py) and render afresh after a change to the records:
approving an entry shows at once; one audience's body never reaches another; a role
or office change shows at once; an entry on one concept keeps the other concepts'
pages; the CSRF token is the response's own."""

import datetime

import pytest
from django.test import Client
from django.urls import reverse

from integration_tracker.page_cache import (
    ANY,
    SHARED,
    WORK,
    concept_scope,
    measure_scope,
    office_scope,
    versions,
)
from measures.models import Measure, StatusEntry
from working_groups.models import Membership, Office

from .budgets import REQUEST
from .factories import ConceptFactory, MeasureFactory, UserFactory

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
    # Unchanged records: the body comes from the cache; session, user, roles and the
    # measure's concept (whose version is part of the key).
    with django_assert_max_num_queries(REQUEST + 1):
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


@pytest.mark.commit_hooks
def test_versions_are_bumped_on_commit_only(django_capture_on_commit_callbacks):
    measure = Measure.objects.get(number="3.1.3")
    author = UserFactory()
    scopes = [SHARED, ANY, concept_scope(measure.concept_id), measure_scope(measure.pk)]
    before = versions(scopes)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        entry = submitted_entry(measure, author)
        entry.state = StatusEntry.State.APPROVED
        entry.save()
        # Saved, not committed: readers still get the old versions.
        assert versions(scopes) == before
    assert callbacks
    shared, any_concept, concept, work = versions(scopes)
    assert shared == before[0]  # a status entry is not master data
    assert any_concept != before[1] and concept != before[2] and work != before[3]


def test_a_submitted_entry_bumps_the_work_scopes_not_what_readers_see(
    django_capture_on_commit_callbacks,
):
    """Readers see approved entries only: a draft or a submission renews the pages of
    its measure and the lists of its offices, not the progress pages of its concept."""
    measure = Measure.objects.get(number="3.1.3")
    offices = [measure.lead_office_id, *measure.partner_offices.values_list("pk", flat=True)]
    other_office = Office.objects.exclude(pk__in=offices).first()
    other_measure = Measure.objects.exclude(pk=measure.pk).first()
    readers = [SHARED, ANY, concept_scope(measure.concept_id)]
    untouched = [office_scope(other_office.pk), measure_scope(other_measure.pk)]
    work = [WORK, measure_scope(measure.pk), *(office_scope(pk) for pk in offices)]
    author = UserFactory()
    before = versions(readers + untouched + work)
    with django_capture_on_commit_callbacks(execute=True):
        submitted_entry(measure, author)
    after = versions(readers + untouched + work)
    kept = len(readers) + len(untouched)
    assert after[:kept] == before[:kept]
    assert all(new != old for new, old in zip(after[kept:], before[kept:], strict=True))


def test_a_submission_keeps_the_progress_pages_in_the_cache(
    client, council_member, django_assert_num_queries
):
    measure = Measure.objects.get(number="3.1.3")
    page = reverse("reports:measure", args=[measure.pk])
    client.force_login(council_member)
    author = UserFactory()
    client.get(OVERVIEW)
    client.get(page)
    submitted_entry(measure, author)
    # From the cache: session, user, roles (the overview; the concepts are cached
    # too), and the measure's concept (measure page), whose version is in the key.
    with django_assert_num_queries(REQUEST):
        assert client.get(OVERVIEW).status_code == 200
    with django_assert_num_queries(REQUEST + 1):
        assert client.get(page).status_code == 200


def test_an_entry_renews_the_lists_of_its_offices_and_keeps_the_others(
    office_staff, django_assert_max_num_queries
):
    """Office 51's list renders afresh after an entry on one of its measures; the list
    of an office without a part in that measure comes from the cache."""
    measure = Measure.objects.filter(lead_office__code="51").exclude(partner_offices__code="41")[0]
    other_office = Office.objects.filter(code="41").first()
    other_staff = UserFactory()
    other_staff.groups.add(*office_staff.groups.all())
    other_office.staff.add(other_staff)
    listing = reverse("measures:measure_list") + "?q=" + measure.number
    own, other = Client(), Client()
    own.force_login(office_staff)
    other.force_login(other_staff)
    assert "Bitte den Stand ergänzen" not in own.get(listing).content.decode()
    other.get(listing)

    entry = submitted_entry(measure, office_staff)
    entry.state = StatusEntry.State.RETURNED
    entry.review_comment = "Bitte den Stand ergänzen"
    entry.save()

    # Session, user, roles, the user's offices: nothing rendered afresh.
    with django_assert_max_num_queries(REQUEST + 1):
        assert other.get(listing).status_code == 200
    assert "Bitte den Stand ergänzen" in own.get(listing).content.decode()


def test_an_entry_on_one_concept_keeps_the_pages_of_another(
    client, council_member, django_assert_num_queries
):
    other = ConceptFactory()
    MeasureFactory(concept=other)
    client.force_login(council_member)
    page = OVERVIEW + f"?konzept={other.slug}"
    author = UserFactory()
    client.get(page)
    submitted_entry(Measure.objects.get(number="3.1.3"), author)
    # From the cache: session, user, roles (the concepts are cached master data).
    with django_assert_num_queries(REQUEST):
        assert client.get(page).status_code == 200
    # A change to master data renders every page afresh.
    other.title = "Konzept mit neuem Titel"
    other.save()
    assert "Konzept mit neuem Titel" in client.get(page).content.decode()


def test_body_templates_of_cached_pages_carry_no_csrf_token():
    """A token in a cached body would be served to the next user of the audience."""
    from pathlib import Path

    from django.conf import settings

    bodies = [
        "reports/_overview_body.html",
        "reports/_measure_progress_body.html",
        "reports/_members_body.html",
        "reports/_funding_body.html",
        "reports/_needs_body.html",
        "measures/_measure_list_body.html",
        "measures/_measure_detail_body.html",
    ]
    for name in bodies:
        assert "csrf_token" not in (Path(settings.BASE_DIR) / "templates" / name).read_text()


def test_workspace_pages_are_cached_per_user_with_a_fresh_csrf_token(office_staff):
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
        assert f'form="submit-entry-{draft.pk}"' in content
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


def test_a_role_dependent_body_does_not_leak_between_bureau_and_council(
    client, bureau_user, council_member, settings, tmp_path
):
    """Bureau and council may see the same records, but a body that asks for a role
    must reach only that role: the role set is part of the audience."""
    (tmp_path / "reports").mkdir()
    (tmp_path / "reports" / "_members_body.html").write_text(
        "{% if user_is_bureau %}NUR-FUER-DAS-BUERO{% else %}FUER-DEN-BEIRAT{% endif %}"
    )
    engine = settings.TEMPLATES[0]
    settings.TEMPLATES = [{**engine, "DIRS": [tmp_path, *engine["DIRS"]]}]
    members = reverse("reports:members")
    client.force_login(bureau_user)
    assert "NUR-FUER-DAS-BUERO" in client.get(members).content.decode()
    council = Client()
    council.force_login(council_member)
    page = council.get(members).content.decode()
    assert "NUR-FUER-DAS-BUERO" not in page
    assert "FUER-DEN-BEIRAT" in page


def test_a_demoted_user_no_longer_sees_the_cached_pages_of_the_old_role(client, bureau_user):
    """Issue 14 (7): moved from the bureau to an office, at once, without a change to
    the records."""
    from django.contrib.auth.models import Group

    from integration_tracker.roles import Role

    measure = Measure.objects.filter(lead_office__code="41").first()
    StatusEntry.objects.create(
        measure=measure,
        status="in_progress",
        progress=10,
        as_of=datetime.date.today(),
        state=StatusEntry.State.SUBMITTED,
        author=UserFactory(),
        internal_note="Nur für das Büro bestimmt",
    )
    page = reverse("measures:measure_detail", args=[measure.pk])
    listing = reverse("measures:measure_list")
    client.force_login(bureau_user)
    assert "Nur für das Büro bestimmt" in client.get(page).content.decode()
    assert "Alle Maßnahmen" in client.get(listing).content.decode()

    bureau_user.groups.set([Group.objects.get(name=Role.OFFICE_STAFF)])
    Office.objects.filter(code="51").first().staff.add(bureau_user)

    assert client.get(page).status_code == 404
    content = client.get(listing).content.decode()
    assert "Meine Maßnahmen" in content
    assert measure.title not in content


def test_an_office_change_shows_at_once(client, office_staff):
    measure = Measure.objects.filter(lead_office__code="51").exclude(partner_offices__code="41")[0]
    page = reverse("measures:measure_detail", args=[measure.pk])
    listing = reverse("measures:measure_list") + "?q=" + measure.number
    client.force_login(office_staff)
    assert client.get(page).status_code == 200
    assert measure.title in client.get(listing).content.decode()

    # The admin moves the account from office 51 to office 41 (a many-to-many change
    # of the account's offices, no change to measures).
    office_staff.offices.set([Office.objects.filter(code="41").first()])

    assert client.get(page).status_code == 404
    assert measure.title not in client.get(listing).content.decode()


def test_signals_only_for_watched_models():
    """Receivers connected per model: history rows, sessions and the import bookkeeping
    send nothing to the page cache, so Django's fast delete stays on for them."""
    from django.contrib.sessions.models import Session
    from django.db.models.signals import post_delete, post_save

    from measures.models import SpreadsheetImport

    for model in [Session, SpreadsheetImport, Measure.history.model, StatusEntry.history.model]:
        assert not post_delete.has_listeners(model), model
        assert not post_save.has_listeners(model), model
    assert post_delete.has_listeners(StatusEntry) and post_save.has_listeners(Measure)
