"""Offices go by one label everywhere: “51 – Jugendamt” (code and name), the name
alone where there is no code, “Amt 51” where the name is not known."""

import re

import pytest
from django.urls import reverse
from django.utils import translation

from measures.models import Measure
from working_groups.models import Office

pytestmark = pytest.mark.usefixtures("dresden")

LABEL = "51 – Jugendamt"


def test_the_report_names_an_office_as_its_source_does():
    municipality = Office.objects.get(code="51").municipality
    assert Office.objects.get(code="51").short_label == "Jugendamt"
    with translation.override("de"):
        assert Office(municipality=municipality, code="99").short_label == "Amt 99"


def test_the_label_of_an_office():
    municipality = Office.objects.get(code="51").municipality
    assert str(Office.objects.get(code="51")) == LABEL
    assert Office.objects.get(code="51").label == LABEL
    assert str(Office(municipality=municipality, name="Ordnungsamt")) == "Ordnungsamt"
    with translation.override("de"):
        assert str(Office(municipality=municipality, code="99")) == "Amt 99"
    with translation.override("en"):
        assert str(Office(municipality=municipality, code="99")) == "Office 99"


def test_a_label_is_read_back_as_the_office():
    assert list(Office.objects.lookup(LABEL)) == [Office.objects.get(code="51")]
    assert list(Office.objects.lookup("51")) == [Office.objects.get(code="51")]


def visible_text(html):
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_pages_and_filters_name_the_office_by_its_label(client, office_staff, bureau_user):
    measure = Measure.objects.get(number="4.1.1")  # led by Amt 51
    client.force_login(office_staff)
    pages = [
        reverse("measures:measure_list"),
        reverse("measures:measure_detail", args=[measure.pk]),
        reverse("reports:measure", args=[measure.pk]),
        reverse("reports:overview"),
    ]
    for url in pages:
        text = visible_text(client.get(url).content.decode())
        assert LABEL in text, url
        assert "51 Jugendamt" not in text, url
    client.force_login(bureau_user)
    text = visible_text(client.get(reverse("admin:measures_measure_changelist")).content.decode())
    assert LABEL in text
