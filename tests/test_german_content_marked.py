"""The records exist in German only (measures, concepts, groups, fields of action,
topics, offices, organisations, notes, report sections …). On an English page each
of their texts sits inside an element marked lang="de", so that screen readers
pronounce it as German and browsers hyphenate it as German (WCAG 2.1, 3.1.2 Language
of Parts; helpers/templatetags/german.py). On a German page nothing is added.

Every page type that shows records is read as each role that sees it, and every text
of the page that contains a record's text outside lang="de" is listed. Not checked,
because they cannot be marked or marking them changes nothing:

- the document's <title>: it cannot carry lang;
- attribute values (aria-label, title, alt): a part of one cannot carry lang;
- <option>: browsers do not pass an option's lang to the accessibility tree, and
  screen readers read a select's options in the page's (or the select's) language;
  the select itself stays in the page's language, because its first option ("all
  offices") and its label are the interface's;
- <textarea>: the text a person edits (the bureau's own German texts of a section).

An office known by its number only is labelled in the page's language ("Office 15"):
that label must not be marked German.
"""

import datetime
import re
from html.parser import HTMLParser

import pytest
from django.urls import reverse

from measures.models import (
    ActionNeed,
    FundingAmount,
    FundingArea,
    FundingLine,
    FundingProgramme,
    Indicator,
    Language,
    Measure,
    ReportingRound,
    StatusEntry,
    Topic,
)
from measures.services import open_round, return_entry
from reports.comparison import status_snapshot
from reports.exports import draft_html
from reports.models import Publication, PublishedVersion, Report, ReportSection
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

from .factories import (
    IndicatorFactory,
    IndicatorValueFactory,
    ReportingRoundFactory,
    StatusEntryFactory,
)

VOID = {
    "area",
    "base",
    "br",
    "col",
    "embed",
    "hr",
    "img",
    "input",
    "link",
    "meta",
    "source",
    "track",
    "wbr",
}
NOT_CHECKED = {"title", "option", "textarea", "script", "style"}


class _Texts(HTMLParser):
    """The page's text runs, each with the language of its nearest element that
    names one, and whether it lies in an element that is not checked."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.open = []  # (tag, lang)
        self.runs = []  # (text, lang, checked, path)

    def handle_starttag(self, tag, attrs):
        if tag not in VOID:
            self.open.append((tag, dict(attrs).get("lang")))

    def handle_startendtag(self, tag, attrs):
        pass  # <rect … />: no text inside

    def handle_endtag(self, tag):
        for index in range(len(self.open) - 1, -1, -1):
            if self.open[index][0] == tag:
                del self.open[index:]
                return

    def handle_data(self, data):
        if not data.strip():
            return
        lang = next((lang for _tag, lang in reversed(self.open) if lang is not None), None)
        checked = not any(tag in NOT_CHECKED for tag, _lang in self.open)
        path = " > ".join(tag for tag, _lang in self.open[-4:])
        self.runs.append((data, lang, checked, path))


def squash(text):
    """Spaces as a reader sees them (the report keeps "Amt 41" together)."""
    return re.sub(r"\s+", " ", text.replace("\u00a0", " ")).strip()


def runs_of(html):
    parser = _Texts()
    parser.feed(html)
    parser.close()
    return parser.runs


def german_texts():
    """Every text of the records the pages show, as the database holds it."""
    texts = set()

    def add(*values):
        texts.update(squash(str(v)) for v in values if v and str(v).strip())

    for measure in Measure.objects.all():
        add(measure.title, measure.report_wording)
    for concept in Concept.objects.all():
        add(concept.title, concept.short_title)
    for group in WorkingGroup.objects.all():
        add(group.title, group.short_name, group)
    for field in FieldOfAction.objects.all():
        add(field.title, field)
    for office in Office.objects.exclude(name=""):
        add(office.name, office.label, office.short_name)
    add(*Organisation.objects.values_list("name", flat=True))
    add(*Organisation.objects.values_list("short_name", flat=True))
    add(*Department.objects.values_list("name", flat=True))
    add(*Municipality.objects.values_list("name", flat=True))
    add(*Topic.objects.values_list("title", flat=True))
    add(*Membership.objects.values_list("role", flat=True))
    add(*Membership.objects.values_list("report_wording", flat=True))
    add(*Language.objects.values_list("name", flat=True))
    add(*ActionPlan.objects.values_list("title", flat=True))
    add(*ActionPlanProvision.objects.values_list("text", flat=True))
    add(*ActionNeed.objects.values_list("title", flat=True))
    add(*FundingProgramme.objects.values_list("name", flat=True))
    add(*FundingLine.objects.values_list("title", flat=True))
    add(*FundingArea.objects.values_list("name", flat=True))
    add(*Indicator.objects.values_list("name", flat=True))
    add(*Indicator.objects.values_list("unit", flat=True))
    add(*Report.objects.values_list("title", flat=True))
    add(*ReportSection.objects.values_list("title", flat=True))
    add(*StatusEntry.objects.values_list("note", flat=True))
    add(*StatusEntry.objects.values_list("review_comment", flat=True))
    add(*StatusEntry.objects.values_list("source_note", flat=True))
    add(*ReportingRound.objects.values_list("title", flat=True))
    return texts


def finder(texts):
    """A pattern that finds any of ``texts`` as whole words, the longest first."""
    alternatives = "|".join(re.escape(t) for t in sorted(texts, key=len, reverse=True))
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)")


def unmarked(html, pattern):
    """The runs of an English page that contain a record's text outside lang="de"."""
    return [
        (match, squash(text)[:90], path)
        for text, lang, checked, path in runs_of(html)
        if checked and not (lang or "").startswith("de") and (match := pattern.search(squash(text)))
    ]


