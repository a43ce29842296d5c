import datetime

from django.core.management.base import BaseCommand, CommandError

from measures.services import send_deadline_reminders, send_reminders
from measures.tasks import REMINDER_TIME, schedule_daily_reminders


class Command(BaseCommand):
    help = (
        "Reminds office staff DEADLINE_REMINDER_DAYS before a round's deadline (once per "
        "round and person) and e-mails every office that is late in an open reporting "
        "round, at most once per day (safe to run from cron several times a day). The "
        "mails are queued for the background worker; their links lead to SITE_URL. With "
        "--schedule, the worker does this every morning instead, without cron."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="List, send nothing.")
        parser.add_argument("--date", help="Pretend today is this date (YYYY-MM-DD).")
        parser.add_argument(
            "--schedule",
            action="store_true",
            help="Send nothing now: queue the daily reminders for the background worker, "
            "which runs them at once and then every morning (one run waits at a time).",
        )

    def handle(self, *args, dry_run=False, date=None, schedule=False, **options):
        if schedule:
            queued = schedule_daily_reminders()
            self.stdout.write(
                "Queued the daily reminders: the background worker sends them now and "
                f"every morning at {REMINDER_TIME:%H:%M}."
                if queued
                else "Nothing queued: the daily reminders are queued already."
            )
            return
        today = None
        if date:
            try:
                today = datetime.date.fromisoformat(date)
            except ValueError as error:
                raise CommandError(f"--date: {error}") from error
        verb = "would remind" if dry_run else "reminded"
        before = send_deadline_reminders(today=today, dry_run=dry_run)
        for reporting_round, recipients in before:
            self.stdout.write(
                f"{verb} before the deadline ({reporting_round.deadline:%d.%m.%Y}) of "
                f"“{reporting_round}”: " + ", ".join(recipients)
            )
        sent = send_reminders(today=today, dry_run=dry_run)
        for reporting_round, office, recipients, outstanding in sent:
            self.stdout.write(
                f"{verb} {office} ({outstanding} outstanding) for “{reporting_round}”: "
                + ", ".join(recipients)
            )
        self.stdout.write(f"{len(sent)} reminder(s) after the deadline, {len(before)} before.")
