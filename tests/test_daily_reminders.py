"""The worker sends the deadline reminders and overdue notices every morning without a
cron job: `make run` (bootstrap_demo) or `manage.py send_reminders --schedule` queues
the daily run, and each run queues the next for the next morning. One run waits at a
time, and a second run on one day sends nothing twice."""

import datetime
import zoneinfo

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from accounts.models import NotificationKind
from measures.models import Notification, Reminder, ReportingRound
from measures.tasks import next_morning, schedule_daily_reminders, send_daily_reminders

from .factories import MeasureFactory, UserFactory
from .worker import run_worker

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")


@pytest.fixture
def database_queue(settings):
    """The queue of `make run`: tasks wait in the database for the worker."""
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}
    }


@pytest.fixture
def late_office(db):
    """An office with a measure due in a round whose deadline passed yesterday, and a
    member of its staff with an e-mail address."""
    measure = MeasureFactory()
    person = UserFactory(email="jana.mueller@dresden.example")
    measure.lead_office.staff.add(person)
    reporting_round = ReportingRound.objects.create(
        concept=measure.concept,
        title="Berichtsrunde 2026",
        period_start=datetime.date(2026, 1, 1),
        period_end=datetime.date(2026, 12, 31),
        deadline=timezone.localdate() - datetime.timedelta(days=1),
        opened_at=timezone.now() - datetime.timedelta(days=30),
    )
    reporting_round.due_measures.add(measure)
    return measure.lead_office


def waiting():
    return list(
        DBTaskResult.objects.filter(task_path=send_daily_reminders.module_path, status="READY")
    )


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (datetime.datetime(2026, 3, 28, 6, 59), datetime.datetime(2026, 3, 28, 7, 0)),
        (datetime.datetime(2026, 3, 28, 7, 0), datetime.datetime(2026, 3, 29, 7, 0)),
        # Over the change to summer time: 07:00 local time, not 24 hours later.
        (datetime.datetime(2026, 3, 28, 9, 30), datetime.datetime(2026, 3, 29, 7, 0)),
        (datetime.datetime(2026, 12, 31, 23, 0), datetime.datetime(2027, 1, 1, 7, 0)),
    ],
)
def test_the_next_run_is_the_next_morning_at_seven_local_time(now, expected):
    assert next_morning(now.replace(tzinfo=BERLIN)) == expected.replace(tzinfo=BERLIN)


def test_one_run_waits_however_often_it_is_scheduled(database_queue, db, capsys):
    assert schedule_daily_reminders() is not None
    assert schedule_daily_reminders() is None
    call_command("send_reminders", "--schedule")
    assert "Nothing queued" in capsys.readouterr().out
    assert len(waiting()) == 1


def test_a_run_reminds_and_queues_the_next_for_the_next_morning(
    database_queue, late_office, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        assert send_daily_reminders.call() == {"before_deadline": 0, "overdue": 1}
    [next_run] = waiting()
    assert next_run.run_after == next_morning()
    [notice] = Notification.objects.all()
    assert notice.kind == NotificationKind.OVERDUE
    assert notice.email == "jana.mueller@dresden.example"
    # The mail itself is the worker's next task.
    assert DBTaskResult.objects.filter(task_path__endswith="send_notification").count() == 1

    # Run again on the same day (a second worker, the cron job as well): nothing twice.
    with django_capture_on_commit_callbacks(execute=True):
        assert send_daily_reminders.call() == {"before_deadline": 0, "overdue": 0}
    assert Notification.objects.count() == 1 and Reminder.objects.count() == 1
    assert len(waiting()) == 1


def test_a_failing_run_still_queues_the_next(database_queue, db, monkeypatch):
    from measures import services

    def broken(**kwargs):
        raise RuntimeError("mail server gone")

    monkeypatch.setattr(services, "send_reminders", broken)
    with pytest.raises(RuntimeError):
        send_daily_reminders.call()
    [next_run] = waiting()
    assert next_run.run_after == next_morning()


def test_without_the_database_queue_nothing_is_scheduled(db):
    # The tests' immediate backend would run the next day's run at once, and so on.
    assert schedule_daily_reminders() is None
    assert not DBTaskResult.objects.exists()


def test_bootstrap_queues_the_daily_reminders_once(database_queue, db, settings, capsys):
    settings.DEBUG = True
    call_command("bootstrap_demo")
    assert "every morning at 07:00" in capsys.readouterr().out
    call_command("bootstrap_demo")
    [run] = waiting()
    # The first run is due at once: the worker of `make run` takes it when it starts.
    assert DBTaskResult.objects.ready().filter(pk=run.pk).exists()


@pytest.mark.django_db(transaction=True)
def test_the_worker_runs_the_reminders_and_leaves_the_next_run_for_tomorrow(
    database_queue, late_office
):
    first = schedule_daily_reminders()
    run_worker()
    done = DBTaskResult.objects.get(pk=first.id)
    assert done.status == "SUCCESSFUL", done.traceback
    assert done.return_value == {"before_deadline": 0, "overdue": 1}
    # The mail was sent by the same worker run; the next reminders wait for the morning.
    assert Notification.objects.get().sent_at is not None
    [next_run] = waiting()
    assert next_run.run_after == next_morning()
