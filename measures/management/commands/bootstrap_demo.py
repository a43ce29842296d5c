from django.core.management import call_command
from django.core.management.base import BaseCommand

from measures.audit import record_missing_history
from working_groups.models import Concept

FIXTURE = "dresden_2009_2014"


class Command(BaseCommand):
    help = (
        "Loads the Dresden data set into an empty database and creates the demo accounts. "
        "Running it again changes nothing that was entered since."
    )

    def handle(self, *args, **options):
        if Concept.objects.exists():
            self.stdout.write("Data already present; the Dresden data set is not loaded again.")
        else:
            call_command("loaddata", FIXTURE, verbosity=0)
            record_missing_history()
            self.stdout.write(f"Loaded the data set {FIXTURE}.")
        self.stdout.write("Demo accounts (password for all: demo):")
        call_command("create_demo_users", stdout=self.stdout)
