"""Work that an uploaded file can make expensive runs in a child process with a time
and a memory limit: typesetting a PDF (WeasyPrint draws the bureau's SVG logo),
building a DOCX from the bureau's Word template, reading an uploaded spreadsheet.
The uploads are checked strictly before they are stored or parsed
(helpers/uploads.py, reports/design_checks.py); this is the second line,
for whatever a check misses: a file that would take minutes or gigabytes ends its own
child with an error, not the worker that renders and imports for everyone, and the
memory the work took goes back to the system when the child ends (a Python process
keeps what it once allocated).

The child is forked, so it starts with what the caller has loaded (the report's
records, fonts, libraries) and sends back only its result, pickled through a pipe.
It must not use the database: the connection it inherits is the parent's, and a
query from the child would interleave with the parent's on the same socket, so every
query in the child raises. Limits per kind of work are a setting (``WORK_LIMITS``,
merged over ``DEFAULT_LIMITS``): seconds of wall-clock time, and megabytes of address
space the child may add to what it inherits.
"""

import logging
import multiprocessing
import resource
import signal
import time
import traceback

from django.conf import settings
from django.db import connections
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)

DEFAULT_LIMITS = {
    # The Dresden report typesets in 3 s with some 120 MB; at scale in
    # twenty seconds.
    "pdf": {"seconds": 180, "megabytes": 1024},
    "docx": {"seconds": 120, "megabytes": 512},
    # 20,000 rows of 60 columns, the largest file the limits let through.
    "spreadsheet": {"seconds": 120, "megabytes": 768},
}


class LimitExceeded(Exception):
    """The work took longer or needed more memory than its limit; the message says
    which, for the person who asked for it."""


def limits(kind):
    return {**DEFAULT_LIMITS[kind], **getattr(settings, "WORK_LIMITS", {}).get(kind, {})}


def run_bounded(kind, function, *args, **kwargs):
    """``function(*args, **kwargs)`` run in a forked child within the limits of
    ``kind``; its result, or the exception it raised (raised here again), or
    LimitExceeded."""
    limit = limits(kind)
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(
        target=_child, args=(sender, limit, function, args, kwargs), name=f"bounded-{kind}"
    )
    started = time.monotonic()
    child.start()
    sender.close()
    answered = False
    try:
        if not receiver.poll(limit["seconds"]):
            raise LimitExceeded(
                _("The work took longer than %(seconds)s seconds and was stopped.")
                % {"seconds": limit["seconds"]}
            )
        outcome, value, peak = receiver.recv()
        answered = True
    except EOFError:
        # The child died without an answer: killed by the kernel or a C library.
        outcome, value, peak = "died", None, None
    finally:
        # A child that has answered is let finish; one that has not is stopped.
        child.join(5 if answered else 0)
        if child.is_alive():
            child.kill()
            child.join()
        receiver.close()
    logger.info(
        "%s took %.1f s, peak %s MB (exit %s)",
        kind,
        time.monotonic() - started,
        peak,
        child.exitcode,
    )
    if outcome == "ok":
        return value
    if outcome == "error":
        raise value
    raise LimitExceeded(
        _("The work needed more than %(megabytes)s MB of memory and was stopped.")
        % {"megabytes": limit["megabytes"]}
    )


def _address_space():
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    return 0


def _no_database(execute, sql, params, many, context):
    raise RuntimeError("A bounded child process must not use the database.")


def _child(sender, limit, function, args, kwargs):
    # The parent's stop signals end the child at once (the worker's own handler
    # would only note them and let the child run on).
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    ceiling = _address_space() + limit["megabytes"] * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (ceiling, ceiling))
    # If the parent is gone and cannot stop it, the processor time ends it.
    seconds = int(limit["seconds"]) + 5
    resource.setrlimit(resource.RLIMIT_CPU, (seconds, seconds + 5))
    for connection in connections.all():
        connection.execute_wrappers.append(_no_database)
    try:
        answer = ("ok", function(*args, **kwargs))
    except MemoryError:
        answer = ("memory", None)
    except Exception as error:  # raised again in the parent, with where it was raised
        error.add_note("In the child process:\n" + traceback.format_exc())
        answer = ("error", error)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    try:
        sender.send((*answer, peak))
    except Exception as error:  # an exception or result that cannot be pickled
        sender.send(("error", RuntimeError(f"{answer[0]}: {error!r}"), peak))
    sender.close()
