"""Demo accounts and the one-time loading of the Dresden data set."""

import datetime

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import CommandError, call_command
from django.test import RequestFactory
from django.urls import reverse

from helpers.roles import is_bureau, is_council, is_office_staff
from measures.models import Measure
from working_groups.models import Concept

pytestmark = pytest.mark.django_db


def test_demo_users_have_the_roles_of_the_design(dresden, settings):
    settings.DEBUG = True
    call_command("create_demo_users", verbosity=0)
    users = {u.username: u for u in get_user_model().objects.all()}
    assert is_bureau(users["buero"]) and users["buero"].is_staff
    assert is_office_staff(users["amt51"])
    assert [o.code for o in users["amt51"].offices.all()] == ["51"]
    assert [o.code for o in users["amt41"].offices.all()] == ["41"]
    assert is_council(users["beirat"]) and not users["beirat"].is_staff
    assert users["admin"].is_superuser
    for name in ["buero", "amt51", "amt41", "beirat", "admin"]:
        request = RequestFactory().post("/konto/login/")
        assert authenticate(request, username=name, password="demo") == users[name]


def test_the_demo_consultant_has_a_role_in_each_municipality(dresden, settings):
    from helpers.roles import Role, roles_in

    from .factories import MunicipalityFactory, OfficeFactory

    settings.DEBUG = True
    second = MunicipalityFactory(name="Musterstadt 1", slug="musterstadt-1")
    OfficeFactory(municipality=second, code="51", name="Jugendamt")
    call_command("create_demo_users", verbosity=0)
    consultant = get_user_model().objects.get(username="beraterin")
    dresden_town = consultant.municipalities.get(slug="dresden")
    assert roles_in(consultant, second.pk) == {Role.BUREAU}
    assert roles_in(consultant, dresden_town.pk) == {Role.COUNCIL}
    assert consultant.is_staff and not consultant.is_superuser


def test_demo_users_are_refused_when_debug_is_off(dresden, settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG"):
        call_command("create_demo_users")
    assert not get_user_model().objects.filter(username="buero").exists()


def test_bootstrap_twice_duplicates_nothing(settings, capsys):
    settings.DEBUG = True
    call_command("bootstrap_demo")
    Measure.objects.filter(number="3.1.1").update(title="Vom Büro geändert")
    counts = (Concept.objects.count(), Measure.objects.count(), get_user_model().objects.count())
    call_command("bootstrap_demo")
    assert (
        Concept.objects.count(),
        Measure.objects.count(),
        get_user_model().objects.count(),
    ) == counts
    assert Measure.objects.get(number="3.1.1").title == "Vom Büro geändert"
    assert "not loaded again" in capsys.readouterr().out


def test_bootstrap_opens_a_demo_round_with_measures_due_for_amt51(
    settings, client, capsys, mailoutbox, django_capture_on_commit_callbacks
):
    from measures.models import ReportingRound

    settings.DEBUG = True
    with django_capture_on_commit_callbacks(execute=True):
        call_command("bootstrap_demo")
    reporting_round = ReportingRound.objects.get(title__startswith="[Demo]")
    assert reporting_round.is_open and reporting_round.title.startswith("[Demo]")
    today = datetime.date.today()
    assert reporting_round.period_start <= today <= reporting_round.period_end
    assert reporting_round.deadline >= today
    due = set(reporting_round.due_measures.values_list("number", flat=True))
    assert due and due <= set(
        Measure.objects.filter(lead_office__code="51").values_list("number", flat=True)
    )
    # Opened as the bureau opens a round: the staff of office 51 are told what is due.
    assert [m.to for m in mailoutbox] == [["amt51@dresden.example"]]
    assert reporting_round.title in mailoutbox[0].subject + mailoutbox[0].body
    # amt51 sees what is due right away.
    client.force_login(get_user_model().objects.get(username="amt51"))
    page = client.get(reverse("measures:home")).content.decode()
    assert reporting_round.title in page
    with django_capture_on_commit_callbacks(execute=True):
        call_command("bootstrap_demo")
    # Not opened twice (the generated second municipality has rounds of its own).
    assert ReportingRound.objects.filter(title__startswith="[Demo]").count() == 1
    assert len(mailoutbox) == 1  # nor announced twice
    assert "already present" in capsys.readouterr().out
