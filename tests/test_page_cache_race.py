"""Cached pages under concurrent writers on a real PostgreSQL server: once a commit has
returned, no reader is served a page older than it.

The old page cache took the data's generation as the highest id of a change table;
ids are not handed out in commit order, so a writer that saved first but committed
last left its change out of every page cached in between. The versions of
integration_tracker/page_cache.py are bumped after the commit instead."""

import datetime
import threading

import pytest
from django.db import connection, connections, transaction
from django.test import Client
from django.urls import reverse

from measures.models import StatusEntry

from .factories import ConceptFactory, MeasureFactory, UserFactory

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="SQLite runs one write transaction at a time: two writers cannot overlap",
    ),
]

WAIT = 30  # seconds; a safety net for a broken run, not a timing assumption


def approved_entry(measure, author, note):
    return StatusEntry.objects.create(
        measure=measure,
        status="in_progress",
        progress=50,
        note=note,
        as_of=datetime.date.today(),
        state=StatusEntry.State.APPROVED,
        author=author,
    )


def in_thread(job):
    """Run ``job`` in a thread with its own database connection."""
    errors = []

    def run():
        try:
            job()
        except Exception as error:  # noqa: BLE001 - reported by the test
            errors.append(error)
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, errors


def test_a_writer_that_commits_last_is_not_lost_from_the_cached_page(council_member):
    concept = ConceptFactory()
    measure, other = MeasureFactory(concept=concept), MeasureFactory(concept=concept)
    author = UserFactory()
    page = reverse("reports:measure", args=[measure.pk])
    reader = Client()
    reader.force_login(council_member)
    assert reader.get(page).status_code == 200

    # Writer A saves first and holds its transaction open.
    saved, may_commit = threading.Event(), threading.Event()

    def writer_a():
        with transaction.atomic():
            approved_entry(measure, author, "Schritt von A")
            saved.set()
            assert may_commit.wait(WAIT)

    thread_a, errors_a = in_thread(writer_a)
    assert saved.wait(WAIT)
    # Writer B saves after A and commits before A.
    thread_b, errors_b = in_thread(lambda: approved_entry(other, author, "Schritt von B"))
    thread_b.join(WAIT)
    assert not errors_b
    # A reader caches the page now: without A's entry, which is not committed.
    assert "Schritt von A" not in reader.get(page).content.decode()

    may_commit.set()
    thread_a.join(WAIT)
    assert not thread_a.is_alive() and not errors_a
    # A's commit has returned: every reader sees it.
    assert "Schritt von A" in reader.get(page).content.decode()
    assert "Schritt von A" in reader.get(page).content.decode()


def test_many_writers_each_commit_is_seen_once_it_has_returned(council_member):
    """Writers commit one after another from their own threads while the page is read
    (and cached) between the saves and the commits; after each commit returns the
    page shows that writer's entry."""
    concept = ConceptFactory()
    measure = MeasureFactory(concept=concept)
    others = MeasureFactory.create_batch(3, concept=concept)
    author = UserFactory()
    page = reverse("reports:measure", args=[measure.pk])
    reader = Client()
    reader.force_login(council_member)

    for round_number in range(5):
        note = f"Runde {round_number}"
        saved, may_commit = threading.Event(), threading.Event()

        def slow_writer(note=note, saved=saved, may_commit=may_commit):
            with transaction.atomic():
                approved_entry(measure, author, note)
                saved.set()
                assert may_commit.wait(WAIT)

        slow, slow_errors = in_thread(slow_writer)
        assert saved.wait(WAIT)
        fast = [
            in_thread(lambda other=other: approved_entry(other, author, "dazwischen"))
            for other in others
        ]
        for thread, errors in fast:
            thread.join(WAIT)
            assert not errors
            assert note not in reader.get(page).content.decode()
        may_commit.set()
        slow.join(WAIT)
        assert not slow.is_alive() and not slow_errors
        assert note in reader.get(page).content.decode(), round_number
