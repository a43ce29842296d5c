import datetime

from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from measures.audit import record_missing_history
from measures.models import Measure, ReportingRound
from working_groups.models import Concept

FIXTURE = "dresden_2009_2014"

# The demo round is marked in its title (it is not part of the Dresden data set) and
# found again by it, so running the command twice opens it once.
DEMO_ROUND_MARK = "[Demo]"
DEMO_OFFICE = "51"


class Command(BaseCommand):
    help = (
        "Loads the Dresden data set into an empty database, creates the demo accounts and "
        "opens a demo reporting round for the current year with measures of office 51 due "
        "(development only). Running it again changes nothing that was entered since."
    )

    def handle(self, *args, **options):
        if Concept.objects.exists():
            self.stdout.write("Data already present; the Dresden data set is not loaded again.")
        else:
            call_command("loaddata", FIXTURE, verbosity=0)
            record_missing_history()
            self.stdout.write(f"Loaded the data set {FIXTURE}.")
        self.stdout.write("Demo accounts (password for all: demo):")
        # Refused unless DEBUG is on, so the demo round below is never made in production.
        call_command("create_demo_users", stdout=self.stdout)
        self.open_demo_round()

    def open_demo_round(self):
        if ReportingRound.objects.filter(title__startswith=DEMO_ROUND_MARK).exists():
            self.stdout.write("Demo reporting round already present.")
            return
        due = list(Measure.objects.filter(lead_office__code=DEMO_OFFICE).order_by("number")[:5])
        if not due:
            self.stdout.write(f"No measure of office {DEMO_OFFICE}; no demo round opened.")
            return
        today = timezone.localdate()
        with transaction.atomic():
            reporting_round = ReportingRound(
                concept=due[0].concept,
                title=f"{DEMO_ROUND_MARK} Berichtsrunde {today.year} (Beispieldaten)",
                period_start=datetime.date(today.year, 1, 1),
                period_end=datetime.date(today.year, 12, 31),
                deadline=today + datetime.timedelta(days=28),
                opened_at=timezone.now(),
            )
            reporting_round._change_reason = "Demo-Daten (manage.py bootstrap_demo)"
            reporting_round.full_clean()
            reporting_round.save()
            reporting_round.due_measures.add(*due)
        numbers = ", ".join(m.number for m in due)
        self.stdout.write(
            f"Opened the demo reporting round “{reporting_round.title}”, due by "
            f"{reporting_round.deadline:%d.%m.%Y}: measures {numbers} (office {DEMO_OFFICE})."
        )
