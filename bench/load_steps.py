# ruff: noqa: E402 (Django is set up before the imports that need it)
"""The parts of the load test that run inside Django, against the database that
DATABASE_URL names: `python bench/load_steps.py STEP OUTPUT.json`.

- ``prepare``: sessions for office staff of several offices (each writer gets measures
  of its own, so two writers never edit the same measure), the bureau and the council,
  and the URLs of every page type;
- ``count``: the number of status entries (before and after the run).
"""

import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "integration_tracker.settings")

import django

django.setup()

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Count
from django.urls import reverse

from integration_tracker.roles import Role
from measures.models import Measure, ReportingRound, StatusEntry
from measures.permissions import workspace_measures
from reports.models import Report
from working_groups.models import Concept

User = get_user_model()
WRITER_OFFICES = 8
MEASURES_PER_WRITER = 20


def _session_for(user):
    from steps import _session_for as make_session

    return make_session(user)


def prepare(writers):
    report = Report.objects.select_related("concept").order_by("pk").first()
    concept = report.concept
    bureau = User.objects.filter(groups__name=Role.BUREAU).order_by("pk").first()
    council = User.objects.filter(groups__name=Role.COUNCIL).order_by("pk").first()
    staff = list(
        User.objects.filter(groups__name=Role.OFFICE_STAFF, offices__isnull=False)
        .annotate(led=Count("offices__led_measures"))
        .filter(led__gt=0)
        .order_by("-led", "pk")
        .distinct()[:WRITER_OFFICES]
    )
    if not staff:
        sys.exit("no office staff with measures in this data set")
    # Each writer thread gets its own measures: writers of one office split them.
    writer_specs = []
    taken = set()
    for index in range(writers):
        user = staff[index % len(staff)]
        measures = [
            pk
            for pk in workspace_measures(user, Measure.objects.all())
            .filter(lead_office__staff=user)
            .order_by("pk")
            .values_list("pk", flat=True)
            if pk not in taken
        ][:MEASURES_PER_WRITER]
        taken.update(measures)
        if measures:
            writer_specs.append(
                {"user": user.username, "session": _session_for(user), "measures": measures}
            )
    some_measure = Measure.objects.filter(concept=concept).order_by("pk").first()
    entry = StatusEntry.objects.filter(measure__concept=concept).order_by("pk").first()
    reporting_round = ReportingRound.objects.order_by("pk").first()
    reader_pages = {
        "council": [
            reverse("measures:home"),
            reverse("measures:concept_detail", args=[concept.slug]),
            reverse("reports:overview"),
            reverse("reports:overview") + "?status=completed",
            reverse("reports:overview") + "?ueberfaellig=1&seite=2",
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
            reverse("measures:measure_list"),
            reverse("measures:measure_list") + "?ordering=-status&page=2",
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
        # Seconds per request: a few, so the test still reads it.
        "slow": [reverse("reports:report_download", args=[report.slug, "pdf"])],
    }
    return {
        "cookie_name": settings.SESSION_COOKIE_NAME,
        "csrf_cookie_name": settings.CSRF_COOKIE_NAME,
        "writers": writer_specs,
        "sessions": {"council": _session_for(council), "bureau": _session_for(bureau)},
        "pages": reader_pages,
        "concepts": Concept.objects.count(),
    }


def count():
    return {"status_entries": StatusEntry.objects.count()}


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    step, output = sys.argv[1], Path(sys.argv[2])
    if step == "prepare":
        result = prepare(int(os.environ.get("LOADTEST_WRITERS", "8")))
    elif step == "count":
        result = count()
    else:
        sys.exit(f"unknown step {step!r}")
    output.write_text(json.dumps(result, indent=1))
