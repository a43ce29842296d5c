"""The Dresden data set holds every fact of shared/seed/READING.md as records."""

import datetime
from decimal import Decimal

import pytest

from measures.models import (
    ActionNeed,
    FundingAmount,
    FundingLine,
    Indicator,
    Measure,
    StatusEntry,
)
from working_groups.models import (
    Concept,
    FieldOfAction,
    Membership,
    Office,
    Organisation,
    WorkingGroup,
)

pytestmark = pytest.mark.usefixtures("dresden")

VDA = "Vertreter des Ausländerbeirats"


def members(short_name):
    return list(
        Membership.objects.filter(group__short_name=short_name)
        .select_related("organisation", "office", "department")
        .order_by("position")
    )


def test_concept_2009_and_its_action_plan_in_force_from_july_2009():
    concept = Concept.objects.get(slug="ik-2009")
    assert concept.title == "Konzept zur Integration von Migrantinnen und Migranten 2009"
    plan = concept.action_plan
    assert plan.in_force_from == datetime.date(2009, 7, 1)
    assert "verwaltungsinternen Umsetzung" in plan.title
    texts = [p.text for p in plan.provisions.all()]
    assert texts == [
        "definiert Organisationsstrukturen, Aufgaben und Rollen",
        "der Steuerungsgruppe",
        "der handlungsfeldbezogenen Facharbeitsgruppen",
        "der Integrations- und Ausländerbeauftragten",
        "definiert Rechenschaftslegung sowie Fortschreibung des IK",
    ]
    roles = plan.provisions.get(position=1).children.count()
    assert roles == 3


def test_concept_2015_2020_follows_2009_with_eleven_fields_and_chapter_5():
    concept = Concept.objects.get(slug="ik-2015-2020")
    assert concept.predecessor.slug == "ik-2009"
    assert concept.adopted_on == datetime.date(2015, 5, 28)
    numbers = list(concept.fields_of_action.values_list("number", flat=True))
    assert numbers == [f"4.{i}" for i in range(1, 12)] + ["5"]
    titles = dict(concept.fields_of_action.values_list("number", "title"))
    assert titles["4.1"] == "Spracherwerb und Sprachförderung"
    assert titles["4.11"] == "Kulturelle Vielfalt"
    assert titles["5"] == "Interkulturelle Orientierung und Öffnung der Stadtverwaltung"


def test_steering_group_and_four_expert_groups_worked_until_may_2013():
    groups = WorkingGroup.objects.filter(concept__slug="ik-2009")
    assert groups.filter(kind=WorkingGroup.Kind.STEERING).count() == 1
    fags = groups.filter(kind=WorkingGroup.Kind.EXPERT).order_by("number")
    assert [g.short_name for g in fags] == ["FAG 1", "FAG 2", "FAG 3", "FAG 4"]
    for group in fags:
        assert group.active_until == datetime.date(2013, 5, 31)
        assert group.members_involved_in.slug == "ik-2015-2020"


@pytest.mark.parametrize(
    ("group", "organisations", "offices", "other"),
    [
        ("FAG 1", 11, ["10", "15", "51", "80"], []),
        ("FAG 2", 7, ["50", "51", "53", "61"], ["VertreterInnen der Eigenbetriebe"]),
        ("FAG 3", 8, ["15", "40", "42", "51", "53", "55"], [VDA]),
        ("FAG 4", 8, ["15", "33", "41"], ["OB-Bereich"]),
    ],
)
def test_members_per_group(group, organisations, offices, other):
    seats = members(group)
    assert sum(1 for m in seats if m.organisation) == organisations
    assert [m.office.code for m in seats if m.office] == offices
    role_only = [m.role for m in seats if not m.holder]
    departments = [m.department.name for m in seats if m.department]
    assert role_only + departments == other


def test_council_representatives_are_roles_of_members():
    representatives = {
        (m.group.short_name, m.organisation.name if m.organisation else None)
        for m in Membership.objects.filter(role=VDA).select_related("group", "organisation")
    }
    assert representatives == {
        ("FAG 1", "Verein der Vietnamesen in Dresden e. V."),
        ("FAG 2", "Ausländerrat Dresden e. V."),
        ("FAG 3", None),
        ("FAG 4", "AFROPA e. V."),
    }


