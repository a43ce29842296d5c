"""The office workspace: rights per role, status entry with validation, conflicts,
four-eyes review, query budgets."""

import datetime

import pytest
from django.urls import reverse

from measures.models import Measure, Status, StatusEntry

from .budgets import REQUEST
from .factories import (
    ConceptFactory,
    IndicatorFactory,
    IndicatorValueFactory,
    MeasureFactory,
    OfficeFactory,
    StatusEntryFactory,
)

pytestmark = pytest.mark.usefixtures("dresden")

TODAY = datetime.date.today()


@pytest.fixture
def staff51(office_staff):
    return office_staff


@pytest.fixture
def staff41(db):
    from helpers.roles import Role, ensure_role_groups
    from working_groups.models import Office

    from .factories import UserFactory

    user = UserFactory(username="staff41")
    user.groups.add(ensure_role_groups()[Role.OFFICE_STAFF])
    Office.objects.get(code="41").staff.add(user)
    return user


@pytest.fixture
def jugendamt_measure():
    return Measure.objects.get(number="4.1.1")  # led by Jugendamt (51)


def entry_data(measure, **overrides):
    data = {
        "status": Status.IN_PROGRESS,
        "progress": "60",
        "as_of": TODAY.isoformat(),
        "note": "Neue Fachplanung in Arbeit",
        "reason": "",
        "measure_version": str(measure.version),
        "submit": "1",
    }
    data.update(overrides)
    return data


def test_staff_sees_the_measures_of_their_office_only(client, staff51):
    client.force_login(staff51)
    response = client.get(reverse("measures:measure_list"))
    assert response.status_code == 200
    numbers = {m.number for m in response.context["page"].object_list}
    assert "4.1.1" in numbers and "4.2.2" in numbers  # Jugendamt leads
    assert "3.1" in numbers  # Jugendamt takes part
    assert "5.6.1" not in numbers  # Kulturamt's measure


def test_bureau_sees_all_measures(client, bureau_user):
    client.force_login(bureau_user)
    response = client.get(reverse("measures:measure_list") + "?page=2")
    assert response.context["page"].paginator.count == Measure.objects.count()


@pytest.mark.usefixtures("dresden_statuses")
def test_list_filters_by_status_and_search(client, bureau_user):
    client.force_login(bureau_user)
    response = client.get(reverse("measures:measure_list"), {"status": "in_preparation"})
    assert [m.number for m in response.context["page"].object_list] == ["4.2.7"]
    response = client.get(reverse("measures:measure_list"), {"q": "Lesestark"})
    assert [m.number for m in response.context["page"].object_list] == ["4.2.1"]


@pytest.mark.usefixtures("dresden_statuses")
def test_staff_enters_and_submits_a_status(client, staff51, jugendamt_measure):
    client.force_login(staff51)
    url = reverse("measures:entry_create", args=[jugendamt_measure.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, entry_data(jugendamt_measure))
    assert response.status_code == 302
    entry = StatusEntry.objects.get(measure=jugendamt_measure, author=staff51)
    assert entry.state == StatusEntry.State.SUBMITTED
    assert entry.note == "Neue Fachplanung in Arbeit"
    jugendamt_measure.refresh_from_db()
    assert jugendamt_measure.current_status == Status.COMPLETED  # unchanged until approved


def test_staff_saves_a_draft_then_edits_and_submits_it(client, staff51, jugendamt_measure):
    client.force_login(staff51)
    data = entry_data(jugendamt_measure, submit="")
    del data["submit"]
    data["draft"] = "1"
    client.post(reverse("measures:entry_create", args=[jugendamt_measure.pk]), data)
    entry = StatusEntry.objects.get(author=staff51)
    assert entry.state == StatusEntry.State.DRAFT
    jugendamt_measure.refresh_from_db()
    edit = reverse("measures:entry_edit", args=[entry.pk])
    response = client.post(
        edit,
        entry_data(jugendamt_measure, note="ergänzt", entry_version=str(entry.version)),
    )
    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.note == "ergänzt"
    assert entry.state == StatusEntry.State.SUBMITTED
    assert client.get(edit).status_code == 404  # submitted entries are no longer editable


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"progress": "150"}, "progress", "100"),
        ({"status": Status.COMPLETED, "progress": "80"}, "progress", "100 %"),
        ({"status": Status.DEFERRED, "reason": ""}, "reason", "Begründung"),
        ({"status": Status.DROPPED, "reason": "  "}, "reason", "Begründung"),
        ({"as_of": (TODAY + datetime.timedelta(days=1)).isoformat()}, "as_of", "Zukunft"),
        ({"as_of": "31.02.2014"}, "as_of", "gültiges Datum"),
    ],
)
def test_bad_input_redisplays_the_form_with_errors_and_saves_nothing(
    client, staff51, jugendamt_measure, overrides, field, message
):
    client.force_login(staff51)
    response = client.post(
        reverse("measures:entry_create", args=[jugendamt_measure.pk]),
        entry_data(jugendamt_measure, **overrides),
    )
    assert response.status_code == 400
    form = response.context["form"]
    assert message in " ".join(form.errors[field])
    content = response.content.decode()
    assert 'role="alert"' in content
    assert f'aria-describedby="id_{field}_error' in content
    assert "Neue Fachplanung in Arbeit" in content  # what was typed is kept
    assert not StatusEntry.objects.filter(author=staff51).exists()


