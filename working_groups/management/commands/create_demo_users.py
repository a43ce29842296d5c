from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from helpers.roles import Role, ensure_role_groups, sync_role_groups
from working_groups.models import Assignment, Municipality, Office

PASSWORD = "demo"
# Every demo account has an address of a reserved example domain (RFC 2606), so the
# e-mails that tell people about their entries and rounds appear in `make run`'s output.
MAIL_DOMAIN = "dresden.example"

# username, first and last name (invented for the demo: people appear by name, as real
# accounts do), role, office code, municipality (slug), description for the printed table.
# The second municipality is the generated "Musterstadt 1" (bootstrap_demo); its
# accounts are made when it is there.
DEMO_USERS = [
    (
        "buero",
        "Birgit",
        "Brandt",
        Role.BUREAU,
        None,
        "dresden",
        "Büro der Integrations- und Ausländerbeauftragten",
    ),
    (
        "amt51",
        "Jonas",
        "Lehmann",
        Role.OFFICE_STAFF,
        "51",
        "dresden",
        "Sachbearbeitung Amt 51 (Jugendamt)",
    ),
    (
        "amt41",
        "Katrin",
        "Vogel",
        Role.OFFICE_STAFF,
        "41",
        "dresden",
        "Sachbearbeitung Amt 41 (Kulturamt)",
    ),
    ("beirat", "Aylin", "Demir", Role.COUNCIL, None, "dresden", "Ausländerbeirat (nur lesen)"),
    (
        "buero2",
        "Mira",
        "Schulz",
        Role.BUREAU,
        None,
        "musterstadt-1",
        "Büro der Integrationsbeauftragten, Musterstadt 1 (erfundene Stadt)",
    ),
    (
        "amt2",
        "Paul",
        "Richter",
        Role.OFFICE_STAFF,
        "51",
        "musterstadt-1",
        "Sachbearbeitung Amt 51, Musterstadt 1",
    ),
    (
        "beirat2",
        "Selin",
        "Kaya",
        Role.COUNCIL,
        None,
        "musterstadt-1",
        "Beirat, Musterstadt 1 (nur lesen)",
    ),
    ("admin", "Tobias", "Fischer", None, None, None, "Administration (IT), alle Kommunen"),
]


# An account that works with both municipalities, in a different role in each
# (helpers/roles.py): it switches between them at the top of every page. Made when
# the second municipality is there.
CONSULTANT = (
    "beraterin",
    "Clara",
    "Wolf",
    {"musterstadt-1": Role.BUREAU, "dresden": Role.COUNCIL},
    "Büro in Musterstadt 1, Beirat in Dresden (wechselt zwischen beiden)",
)


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
            for username, first, last, role, office_code, slug, description in DEMO_USERS:
                municipality = None
                if slug is not None:
                    municipality = Municipality.all_objects.filter(slug=slug).first()
                    if municipality is None and slug != "dresden":
                        continue  # the generated second municipality is not there
                    if municipality is None:
                        raise CommandError(
                            "Dresden not found: load the data set first "
                            "(manage.py loaddata dresden_2009_2014)."
                        )
                user, created = User.objects.get_or_create(username=username)
                user.set_password(PASSWORD)
                user.first_name, user.last_name = first, last
                domain = MAIL_DOMAIN if slug in (None, "dresden") else "musterstadt.example"
                user.email = f"{username}@{domain}"
                user.is_staff = role == Role.BUREAU or role is None
                user.is_superuser = role is None
                user.save()
                user.groups.set([groups[role]] if role else [])
                user.municipalities.set([municipality] if municipality else [])
                # Its role in that municipality (helpers/roles.py).
                Assignment.all_objects.filter(user=user).update(role=role or "")
                if office_code:
                    offices = Office.objects.filter(municipality=municipality, code=office_code)
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
            self.consultant()

    def consultant(self):
        username, first, last, roles, description = CONSULTANT
        towns = {m.slug: m for m in Municipality.all_objects.filter(slug__in=roles)}
        if len(towns) < len(roles):
            return
        user, created = get_user_model().objects.get_or_create(username=username)
        user.set_password(PASSWORD)
        user.first_name, user.last_name = first, last
        user.email = f"{username}@{MAIL_DOMAIN}"
        user.is_superuser = False
        user.save()
        user.municipalities.set(towns.values())
        for slug, role in roles.items():
            Assignment.all_objects.filter(user=user, municipality=towns[slug]).update(role=role)
        user.offices.clear()
        # Its role groups and the admin follow its roles (bureau somewhere: staff).
        sync_role_groups([user])
        verb = "created" if created else "updated"
        self.stdout.write(f"  {username:<8} / {PASSWORD}  {first} {last}, {description} ({verb})")
