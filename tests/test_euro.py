"""Amounts in euros are written by one filter (helpers/templatetags/money.py)
in the page's language: German "140.600 €" with a no-break space, English "€140,600"."""

import re
from decimal import Decimal

import pytest
from django.conf import settings
from django.template import Context, Template
from django.utils import translation

from helpers.templatetags.money import euro

from .factories import FundingAmountFactory, FundingLineFactory


@pytest.mark.parametrize(
    ("language", "amount", "expected"),
    [
        ("de", Decimal("140600.00"), "140.600\u00a0€"),
        ("de", 550000, "550.000\u00a0€"),
        ("de", Decimal("1234.5"), "1.234,50\u00a0€"),
        ("de", Decimal("0.00"), "0\u00a0€"),
        ("en", Decimal("140600.00"), "€140,600"),
        ("en", Decimal("1234.5"), "€1,234.50"),
        ("de", None, ""),
        ("de", "", ""),
        ("de", "kein Betrag", ""),
    ],
)
def test_euro_in_the_pages_language(language, amount, expected):
    with translation.override(language):
        assert euro(amount) == expected


def test_templates_load_the_filter():
    template = Template("{% load money %}{{ amount|euro }}")
    with translation.override("de"):
        assert template.render(Context({"amount": Decimal("36800")})) == "36.800\u00a0€"


@pytest.mark.django_db
def test_a_funding_amount_names_itself_with_the_same_rule():
    line = FundingLineFactory(title="Projektförderung Migrantenvereine")
    amount = FundingAmountFactory(
        line=line, amount=Decimal("36800.00"), year_from=2009, year_to=2009
    )
    with translation.override("de"):
        assert str(amount) == "Projektförderung Migrantenvereine: 36.800\u00a0€ (2009)"


def test_no_template_or_module_writes_the_euro_sign_itself():
    """Every amount goes through ``euro``; a "€" written after a number by hand is how
    the breaking spaces and the German order on English pages came about."""
    templates = [
        str(path.relative_to(settings.BASE_DIR))
        for suffix in ("*.html", "*.svg", "*.txt")
        for path in (settings.BASE_DIR / "templates").rglob(suffix)
        if "€" in path.read_text() or "&euro;" in path.read_text()
    ]
    assert templates == []
    by_hand = re.compile(r"\}\s*(?:\\u00a0|\u00a0)?€|€\s*\{")
    modules = [
        str(path.relative_to(settings.BASE_DIR))
        for app in ("helpers", "working_groups", "accounts", "measures", "reports")
        for path in (settings.BASE_DIR / app).rglob("*.py")
        if path.name != "money.py" and by_hand.search(path.read_text())
    ]
    assert modules == []