def test_organisation_sitting_in_several_groups_is_one_record():
    caritas = Organisation.objects.get(name="Caritas-Jugendmigrationsdienst")
    assert sorted(caritas.memberships.values_list("group__short_name", flat=True)) == [
        "FAG 1",
        "FAG 2",
        "FAG 3",
    ]


def test_every_office_code_of_the_seed_exists():
    codes = set(Office.objects.exclude(code="").values_list("code", flat=True))
    assert {"10", "15", "33", "40", "41", "42", "50", "51", "53", "55", "61", "80"} <= codes


def test_office_names_behind_numbers_are_marked_unless_the_seed_gives_them():
    # "Amt 41" and "Kulturamt" stand apart in the seed: that they are one is inferred
    amt_41 = Office.objects.get(code="41")
    assert amt_41.name == "Kulturamt" and amt_41.name_is_assumption
    assert "Annahme" in amt_41.source_note
    assert Office.objects.get(code="51").name_is_assumption
    unknown = Office.objects.get(code="15")
    assert unknown.name == ""
    assert "nicht bekannt" in unknown.source_note
    for office in Office.objects.exclude(code="").exclude(name=""):
        assert office.name_is_assumption, office


def test_every_office_named_in_section_3_exists():
    names = set(Office.objects.values_list("name", flat=True))
    for name in [
        "Jugendamt",
        "Büro der Integrations- und Ausländerbeauftragten",
        "Büro der Oberbürgermeisterin",
        "Ordnungsamt",
        "Bürgeramt",
        "Haupt- und Personalamt",
        "Amt für Stadtgrün und Abfallwirtschaft",
        "Sozialamt",
        "Gesundheitsamt",
        "Amt für Wirtschaftsförderung",
        "Kulturamt",
        "Stadtplanungsamt",
        "Städtische Bibliotheken",
        "Eigenbetrieb Friedhof- und Bestattungswesen",
    ]:
        assert name in names


def test_every_item_of_sections_3_to_5_is_a_measure_under_its_topic():
    """A topic is a heading the seed prints; items the seed lists under no heading of
    their own belong to their section's topic."""
    counts = {
        topic: Measure.objects.filter(concept__slug="ik-2009", topic__slug=topic).count()
        for topic in [
            "mehrsprachigkeit",
            "interkulturelle-oeffnung",
            "buero-inauslb",
            "leistungen",
            "foerderung",
        ]
    }
    assert counts == {
        "mehrsprachigkeit": 10,  # the umbrella measure and its nine items
        "interkulturelle-oeffnung": 3,  # training and staff, on a slide of their own
        "buero-inauslb": 4,
        "leistungen": 14,
        "foerderung": 13,
    }
    umbrella = Measure.objects.get(number="3.1")
    assert umbrella.children.count() == 9
    assert umbrella.partner_offices.count() == 11
    assert Measure.objects.get(number="3.1.3").lead_office.name == "Ordnungsamt"
    assert sorted(Measure.objects.get(number="3.1.9").languages.values_list("code", flat=True)) == [
        "cs",
        "en",
        "ru",
    ]
    assert Measure.objects.get(number="4.2.8").lead_office.short_name == "EB Kita"
    assert Measure.objects.get(number="5.9").responsible_department.code == "GB 7"


def test_indicator_222_employees_trained_between_july_2009_and_november_2014():
    indicator = Indicator.objects.get(measure__number="3.2.1")
    value = indicator.values.get()
    assert value.value == 222
    assert value.period_start == datetime.date(2009, 7, 1)
    assert value.period_end == datetime.date(2014, 11, 30)


def test_every_funding_amount_of_the_seed():
    amounts = {
        (a.line.key, a.year_from, a.year_to, a.amount, a.is_approximate)
        for a in FundingAmount.objects.select_related("line")
    }
    assert amounts == {
        ("interkulturelle-arbeit-amt-41", 2009, 2009, Decimal("140600"), False),
        ("interkulturelle-arbeit-amt-41", 2013, 2013, Decimal("149200"), False),
        ("projektfoerderung-migrantenvereine", 2009, 2009, Decimal("36800"), False),
        ("projektfoerderung-migrantenvereine", 2013, 2013, Decimal("40400"), False),
        ("lokales-handlungsprogramm-2012-2013", 2012, 2013, Decimal("550000"), True),
    }
    assert (
        FundingLine.objects.get(key="interkulturelle-arbeit-amt-41").responsible_office.code == "41"
    )


