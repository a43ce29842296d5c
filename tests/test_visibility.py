"""With public progress pages on, a visitor sees only what
``Measure.objects.visible_to`` allows, wherever a measure is named: its own page, a
parent or a child, needs for action, funding, search results, counts, open data."""

import csv
import io
import json

import pytest
from django.urls import reverse

from measures.models import Measure

from .factories import (
    ActionNeedFactory,
    ConceptFactory,
    FundingLineFactory,
    MeasureFactory,
    MunicipalityFactory,
    StatusEntryFactory,
)

HIDDEN = "Verborgene Elternmaßnahme"


@pytest.fixture
def family(db):
    """An internal parent with a public child, which has an internal and a public
    child of its own; all of one concept."""
    concept = ConceptFactory(slug="ik")
    parent = MeasureFactory(concept=concept, number="5.6", title=HIDDEN, is_public=False)
    child = MeasureFactory(
        concept=concept, number="5.6.1", title="Öffentliches Kind", parent=parent
    )
    hidden_grandchild = MeasureFactory(
        concept=concept,
        number="5.6.1.1",
        title="Verborgenes Enkelkind",
        description="Suchwort",
        parent=child,
        is_public=False,
    )
    public_grandchild = MeasureFactory(
        concept=concept, number="5.6.1.2", title="Öffentliches Enkelkind", parent=child
    )
    for measure in (parent, child, hidden_grandchild, public_grandchild):
        StatusEntryFactory(measure=measure)
    need = ActionNeedFactory(concept=concept, title="Bedarf")
    need.measures.add(parent, child)
    FundingLineFactory(measure=hidden_grandchild, title="Verborgene Förderlinie")
    FundingLineFactory(measure=child, title="Öffentliche Förderlinie")
    return {
        "parent": parent,
        "child": child,
        "hidden_grandchild": hidden_grandchild,
        "public_grandchild": public_grandchild,
    }


def test_visible_to_is_the_one_rule(family, public_pages, council_member):
    from django.contrib.auth.models import AnonymousUser

    # A public measure of a municipality whose pages are not public.
    elsewhere = MeasureFactory(
        title="Anderswo", concept=ConceptFactory(municipality=MunicipalityFactory())
    )
    elsewhere.concept.municipality.public_pages = False
    elsewhere.concept.municipality.save()
    public = {family["child"], family["public_grandchild"]}
    assert set(Measure.objects.visible_to(AnonymousUser())) == public
    assert set(Measure.objects.visible_to(council_member)) == {*family.values(), elsewhere}
    municipality = family["child"].concept.municipality
    municipality.public_pages = False
    municipality.save()
    assert not Measure.objects.visible_to(AnonymousUser()).exists()


def test_public_sub_measure_names_no_hidden_parent(client, family, public_pages):
    child, parent = family["child"], family["parent"]
    content = client.get(reverse("reports:measure", args=[child.pk])).content.decode()
    assert "Öffentliches Kind" in content
    assert HIDDEN not in content
    assert reverse("reports:measure", args=[parent.pk]) not in content
    # Its children: the public one only.
    assert "Öffentliches Enkelkind" in content
    assert "Verborgenes Enkelkind" not in content


def test_council_sees_the_internal_parent(client, family, council_member):
    client.force_login(council_member)
    child = family["child"]
    content = client.get(reverse("reports:measure", args=[child.pk])).content.decode()
    assert HIDDEN in content
    assert reverse("reports:measure", args=[family["parent"].pk]) in content


def test_open_data_names_no_hidden_parent(client, family, public_pages):
    rows = list(
        csv.DictReader(io.StringIO(client.get(reverse("reports:open_data_csv")).content.decode()))
    )
    parents = {row["number"]: row["parent"] for row in rows}
    assert parents == {"5.6.1": "", "5.6.1.2": "5.6.1"}
    data = json.loads(client.get(reverse("reports:open_data_json")).content)
    assert {m["number"]: m["parent"] for m in data["measures"]} == parents


def test_needs_funding_search_and_counts_leave_out_hidden_measures(client, family, public_pages):
    needs = client.get(reverse("reports:needs")).content.decode()
    assert "Öffentliches Kind" in needs
    assert HIDDEN not in needs
    funding = client.get(reverse("reports:funding")).content.decode()
    assert "Öffentliche Förderlinie" in funding
    assert "Verborgene Förderlinie" not in funding
    # The search looks at the description too, but never finds a hidden measure.
    found = client.get(reverse("reports:overview"), {"q": "Suchwort"})
    assert found.context["overall"]["total"] == 0
    assert "Verborgenes Enkelkind" not in found.content.decode()
    overview = client.get(reverse("reports:overview"))
    assert overview.context["overall"]["total"] == 2
    home = client.get(reverse("measures:home"))
    assert [c.visible_measure_count for c in home.context["concepts"]] == [2]
    assert HIDDEN not in home.content.decode()


def test_council_search_finds_the_description(client, family, council_member):
    client.force_login(council_member)
    found = client.get(reverse("reports:overview"), {"q": "Suchwort"})
    assert found.context["overall"]["total"] == 1
    assert "Verborgenes Enkelkind" in found.content.decode()