def marked(html):
    """The runs of a page marked lang="de"."""
    return [squash(text) for text, lang, _checked, _path in runs_of(html) if lang == "de"]


# --- The world: Dresden with what each page lists ---------------------------------

UNNAMED = "Office 15"
ROUND = "Sachstandsabfrage 2014"
CLOSED_ROUND = "Sachstandsabfrage 2016"
NOTE = "Netzwerktreffen mit dem JugendInfoService vereinbart."
COMMENT = "Bitte den Stand zum Jahresende ergänzen."


@pytest.fixture
def world(dresden_statuses, bureau_user, office_staff, council_member, settings):
    # The municipality's name heads and ends every page.
    settings.MUNICIPALITY_NAME = "Landeshauptstadt Dresden"
    concept = Concept.objects.get(slug="ik-2009")
    later = Concept.objects.exclude(pk=concept.pk).get()
    measures = {m.number: m for m in Measure.objects.filter(concept=concept)}
    # A measure with everything a measure page can name (the 2009 concept has no
    # working groups or fields of action of its measures).
    measure = measures["4.2.2"]
    measure.working_group = WorkingGroup.objects.get(short_name="FAG 3")
    measure.field_of_action = FieldOfAction.objects.filter(concept=measure.working_group.concept)[0]
    measure.description = "Beschreibung der Netzwerkarbeit im JugendInfoService."
    measure.save()
    measure.partner_organisations.add(Organisation.objects.get(name="Jobcenter Dresden"))
    # An office known by its number only reads "Office 15" in the page's language.
    measure.partner_offices.add(Office.objects.get(code="15", name=""))
    measure.languages.add(Language.objects.get(name="Englisch"))

    reporting_round = open_round(
        concept=concept,
        title=ROUND,
        period_start=datetime.date(2014, 1, 1),
        period_end=datetime.date(2014, 12, 31),
        deadline=datetime.date(2015, 1, 31),
        unfinished_only=False,
    )
    closed_round = ReportingRoundFactory(
        concept=later,
        title=CLOSED_ROUND,
        opened_at=datetime.datetime(2016, 1, 1, tzinfo=datetime.UTC),
        closed_at=datetime.datetime(2016, 3, 1, tzinfo=datetime.UTC),
    )
    submitted = StatusEntryFactory(
        measure=measure,
        author=office_staff,
        state=StatusEntry.State.SUBMITTED,
        submitted_at=datetime.datetime(2015, 1, 10, tzinfo=datetime.UTC),
        as_of=datetime.date(2014, 12, 31),
        note=NOTE,
        reporting_round=reporting_round,
    )
    returned = StatusEntryFactory(
        measure=measures["5.2"],
        author=office_staff,
        state=StatusEntry.State.SUBMITTED,
        submitted_at=datetime.datetime(2015, 1, 11, tzinfo=datetime.UTC),
        as_of=datetime.date(2014, 12, 31),
        note="Angebote fortgeführt.",
        reporting_round=reporting_round,
    )
    return_entry(returned, bureau_user, COMMENT)
    # An indicator reported with the entry that waits for review.
    IndicatorValueFactory(
        indicator=IndicatorFactory(
            measure=measure, name="Teilnehmende Jugendliche", unit="Jugendliche"
        ),
        status_entry=submitted,
        value=40,
    )

    report = Report.objects.get(concept=concept)
    html = draft_html(report).encode()
    snapshot = status_snapshot(report)
    earlier = {**snapshot, "measures": [{**m, "status": None} for m in snapshot["measures"]]}
    for number, statuses in [(1, earlier), (2, snapshot)]:
        version = PublishedVersion.objects.create(
            report=report,
            number=number,
            published_at=datetime.datetime(2014, 12, 10 + number, tzinfo=datetime.UTC),
            published_by=bureau_user,
            note="Vorlage für den Ausländerbeirat",
            html=html,
            html_sha256="0" * 64,
            pdf=b"%PDF-1.7",
            pdf_sha256="0" * 64,
            statuses=statuses,
        )
    publication = Publication.objects.create(
        report=report,
        opened_after=1,
        state=Publication.State.DONE,
        version=version,
        requested_by=bureau_user,
    )
    office = Office.objects.get(code="51")
    return {
        "concept": concept,
        "measure": measure,
        "parent": measures["3.1"],
        "to_enter": measures["4.1.1"],
        "submitted": submitted,
        "returned": returned,
        "round": reporting_round,
        "closed_round": closed_round,
        "report": report,
        "sections": list(report.sections.all()),
        "publication": publication,
        "office": office,
        "staff": office_staff,
        "membership": Membership.objects.filter(organisation__isnull=False).first(),
        "amount": FundingAmount.objects.first(),
        "municipality": concept.municipality,
    }


