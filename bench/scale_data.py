"""Synthetic data at the benchmark scales of DESIGN.md ("Scale used for benchmarks").

S is the Dresden data set. M and L are generated: each municipality gets one concept
built like the Dresden one (fields of action, report headings, a steering group and
expert groups with their seats, measures with sub-measures, status entries in every
state, reporting rounds, indicators, funding, needs for action and a report with the
Dresden sections) and accounts for its offices, its bureau and its council, so that
every page can be measured with a realistic user.

The data are the same on every run: one seeded ``random.Random``, fixed dates (all in
the past) and explicit primary keys. They are written with ``bulk_create``, one
municipality at a time, so that L (50,000 measures, 500,000 entries) takes minutes.
Every record satisfies the models' constraints and ``clean()``; ``current_entry`` is
set afterwards by ``refresh_current_status`` itself, in one UPDATE.
"""

import datetime
import gc
import random
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from importlib import import_module

from django.apps import apps as django_apps
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.color import no_style
from django.db import connection, transaction

from helpers.roles import Role, ensure_role_groups
from measures.audit import record_missing_history
from measures.models import (
    ActionNeed,
    FundingAmount,
    FundingArea,
    FundingLine,
    FundingLineArea,
    FundingProgramme,
    Indicator,
    IndicatorValue,
    Language,
    Measure,
    ReportingRound,
    Status,
    StatusEntry,
    Topic,
)
from reports.models import Report, ReportSection
from working_groups.models import (
    ActionPlan,
    ActionPlanProvision,
    Concept,
    Department,
    FieldOfAction,
    Membership,
    Municipality,
    Office,
    Organisation,
    WorkingGroup,
)
from working_groups.versions import every_concept_changed

User = get_user_model()
UTC = datetime.UTC

SEED_FIXTURE = "dresden_2009_2014"
# What an account without a usable password stores ("!" prefix): the generated
# accounts cannot log in with a password; the benchmark gives them sessions.
NO_PASSWORD = "!generated-account-without-password"
BATCH_SIZE = 2000


@dataclass(frozen=True)
class Scale:
    name: str
    municipalities: int  # one concept each
    measures: int
    entries: int
    offices: int
    organisations: int


SCALES = {
    # Hidden: a few dozen records for the tests of this module.
    "XS": Scale("XS", municipalities=2, measures=60, entries=400, offices=16, organisations=24),
    "M": Scale(
        "M", municipalities=3, measures=2_000, entries=20_000, offices=60, organisations=150
    ),
    # A state-wide instance: 25 municipalities of 2,000 measures each.
    "L": Scale(
        "L", municipalities=25, measures=50_000, entries=500_000, offices=750, organisations=1_250
    ),
}
PUBLIC_SCALES = ["S", "M", "L"]


class DatabaseNotEmpty(Exception):
    pass


def database_is_empty():
    return not (
        Municipality.objects.exists()
        or Concept.objects.exists()
        or Measure.objects.exists()
        or Organisation.objects.exists()
        or User.objects.exists()
    )


def restore_migrated_records():
    """What the migrations write into a new database and a flush empties: the known
    accessibility barriers (reports/migrations/0006). A forced run leaves the database
    as a freshly migrated one plus the data set."""
    barriers = import_module("reports.migrations.0006_known_accessibility_barriers")
    barriers.add_barriers(django_apps, None)


def generate(scale_name, seed=2009, force=False, log=print):
    """Fill the (empty) database with the data set of ``scale_name``.

    With ``force`` an existing database is emptied first (all records, accounts
    included). Returns a summary: records written per model."""
    if not database_is_empty():
        if not force:
            raise DatabaseNotEmpty(
                "The database already holds data; use --force to empty it first."
            )
        if connection.vendor == "postgresql" and connection.in_atomic_block:
            # Inside an outer transaction (a test) the foreign keys of bulk inserts are
            # still to be checked, and PostgreSQL refuses to TRUNCATE such tables:
            # check them now, then defer again as Django's constraints are declared.
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        call_command("flush", interactive=False, verbosity=0)
        restore_migrated_records()
    ensure_role_groups()
    if scale_name == "S":
        return load_seed(log=log)
    return Generator(SCALES[scale_name], seed=seed, log=log).run()


# The second municipality of `make run` (bootstrap_demo): generated, clearly fictional.
FICTIONAL_SLUG = "musterstadt-1"


