from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from helpers.roles import Role, ensure_role_groups
from working_groups.models import Office

PASSWORD = "demo"
# Every demo account has an address of a reserved example domain (RFC 2606), so the
# e-mails that tell people about their entries and rounds appear in `make run`'s output.
MAIL_DOMAIN = "dresden.example"

# username, first and last name (invented for the demo: people appear by name, as real
# accounts do), role, office code (Dresden data set), description for the printed table
DEMO_USERS = [
    (
        "buero",
        "Birgit",
        "Brandt",
        Role.BUREAU,
        None,
        "Büro der Integrations- und Ausländerbeauftragten",
    ),
    ("amt51", "Jonas", "Lehmann", Role.OFFICE_STAFF, "51", "Sachbearbeitung Amt 51 (Jugendamt)"),
    ("amt41", "Katrin", "Vogel", Role.OFFICE_STAFF, "41", "Sachbearbeitung Amt 41 (Kulturamt)"),
    ("beirat", "Aylin", "Demir", Role.COUNCIL, None, "Ausländerbeirat (nur lesen)"),
    ("admin", "Tobias", "Fischer", None, None, "Administration (IT)"),
]


class Command(BaseCommand):
    help = "Creates the demo accounts (development only; refused when DEBUG is off)."

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError(
                "Demo accounts with a known password are for development only; DEBUG is off. "
                "/ Demo-Konten mit bekanntem Passwort sind nur für die Entwicklung; DEBUG ist aus."
            )
        User = get_user_model()
        with transaction.atomic():
            groups = ensure_role_groups()
            for username, first, last, role, office_code, description in DEMO_USERS:
                user, created = User.objects.get_or_create(username=username)
                user.set_password(PASSWORD)
                user.first_name, user.last_name = first, last
                user.email = f"{username}@{MAIL_DOMAIN}"
                user.is_staff = role == Role.BUREAU or role is None
                user.is_superuser = role is None
                user.save()
                user.groups.set([groups[role]] if role else [])
                if office_code:
                    offices = Office.objects.filter(code=office_code)
                    if not offices:
                        raise CommandError(
                            f"Office {office_code} not found: load the data set first "
                            f"(manage.py loaddata dresden_2009_2014)."
                        )
                    user.offices.set(offices)
                verb = "created" if created else "updated"
                self.stdout.write(
                    f"  {username:<8} / {PASSWORD}  {first} {last}, {description} ({verb})"
                )