# --- The pages --------------------------------------------------------------------

BUREAU, STAFF, COUNCIL, PUBLIC = "bureau", "staff", "council", "public"
READERS = (BUREAU, STAFF, COUNCIL, PUBLIC)


def history(kind, key):
    return lambda w: reverse("measures:change_history", args=[kind, w[key].pk])


def section(number):
    return lambda w: reverse("reports:section_edit", args=[w["report"].slug, number])


# name → (url, roles that read it, a German text the page must show marked)
PAGES = {
    "home": (lambda w: reverse("measures:home"), READERS, lambda w: w["concept"].title),
    "concept": (
        lambda w: reverse("measures:concept_detail", args=[w["concept"].slug]),
        READERS,
        lambda w: w["measure"].title,
    ),
    "measure_list": (
        lambda w: reverse("measures:measure_list"),
        (BUREAU, STAFF),
        lambda w: w["measure"].title,
    ),
    "measure_detail": (
        lambda w: reverse("measures:measure_detail", args=[w["measure"].pk]),
        (BUREAU, STAFF),
        lambda w: "Teilnehmende Jugendliche",
    ),
    "parent_measure_detail": (
        lambda w: reverse("measures:measure_detail", args=[w["parent"].pk]),
        (BUREAU,),
        lambda w: w["parent"].title,
    ),
    "entry_create": (
        lambda w: reverse("measures:entry_create", args=[w["to_enter"].pk]),
        (STAFF,),
        lambda w: w["to_enter"].title,
    ),
    "entry_edit": (
        lambda w: reverse("measures:entry_edit", args=[w["returned"].pk]),
        (STAFF,),
        lambda w: w["returned"].measure.title,
    ),
    "entry_return": (
        lambda w: reverse("measures:entry_return", args=[w["submitted"].pk]),
        (BUREAU,),
        lambda w: w["measure"].title,
    ),
    "review_queue": (lambda w: reverse("measures:review_queue"), (BUREAU,), lambda w: NOTE),
    # The spreadsheet pages name no record: only the header's municipality.
    "data_exchange": (
        lambda w: reverse("measures:data_exchange"),
        (BUREAU, STAFF),
        lambda w: w["municipality"].name,
    ),
    "round_list": (lambda w: reverse("measures:round_list"), (BUREAU,), lambda w: ROUND),
    "round_detail": (
        lambda w: reverse("measures:round_detail", args=[w["round"].pk]),
        (BUREAU,),
        lambda w: w["office"].label,
    ),
    "round_measures": (
        lambda w: (
            reverse("measures:round_measures", args=[w["round"].pk]) + f"?amt={w['office'].pk}"
        ),
        (BUREAU,),
        lambda w: w["measure"].title,
    ),
    "round_close": (
        lambda w: reverse("measures:round_close", args=[w["round"].pk]),
        (BUREAU,),
        lambda w: w["office"].label,
    ),
    "round_reopen": (
        lambda w: reverse("measures:round_reopen", args=[w["closed_round"].pk]),
        (BUREAU,),
        lambda w: CLOSED_ROUND,
    ),
    "measure_history": (history("massnahme", "measure"), (BUREAU,), lambda w: w["measure"].title),
    "entry_history": (history("sachstand", "returned"), (BUREAU,), lambda w: COMMENT),
    "round_history": (history("berichtsrunde", "round"), (BUREAU,), lambda w: ROUND),
    "membership_history": (
        history("mitgliedschaft", "membership"),
        (BUREAU,),
        lambda w: w["membership"].organisation.name,
    ),
    "funding_history": (
        history("foerderbetrag", "amount"),
        (BUREAU,),
        lambda w: w["amount"].line.title,
    ),
    "municipality_history": (
        history("kommune", "municipality"),
        (BUREAU,),
        lambda w: w["municipality"].name,
    ),
    "progress": (lambda w: reverse("reports:overview"), READERS, lambda w: w["measure"].title),
    "progress_measure": (
        lambda w: reverse("reports:measure", args=[w["measure"].pk]),
        READERS,
        lambda w: w["measure"].working_group.title,
    ),
    "progress_parent_measure": (
        lambda w: reverse("reports:measure", args=[w["parent"].pk]),
        READERS,
        lambda w: w["parent"].title,
    ),
    "members": (
        lambda w: reverse("reports:members"),
        READERS,
        lambda w: w["membership"].organisation.name,
    ),
    "funding": (
        lambda w: reverse("reports:funding"),
        READERS,
        lambda w: w["amount"].line.title,
    ),
    "needs": (
        lambda w: reverse("reports:needs"),
        READERS,
        lambda w: ActionNeed.objects.filter(concept=w["concept"]).first().title,
    ),
    "report_list": (
        lambda w: reverse("reports:report_list"),
        (BUREAU, COUNCIL),
        lambda w: w["report"].title,
    ),
    "report_draft": (
        lambda w: reverse("reports:report_detail", args=[w["report"].slug]),
        (BUREAU,),
        lambda w: w["sections"][0].title,
    ),
    "version": (
        lambda w: reverse("reports:version_detail", args=[w["report"].slug, 1]),
        (BUREAU, COUNCIL),
        lambda w: w["sections"][0].title,
    ),
    "version_compare": (
        lambda w: reverse("reports:version_compare", args=[w["report"].slug, 2]),
        (BUREAU, COUNCIL),
        lambda w: w["measure"].report_wording or w["measure"].title,
    ),
    "draft_compare": (
        lambda w: reverse("reports:draft_compare", args=[w["report"].slug]),
        (BUREAU,),
        lambda w: w["report"].title,
    ),
    "report_publish": (
        lambda w: reverse("reports:report_publish", args=[w["report"].slug]),
        (BUREAU,),
        lambda w: w["report"].title,
    ),
    "publication": (
        lambda w: reverse("reports:publication", args=[w["report"].slug, w["publication"].pk]),
        (BUREAU,),
        lambda w: w["report"].title,
    ),
    "report_export": (
        lambda w: reverse("reports:report_export", args=[w["report"].slug, "pdf"]),
        (BUREAU,),
        lambda w: w["report"].title,
    ),
    "report_design": (
        lambda w: reverse("reports:report_design", args=[w["report"].slug]),
        (BUREAU,),
        lambda w: w["report"].title,
    ),
    **{
        f"section_{number}": (
            section(number),
            (BUREAU,),
            lambda w, number=number: w["report"].sections.get(number=number).title,
        )
        for number in ["1", "2", "3", "4", "5", "6"]
    },
    "account_list": (
        lambda w: reverse("accounts:account_list"),
        (BUREAU,),
        lambda w: w["office"].label,
    ),
    "account_detail": (
        lambda w: reverse("accounts:account_detail", args=[w["staff"].pk]),
        (BUREAU,),
        lambda w: w["office"].label,
    ),
    "my_account": (
        lambda w: reverse("accounts:my_account"),
        (STAFF,),
        lambda w: w["office"].label,
    ),
    "open_data": (
        lambda w: reverse("reports:open_data"),
        READERS,
        lambda w: w["municipality"].name,
    ),
    "accessibility": (
        lambda w: reverse("reports:accessibility"),
        READERS,
        lambda w: w["municipality"].name,
    ),
    "settings": (
        lambda w: reverse("working_groups:settings"),
        (BUREAU,),
        lambda w: w["municipality"].name,
    ),
}