def test_funding_areas_of_die_soziale_stadt():
    line = FundingLine.objects.get(key="soziale-stadt")
    areas = {
        link.area.name: link.status for link in line.fundinglinearea_set.select_related("area")
    }
    assert areas == {
        "Prohlis": "funded",
        "Am Koitschgraben": "funded",
        "Gorbitz": "funded",
        "Nördliche Johannstadt": "proposed",
    }
    assert line.responsible_office.name == "Stadtplanungsamt"
    # "bis 2011" stays in the item's words: no planned end that would make it overdue
    assert Measure.objects.get(number="5.1.2").planned_end is None


def test_needs_for_action_with_their_sub_points_carried_into_2015():
    needs = ActionNeed.objects.filter(concept__slug="ik-2009")
    top = needs.filter(parent=None).order_by("position")
    assert [n.number for n in top] == ["1", "2", "3", "4"]
    first = top[0]
    assert [c.number for c in first.children.all()] == ["1.1", "1.2"]
    assert [c.number for c in needs.get(number="1.2").children.all()] == ["1.2.1", "1.2.2"]
    assert "Traumafolgestörungen" in needs.get(number="1.2.1").title
    assert "Stellenausschreibungen" in needs.get(number="4.1").title
    assert set(needs.values_list("carried_into__slug", flat=True)) == {"ik-2015-2020"}


def test_the_data_set_records_no_status_and_no_percentage_the_seed_does_not_state():
    """The seed lists what was done in the bureau's words; it gives no status and no
    percentage for any item ("weitergeführt", "bis 2011" stay in the wording)."""
    assert not StatusEntry.objects.exists()
    assert not Measure.objects.filter(current_entry__isnull=False).exists()
    assert "weitergeführt" in Measure.objects.get(number="4.2.5").title
    assert Measure.objects.get(number="5.1.2").description == "Bis 2011."


def test_what_comes_from_outside_the_seed_or_is_inferred_says_so_in_its_note():
    later = Concept.objects.get(slug="ik-2015-2020")
    assert "Außerhalb der Quelle" in later.source_note
    for field in FieldOfAction.objects.filter(concept=later):
        assert "Außerhalb der Quelle" in field.source_note, field
    for need in ActionNeed.objects.all():
        assert "Annahme" in need.source_note, need
    # an item's note concerns what its own line adds (a reading, a correction, an
    # office it names); a full name the report never prints is its organisation's
    for number in ["3.1", "3.1.3", "3.1.8", "3.2.3"]:
        assert Measure.objects.get(number=number).source_note, number
    for number in ["4.2.4", "4.2.8", "5.1.2", "5.8"]:
        assert Measure.objects.get(number=number).source_note == "", number
    for short_name in ["BAMF", "101. MS", "VHS"]:
        assert Organisation.objects.get(short_name=short_name).source_note, short_name
    assert "ebenfalls eine Annahme" in Office.objects.get(short_name="EB Kita").source_note


def test_offices_of_section_3_are_listed_in_the_seeds_order():
    umbrella = Measure.objects.get(number="3.1")
    names = [o.name for o in umbrella.partner_offices.order_by("position")]
    assert names == [
        "Jugendamt",
        "Büro der Integrations- und Ausländerbeauftragten",
        "Büro der Oberbürgermeisterin",
        "Ordnungsamt",
        "Bürgeramt",
        "Haupt- und Personalamt",
        "Amt für Stadtgrün und Abfallwirtschaft",
        "Sozialamt",
        "Gesundheitsamt",
        "Amt für Wirtschaftsförderung",
        "Kulturamt",
    ]


def test_current_entry_in_the_data_set_matches_the_derived_one():
    """The denormalised pointer cannot drift from the entries it is derived from."""
    stored = dict(Measure.objects.values_list("pk", "current_entry"))
    Measure.objects.all().refresh_current_status()
    assert dict(Measure.objects.values_list("pk", "current_entry")) == stored