def test_indicator_values_are_entered_with_the_status(client, staff51):
    measure = Measure.objects.get(number="4.1.1")
    indicator = IndicatorFactory(measure=measure, name="Fachpläne", unit="Pläne")
    client.force_login(staff51)
    prefix = f"indicator_{indicator.pk}"
    response = client.post(
        reverse("measures:entry_create", args=[measure.pk]),
        entry_data(
            measure,
            **{
                f"{prefix}_value": "3",
                f"{prefix}_from": "2014-01-01",
                f"{prefix}_until": "2014-12-31",
            },
        ),
    )
    assert response.status_code == 302
    entry = StatusEntry.objects.get(author=staff51)
    [value] = entry.indicator_values.all()
    assert value.value == 3 and value.indicator == indicator


def test_indicator_value_without_period_is_an_error(client, staff51):
    measure = Measure.objects.get(number="4.1.1")
    indicator = IndicatorFactory(measure=measure)
    client.force_login(staff51)
    response = client.post(
        reverse("measures:entry_create", args=[measure.pk]),
        entry_data(measure, **{f"indicator_{indicator.pk}_value": "3"}),
    )
    assert response.status_code == 400
    assert not StatusEntry.objects.filter(author=staff51).exists()


def test_concurrent_change_shows_a_conflict_and_keeps_the_input(
    client, staff51, bureau_user, jugendamt_measure
):
    opened_version = jugendamt_measure.version
    # Meanwhile the bureau changes the measure's master data.
    jugendamt_measure.title += " (präzisiert)"
    jugendamt_measure.save()
    client.force_login(staff51)
    response = client.post(
        reverse("measures:entry_create", args=[jugendamt_measure.pk]),
        entry_data(jugendamt_measure, measure_version=str(opened_version), note="Mein Text"),
    )
    assert response.status_code == 409
    content = response.content.decode()
    assert "Mein Text" in content
    assert response.context["conflict"]["measure"].title.endswith("(präzisiert)")
    assert not StatusEntry.objects.filter(author=staff51).exists()
    # The form now carries the fresh version: saving again works.
    form = response.context["form"]
    assert form["measure_version"].value() == jugendamt_measure.version
    retry = client.post(
        reverse("measures:entry_create", args=[jugendamt_measure.pk]),
        entry_data(jugendamt_measure, measure_version=str(jugendamt_measure.version)),
    )
    assert retry.status_code == 302


def test_bureau_approves_and_the_status_changes(client, staff51, bureau_user, jugendamt_measure):
    entry = StatusEntryFactory(
        measure=jugendamt_measure,
        author=staff51,
        state=StatusEntry.State.SUBMITTED,
        status=Status.ONGOING,
        progress=None,
        as_of=TODAY,
    )
    client.force_login(bureau_user)
    queue = client.get(reverse("measures:review_queue"))
    assert entry in queue.context["page"].object_list
    response = client.post(reverse("measures:entry_approve", args=[entry.pk]))
    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.state == StatusEntry.State.APPROVED
    assert entry.reviewer == bureau_user
    jugendamt_measure.refresh_from_db()
    assert jugendamt_measure.current_status == Status.ONGOING