def _client(client, request, role, language):
    if role == PUBLIC:
        request.getfixturevalue("public_pages")
    else:
        user = {BUREAU: "bureau_user", STAFF: "office_staff", COUNCIL: "council_member"}[role]
        client.force_login(request.getfixturevalue(user))
    client.post(reverse("set_language"), {"language": language, "next": "/"})
    return client


def _read(client, url):
    response = client.get(url, follow=True)
    assert response.status_code == 200, url
    return response.content.decode()


@pytest.mark.parametrize("role", READERS)
def test_english_pages_mark_every_german_record_text(client, request, world, role):
    pattern = finder(german_texts())
    _client(client, request, role, "en")
    missed, wrongly_marked, not_shown = [], [], []
    for name, (url, roles, expected) in PAGES.items():
        if role not in roles:
            continue
        html = _read(client, url(world))
        assert '<html lang="en">' in html, name
        missed += [
            f"{name}: {match.group(0)!r} in {path}: {text!r}"
            for match, text, path in unmarked(html, pattern)
        ]
        if not any(squash(expected(world)) in text for text in marked(html)):
            not_shown.append(f"{name}: {expected(world)!r}")
        wrongly_marked += [f"{name}: {text!r}" for text in marked(html) if UNNAMED in text]
    assert not missed, f"{len(missed)} German texts not marked lang=de:\n" + "\n".join(missed)
    assert not wrongly_marked, "Marked German:\n" + "\n".join(wrongly_marked)
    assert not not_shown, "Not shown marked:\n" + "\n".join(not_shown)


@pytest.mark.parametrize("role", READERS)
def test_german_pages_add_no_lang_marks(client, request, world, role):
    _client(client, request, role, "de")
    for name, (url, roles, _expected) in PAGES.items():
        if role not in roles:
            continue
        html = _read(client, url(world))
        body = html.split("<body", 1)[1]
        # A published version says in which language it is written, whatever the
        # page's (reports/published_html.py).
        body = body.replace('<div class="published-report" lang="de">', "")
        assert 'lang="de"' not in body, name


# Pages with blocks of German text (notes, descriptions, lists of names, the report).
BLOCKS = [
    "concept",
    "measure_detail",
    "review_queue",
    "progress_measure",
    "members",
    "funding",
    "needs",
    "report_draft",
    "version",
]


def test_english_pages_introduce_their_german_blocks_once(client, request, world):
    _client(client, request, BUREAU, "en")
    for name in BLOCKS:
        html = _read(client, PAGES[name][0](world))
        assert html.count("The following entries exist in German only.") == 1, name