def add_fictional_municipality(measures=40, entries=240, offices=14, organisations=12, log=print):
    """ "Musterstadt 1" with its concept, offices, working groups, measures, entries and
    accounts, beside what the database holds (the Dresden data set of `make run`),
    so that two municipalities can be told apart on day one. Generated as scale M's
    municipalities are; the shared catalogues (languages, funding programmes) are
    used, not copied."""
    generator = Generator(
        Scale("demo", 1, measures, entries, offices, organisations), seed=2014, log=log
    )
    with _plain_timestamps(), transaction.atomic():
        generator.languages = generator.ensure_languages()
        generator.programmes = [
            FundingProgramme.objects.get_or_create(
                name=name, defaults={"short_name": short, "funder": funder}
            )[0]
            for name, short, funder in PROGRAMMES
        ]
        counts = [entries // measures] * measures
        municipality = generator.municipality(0, offices, organisations, counts)
        generator.flush()
        generator.reset_sequences()
        Measure.objects.filter(concept__municipality=municipality.pk).refresh_current_status()
        record_change()
    return municipality


def load_seed(log=print):
    """S: the Dresden data set as tests/conftest.py loads it, plus the accounts."""
    with transaction.atomic():
        call_command("loaddata", SEED_FIXTURE, verbosity=0)
        record_missing_history()
        generator = Generator(None, log=log)
        for municipality in Municipality.objects.all():
            generator.accounts(municipality, list(municipality.offices.all()))
        generator.admin_account()
        generator.flush()
        generator.reset_sequences()
        record_change()
    analyse()
    return generator.written


def record_change():
    """The records of every concept changed: renew their versions
    (working_groups/versions.py), so no server serves what it computed before."""
    every_concept_changed()


def analyse():
    """Table statistics after a bulk load, as after a restore: without them
    PostgreSQL plans the first queries for empty tables (SQLite: for unknown ones)."""
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


# --- Vocabulary -------------------------------------------------------------------

OFFICES = [
    ("IAB", "Büro der Integrations- und Ausländerbeauftragten", Office.Kind.STAFF_UNIT, 0),
    ("10", "Haupt- und Personalamt", Office.Kind.OFFICE, 0),
    ("20", "Stadtkämmerei", Office.Kind.OFFICE, 1),
    ("32", "Ordnungsamt", Office.Kind.OFFICE, 2),
    ("33", "Ausländerbehörde", Office.Kind.OFFICE, 2),
    ("40", "Schulverwaltungsamt", Office.Kind.OFFICE, 5),
    ("41", "Kulturamt", Office.Kind.OFFICE, 3),
    ("42", "Städtische Bibliotheken", Office.Kind.INSTITUTION, 3),
    ("43", "Volkshochschule", Office.Kind.INSTITUTION, 5),
    ("50", "Sozialamt", Office.Kind.OFFICE, 4),
    ("51", "Jugendamt", Office.Kind.OFFICE, 5),
    ("52", "Sportamt", Office.Kind.OFFICE, 5),
    ("53", "Gesundheitsamt", Office.Kind.OFFICE, 4),
    ("54", "Amt für Arbeitsmarktintegration", Office.Kind.OFFICE, 4),
    ("61", "Stadtplanungsamt", Office.Kind.OFFICE, 6),
    ("64", "Amt für Wohnungswesen", Office.Kind.OFFICE, 4),
    ("80", "Amt für Wirtschaftsförderung", Office.Kind.OFFICE, 1),
    ("EB Kita", "Eigenbetrieb Kindertagesstätten", Office.Kind.ENTERPRISE, 5),
    ("EB SB", "Eigenbetrieb Sportstätten", Office.Kind.ENTERPRISE, 5),
    ("15", "Bürgeramt", Office.Kind.OFFICE, 2),
]
DEPARTMENTS = [
    "Allgemeine Verwaltung",
    "Finanzen und Liegenschaften",
    "Ordnung und Sicherheit",
    "Kultur und Tourismus",
    "Arbeit, Soziales, Gesundheit und Wohnen",
    "Bildung und Jugend",
    "Stadtentwicklung, Bau und Verkehr",
]
ORGANISATION_KINDS = [
    (Organisation.Kind.ASSOCIATION, "Interkultureller Verein"),
    (Organisation.Kind.MIGRANT_ORGANISATION, "Migrantenorganisation"),
    (Organisation.Kind.WELFARE, "Migrationsberatung"),
    (Organisation.Kind.CHAMBER, "Kammer"),
    (Organisation.Kind.UNIVERSITY, "Hochschule"),
    (Organisation.Kind.AUTHORITY, "Agentur für Arbeit, Geschäftsstelle"),
    (Organisation.Kind.HOSPITAL, "Klinikum"),
    (Organisation.Kind.SCHOOL, "Berufsschulzentrum"),
    (Organisation.Kind.CULTURE, "Kulturzentrum"),
    (Organisation.Kind.SPORT, "Stadtsportbund, Sportverein"),
    (Organisation.Kind.OTHER, "Initiative"),
]
FIELDS_OF_ACTION = [
    "Wirtschaft, Arbeit, Berufsausbildung",
    "Bildung und Sprache",
    "Soziales, Gesundheit, Sport",
    "Wohnen und Stadtteil",
    "Kultur und Religion",
    "Interkulturelle Öffnung der Verwaltung",
    "Politische Teilhabe",
    "Sicherheit und Antidiskriminierung",
]
# (slug, title, position, parent slug): the headings of the Dresden report.
TOPICS = [
    ("interkulturelle-oeffnung", "Interkulturelle Orientierung und Öffnung", 30, None),
    ("mehrsprachigkeit", "Mehrsprachigkeit, Infomaterialien, Öffentlichkeitsarbeit", 31, 0),
    ("fortbildung-personal", "Fortbildung und Personal", 32, 0),
    ("beratung", "Beratung und Begleitung", 33, 0),
    ("leistungen", "Leistungen: konzeptionell, im Rahmen der Aufgabenerfüllung", 40, None),
    ("konzeptionell", "Konzeptionell", 41, 4),
    ("angebote", "Angebote, die Integration erleichtern", 42, 4),
    ("foerderung", "Förderung", 50, None),
]
MEASURE_TOPICS = [1, 2, 3, 5, 6, 7]  # the headings measures are filed under
FUNDING_TOPIC = 7
NOUNS = [
    "Mehrsprachige Informationsmaterialien",
    "Interkulturelle Fortbildung",
    "Sprachkurse für Eltern",
    "Beratung für Neuzugewanderte",
    "Willkommenspaket",
    "Lotsenprojekt",
    "Hausaufgabenhilfe",
    "Berufsorientierung",
    "Anerkennungsberatung",
    "Sportangebote für Mädchen",
    "Gesundheitslotsen",
    "Dolmetscherpool",
    "Begegnungscafé",
    "Ausbildungspatenschaften",
    "Elternarbeit",
    "Wohnraumvermittlung",
    "Antidiskriminierungsberatung",
    "Interkulturelle Woche",
    "Mentoringprogramm",
    "Kinderbetreuung während der Integrationskurse",
]
TARGETS = [
    "in den Stadtteilzentren",
    "in der Verwaltung",
    "für Geflüchtete",
    "für Jugendliche",
    "an Schulen",
    "in Kindertagesstätten",
    "für Seniorinnen und Senioren",
    "mit dem Jobcenter",
    "in Sportvereinen",
    "für Familien",
]
SENTENCES = [
    "Das Angebot wird gemeinsam mit den Trägern im Stadtteil umgesetzt.",
    "Die Materialien liegen in mehreren Sprachen vor und werden jährlich aktualisiert.",
    "Die Teilnehmenden werden durch Fachkräfte mit Migrationserfahrung begleitet.",
    "Die Umsetzung wird mit dem Integrationsbeirat abgestimmt.",
    "Die Finanzierung ist bis zum Ende des Förderzeitraums gesichert.",
    "Die Nachfrage übersteigt die verfügbaren Plätze deutlich.",
    "Die Ergebnisse fließen in die Fortschreibung des Konzeptes ein.",
    "Die Zusammenarbeit mit den Migrantenorganisationen wird verstetigt.",
]
LANGUAGES = [
    ("en", "Englisch"),
    ("ru", "Russisch"),
    ("cs", "Tschechisch"),
    ("ar", "Arabisch"),
    ("uk", "Ukrainisch"),
    ("tr", "Türkisch"),
    ("fa", "Persisch"),
    ("vi", "Vietnamesisch"),
    ("fr", "Französisch"),
    ("pl", "Polnisch"),
]
PROGRAMMES = [
    ("Die Soziale Stadt", "Soziale Stadt", "Bund und Land"),
    ("Europäischer Sozialfonds Plus", "ESF Plus", "EU"),
    ("Landesprogramm Integrative Maßnahmen", "LP Integration", "Land"),
    ("Demokratie leben!", "Demokratie leben", "Bund"),
    ("Kommunaler Integrationsfonds", "Integrationsfonds", "Stadt"),
]
DISTRICTS = ["Altstadt", "Nord", "Süd", "Ost", "West"]
REASONS = [
    "Die Förderung ist ausgelaufen; eine Anschlussfinanzierung wird gesucht.",
    "Der Träger hat das Angebot eingestellt.",
    "Die Aufgabe ist in einer anderen Maßnahme aufgegangen.",
]
# Final outcome of a measure (status of its latest approved entry) and its weight.
OUTCOMES = [
    (Status.COMPLETED, 30),
    (Status.ONGOING, 15),
    (Status.IN_PROGRESS, 30),
    (Status.IN_PREPARATION, 10),
    (Status.NOT_STARTED, 5),
    (Status.DEFERRED, 6),
    (Status.DROPPED, 4),
]
# What happens after the last approved entry: nothing, or a newer entry in review.
PENDING = [(None, 80), ("submitted", 12), ("draft", 4), ("returned", 4)]

# Dates: everything lies in the past, so the data are the same whenever they are made.
FIRST_YEAR, LAST_YEAR = 2019, 2025
QUARTER_ENDS = [
    datetime.date(year, month, day)
    for year in range(FIRST_YEAR, LAST_YEAR + 1)
    for month, day in [(3, 31), (6, 30), (9, 30), (12, 31)]
    if datetime.date(year, month, day) <= datetime.date(LAST_YEAR, 9, 30)
]
REPORT_PERIOD = (datetime.date(FIRST_YEAR, 1, 1), datetime.date(2024, 12, 31))
OPEN_ROUND_YEAR = LAST_YEAR


def _at(day, hour=9):
    return datetime.datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def _weighted(rnd, choices):
    return rnd.choices([c for c, _w in choices], weights=[w for _c, w in choices])[0]


def _split(total, parts):
    """``total`` split into ``parts`` nearly equal whole numbers."""
    return [total // parts + (1 if i < total % parts else 0) for i in range(parts)]


@contextmanager
def _plain_timestamps():
    """Let bulk_create write the created/updated times we give (auto_now and
    auto_now_add would stamp every record with the time of generation), and pause
    the garbage collector, which otherwise rescans millions of young objects."""
    fields = [
        field
        for model in (Measure, StatusEntry)
        for field in model._meta.concrete_fields
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False)
    ]
    saved = [(field, field.auto_now, field.auto_now_add) for field in fields]
    gc_was_enabled = gc.isenabled()
    try:
        for field in fields:
            field.auto_now = field.auto_now_add = False
        gc.disable()
        yield
    finally:
        for field, auto_now, auto_now_add in saved:
            field.auto_now, field.auto_now_add = auto_now, auto_now_add
        if gc_was_enabled:
            gc.enable()


class Generator:
    """Builds the records in memory with explicit primary keys and writes them in
    bulk; ``flush()`` after each municipality keeps memory bounded at L."""

    def __init__(self, scale, seed=2009, log=print):
        self.scale = scale
        self.rnd = random.Random(seed)
        self.log = log
        self.pending = defaultdict(list)  # model → unsaved instances, in insert order
        self.written = defaultdict(int)
        self.next_ids = {}
        self.groups = ensure_role_groups()

    # -- bookkeeping ----------------------------------------------------------------

    def new_id(self, model):
        if model not in self.next_ids:
            last = model._default_manager.order_by("-pk").values_list("pk", flat=True).first()
            self.next_ids[model] = (last or 0) + 1
        pk = self.next_ids[model]
        self.next_ids[model] += 1
        return pk

    def add(self, model, **fields):
        obj = model(pk=self.new_id(model), **fields)
        self.pending[model].append(obj)
        return obj

    def link(self, through, **fields):
        """A row of a many-to-many table."""
        row = through(pk=self.new_id(through), **fields)
        self.pending[through].append(row)
        return row

    def flush(self):
        # Foreign keys are checked at commit (Django creates them deferrable), so the
        # order of the tables does not matter within the transaction.
        for model, objs in self.pending.items():
            model._default_manager.bulk_create(objs, batch_size=BATCH_SIZE)
            self.written[model._meta.label] += len(objs)
        self.pending.clear()

    def history(self, model, objs, dates):
        """A first version of each record in its history (as ``bulk_history_create``
        writes it, but dated when the record was made)."""
        history_model = model.history.model
        tracked = [field.attname for field in history_model.tracked_fields]
        return [
            self.add(
                history_model,
                history_date=date,
                history_type="+",
                history_change_reason="",
                **{name: getattr(obj, name) for name in tracked},
            )
            for obj, date in zip(objs, dates, strict=True)
        ]

    def m2m_history(self, model, field_name, record, through_rows):
        """The many-to-many rows of a history record, copied from the table rows."""
        history_through = _m2m_history(model, field_name)
        for row in through_rows:
            self.pending[history_through].append(
                history_through(
                    pk=self.new_id(history_through),
                    id=row.pk,
                    history_id=record.pk,
                    **{
                        f.attname: getattr(row, f.attname)
                        for f in row._meta.fields
                        if f.is_relation
                    },
                )
            )

    def reset_sequences(self):
        models = list(self.next_ids)
        statements = connection.ops.sequence_reset_sql(no_style(), models)
        if statements:
            with connection.cursor() as cursor:
                for statement in statements:
                    cursor.execute(statement)

    # -- the whole data set -------------------------------------------------------------

    def run(self):
        scale, rnd = self.scale, self.rnd
        started = datetime.datetime.now()
        if connection.vendor == "sqlite":
            # The indexes of half a million entries do not fit SQLite's default 2 MB
            # page cache; without a larger one, every municipality is slower than the last.
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA cache_size = -262144")  # KiB: 256 MB
        with _plain_timestamps(), transaction.atomic():
            self.languages = self.ensure_languages()
            self.programmes = [
                self.add(FundingProgramme, name=name, short_name=short, funder=funder)
                for name, short, funder in PROGRAMMES
            ]
            measures_per = _split(scale.measures, scale.municipalities)
            offices_per = _split(scale.offices, scale.municipalities)
            organisations_per = _split(scale.organisations, scale.municipalities)
            # Entries per measure: ten on average, from one to a few dozen.
            counts = [scale.entries // scale.measures] * scale.measures
            for _ in range(scale.entries % scale.measures):
                counts[rnd.randrange(scale.measures)] += 1
            for i in range(scale.measures):
                j = rnd.randrange(scale.measures)
                shift = rnd.randint(0, max(0, counts[i] - 1))
                counts[i] -= shift
                counts[j] += shift
            start = 0
            for index in range(scale.municipalities):
                self.municipality(
                    index,
                    offices_per[index],
                    organisations_per[index],
                    counts[start : start + measures_per[index]],
                )
                start += measures_per[index]
                self.flush()
                # The collector is paused (see _plain_timestamps); the cycles of one
                # municipality's instances go here, so memory and time stay flat.
                gc.collect()
                self.log(
                    f"  municipality {index + 1}/{scale.municipalities} "
                    f"({(datetime.datetime.now() - started).total_seconds():.0f} s)"
                )
            self.admin_account()
            self.flush()
            self.reset_sequences()
            # The pointer to the current entry, derived exactly as everywhere else.
            Measure.objects.all().refresh_current_status()
            record_change()
        analyse()
        return self.written

    def ensure_languages(self):
        existing = {language.code: language for language in Language.objects.all()}
        return [
            existing.get(code) or self.add(Language, code=code, name=name)
            for code, name in LANGUAGES
        ]

    def admin_account(self):
        self.add(
            User,
            username="it-admin",
            password=NO_PASSWORD,
            is_staff=True,
            is_superuser=True,
            date_joined=_at(datetime.date(FIRST_YEAR, 1, 2)),
        )

    def account(self, username, first_name, last_name, role, is_staff=False, municipality=None):
        """A user without a usable password, in the group of ``role``, working with
        ``municipality``."""
        user = self.add(
            User,
            username=username,
            password=NO_PASSWORD,
            first_name=first_name,
            last_name=last_name,
            is_staff=is_staff,
            date_joined=_at(datetime.date(FIRST_YEAR, 1, 2)),
        )
        self.link(User.groups.through, user_id=user.pk, group_id=self.groups[role].pk)
        if municipality is not None:
            self.link(
                Municipality.accounts.through,
                municipality_id=municipality.pk,
                user_id=user.pk,
                role=role,
            )
        return user

    def accounts(self, municipality, offices):
        """One member of staff per office, the bureau and the council."""
        self.staff = {}
        for office in offices:
            key = "".join(ch for ch in office.key.lower() if ch.isalnum()) or str(office.pk)
            user = self.account(
                f"sb-{municipality.slug}-{key}",
                "Sachbearbeitung",
                office.label,
                Role.OFFICE_STAFF,
                municipality=municipality,
            )
            self.link(Office.staff.through, office_id=office.pk, user_id=user.pk)
            self.staff[office.pk] = user
        self.bureau = self.account(
            f"buero-{municipality.slug}",
            "Büro",
            municipality.name,
            Role.BUREAU,
            is_staff=True,
            municipality=municipality,
        )
        self.account(
            f"beirat-{municipality.slug}",
            "Beirat",
            municipality.name,
            Role.COUNCIL,
            municipality=municipality,
        )

    def municipality(self, index, office_count, organisation_count, entry_counts):
        number = index + 1
        name = f"Musterstadt {number}"
        slug = f"musterstadt-{number}"
        municipality = self.add(Municipality, name=name, slug=slug)
        departments = [
            self.add(
                Department,
                municipality_id=municipality.pk,
                code=f"GB {i + 1}",
                name=title,
            )
            for i, title in enumerate(DEPARTMENTS)
        ]
        offices = []
        for i in range(office_count):
            if i < len(OFFICES):
                code, office_name, kind, department = OFFICES[i]
            else:
                code, office_name, kind = str(100 + i), f"Fachamt {100 + i}", Office.Kind.OFFICE
                department = i % len(DEPARTMENTS)
            offices.append(
                self.add(
                    Office,
                    municipality_id=municipality.pk,
                    code=code,
                    name=office_name,
                    kind=kind,
                    department_id=departments[department].pk,
                    email=f"amt-{code.lower().replace(' ', '')}@{slug}.example.org",
                    source_note="Synthetische Testdaten",
                )
            )
        organisations = []
        for i in range(organisation_count):
            kind, label = ORGANISATION_KINDS[i % len(ORGANISATION_KINDS)]
            if i == 0:
                kind, label = Organisation.Kind.BODY, "Integrationsbeirat"
                org_name = f"Integrationsbeirat {name}"
            else:
                org_name = f"{label} {name} Nr. {i}"
            organisations.append(
                self.add(
                    Organisation,
                    name=org_name,
                    kind=kind,
                    municipality_id=municipality.pk,
                )
            )
        self.accounts(municipality, offices)

        concept = self.add(
            Concept,
            municipality_id=municipality.pk,
            slug=f"ik-{slug}",
            title=f"Integrationskonzept der {name} {FIRST_YEAR}–{LAST_YEAR + 1}",
            short_title=f"IK {FIRST_YEAR}",
            start_year=FIRST_YEAR,
            end_year=LAST_YEAR + 1,
            adopted_on=datetime.date(FIRST_YEAR - 1, 11, 15),
            adopted_by=f"Stadtrat der {name}",
            source_note="Synthetische Testdaten für Lasttests.",
        )
        plan = self.add(
            ActionPlan,
            concept_id=concept.pk,
            title="Handlungsplan zur verwaltungsinternen Umsetzung",
            in_force_from=datetime.date(FIRST_YEAR, 1, 1),
        )
        for position, text in enumerate(
            [
                "definiert Organisationsstrukturen, Aufgaben und Rollen",
                "legt die jährliche Berichterstattung der Ämter fest",
                "benennt die Ansprechpersonen in den Ämtern",
            ],
            1,
        ):
            self.add(ActionPlanProvision, action_plan_id=plan.pk, position=position, text=text)
        fields = [
            self.add(
                FieldOfAction,
                concept_id=concept.pk,
                number=str(i + 1),
                title=title,
                position=i + 1,
            )
            for i, title in enumerate(FIELDS_OF_ACTION)
        ]
        topics = []
        for slug_, title, position, parent in TOPICS:
            topics.append(
                self.add(
                    Topic,
                    concept_id=concept.pk,
                    parent_id=topics[parent].pk if parent is not None else None,
                    slug=slug_,
                    title=title,
                    position=position,
                )
            )
        groups = self.working_groups(concept, fields, offices, organisations)
        measures = self.measures(
            concept, fields, topics, groups, offices, organisations, departments, entry_counts
        )
        rounds = self.rounds(concept, measures)
        entries = self.entries(measures, rounds)
        self.indicators(measures, entries)
        self.funding(municipality, measures, topics, offices)
        self.needs(concept, fields, offices, measures)
        self.report(concept, name, topics, organisations[0], offices[0])
        return municipality

    def working_groups(self, concept, fields, offices, organisations):
        rnd = self.rnd
        groups = [
            self.add(
                WorkingGroup,
                concept_id=concept.pk,
                kind=WorkingGroup.Kind.STEERING,
                short_name="Steuerungsgruppe",
                title="Steuerungsgruppe",
                active_from=datetime.date(FIRST_YEAR, 1, 1),
            )
        ]
        for number in range(1, len(fields) // 2 + 1):
            group = self.add(
                WorkingGroup,
                concept_id=concept.pk,
                kind=WorkingGroup.Kind.EXPERT,
                number=number,
                short_name=f"FAG {number}",
                title=f"{fields[2 * number - 2].title}; {fields[2 * number - 1].title}",
                active_from=datetime.date(FIRST_YEAR, 3, 1),
                active_until=datetime.date(LAST_YEAR - 1, 5, 31),
            )
            for field in fields[2 * number - 2 : 2 * number]:
                self.link(
                    WorkingGroup.fields_of_action.through,
                    workinggroup_id=group.pk,
                    fieldofaction_id=field.pk,
                )
            groups.append(group)
        seats = []
        for group in groups:
            position = 0
            for organisation in rnd.sample(organisations, min(8, len(organisations))):
                position += 1
                seats.append(
                    self.add(
                        Membership,
                        group_id=group.pk,
                        organisation_id=organisation.pk,
                        role="Vorsitz" if position == 1 else "",
                        position=position,
                    )
                )
            for office in rnd.sample(offices, min(5, len(offices))):
                position += 1
                seats.append(
                    self.add(Membership, group_id=group.pk, office_id=office.pk, position=position)
                )
            position += 1
            seats.append(
                self.add(
                    Membership,
                    group_id=group.pk,
                    role="Vertreter des Integrationsbeirats",
                    position=position,
                    active_from=datetime.date(FIRST_YEAR, 3, 1),
                )
            )
        self.history(Membership, seats, [_at(datetime.date(FIRST_YEAR, 3, 1))] * len(seats))
        return groups

    def measures(
        self, concept, fields, topics, groups, offices, organisations, departments, entry_counts
    ):
        rnd = self.rnd
        count = len(entry_counts)
        expert_groups = {field.pk: groups[1 + i // 2] for i, field in enumerate(fields)}
        measures = []
        numbers = defaultdict(int)
        created = _at(datetime.date(FIRST_YEAR, 1, 15))
        parent = None
        for position in range(1, count + 1):
            # About a fifth are sub-measures of the measure before them.
            if parent is not None and rnd.random() < 0.2 and parent.parent_id is None:
                field_pk, topic_pk = parent.field_of_action_id, parent.topic_id
                numbers[parent.number] += 1
                number = f"{parent.number}.{numbers[parent.number]}"
                parent_pk = parent.pk
            else:
                field = rnd.choice(fields)
                field_pk = field.pk
                topic_pk = topics[rnd.choice(MEASURE_TOPICS)].pk
                numbers[field.number] += 1
                number = f"{field.number}.{numbers[field.number]}"
                parent_pk = None
            lead = rnd.choice(offices[1:]) if rnd.random() > 0.03 else None
            start = datetime.date(
                rnd.randint(FIRST_YEAR, LAST_YEAR - 1), rnd.choice([1, 4, 7, 10]), 1
            )
            end = (
                datetime.date(start.year + rnd.randint(1, 4), 12, 31)
                if rnd.random() < 0.8
                else None
            )
            title = f"{rnd.choice(NOUNS)} {rnd.choice(TARGETS)}"
            measure = self.add(
                Measure,
                concept_id=concept.pk,
                number=number,
                title=title,
                description=" ".join(rnd.sample(SENTENCES, 2)),
                goal=rnd.choice(SENTENCES) if rnd.random() < 0.5 else "",
                field_of_action_id=field_pk,
                topic_id=topic_pk,
                working_group_id=expert_groups[field_pk].pk if rnd.random() < 0.7 else None,
                lead_office_id=lead.pk if lead else None,
                responsible_department_id=None if lead else rnd.choice(departments).pk,
                parent_id=parent_pk,
                planned_start=start,
                planned_end=end,
                is_public=rnd.random() < 0.9,
                position=position,
                source_note="Synthetische Testdaten",
                created_at=created,
                updated_at=created,
            )
            measure.entry_count = entry_counts[position - 1]
            measures.append(measure)
            if parent_pk is None:
                parent = measure
            partners = [o for o in rnd.sample(offices[1:], 3) if o is not lead][: rnd.randint(0, 3)]
            measure.partner_office_rows = [
                self.link(Measure.partner_offices.through, measure_id=measure.pk, office_id=o.pk)
                for o in partners
            ]
            measure.partner_organisation_rows = [
                self.link(
                    Measure.partner_organisations.through,
                    measure_id=measure.pk,
                    organisation_id=organisation.pk,
                )
                for organisation in rnd.sample(organisations[1:], rnd.randint(0, 3))
            ]
            if rnd.random() < 0.1:
                for language in rnd.sample(self.languages, rnd.randint(1, 3)):
                    self.link(
                        Measure.languages.through, measure_id=measure.pk, language_id=language.pk
                    )
        records = self.history(Measure, measures, [created] * len(measures))
        for record, measure in zip(records, measures, strict=True):
            self.m2m_history(Measure, "partner_offices", record, measure.partner_office_rows)
            self.m2m_history(
                Measure, "partner_organisations", record, measure.partner_organisation_rows
            )
        return measures

    def rounds(self, concept, measures):
        rounds = {}
        for year in range(FIRST_YEAR, LAST_YEAR + 1):
            is_open = year == OPEN_ROUND_YEAR
            rounds[year] = self.add(
                ReportingRound,
                concept_id=concept.pk,
                title=f"Berichtsrunde {year}",
                period_start=datetime.date(year, 1, 1),
                period_end=datetime.date(year, 12, 31),
                deadline=datetime.date(year + 1, 1, 31),
                opened_at=_at(datetime.date(year, 10, 1)),
                closed_at=None if is_open else _at(datetime.date(year + 1, 2, 28)),
            )
        open_round = rounds[OPEN_ROUND_YEAR]
        for measure in measures:
            if self.rnd.random() < 0.7:
                self.link(
                    ReportingRound.due_measures.through,
                    reportinground_id=open_round.pk,
                    measure_id=measure.pk,
                )
        return rounds

    def entries(self, measures, rounds):
        rnd = self.rnd
        entries = []
        by_measure = {}
        for measure in measures:
            count = measure.entry_count
            pending = _weighted(rnd, PENDING)
            approved_count = count - 1 if pending else count
            outcome = _weighted(rnd, OUTCOMES)
            dates = sorted(rnd.sample(QUARTER_ENDS, min(count, len(QUARTER_ENDS))))
            while len(dates) < count:  # more entries than quarters: several a quarter
                dates.append(dates[-1])
            dates.sort()
            author = self.staff.get(measure.lead_office_id)
            mine = []
            for i, as_of in enumerate(dates):
                if i < approved_count:
                    state = StatusEntry.State.APPROVED
                    if i == approved_count - 1:
                        status = outcome
                    else:
                        status = (
                            Status.IN_PREPARATION
                            if i < approved_count * 0.2
                            else Status.IN_PROGRESS
                        )
                else:
                    state = pending
                    status = rnd.choice([Status.IN_PROGRESS, Status.COMPLETED, Status.ONGOING])
                progress = {
                    Status.COMPLETED: 100,
                    Status.ONGOING: None,
                    Status.NOT_STARTED: 0,
                    Status.IN_PREPARATION: rnd.randint(0, 10),
                }.get(status, min(95, 10 + int(85 * (i + 1) / count)))
                reviewed = state in (StatusEntry.State.APPROVED, StatusEntry.State.RETURNED)
                submitted = state != StatusEntry.State.DRAFT
                entry = self.add(
                    StatusEntry,
                    measure_id=measure.pk,
                    status=status,
                    progress=progress,
                    note=rnd.choice(SENTENCES),
                    internal_note="Rücksprache mit dem Träger" if rnd.random() < 0.1 else "",
                    reason=rnd.choice(REASONS)
                    if status in (Status.DEFERRED, Status.DROPPED)
                    else "",
                    as_of=as_of,
                    author_id=author.pk if author else None,
                    state=state,
                    submitted_at=_at(as_of + datetime.timedelta(days=2)) if submitted else None,
                    reviewer_id=self.bureau.pk if reviewed else None,
                    reviewed_at=_at(as_of + datetime.timedelta(days=9)) if reviewed else None,
                    review_comment=(
                        "Bitte den Stand der Teilnehmerzahlen ergänzen."
                        if state == StatusEntry.State.RETURNED
                        else ""
                    ),
                    reporting_round_id=rounds[as_of.year].pk if rnd.random() < 0.8 else None,
                    created_at=_at(as_of + datetime.timedelta(days=1)),
                    updated_at=_at(as_of + datetime.timedelta(days=9 if reviewed else 2)),
                )
                mine.append(entry)
            entries.extend(mine)
            by_measure[measure.pk] = mine
        self.history(StatusEntry, entries, [entry.created_at for entry in entries])
        return by_measure

    def indicators(self, measures, entries):
        rnd = self.rnd
        for measure in measures:
            if rnd.random() >= 0.15:
                continue
            for name, unit in rnd.sample(
                [
                    ("Teilnehmende", "Personen"),
                    ("Beratungsgespräche", "Gespräche"),
                    ("Veranstaltungen", "Veranstaltungen"),
                    ("Geschulte Beschäftigte", "Beschäftigte"),
                ],
                rnd.randint(1, 2),
            ):
                indicator = self.add(
                    Indicator,
                    measure_id=measure.pk,
                    name=name,
                    unit=unit,
                    target=Decimal(rnd.randint(20, 500)),
                )
                approved = [e for e in entries[measure.pk] if e.state == StatusEntry.State.APPROVED]
                for year in range(FIRST_YEAR + 1, LAST_YEAR):
                    entry = rnd.choice(approved) if approved and rnd.random() < 0.5 else None
                    self.add(
                        IndicatorValue,
                        indicator_id=indicator.pk,
                        value=Decimal(rnd.randint(0, 400)),
                        period_start=datetime.date(year, 1, 1),
                        period_end=datetime.date(year, 12, 31),
                        status_entry_id=entry.pk if entry else None,
                    )

    def funding(self, municipality, measures, topics, offices):
        rnd = self.rnd
        areas = [
            self.add(FundingArea, name=f"{municipality.name}-{district}") for district in DISTRICTS
        ]
        funded = [
            m for m in measures if m.topic_id == topics[FUNDING_TOPIC].pk and m.parent_id is None
        ]
        amounts = []
        for i, measure in enumerate(funded[: max(5, len(measures) // 50)]):
            line = self.add(
                FundingLine,
                key=f"{municipality.slug}-foerderung-{i + 1}",
                title=f"Förderung: {measure.title}",
                programme_id=rnd.choice(self.programmes).pk,
                measure_id=measure.pk,
                responsible_office_id=rnd.choice(offices).pk,
            )
            for position, area in enumerate(rnd.sample(areas, rnd.randint(0, 2)), 1):
                self.add(
                    FundingLineArea,
                    line_id=line.pk,
                    area_id=area.pk,
                    status=FundingLineArea.AreaStatus.FUNDED,
                    position=position,
                )
            for year in range(FIRST_YEAR, LAST_YEAR + 1):
                amounts.append(
                    self.add(
                        FundingAmount,
                        line_id=line.pk,
                        year_from=year,
                        year_to=year,
                        amount=Decimal(rnd.randrange(5_000, 250_000, 100)),
                        kind=FundingAmount.Kind.ACTUAL
                        if year < LAST_YEAR
                        else FundingAmount.Kind.PLANNED,
                        is_approximate=rnd.random() < 0.2,
                    )
                )
        self.history(
            FundingAmount, amounts, [_at(datetime.date(a.year_to, 12, 31)) for a in amounts]
        )

    def needs(self, concept, fields, offices, measures):
        rnd = self.rnd
        count = max(10, len(measures) // 50)
        parents = []
        for i in range(1, count + 1):
            sub = parents and rnd.random() < 0.3
            parent = rnd.choice(parents) if sub else None
            need = self.add(
                ActionNeed,
                concept_id=concept.pk,
                number=f"{parent.number}.{i}" if parent else str(i),
                parent_id=parent.pk if parent else None,
                title=f"{rnd.choice(NOUNS)} {rnd.choice(TARGETS)} ausbauen",
                field_of_action_id=rnd.choice(fields).pk,
                status=rnd.choice(
                    [
                        ActionNeed.NeedStatus.OPEN,
                        ActionNeed.NeedStatus.IN_PROGRESS,
                        ActionNeed.NeedStatus.RESOLVED,
                    ]
                ),
                position=i,
            )
            if not parent:
                parents.append(need)
            for office in rnd.sample(offices, rnd.randint(1, 2)):
                self.link(
                    ActionNeed.responsible_offices.through,
                    actionneed_id=need.pk,
                    office_id=office.pk,
                )
            for measure in rnd.sample(measures, rnd.randint(0, 3)):
                self.link(ActionNeed.measures.through, actionneed_id=need.pk, measure_id=measure.pk)

    def report(self, concept, municipality_name, topics, council, bureau_office):
        report = self.add(
            Report,
            concept_id=concept.pk,
            slug=f"umsetzungsbericht-{concept.slug.removeprefix('ik-')}",
            title=f"Umsetzung des Integrationskonzeptes der {municipality_name}",
            period_start=REPORT_PERIOD[0],
            period_end=REPORT_PERIOD[1],
            presented_to_id=council.pk,
            presentation=f"Beratung des {council.name}",
            presented_on=datetime.date(REPORT_PERIOD[1].year + 1, 3, 20),
            issued_by_id=bureau_office.pk,
        )
        sections = [
            ("1", "Grundlagen für die Umsetzung", ReportSection.Kind.FOUNDATIONS, []),
            ("2", "Mitwirkende", ReportSection.Kind.MEMBERS, []),
            ("3", "Interkulturelle Orientierung und Öffnung", ReportSection.Kind.MEASURES, [0]),
            (
                "4",
                "Leistungen: konzeptionell, im Rahmen der Aufgabenerfüllung",
                ReportSection.Kind.MEASURES,
                [4],
            ),
            ("5", "Förderung", ReportSection.Kind.FUNDING, [FUNDING_TOPIC]),
            ("6", "Handlungsbedarfe", ReportSection.Kind.NEEDS, []),
        ]
        for position, (number, title, kind, topic_indexes) in enumerate(sections, 1):
            section = self.add(
                ReportSection,
                report_id=report.pk,
                number=number,
                title=title,
                kind=kind,
                position=position,
            )
            for index in topic_indexes:
                self.link(
                    ReportSection.topics.through,
                    reportsection_id=section.pk,
                    topic_id=topics[index].pk,
                )


def _m2m_history(model, field_name):
    """The model in which django-simple-history keeps one m2m field's versions."""
    history_model = model.history.model
    wanted = f"{history_model._meta.model_name}_{field_name}"
    for relation in history_model._meta.related_objects:
        if relation.related_model._meta.model_name == wanted:
            return relation.related_model
    raise LookupError(wanted)
