"""The overview's counts under concurrent writers on a real PostgreSQL server: once an
approval's commit has returned, no reader is served counts older than it.

The counts are cached under the concept's version (working_groups/versions.py), which
an approval counts up in its own transaction. A writer that approves first but
commits last must not be left out of counts cached in between: the second writer
waits for the first at the concept's row, so versions and records commit together."""

import datetime
import threading

import pytest
from django.db import connection, connections, transaction
from django.test import Client
from django.urls import reverse

from helpers.scope import unscoped
from measures.models import StatusEntry
from measures.services import approve_entry

from .factories import ConceptFactory, MeasureFactory, UserFactory

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="SQLite runs one write transaction at a time: two writers cannot overlap",
    ),
]

WAIT = 30  # seconds; a safety net for a broken run, not a timing assumption


def submitted_entry(measure, author, status):
    return StatusEntry.objects.create(
        measure=measure,
        status=status,
        progress=None if status == "deferred" else 50,
        reason="Auf später verschoben" if status == "deferred" else "",
        as_of=datetime.date.today(),
        state=StatusEntry.State.SUBMITTED,
        author=author,
    )


def in_thread(job):
    """Run ``job`` in a thread with its own database connection."""
    errors = []

    def run():
        try:
            # A new thread starts outside any scope; the test's own is unscoped.
            with unscoped():
                job()
        except Exception as error:  # noqa: BLE001 - reported by the test
            errors.append(error)
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, errors


def test_a_writer_that_commits_last_is_not_lost_from_the_cached_counts(council_member, bureau_user):
    concept = ConceptFactory()
    measure, other = MeasureFactory(concept=concept), MeasureFactory(concept=concept)
    author = UserFactory()
    slow = submitted_entry(measure, author, "deferred")
    fast = submitted_entry(other, author, "in_progress")
    page = reverse("reports:overview") + f"?konzept={concept.slug}"
    reader = Client()
    reader.force_login(council_member)
    assert reader.get(page).status_code == 200

    # Writer A approves first and holds its transaction open.
    saved, may_commit = threading.Event(), threading.Event()

    def writer_a():
        with transaction.atomic():
            approve_entry(slow, bureau_user)
            saved.set()
            assert may_commit.wait(WAIT)

    thread_a, errors_a = in_thread(writer_a)
    assert saved.wait(WAIT)
    # A reader counts now: without A's approval, which is not committed, under the
    # version before it (A's count is not committed either).
    content = reader.get(page).content.decode()
    assert "bar-deferred" not in content
    # Writer B approves after A: it waits at the concept's version until A ends, so
    # the two cannot commit their counts out of order.
    thread_b, errors_b = in_thread(lambda: approve_entry(fast, bureau_user))
    thread_b.join(1)
    assert thread_b.is_alive(), "B waits for A at the concept's row"

    may_commit.set()
    thread_a.join(WAIT)
    thread_b.join(WAIT)
    assert not thread_a.is_alive() and not errors_a
    assert not thread_b.is_alive() and not errors_b
    # Both commits have returned: every reader counts both.
    for _ in range(2):
        content = reader.get(page).content.decode()
        assert "bar-deferred" in content and "bar-in_progress" in content
