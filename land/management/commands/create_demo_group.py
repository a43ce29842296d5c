from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from land.models import MunicipalityGroup
from working_groups.management.commands.create_demo_users import PASSWORD
from working_groups.models import Municipality

# A group for `make run`, marked as a demo in its name: no Land has set it up.
NAME = "Freistaat Sachsen (Demo)"
SLUG = "sachsen-demo"
DESCRIPTION = (
    "Beispielgruppe für die Entwicklung (make run), kein Angebot des Freistaats: Das "
    "Demo-Konto „land“ liest hier, was die Landeshauptstadt Dresden und die erfundene "
    "Musterstadt 1 veröffentlicht haben."
)
MEMBERS = ["dresden", "musterstadt-1"]
# username, first and last name (invented), description for the printed table.
VIEWER = ("land", "Lena", "Hoffmann", "Landesansicht „Freistaat Sachsen (Demo)“ (nur lesen)")


class Command(BaseCommand):
    help = (
        "Creates the demo group of municipalities (Dresden and Musterstadt 1) and its "
        "demo viewer `land` (development only; refused when DEBUG is off)."
    )

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError(
                "Demo accounts with a known password are for development only; DEBUG is off. "
                "/ Demo-Konten mit bekanntem Passwort sind nur für die Entwicklung; DEBUG ist aus."
            )
        members = list(Municipality.all_objects.filter(slug__in=MEMBERS))
        if not members:
            raise CommandError(
                "Dresden not found: load the data set first (manage.py loaddata dresden_2009_2014)."
            )
        username, first, last, description = VIEWER
        with transaction.atomic():
            group, _created = MunicipalityGroup.objects.get_or_create(
                slug=SLUG, defaults={"name": NAME, "description": DESCRIPTION}
            )
            group.members.add(*members)
            user, created = get_user_model().objects.get_or_create(username=username)
            user.set_password(PASSWORD)
            user.first_name, user.last_name = first, last
            user.email = f"{username}@sachsen.example"
            user.is_staff = user.is_superuser = False
            user.save()
            # No role and no municipality: the account reads the group's page only.
            user.groups.clear()
            user.municipalities.clear()
            group.viewers.add(user)
        verb = "created" if created else "updated"
        self.stdout.write(f"  {username:<8} / {PASSWORD}  {first} {last}, {description} ({verb})")
