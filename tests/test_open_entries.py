"""One open entry per measure and office: a returned entry is revised, not
duplicated; its comment stands above the form; every measure says where its work
stands (start page, "Meine Maßnahmen") and offers only the step that is possible."""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from helpers.roles import Role, ensure_role_groups
from measures.models import Measure, Status, StatusEntry
from measures.services import AlreadyOpen, save_entry
from working_groups.models import Office

from .factories import ReportingRoundFactory, StatusEntryFactory, UserFactory

pytestmark = pytest.mark.usefixtures("dresden")

TODAY = datetime.date.today()
REVIEWED = datetime.datetime(2026, 3, 3, 10, 30, tzinfo=datetime.UTC)


def _office_staff(username, code, **names):
    user = UserFactory(username=username, **names)
    user.groups.add(ensure_role_groups()[Role.OFFICE_STAFF])
    Office.objects.get(code=code).staff.add(user)
    return user


@pytest.fixture
def staff51(office_staff):
    office_staff.first_name, office_staff.last_name = "Jana", "Müller"
    office_staff.save()
    return office_staff


@pytest.fixture
def colleague():
    return _office_staff("kollege", "51", first_name="Tom", last_name="Weber")


@pytest.fixture
def reviewer(bureau_user):
    bureau_user.first_name, bureau_user.last_name = "Bea", "Büro"
    bureau_user.save()
    return bureau_user


@pytest.fixture
def measure():
    return Measure.objects.get(number="4.2.2")  # led by the Jugendamt (51)


@pytest.fixture
def returned(staff51, reviewer, measure):
    return StatusEntryFactory(
        measure=measure,
        author=staff51,
        state=StatusEntry.State.RETURNED,
        as_of=TODAY,
        submitted_at=REVIEWED - datetime.timedelta(days=2),
        reviewer=reviewer,
        reviewed_at=REVIEWED,
        review_comment="Bitte die Zahl der Teilnehmenden ergänzen.",
    )


def entry_data(measure, **overrides):
    return {
        "status": Status.IN_PROGRESS,
        "progress": "60",
        "as_of": TODAY.isoformat(),
        "note": "Netzwerktreffen im Herbst",
        "reason": "",
        "measure_version": str(Measure.objects.get(pk=measure.pk).version),
        "submit": "1",
        **overrides,
    }


def _links_to(content, name, pk):
    return reverse(f"measures:{name}", args=[pk]) in content


# --- A returned entry is revised, not duplicated ------------------------------------


def test_a_returned_entry_is_one_to_do_and_its_revision_leaves_none(
    client, staff51, measure, returned
):
    reporting_round = ReportingRoundFactory(concept=measure.concept, opened_at=timezone.now())
    reporting_round.due_measures.add(measure)
    client.force_login(staff51)
    home = client.get(reverse("measures:home")).content.decode()
    assert _links_to(home, "entry_edit", returned.pk)
    assert not _links_to(home, "entry_create", measure.pk), "one to-do per measure"

    edit = reverse("measures:entry_edit", args=[returned.pk])
    data = entry_data(measure, note="Mit Zahlen", entry_version=str(returned.version))
    assert client.post(edit, data).status_code == 302

    returned.refresh_from_db()
    assert returned.state == StatusEntry.State.SUBMITTED and returned.note == "Mit Zahlen"
    assert StatusEntry.objects.filter(measure=measure).count() == 1
    home = client.get(reverse("measures:home")).content.decode()
    assert not _links_to(home, "entry_edit", returned.pk)
    assert not _links_to(home, "entry_create", measure.pk)
    # The measure stays on the start page, as waiting for review.
    assert f"{measure.get_absolute_url()}#entry-{returned.pk}" in home
    assert "eingereicht – wartet auf Prüfung" in home
    assert "eingereicht von Jana Müller" in home


def test_starting_an_entry_leads_to_the_one_the_office_carries_on(
    client, staff51, colleague, measure, returned
):
    url = reverse("measures:entry_create", args=[measure.pk])
    edit = reverse("measures:entry_edit", args=[returned.pk])
    # The author and a colleague of the same office continue the returned entry.
    for user in (staff51, colleague):
        client.force_login(user)
        response = client.get(url)
        assert response.status_code == 302 and response.url == edit, user
        assert client.get(edit).status_code == 200
    # A partner office starts its own; an office without the measure gets 404.
    partner = _office_staff("partner", "41")
    measure.partner_offices.add(Office.objects.get(code="41"))
    client.force_login(partner)
    assert 'name="status"' in client.get(url).content.decode()
    assert client.get(edit).status_code == 404
    client.force_login(_office_staff("fremd", "80"))
    assert client.get(url).status_code == 404
    client.logout()
    response = client.get(url)
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


