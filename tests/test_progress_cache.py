"""What is costly to compute from a concept is cached under the concept's version
(working_groups/versions.py): the progress overview's counts. The version changes
in the transaction of a change that readers see (an approval, a round, an import, the
admin), so readers see it with the committed records; drafts and submissions leave
it, and show nowhere outside the workspace. Every page checks the user's rights for
each request, so a demoted user loses the old role's pages at once."""

import datetime
import re

import pytest
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from measures.models import Measure, StatusEntry
from working_groups.models import Concept, Office
from working_groups.versions import concept_version, concepts_changed

from .factories import UserFactory

pytestmark = pytest.mark.usefixtures("dresden")

OVERVIEW = reverse("reports:overview")


def counts(content):
    """The overview's counts, the part of the page kept in the cache."""
    start = content.index('<section aria-labelledby="overall-heading">')
    return content[start : content.index('<section aria-labelledby="list-heading">')]


def submitted_entry(measure, author, note="Ersatzlos entfallen"):
    return StatusEntry.objects.create(
        measure=measure,
        status="dropped",
        reason="Kein Träger mehr gefunden",
        note=note,
        as_of=datetime.date.today(),
        state=StatusEntry.State.SUBMITTED,
        author=author,
    )


def test_an_approval_shows_at_once_on_the_overview(
    client, council_member, bureau_user, django_capture_on_commit_callbacks
):
    measure = Measure.objects.get(number="3.1.3")
    entry = submitted_entry(measure, UserFactory())
    client.force_login(council_member)
    assert "bar-dropped" not in client.get(OVERVIEW).content.decode()  # counted and cached
    bureau = Client()
    bureau.force_login(bureau_user)

    with django_capture_on_commit_callbacks(execute=True):
        response = bureau.post(reverse("measures:entry_approve", args=[entry.pk]))
    assert response.status_code == 302

    assert "bar-dropped" in client.get(OVERVIEW).content.decode()
    page = reverse("reports:measure", args=[measure.pk])
    assert "Ersatzlos entfallen" in client.get(page).content.decode()


def test_the_counts_come_from_the_cache_until_the_concept_changes(
    client, council_member, django_capture_on_commit_callbacks
):
    client.force_login(council_member)

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(OVERVIEW).status_code == 200
        return len(captured)

    counted = queries()
    # Topics, five counts by status, overdue, stale: not asked again.
    assert queries() == counted - 8
    with django_capture_on_commit_callbacks(execute=True):
        concepts_changed(Concept.objects.get(slug="ik-2009").pk)
    assert queries() == counted


def test_drafts_and_submissions_change_nothing_readers_see(
    client, council_member, office_staff, bureau_user, django_capture_on_commit_callbacks
):
    measure = Measure.objects.filter(lead_office__code="51").first()
    version = concept_version(measure.concept_id)
    client.force_login(council_member)
    before = counts(client.get(OVERVIEW).content.decode())
    staff = Client()
    staff.force_login(office_staff)
    data = {
        "status": "in_progress",
        "progress": "40",
        "as_of": datetime.date.today().isoformat(),
        "note": "Entwurf-Notiz-XYZ",
        "reason": "",
        "measure_version": str(measure.version),
        "submit": "1",
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = staff.post(reverse("measures:entry_create", args=[measure.pk]), data)
    assert response.status_code == 302
    entry = StatusEntry.objects.get(measure=measure, author=office_staff)
    assert entry.state == StatusEntry.State.SUBMITTED
    bureau = Client()
    bureau.force_login(bureau_user)
    with django_capture_on_commit_callbacks(execute=True):
        bureau.post(
            reverse("measures:entry_return", args=[entry.pk]), {"comment": "Bitte ergänzen"}
        )
    entry.refresh_from_db()
    assert entry.state == StatusEntry.State.RETURNED

    assert concept_version(measure.concept_id) == version
    assert counts(client.get(OVERVIEW).content.decode()) == before
    with django_capture_on_commit_callbacks(execute=True):
        concepts_changed(measure.concept_id)
    assert counts(client.get(OVERVIEW).content.decode()) == before, "counted afresh, too"
    page = client.get(reverse("reports:measure", args=[measure.pk])).content.decode()
    assert "Entwurf-Notiz-XYZ" not in page


def test_a_version_changes_with_its_change_and_only_that_concepts():
    concept = Concept.objects.get(slug="ik-2009")
    other = Concept.objects.exclude(pk=concept.pk).first()
    before, other_before = concept_version(concept.pk), concept_version(other.pk)
    concepts_changed(concept.pk)
    assert concept_version(concept.pk) != before
    assert concept_version(other.pk) == other_before

    changed = concept_version(concept.pk)
    with transaction.atomic():
        concepts_changed(concept.pk)
        transaction.set_rollback(True)
    assert concept_version(concept.pk) == changed, "rolled back: nothing changed"


def test_every_change_in_the_admin_renews_every_concept(
    client, admin_user, django_capture_on_commit_callbacks
):
    concepts = list(Concept.objects.values_list("pk", flat=True))
    before = [concept_version(pk) for pk in concepts]
    client.force_login(admin_user)
    add = reverse("admin:working_groups_fieldofaction_add")
    assert client.get(add).status_code == 200
    assert [concept_version(pk) for pk in concepts] == before, "reading changes nothing"

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            add,
            {"concept": concepts[0], "number": "99", "title": "Neues Handlungsfeld", "position": 0},
        )
    assert response.status_code == 302
    after = [concept_version(pk) for pk in concepts]
    assert all(new != old for new, old in zip(after, before, strict=True))


def test_audiences_and_languages_get_their_own_counts(client, council_member, public_pages):
    hidden = Measure.objects.filter(concept__slug="ik-2009").first()
    hidden.title = "Nur intern sichtbare Maßnahme"
    hidden.is_public = False
    hidden.save()
    page = OVERVIEW + "?konzept=ik-2009&q=Nur+intern"
    council = Client()
    council.force_login(council_member)
    content = council.get(page).content.decode()
    assert "Nur intern sichtbare" in content and re.search(r"\b1 Maßnahme\b", content)
    # The same URL for a visitor: not the council's counts.
    content = client.get(page).content.decode()
    assert "Nur intern sichtbare" not in content
    assert not re.search(r"\b1 Maßnahme\b", content)

    council.cookies["django_language"] = "en"
    english = council.get(page, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'id="overall-heading">All measures<' in english
    german = Client()
    german.force_login(council_member)
    assert 'id="overall-heading">Alle Maßnahmen<' in german.get(page).content.decode()


def test_a_demoted_user_no_longer_sees_the_pages_of_the_old_role(client, bureau_user):
    """Issue 14 (7): moved from the bureau to an office, at once, without a change to
    the records."""
    from django.contrib.auth.models import Group

    from helpers.roles import Role

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
