"""The real database worker inside a test."""

import signal

from django.core.management import call_command


def run_worker():
    """`manage.py db_worker` in batch mode: every task that is due, then it stops. The
    worker installs its own SIGINT/SIGTERM handlers; pytest gets its own back."""
    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        call_command(
            "db_worker", batch=True, reload=False, startup_delay=False, interval=0, verbosity=0
        )
    finally:
        for sig, handler in saved.items():
            signal.signal(sig, handler)
