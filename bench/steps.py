# ruff: noqa: E402 (Django is set up before the imports that need it)
"""The parts of the benchmark that run inside Django, against the database that
DATABASE_URL names: `python bench/steps.py STEP OUTPUT.json [ARGS]`.

- ``pages``: the pages that are served to wrk, with the user and a fresh session for each,
  and the logged-in ceiling they are compared with (bench/views.py);
- ``queries``: queries and in-process time per page (django.test.Client);
- ``report REPEAT``: the first report rendered as HTML and as PDF in this process;
- ``import``: 10,000 measure rows through MeasureResource against the references: the
  library's default import, and simple-history's ``bulk_create_with_history`` of the
  same records with the same many-to-many rows.

Each step writes a JSON object to OUTPUT; bench/run.py drives them, prints every
number that the ``report`` and ``import`` steps return as a figure and checks those
whose name holds ``_vs_`` (a ratio) against its targets.
"""

import copy
import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "integration_tracker.settings")

import django

django.setup()

from helpers.scope import enter_unscoped

# The benchmark's own steps act for the whole instance, as manage.py does; its
# requests (django.test.Client) run in their account's scope.
enter_unscoped()

import tablib
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import caches
from django.db import connection, transaction
from django.db.models import Count, Q
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from import_export.instance_loaders import ModelInstanceLoader
from simple_history.utils import bulk_create_with_history, get_history_model_for_model

from helpers.roles import Role
from helpers.spreadsheets import SpreadsheetResource
from measures.models import Measure
from measures.resources import MeasureResource
from reports.exports import render_html, render_pdf
from reports.models import Report
from working_groups.models import Office

User = get_user_model()
IMPORT_ROWS = 10_000
# Records per INSERT in the reference, as in the import (helpers/bulk_import.py).
BATCH_SIZE = 1000
HOST = "127.0.0.1"
# The pages wrk drives; the others are only counted and timed in process.
SERVED_PAGES = ("hello", "progress_overview", "staff_measure_list", "measure_page")
# Pages without an "…_uncached" variant: they compute nothing that a cache keeps.
UNCACHED_NOTHING = ("hello", "logged_in_ceiling")


def first_report():
    return Report.objects.select_related("concept__municipality").order_by("pk").first()


def offices_by_led_measures(concept):
    """The concept's offices with staff, those leading most of its measures first."""
    return (
        Office.objects.filter(municipality=concept.municipality, staff__isnull=False)
        .annotate(led=Count("led_measures", filter=Q(led_measures__concept=concept), distinct=True))
        .filter(led__gt=0)
        .order_by("-led", "pk")
    )


def page_specs():
    """The measured pages, chosen by the same rule at every scale: the first report
    and its concept, the office leading most of its measures, that office's measure
    with most status entries."""
    report = first_report()
    concept = report.concept
    admin = User.objects.filter(is_superuser=True).order_by("pk").first()
    council = (
        User.objects.filter(groups__name=Role.COUNCIL, last_name=concept.municipality.name)
        .order_by("pk")
        .first()
        or User.objects.filter(groups__name=Role.COUNCIL).order_by("pk").first()
    )
    office = offices_by_led_measures(concept).first()
    staff = office.staff.order_by("pk").first()
    measure = (
        Measure.objects.filter(lead_office=office, concept=concept)
        .annotate(entries=Count("status_entries"))
        .order_by("-entries", "pk")
        .first()
    )
    return [
        ("hello", None, reverse("healthz")),
        # Served only with BENCH_CEILING on, as bench/harness.py sets it.
        ("logged_in_ceiling", staff, reverse("bench_logged_in_ceiling")),
        ("progress_overview", council, reverse("reports:overview")),
        ("staff_measure_list", staff, reverse("measures:measure_list")),
        ("measure_page", staff, reverse("measures:measure_detail", args=[measure.pk])),
        ("admin_changelist", admin, reverse("admin:measures_measure_changelist")),
        ("report_html", council, reverse("reports:report_detail", args=[report.slug])),
    ]


def logged_in_client(user):
    """A test client logged in as logging in does it: the session engine in use, the
    first authentication backend that loads users, the user_logged_in receivers (the
    idle clock) run."""
    client = Client(HTTP_HOST=HOST)
    client.force_login(user)
    return client


def session_for(user):
    """The key of a fresh session of the user, for a cookie."""
    return logged_in_client(user).cookies[settings.SESSION_COOKIE_NAME].value


def pages():
    sessions = {}
    result = []
    for name, user, url in page_specs():
        if name not in SERVED_PAGES:
            continue
        if user is not None and user.pk not in sessions:
            sessions[user.pk] = session_for(user)
        result.append(
            {
                "name": name,
                "url": url,
                "user": user.username if user else None,
                "session": sessions.get(user.pk) if user else None,
            }
        )
    return {
        "cookie_name": settings.SESSION_COOKIE_NAME,
        "pages": result,
        # Driven with the session of each page it is compared with.
        "ceiling": reverse("bench_logged_in_ceiling"),
    }


