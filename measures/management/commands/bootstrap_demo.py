import datetime

from django.apps import apps
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.utils import timezone

from measures.audit import record_missing_history
from measures.models import Measure, ReportingRound
from measures.services import RoundAlreadyOpen, open_round
from measures.tasks import REMINDER_TIME, schedule_daily_reminders
from working_groups.models import Concept, Municipality

FIXTURE = "dresden_2009_2014"

# The demo round is marked in its title (it is not part of the Dresden data set) and
# found again by it, so running the command twice opens it once.
DEMO_ROUND_MARK = "[Demo]"
DEMO_OFFICE = "51"
DEMO_MUNICIPALITY = "dresden"


class Command(BaseCommand):
    help = (
        "Loads the Dresden data set into an empty database, creates the demo accounts and "
        "a demo group of municipalities for the Land view, "
        "opens a demo reporting round for the current year with measures of office 51 due "
        "(its staff are told by e-mail) and queues the daily reminders for the background "
        "worker (development only). Running it again changes nothing that was entered since."
    )

    def handle(self, *args, **options):
        if Concept.objects.exists():
            self.stdout.write("Data already present; the Dresden data set is not loaded again.")
        else:
            call_command("loaddata", FIXTURE, verbosity=0)
            record_missing_history()
            self.stdout.write(f"Loaded the data set {FIXTURE}.")
        self.add_fictional_municipality()
        self.stdout.write("Demo accounts (password for all: demo):")
        # Refused unless DEBUG is on, so the demo round below is never made in production.
        call_command("create_demo_users", stdout=self.stdout)
        # The Land view (the land app, by name: it sits above this one): a demo group of
        # Dresden and Musterstadt 1 and its viewer `land`, printed with the others.
        call_command("create_demo_group", stdout=self.stdout)
        self.open_demo_round()
        if schedule_daily_reminders():
            self.stdout.write(
                "The background worker sends deadline reminders and overdue notices now "
                f"and every morning at {REMINDER_TIME:%H:%M}."
            )

    def add_fictional_municipality(self):
        """A second, generated municipality beside Dresden, with accounts of its own,
        so that one sees on day one that each municipality's records are its own."""
        if not apps.is_installed("bench"):
            self.stdout.write("The generator (bench app) is not installed: Dresden only.")
            return
        from bench.scale_data import FICTIONAL_SLUG, add_fictional_municipality

        if Municipality.all_objects.filter(slug=FICTIONAL_SLUG).exists():
            self.stdout.write("The fictional second municipality is already present.")
            return
        municipality = add_fictional_municipality(log=lambda *args: None)
        self.stdout.write(f"Generated a second, fictional municipality: {municipality.name}.")

    def open_demo_round(self):
        if ReportingRound.objects.filter(title__startswith=DEMO_ROUND_MARK).exists():
            self.stdout.write("Demo reporting round already present.")
            return
        due = list(
            Measure.objects.filter(
                concept__municipality__slug=DEMO_MUNICIPALITY, lead_office__code=DEMO_OFFICE
            ).order_by("number")[:5]
        )
        if not due:
            self.stdout.write(f"No measure of office {DEMO_OFFICE}; no demo round opened.")
            return
        today = timezone.localdate()
        try:
            # As the bureau opens a round: the staff of office 51 are told by e-mail
            # what is due by when (with `make run`, the worker prints the mails).
            reporting_round = open_round(
                concept=due[0].concept,
                title=f"{DEMO_ROUND_MARK} Berichtsrunde {today.year} (Beispieldaten)",
                period_start=datetime.date(today.year, 1, 1),
                period_end=datetime.date(today.year, 12, 31),
                deadline=today + datetime.timedelta(days=28),
                unfinished_only=False,
                measures=Measure.objects.filter(pk__in=[m.pk for m in due]),
            )
        except RoundAlreadyOpen as error:
            self.stdout.write(
                f"“{error.reporting_round.title}” is open for this concept; no demo round opened."
            )
            return
        numbers = ", ".join(m.number for m in due)
        self.stdout.write(
            f"Opened the demo reporting round “{reporting_round.title}”, due by "
            f"{reporting_round.deadline:%d.%m.%Y}: measures {numbers} (office {DEMO_OFFICE}); "
            "the worker e-mails the office's staff what is due."
        )