def test_bureau_returns_with_a_comment_the_author_sees(
    client, staff51, bureau_user, jugendamt_measure
):
    entry = StatusEntryFactory(
        measure=jugendamt_measure,
        author=staff51,
        state=StatusEntry.State.SUBMITTED,
        as_of=TODAY,
    )
    client.force_login(bureau_user)
    url = reverse("measures:entry_return", args=[entry.pk])
    response = client.post(url, {"comment": ""})
    assert response.status_code == 400
    entry.refresh_from_db()
    assert entry.state == StatusEntry.State.SUBMITTED
    client.post(url, {"comment": "Bitte Stand präzisieren."})
    entry.refresh_from_db()
    assert entry.state == StatusEntry.State.RETURNED
    client.force_login(staff51)
    page = client.get(jugendamt_measure.get_absolute_url()).content.decode()
    assert "Bitte Stand präzisieren." in page
    assert reverse("measures:entry_edit", args=[entry.pk]) in page


def test_nobody_approves_their_own_entry(client, bureau_user, jugendamt_measure):
    entry = StatusEntryFactory(
        measure=jugendamt_measure,
        author=bureau_user,
        state=StatusEntry.State.SUBMITTED,
        as_of=TODAY,
    )
    client.force_login(bureau_user)
    assert client.post(reverse("measures:entry_approve", args=[entry.pk])).status_code == 403
    entry.refresh_from_db()
    assert entry.state == StatusEntry.State.SUBMITTED


def test_approving_twice_changes_nothing(client, staff51, bureau_user, jugendamt_measure):
    entry = StatusEntryFactory(
        measure=jugendamt_measure,
        author=staff51,
        state=StatusEntry.State.APPROVED,
        as_of=TODAY,
    )
    client.force_login(bureau_user)
    assert client.post(reverse("measures:entry_approve", args=[entry.pk])).status_code == 404


@pytest.mark.parametrize("count", [3, 300])
def test_measure_list_queries_do_not_grow(client, bureau_user, django_assert_num_queries, count):
    concept = ConceptFactory()
    office = OfficeFactory(municipality=concept.municipality)
    for measure in MeasureFactory.create_batch(count, concept=concept, lead_office=office):
        StatusEntryFactory(measure=measure)
    client.force_login(bureau_user)
    # session, user, roles, count, page of measures (with offices, current entry,
    # timeliness and the state of the work in the same query), open rounds, the user's
    # returned entries, and the two dropdowns of the filter
    with django_assert_num_queries(REQUEST + 6):
        response = client.get(reverse("measures:measure_list"))
    assert response.status_code == 200


