# ruff: noqa: E402 (Django is set up before the imports that need it)
"""The parts of the traffic (bench/traffic.py) that run inside Django, against the
database that DATABASE_URL names: `python bench/load_steps.py STEP OUTPUT.json [ARGS]`.

- ``prepare WRITERS``: sessions for office staff of the offices of the first report's
  concept that lead most measures (each writer gets measures of its own without an
  entry waiting for review, a draft or a returned entry, so two writers never edit
  the same measure and every form starts a new entry), and for
  each kind of reader its session and pages;
- ``count``: the number of status entries (before and after the load test).
"""

import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "integration_tracker.settings")

import django

django.setup()

from helpers.scope import enter_unscoped

# The benchmark's own steps act for the whole instance, as manage.py does; its
# requests (django.test.Client) run in their account's scope.
enter_unscoped()

from django.conf import settings
from django.contrib.auth import get_user_model
from django.urls import reverse

from bench.steps import first_report, offices_by_led_measures, session_for
from helpers.roles import Role
from measures.models import Measure, ReportingRound, StatusEntry
from working_groups.models import Concept

User = get_user_model()
WRITER_OFFICES = 8
OPEN_STATES = [
    StatusEntry.State.SUBMITTED,
    StatusEntry.State.DRAFT,
    StatusEntry.State.RETURNED,
]
MEASURES_PER_WRITER = 50


def _writers(concept, count):
    """Office staff of up to WRITER_OFFICES offices, in turn; writers of one office
    split its measures."""
    offices = offices_by_led_measures(concept)[:WRITER_OFFICES]
    staff = [office.staff.order_by("pk").first() for office in offices]
    if not staff:
        sys.exit("no office staff with measures in this data set")
    writers, taken = [], set()
    for index in range(count):
        user = staff[index % len(staff)]
        # Measures without an entry waiting for review, a draft or a returned entry:
        # they take a new one (the form of a measure with a draft leads to the draft).
        measures = [
            pk
            for pk in Measure.objects.filter(concept=concept, lead_office__staff=user)
            .exclude(status_entries__state__in=OPEN_STATES)
            .order_by("pk")
            .values_list("pk", flat=True)
            if pk not in taken
        ][:MEASURES_PER_WRITER]
        taken.update(measures)
        if measures:
            writers.append(
                {
                    "user": user.username,
                    "session": session_for(user),
                    "forms": [reverse("measures:entry_create", args=[pk]) for pk in measures],
                    "measures": measures,
                }
            )
    return writers


def prepare(writers):
    report = first_report()
    concept = report.concept
    bureau = User.objects.filter(groups__name=Role.BUREAU).order_by("pk").first()
    council = User.objects.filter(groups__name=Role.COUNCIL).order_by("pk").first()
    writer_specs = _writers(concept, writers)
    council_session = session_for(council)
    some_measure = Measure.objects.filter(concept=concept).order_by("pk").first()
    written_measure = writer_specs[0]["measures"][0]
    entry = StatusEntry.objects.filter(measure__concept=concept).order_by("pk").first()
    reporting_round = ReportingRound.objects.order_by("pk").first()
    overview = reverse("reports:overview")
    staff_list = reverse("measures:measure_list")
    readers = {
        # make loadtest: every page type.
        "council": [
            reverse("measures:home"),
            reverse("measures:concept_detail", args=[concept.slug]),
            overview,
            overview + "?status=completed",
            overview + "?ueberfaellig=1&seite=2",
            reverse("reports:measure", args=[some_measure.pk]),
            reverse("reports:members"),
            reverse("reports:funding"),
            reverse("reports:needs"),
            reverse("reports:open_data"),
            reverse("reports:open_data_csv"),
            reverse("reports:open_data_json"),
            reverse("reports:report_list"),
            reverse("reports:report_detail", args=[report.slug]),
            reverse("reports:accessibility"),
        ],
        "bureau": [
            staff_list,
            staff_list + "?ordering=-status&page=2",
            reverse("measures:measure_detail", args=[some_measure.pk]),
            reverse("measures:review_queue"),
            reverse("measures:round_list"),
            reverse("measures:data_exchange"),
            reverse("measures:change_history", args=["massnahme", some_measure.pk]),
            reverse("measures:change_history", args=["sachstand", entry.pk]),
            *(
                [reverse("measures:round_detail", args=[reporting_round.pk])]
                if reporting_round
                else []
            ),
        ],
        "anonymous": [reverse("login"), reverse("healthz"), "/static/css/site.css"],
        # The whole draft rendered in the request, as the bureau downloads it: rare, as
        # in real use (the PDF and DOCX are rendered by the background worker, not in a
        # request); the council reads published versions only.
        "report": [reverse("reports:report_download", args=[report.slug, "html"])],
        # make bench, reads during writes: the progress pages of the concept being
        # written to, and the list of the first writer's office.
        "progress": [
            f"{overview}?konzept={concept.slug}",
            f"{overview}?konzept={concept.slug}&status=in_progress",
            reverse("reports:measure", args=[written_measure]),
        ],
        "staff_list": [staff_list, staff_list + "?page=2"],
    }
    bureau_session = session_for(bureau)
    sessions = {
        "council": council_session,
        "bureau": bureau_session,
        "anonymous": None,
        "report": bureau_session,
        "progress": council_session,
        "staff_list": session_for(User.objects.get(username=writer_specs[0]["user"])),
    }
    return {
        "cookie_name": settings.SESSION_COOKIE_NAME,
        "writers": writer_specs,
        "readers": {kind: {"session": sessions[kind], "pages": readers[kind]} for kind in readers},
        "concepts": Concept.objects.count(),
    }


def count():
    return {"status_entries": StatusEntry.objects.count()}


if __name__ == "__main__":
    step, output = sys.argv[1], Path(sys.argv[2])
    if step == "prepare":
        result = prepare(int(sys.argv[3]))
    elif step == "count":
        result = count()
    else:
        sys.exit(f"unknown step {step!r}")
    output.write_text(json.dumps(result, indent=1))
