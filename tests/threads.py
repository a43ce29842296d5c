"""Running jobs at the same moment in threads, each with its own database
connection (for the tests with real concurrent transactions on PostgreSQL)."""

import threading

from django.db import connections

from helpers.scope import unscoped


def run_together(*jobs):
    """Run the jobs in threads, released at the same moment; return what each
    returned or raised."""
    barrier = threading.Barrier(len(jobs))
    results = [None] * len(jobs)

    def run(index, job):
        try:
            barrier.wait()
            # A new thread starts outside any scope; the test's own is unscoped.
            with unscoped():
                results[index] = job()
        except Exception as error:  # noqa: BLE001 - the outcome is what we test
            results[index] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results