def _clear_caches():
    for cache in caches.all():
        cache.clear()


def queries(repeat=3):
    """Queries of one request per page (after one warm-up request), and the median
    time of ``repeat`` requests in this process; each page but /healthz/ and the
    ceiling also with the caches emptied before each request (``…_uncached``), as
    after a change to the records."""
    result = {}
    for name, user, url in page_specs():
        client = logged_in_client(user) if user is not None else Client(HTTP_HOST=HOST)
        variants = [(name, None)]
        if name not in UNCACHED_NOTHING:
            variants.append((f"{name}_uncached", _clear_caches))
        for label, before in variants:
            response = client.get(url)
            assert response.status_code == 200, (label, response.status_code)
            if before:
                before()
            with CaptureQueriesContext(connection) as captured:
                response = client.get(url)
            assert response.status_code == 200, (label, response.status_code)
            # Read now: the captured list is a view on the connection's log, which
            # the next request clears.
            count = len(captured)
            times = []
            for _ in range(repeat):
                if before:
                    before()
                started = time.perf_counter()
                client.get(url)
                times.append(time.perf_counter() - started)
            result[label] = {
                "queries": count,
                "seconds": statistics.median(times),
                "bytes": len(response.content),
            }
    return result


def _median_seconds(function, repeat):
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def report_documents(repeat=3):
    """The first report as the bureau downloads it, rendered in this process by the
    functions the background task calls (reports/exports.py): the standalone HTML and
    the PDF (which renders that HTML first), the median of ``repeat`` runs each."""
    report = first_report()
    html = _median_seconds(lambda: render_html(report), repeat)
    pdf = _median_seconds(lambda: render_pdf(report), repeat)
    return {
        "report_html_seconds": html,
        "report_pdf_seconds": pdf,
        "report_pdf_vs_report_html": pdf / html,
    }


def import_rows(count=IMPORT_ROWS):
    """``count`` measure rows as the bureau would upload them: the measures of the first
    report's concept exported (natural keys, as CSV, with the headings of the
    interface) and repeated under new numbers. Also the same rows as unsaved measures,
    and their many-to-many links ({field: [(index of the measure, id of the other
    record)]}), for the reference that writes them without a file."""
    concept = Report.objects.order_by("pk").first().concept
    resource = MeasureResource()
    source = Measure.objects.filter(concept=concept).order_by("position", "pk")
    exported = tablib.Dataset().load(resource.export(source).export("csv"), format="csv")
    headers = exported.headers
    keys = resource.with_column_keys(tablib.Dataset(headers=headers)).headers
    number, title = keys.index("number"), keys.index("title")
    m2m_fields = [field.name for field in Measure._meta.many_to_many if field.name in keys]
    originals = list(source.prefetch_related(*m2m_fields))
    rows, instances, links = [], [], {name: [] for name in m2m_fields}
    for i in range(count):
        row = list(exported[i % len(exported)])
        row[number] = f"99.{i + 1}"
        row[title] = f"{row[title]} (Import {i + 1})"
        rows.append(row)
        original = originals[i % len(originals)]
        for name in m2m_fields:
            links[name] += [(i, other.pk) for other in getattr(original, name).all()]
        instances.append(
            Measure(
                concept_id=original.concept_id,
                number=row[number],
                title=row[title],
                description=original.description,
                goal=original.goal,
                field_of_action_id=original.field_of_action_id,
                topic_id=original.topic_id,
                working_group_id=original.working_group_id,
                lead_office_id=original.lead_office_id,
                responsible_department_id=original.responsible_department_id,
                parent_id=original.parent_id,
                planned_start=original.planned_start,
                planned_end=original.planned_end,
                is_public=original.is_public,
                position=original.position,
                source_note=original.source_note,
            )
        )
    dataset = tablib.Dataset(*rows, headers=headers)
    # Through a file, as an upload arrives: every cell a string.
    return tablib.Dataset().load(dataset.export("csv"), format="csv"), instances, links


def library_default_resource():
    """The same columns and widgets through django-import-export's default import:
    row by row (``use_bulk`` off), one query per row for the record, ``full_clean``
    with its uniqueness and constraint queries, history by ``save()``."""
    declared = {name: copy.deepcopy(field) for name, field in MeasureResource().fields.items()}

    class Meta(MeasureResource.Meta):
        use_bulk = False
        instance_loader_class = ModelInstanceLoader
        clean_model_instances = True

    return type("LibraryDefaultMeasureResource", (SpreadsheetResource,), {**declared, "Meta": Meta})


def _rows_written(before):
    """The rows an import of measures numbered 99.… has written: measures, their
    history, their many-to-many rows and those of their history."""
    history = get_history_model_for_model(Measure)
    written = {
        "measures": Measure.objects.count() - before,
        "history": history.objects.filter(number__startswith="99.").count(),
    }
    for field in Measure._meta.many_to_many:
        through = field.remote_field.through
        owner = f"{field.m2m_field_name()}__number__startswith"
        written[field.name] = through.objects.filter(**{owner: "99."}).count()
        if hasattr(history, field.name):  # the history keeps this field's rows
            rows = getattr(history, field.name).model
            written[f"history {field.name}"] = rows.objects.filter(
                history__number__startswith="99."
            ).count()
    return written