def test_a_colleague_revises_and_submits_the_returned_entry(client, colleague, measure, returned):
    client.force_login(colleague)
    data = entry_data(measure, entry_version=str(returned.version))
    response = client.post(reverse("measures:entry_edit", args=[returned.pk]), data)
    assert response.status_code == 302
    returned.refresh_from_db()
    assert returned.state == StatusEntry.State.SUBMITTED
    assert returned.author.username == "staff"  # still the author's entry, revised


def test_a_new_entry_sent_while_one_is_open_saves_nothing_and_keeps_the_input(
    client, colleague, measure, returned
):
    # The form was opened before the entry was returned (or in a second tab).
    client.force_login(colleague)
    response = client.post(
        reverse("measures:entry_create", args=[measure.pk]),
        entry_data(measure, note="Mein neuer Text"),
    )
    assert response.status_code == 409
    content = response.content.decode()
    assert "Zu dieser Maßnahme ist bereits ein Sachstand in Arbeit" in content
    assert "Mein neuer Text" in content
    assert f'action="{reverse("measures:entry_edit", args=[returned.pk])}"' in content
    assert list(StatusEntry.objects.filter(measure=measure)) == [returned]
    returned.refresh_from_db()
    assert returned.state == StatusEntry.State.RETURNED


def test_the_service_starts_no_second_open_entry_of_an_office(colleague, measure, returned):
    with pytest.raises(AlreadyOpen) as error:
        save_entry(
            measure=measure,
            author=colleague,
            data={"status": Status.IN_PROGRESS, "progress": 10, "as_of": TODAY},
            indicator_values=[],
            measure_version=measure.version,
            submit=False,
        )
    assert error.value.entry == returned
    assert StatusEntry.objects.filter(measure=measure).count() == 1


# --- The comment, who wrote it and when stand above the form -------------------------


def test_the_review_comment_with_reviewer_and_date_stands_above_the_edit_form(
    client, staff51, measure, returned
):
    client.force_login(staff51)
    edit = reverse("measures:entry_edit", args=[returned.pk])
    content = client.get(edit).content.decode()
    alert = content.index('class="kern-alert kern-alert--warning"')
    assert alert < content.index('class="stacked-form"')
    assert "Zurückgegeben von Bea Büro am 3. März 2026" in content[alert:]
    assert "Bitte die Zahl der Teilnehmenden ergänzen." in content[alert:]
    english = client.get(edit, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Returned by Bea Büro on 3 March 2026" in english
    # Saved again as a draft, the entry keeps the comment it answers.
    data = entry_data(measure, entry_version=str(returned.version))
    del data["submit"]
    client.post(edit, {**data, "draft": "1"})
    assert "Zurückgegeben von Bea Büro" in client.get(edit).content.decode()


def test_a_reviewer_without_a_name_is_shown_by_username(client, staff51, returned):
    returned.reviewer.first_name = returned.reviewer.last_name = ""
    returned.reviewer.save()
    client.force_login(staff51)
    content = client.get(reverse("measures:entry_edit", args=[returned.pk])).content.decode()
    assert "Zurückgegeben von bureau am 3. März 2026" in content


# --- The state of the work per measure -----------------------------------------------


@pytest.fixture
def work_in_every_state(staff51, colleague, reviewer):
    """The Jugendamt's measures, each in one state: 4.1.1 a colleague's draft, 4.2.2
    returned, 5.2 waiting for review, 3.1 (a partner's) approved earlier."""
    numbers = ["4.1.1", "4.2.2", "5.2", "3.1"]
    measures = {m.number: m for m in Measure.objects.filter(number__in=numbers)}
    StatusEntryFactory(
        measure=measures["4.1.1"], author=colleague, state=StatusEntry.State.DRAFT, as_of=TODAY
    )
    StatusEntryFactory(
        measure=measures["4.2.2"],
        author=staff51,
        state=StatusEntry.State.RETURNED,
        as_of=TODAY,
        reviewer=reviewer,
        reviewed_at=REVIEWED,
        review_comment="Bitte ergänzen.",
    )
    StatusEntryFactory(
        measure=measures["5.2"],
        author=staff51,
        state=StatusEntry.State.SUBMITTED,
        as_of=TODAY,
        submitted_at=REVIEWED,
    )
    StatusEntryFactory(measure=measures["3.1"], as_of=datetime.date(2014, 3, 31))
    return measures


def _rows(content):
    """Each table row's text by the measure it links to."""
    rows = {}
    for row in re.findall(r'<tr class="kern-table__row">(.*?)</tr>', content, re.S):
        link = re.search(r'href="/massnahmen/(\d+)/"', row)
        if link:
            rows[int(link.group(1))] = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row))
    return rows