@pytest.mark.parametrize("count", [3, 300])
def test_measure_page_queries_do_not_grow(client, bureau_user, django_assert_num_queries, count):
    parent = Measure.objects.get(number="5.6.1")  # has a funding line with amounts
    indicator = IndicatorFactory(measure=parent)
    for measure in MeasureFactory.create_batch(count, concept=parent.concept, parent=parent):
        StatusEntryFactory(measure=measure)
    for _ in range(count // 3):
        entry = StatusEntryFactory(
            measure=parent, state=StatusEntry.State.RETURNED, author=bureau_user
        )
        IndicatorValueFactory(indicator=indicator, status_entry=entry)
        IndicatorValueFactory(indicator=IndicatorFactory(measure=parent))
    client.force_login(bureau_user)
    # session, user, roles, measure, the entries the user carries on, partner offices,
    # partner organisations, languages, entries, their indicator values and those
    # values' indicators, indicators and their approved values, funding lines and their
    # amounts, needs, sub-measures
    with django_assert_num_queries(REQUEST + 14):
        response = client.get(parent.get_absolute_url())
    assert response.status_code == 200


def test_returned_entries_are_listed_for_their_author(client, staff51, jugendamt_measure):
    entry = StatusEntryFactory(
        measure=jugendamt_measure,
        author=staff51,
        state=StatusEntry.State.RETURNED,
        review_comment="Bitte Zahlen ergänzen",
        as_of=TODAY,
    )
    client.force_login(staff51)
    content = client.get(reverse("measures:measure_list")).content.decode()
    assert "Bitte Zahlen ergänzen" in content
    assert reverse("measures:entry_edit", args=[entry.pk]) in content


@pytest.mark.parametrize("count", [3, 300])
def test_review_queue_queries_do_not_grow(
    client, staff51, bureau_user, django_assert_num_queries, count
):
    for measure in MeasureFactory.create_batch(count):
        entry = StatusEntryFactory(
            measure=measure, author=staff51, state=StatusEntry.State.SUBMITTED, as_of=TODAY
        )
        IndicatorValueFactory(indicator=IndicatorFactory(measure=measure), status_entry=entry)
    client.force_login(bureau_user)
    # session, user, roles, count, page of entries (with measure, office, current
    # entry, author), their indicator values, and those values' indicators
    with django_assert_num_queries(REQUEST + 4):
        response = client.get(reverse("measures:review_queue"))
    assert response.status_code == 200


@pytest.mark.parametrize("count", [3, 30])
def test_round_list_queries_do_not_grow(client, bureau_user, django_assert_num_queries, count):
    from .factories import ReportingRoundFactory

    concept = Measure.objects.first().concept
    for _ in range(count):
        ReportingRoundFactory(concept=concept)
    client.force_login(bureau_user)
    with django_assert_num_queries(REQUEST + 1):  # session, user, roles, rounds with counts
        response = client.get(reverse("measures:round_list"))
    assert response.status_code == 200


def test_review_queue_shows_an_entry_without_author(client, bureau_user, jugendamt_measure):
    # Entries from imports of old reports or scripts may have no author.
    StatusEntryFactory(
        measure=jugendamt_measure, author=None, state=StatusEntry.State.SUBMITTED, as_of=TODAY
    )
    client.force_login(bureau_user)
    response = client.get(reverse("measures:review_queue"))
    assert response.status_code == 200
    assert "Verfasser unbekannt" in response.content.decode()


# --- An ongoing task takes no percentage ------------------------------------------


def test_ongoing_task_with_a_percentage_is_refused(client, staff51, jugendamt_measure):
    client.force_login(staff51)
    response = client.post(
        reverse("measures:entry_create", args=[jugendamt_measure.pk]),
        entry_data(jugendamt_measure, status=Status.ONGOING, progress="50"),
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "Eine Daueraufgabe hat keinen Prozentwert; lassen Sie den Fortschritt leer." in page
    assert not StatusEntry.objects.filter(author=staff51).exists()


def test_ongoing_task_without_a_percentage_is_saved(client, staff51, jugendamt_measure):
    client.force_login(staff51)
    response = client.post(
        reverse("measures:entry_create", args=[jugendamt_measure.pk]),
        entry_data(jugendamt_measure, status=Status.ONGOING, progress=""),
    )
    assert response.status_code == 302
    assert StatusEntry.objects.get(author=staff51).progress is None


def test_model_clean_refuses_an_ongoing_task_with_a_percentage(jugendamt_measure):
    from django.core.exceptions import ValidationError

    entry = StatusEntry(measure=jugendamt_measure, status=Status.ONGOING, progress=50, as_of=TODAY)
    with pytest.raises(ValidationError) as error:
        entry.clean()
    assert "progress" in error.value.message_dict


def test_the_database_refuses_an_ongoing_task_with_a_percentage(jugendamt_measure):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        StatusEntry.objects.create(
            measure=jugendamt_measure, status=Status.ONGOING, progress=50, as_of=TODAY
        )


# --- After errors: the title says so and the focus goes to the summary -------------


def test_form_errors_put_error_in_the_title_and_focus_on_the_summary(
    client, staff51, jugendamt_measure
):
    client.force_login(staff51)
    url = reverse("measures:entry_create", args=[jugendamt_measure.pk])
    fresh = client.get(url).content.decode()
    assert "<title>Fehler:" not in fresh and 'id="error-summary"' not in fresh
    response = client.post(url, entry_data(jugendamt_measure, progress="150"))
    page = response.content.decode()
    assert "<title>Fehler: " in page
    assert 'tabindex="-1" id="error-summary" autofocus' in page
    english = client.post(
        url, entry_data(jugendamt_measure, progress="150"), HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert "<title>Error: " in english


# --- No second entry while one of the office waits for review ----------------------


@pytest.fixture
def waiting(staff51, jugendamt_measure):
    return StatusEntryFactory(
        measure=jugendamt_measure,
        author=staff51,
        state=StatusEntry.State.SUBMITTED,
        submitted_at=datetime.datetime.now(datetime.UTC),
        as_of=TODAY,
    )


def test_no_second_entry_while_one_waits_for_review(client, staff51, jugendamt_measure, waiting):
    client.force_login(staff51)
    url = reverse("measures:entry_create", args=[jugendamt_measure.pk])
    page = client.get(url).content.decode()
    link = f"{jugendamt_measure.get_absolute_url()}#entry-{waiting.pk}"
    assert "Ein Sachstand wartet auf Prüfung" in page and link in page
    assert 'name="status"' not in page  # no form to fill in
    response = client.post(url, entry_data(jugendamt_measure))
    assert response.status_code == 409
    assert not StatusEntry.objects.filter(measure=jugendamt_measure, pk__gt=waiting.pk).exists()


def test_a_colleague_of_the_same_office_cannot_start_a_second_entry(
    client, jugendamt_measure, waiting
):
    from helpers.roles import Role, ensure_role_groups
    from working_groups.models import Office

    from .factories import UserFactory

    colleague = UserFactory(username="kollegin")
    colleague.groups.add(ensure_role_groups()[Role.OFFICE_STAFF])
    Office.objects.get(code="51").staff.add(colleague)
    client.force_login(colleague)
    response = client.post(
        reverse("measures:entry_create", args=[jugendamt_measure.pk]),
        entry_data(jugendamt_measure),
    )
    assert response.status_code == 409
    assert not StatusEntry.objects.filter(author=colleague).exists()


def test_a_partner_office_cannot_submit_a_second_entry_while_one_waits(
    client, staff41, jugendamt_measure, waiting
):
    # One entry per measure waits at a time, whoever wrote it (a database constraint).
    jugendamt_measure.partner_offices.add(staff41.offices.first())
    client.force_login(staff41)
    response = client.post(
        reverse("measures:entry_create", args=[jugendamt_measure.pk]),
        entry_data(jugendamt_measure),
    )
    assert response.status_code == 409
    assert f"#entry-{waiting.pk}" in response.content.decode()
    assert not StatusEntry.objects.filter(author=staff41).exists()


def test_a_second_submission_at_the_same_moment_is_refused_by_the_database(
    client, staff51, jugendamt_measure, waiting, monkeypatch
):
    # Two requests at the same moment: both pass the view's and the service's checks
    # before the other entry is stored. The constraint refuses the second, and the
    # office reads the page that links to the waiting entry.
    from measures import services

    draft = StatusEntryFactory(
        measure=jugendamt_measure, author=staff51, state=StatusEntry.State.DRAFT, as_of=TODAY
    )
    looked = []

    def not_yet_seen(measure):
        looked.append(measure)
        return None if len(looked) == 1 else services.waiting_entry(measure)

    monkeypatch.setattr("measures.views.waiting_entry", not_yet_seen)
    monkeypatch.setattr(services, "_refuse_second_waiting", lambda entry: None)
    client.force_login(staff51)
    response = client.post(reverse("measures:entry_submit", args=[draft.pk]))
    assert response.status_code == 409
    assert f"#entry-{waiting.pk}" in response.content.decode()
    draft.refresh_from_db()
    assert draft.state == StatusEntry.State.DRAFT


def test_a_new_entry_can_be_started_once_the_waiting_one_is_reviewed(
    client, staff51, jugendamt_measure, waiting
):
    waiting.state = StatusEntry.State.APPROVED
    waiting.save()
    client.force_login(staff51)
    url = reverse("measures:entry_create", args=[jugendamt_measure.pk])
    assert 'name="status"' in client.get(url).content.decode()


def test_a_draft_cannot_be_submitted_while_another_entry_waits(
    client, staff51, jugendamt_measure, waiting
):
    draft = StatusEntryFactory(
        measure=jugendamt_measure, author=staff51, state=StatusEntry.State.DRAFT, as_of=TODAY
    )
    client.force_login(staff51)
    response = client.post(reverse("measures:entry_submit", args=[draft.pk]))
    assert response.status_code == 409
    assert f"#entry-{waiting.pk}" in response.content.decode()
    draft.refresh_from_db()
    assert draft.state == StatusEntry.State.DRAFT
    jugendamt_measure.refresh_from_db()
    response = client.post(
        reverse("measures:entry_edit", args=[draft.pk]),
        {**entry_data(jugendamt_measure), "entry_version": str(draft.version)},
    )
    assert response.status_code == 409
    draft.refresh_from_db()
    assert draft.state == StatusEntry.State.DRAFT
    # Saving it as a draft is still possible.
    data = {**entry_data(jugendamt_measure), "entry_version": str(draft.version)}
    del data["submit"]
    assert client.post(reverse("measures:entry_edit", args=[draft.pk]), data).status_code == 302
