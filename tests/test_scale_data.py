"""The benchmark data sets (manage.py generate_scale_data): the same on every run,
valid by the models' own rules, current pointers as refresh_current_status derives
them, and usable by every page that the benchmark measures."""

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db import connection
from django.urls import reverse

from bench.scale_data import SCALES, generate, restore_migrated_records
from helpers.roles import Role
from measures.models import Measure, StatusEntry
from reports.models import AccessibilityBarrier, Report, ReportSection
from working_groups.models import Concept, Office

pytestmark = pytest.mark.django_db

User = get_user_model()
OUR_APPS = ("working_groups", "measures", "reports")


def _models(include_history=True):
    models = [
        model
        for app in OUR_APPS
        for model in apps.get_app_config(app).get_models(include_auto_created=True)
    ]
    if not include_history:
        models = [m for m in models if not m.__name__.startswith("Historical")]
    return models


def fingerprint():
    """Every generated row of our apps and the accounts, by primary key (group
    memberships by group name: the role groups are made again after a flush; the
    known accessibility barriers by content)."""
    rows = {
        model._meta.label: list(model._default_manager.order_by("pk").values_list())
        for model in _models()
    }
    # Written by a migration, not by the generator: their ids depend on the database's
    # past (a flush in a test does not reset sequences), their content does not.
    rows["reports.AccessibilityBarrier"] = sorted(
        AccessibilityBarrier.objects.values_list("title", "kind", "description", "position")
    )
    rows["users"] = list(
        User.objects.order_by("pk").values_list(
            "pk", "username", "password", "is_staff", "is_superuser", "date_joined"
        )
    )
    rows["roles"] = sorted(User.groups.through.objects.values_list("user_id", "group__name"))
    return rows


def _move_sequences_on(to=100):
    """Move every id sequence on, as earlier work on the database would have: the ids
    of a run must not depend on it."""
    with connection.cursor() as cursor:
        for model in _models():
            table, column = model._meta.db_table, model._meta.pk.column
            if connection.vendor == "postgresql":
                cursor.execute(
                    "SELECT setval(pg_get_serial_sequence(%s, %s), %s)", [table, column, to]
                )
            else:
                cursor.execute("DELETE FROM sqlite_sequence WHERE name = %s", [table])
                cursor.execute(
                    "INSERT INTO sqlite_sequence (name, seq) VALUES (%s, %s)", [table, to]
                )


def test_the_same_data_on_every_run():
    # A database as `migrate` leaves it, with the records its migrations write: an
    # earlier test of the suite may have flushed them (TransactionTestCase).
    restore_migrated_records()
    _move_sequences_on()
    generate("XS", log=lambda message: None)
    first = fingerprint()
    assert len(first["measures.Measure"]) == SCALES["XS"].measures
    assert len(first["measures.StatusEntry"]) == SCALES["XS"].entries
    generate("XS", force=True, log=lambda message: None)
    assert fingerprint() == first


def test_command_refuses_a_database_with_data():
    generate("XS", log=lambda message: None)
    with pytest.raises(CommandError, match="--force"):
        call_command("generate_scale_data", scale="XS", verbosity=0)
    call_command("generate_scale_data", scale="XS", force=True, verbosity=0)
    assert Measure.objects.count() == SCALES["XS"].measures


def test_every_record_passes_model_validation():
    generate("XS", log=lambda message: None)
    checked = 0
    for model in _models(include_history=False):
        if model._meta.auto_created:
            continue  # m2m rows: their foreign keys are checked by the database
        for obj in model._default_manager.all():
            obj.full_clean()
            checked += 1
    assert checked > SCALES["XS"].entries