def test_my_measures_say_where_the_work_on_each_stands(client, staff51, work_in_every_state):
    measures = work_in_every_state
    client.force_login(staff51)
    rows = _rows(client.get(reverse("measures:measure_list")).content.decode())
    assert "Entwurf" in rows[measures["4.1.1"].pk]
    assert "zurückgegeben" in rows[measures["4.2.2"].pk]
    assert "eingereicht – wartet auf Prüfung" in rows[measures["5.2"].pk]
    assert "freigegeben" in rows[measures["3.1"].pk]
    english = _rows(
        client.get(reverse("measures:measure_list"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    )
    assert "submitted – waiting for review" in english[measures["5.2"].pk]
    assert "returned" in english[measures["4.2.2"].pk]


def test_the_bureau_sees_what_waits_but_not_the_offices_drafts(
    client, bureau_user, work_in_every_state
):
    measures = work_in_every_state
    client.force_login(bureau_user)
    rows = _rows(client.get(reverse("measures:measure_list"), {"q": "4.1.1"}).content.decode())
    assert "noch kein Sachstand" in rows[measures["4.1.1"].pk]  # the draft is the office's
    assert "Entwurf" not in rows[measures["4.1.1"].pk]
    rows = _rows(client.get(reverse("measures:measure_list"), {"q": "5.2"}).content.decode())
    assert "eingereicht – wartet auf Prüfung" in rows[measures["5.2"].pk]


def test_the_start_page_lists_each_measure_once_with_its_state(
    client, staff51, work_in_every_state
):
    measures = work_in_every_state
    reporting_round = ReportingRoundFactory(
        concept=measures["4.1.1"].concept, opened_at=timezone.now()
    )
    reporting_round.due_measures.add(*measures.values())
    client.force_login(staff51)
    content = client.get(reverse("measures:home")).content.decode()
    # Only 3.1 is still to be started; the others are listed with their entry.
    for number in ["4.1.1", "4.2.2", "5.2"]:
        assert not _links_to(content, "entry_create", measures[number].pk), number
    assert _links_to(content, "entry_create", measures["3.1"].pk)
    items = {
        number: re.search(
            rf"<li><a href=\"[^\"]+\">[^<]*{re.escape(number)} .*?</li>", content, re.S
        ).group(0)
        for number in measures
    }
    assert "Entwurf" in items["4.1.1"] and "Tom Weber" in items["4.1.1"]
    assert "zurückgegeben" in items["4.2.2"] and "Bea Büro" in items["4.2.2"]
    assert (
        "eingereicht – wartet auf Prüfung" in items["5.2"] and "seit 3. März 2026" in items["5.2"]
    )
    assert "freigegeben" in items["3.1"]


# --- The measure page offers only the step that is possible ---------------------------


def test_the_measure_page_offers_only_the_possible_step(client, staff51, work_in_every_state):
    measures = work_in_every_state
    client.force_login(staff51)
    entries = {
        number: StatusEntry.objects.filter(measure=measures[number]).first() for number in measures
    }

    def page(number):
        return client.get(measures[number].get_absolute_url()).content.decode()

    draft = page("4.1.1")
    assert "Entwurf bearbeiten" in draft and _links_to(draft, "entry_edit", entries["4.1.1"].pk)
    assert not _links_to(draft, "entry_create", measures["4.1.1"].pk)
    returned = page("4.2.2")
    assert "Überarbeiten" in returned
    assert _links_to(returned, "entry_edit", entries["4.2.2"].pk)
    assert not _links_to(returned, "entry_create", measures["4.2.2"].pk)
    waiting = page("5.2")
    assert "Wartet auf Prüfung seit 3. März 2026" in waiting
    assert "Eingereicht von Jana Müller." in waiting
    assert not _links_to(waiting, "entry_create", measures["5.2"].pk)
    assert "Sachstand erfassen" not in waiting
    approved = page("3.1")
    assert _links_to(approved, "entry_create", measures["3.1"].pk)
    assert "Sachstand erfassen" in approved


def test_work_on_a_measure_without_an_office_renews_the_bureaus_list(client, bureau_user):
    # The bureau's list shows where the work stands on every measure, also on one
    # that no office leads (a department's).
    measure = Measure.objects.filter(lead_office__isnull=True).first()
    measure.partner_offices.clear()
    author = UserFactory()
    client.force_login(bureau_user)
    url = reverse("measures:measure_list")
    query = {"q": measure.number}
    assert "wartet auf Prüfung" not in _rows(client.get(url, query).content.decode())[measure.pk]
    StatusEntryFactory(
        measure=measure, author=author, state=StatusEntry.State.SUBMITTED, as_of=TODAY
    )
    assert "wartet auf Prüfung" in _rows(client.get(url, query).content.decode())[measure.pk]