def _timed_import(dataset, before, resource_class=MeasureResource):
    # In a transaction that is rolled back: every run starts from the same state.
    with transaction.atomic():
        started = time.perf_counter()
        result = resource_class().import_data(
            dataset, dry_run=False, raise_errors=False, use_transactions=True
        )
        seconds = time.perf_counter() - started
        problems = [(row.number, row.error_dict) for row in result.invalid_rows[:3]] + [
            (number, [str(e.error) for e in errors]) for number, errors in result.row_errors()[:3]
        ]
        written = _rows_written(before)
        transaction.set_rollback(True)
    assert not problems, problems
    assert written["measures"] == len(dataset), written
    # The library's default import writes further versions when it sets the
    # many-to-many fields (m2m_changed): only ours is held to one version per row.
    assert resource_class is not MeasureResource or written["history"] == len(dataset), written
    print(f"{resource_class.__name__}: {seconds:.1f} s", file=sys.stderr, flush=True)
    return seconds, written


def _chunks(values, size=500):
    values = list(values)
    return [values[start : start + size] for start in range(0, len(values), size)]


def _timed_bulk_create_with_history(instances, links, before):
    """What the import writes, written the shortest way the libraries offer, without
    a file to read, keys to look up or rows to check: simple-history's
    ``bulk_create_with_history`` of the measures (records and one version each), the
    many-to-many rows, and for each field the history keeps those rows again for
    each new version."""
    history = get_history_model_for_model(Measure)
    with transaction.atomic():
        for instance in instances:
            instance.pk = None
            instance._state.adding = True
        started = time.perf_counter()
        created = bulk_create_with_history(instances, Measure, batch_size=BATCH_SIZE)
        versions = {}
        for batch in _chunks(measure.pk for measure in created):
            versions.update(history.objects.filter(id__in=batch).values_list("id", "history_id"))
        for name, pairs in links.items():
            field = Measure._meta.get_field(name)
            through = field.remote_field.through
            owner, other = field.m2m_field_name(), field.m2m_reverse_field_name()
            rows = through.objects.bulk_create(
                [through(**{owner: created[i], f"{other}_id": pk}) for i, pk in pairs],
                batch_size=BATCH_SIZE,
            )
            if hasattr(history, name):  # the history keeps this field's rows
                owner_id = through._meta.get_field(owner).attname
                columns = [column.attname for column in through._meta.concrete_fields]
                history_rows = getattr(history, name).model
                history_rows.objects.bulk_create(
                    [
                        history_rows(
                            history_id=versions[getattr(row, owner_id)],
                            **{column: getattr(row, column) for column in columns},
                        )
                        for row in rows
                    ],
                    batch_size=BATCH_SIZE,
                )
        seconds = time.perf_counter() - started
        written = _rows_written(before)
        transaction.set_rollback(True)
    return seconds, written


def import_vs_references(repeat=3, library_repeat=1):
    """Median of three runs each, alternating, so that a busy moment of the machine
    does not decide the ratio; the library's row-by-row import (minutes) once.
    Ratios: the library default's time over ours (target >= 10) and the time of
    bulk_create_with_history with the same many-to-many rows over ours (target >=
    0.5). The reference must write exactly the rows the import writes."""
    dataset, instances, links = import_rows()
    before = Measure.objects.count()
    imports, bulk, library = [], [], []
    for _ in range(repeat):
        seconds, written = _timed_import(dataset, before)
        imports.append(seconds)
        seconds, reference_written = _timed_bulk_create_with_history(instances, links, before)
        bulk.append(seconds)
        assert reference_written == written, (reference_written, written)
    library_default = library_default_resource()
    for _ in range(library_repeat):
        library.append(_timed_import(dataset, before, library_default)[0])
    assert Measure.objects.count() == before
    ours = statistics.median(imports)
    return {
        "rows": IMPORT_ROWS,
        "rows_written": sum(written.values()),
        "import_seconds": ours,
        "library_default_seconds": statistics.median(library),
        "bulk_create_with_history_seconds": statistics.median(bulk),
        "import_vs_library_default": statistics.median(library) / ours,
        "import_vs_bulk_create_with_history": statistics.median(bulk) / ours,
        "import_runs": imports,
        "library_default_runs": library,
        "bulk_create_with_history_runs": bulk,
        "written": written,
    }


STEPS = {
    "pages": pages,
    "queries": queries,
    "report": report_documents,
    "import": import_vs_references,
}

if __name__ == "__main__":
    step, output, args = sys.argv[1], sys.argv[2], map(int, sys.argv[3:])
    Path(output).write_text(json.dumps(STEPS[step](*args), indent=1))