def test_current_entry_is_what_refresh_current_status_derives():
    generate("XS", log=lambda message: None)
    measures = list(Measure.objects.order_by("pk"))
    derived = {
        measure.pk: StatusEntry.objects.filter(measure=measure)
        .latest_approved()
        .values_list("pk", flat=True)
        .first()
        for measure in measures
    }
    assert {m.pk: m.current_entry_id for m in measures} == derived
    assert any(pk is not None for pk in derived.values())
    # Entries in every state; the current one is always approved.
    states = set(StatusEntry.objects.values_list("state", flat=True))
    assert states == {"approved", "submitted", "draft", "returned"}
    assert (
        not Measure.objects.exclude(current_entry__isnull=True)
        .exclude(current_entry__state="approved")
        .exists()
    )


def test_each_concept_has_a_report_with_the_dresden_sections():
    generate("XS", log=lambda message: None)
    concepts = Concept.objects.all()
    assert concepts.count() == SCALES["XS"].municipalities
    for concept in concepts:
        report = Report.objects.get(concept=concept)
        kinds = list(report.sections.values_list("kind", flat=True))
        assert kinds == [
            ReportSection.Kind.FOUNDATIONS,
            ReportSection.Kind.MEMBERS,
            ReportSection.Kind.MEASURES,
            ReportSection.Kind.MEASURES,
            ReportSection.Kind.FUNDING,
            ReportSection.Kind.NEEDS,
        ]
        # The sections name the headings; the measures hang under their sub-headings.
        assert report.sections.filter(
            kind="measures", topics__children__measures__isnull=False
        ).exists()


def test_accounts_for_every_office_the_bureau_and_the_council():
    generate("XS", log=lambda message: None)
    assert not Office.objects.filter(staff__isnull=True).exists()
    assert User.objects.filter(groups__name=Role.BUREAU).count() == SCALES["XS"].municipalities
    assert User.objects.filter(groups__name=Role.COUNCIL).count() == SCALES["XS"].municipalities
    assert User.objects.filter(is_superuser=True).count() == 1
    assert not any(user.has_usable_password() for user in User.objects.all())


def test_scale_s_is_the_dresden_data_set_with_accounts():
    generate("S", log=lambda message: None)
    assert Report.objects.filter(slug="umsetzungsbericht-2009-2014").exists()
    assert Measure.objects.count() == 44
    staff = User.objects.get(username="sb-dresden-51")
    assert list(staff.offices.values_list("code", flat=True)) == ["51"]
    assert Measure.history.count() == 44  # as tests/conftest.py's dresden fixture


def test_the_measured_pages_work_on_generated_data(client):
    generate("XS", log=lambda message: None)
    concept = Concept.objects.order_by("pk").first()
    report = Report.objects.get(concept=concept)
    staff = User.objects.filter(offices__led_measures__concept=concept).first()
    measure = Measure.objects.filter(lead_office__staff=staff).first()
    council = User.objects.get(groups__name=Role.COUNCIL, last_name=concept.municipality.name)
    pages = [
        (User.objects.get(is_superuser=True), reverse("admin:measures_measure_changelist")),
        (council, reverse("reports:overview")),
        (staff, reverse("measures:measure_list")),
        (staff, reverse("measures:measure_detail", args=[measure.pk])),
        # Drafts are the bureau's; nothing published here, so the council reads that.
        (council, reverse("reports:report_detail", args=[report.slug])),
        (
            User.objects.filter(groups__name=Role.BUREAU).order_by("pk").first(),
            reverse("reports:report_detail", args=[report.slug]),
        ),
    ]
    for user, url in pages:
        client.force_login(user)
        response = client.get(url)
        assert response.status_code == 200, url
    assert measure.number in response.content.decode() or measure.title in (
        response.content.decode()
    )


def test_staff_filter_dropdowns_offer_only_their_concepts(client):
    generate("XS", log=lambda message: None)
    staff = User.objects.filter(offices__led_measures__isnull=False).order_by("pk").first()
    own = Concept.objects.filter(municipality__offices__staff=staff).get()
    client.force_login(staff)
    response = client.get(reverse("measures:measure_list"))
    form = response.context["filter"].form
    offered = {field.concept_id for field in form.fields["field_of_action"].queryset}
    assert offered == {own.pk}
    assert {group.concept_id for group in form.fields["working_group"].queryset} == {own.pk}
