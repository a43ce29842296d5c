"""Amounts of money as the page's language writes them, the one rule for every page,
chart, spreadsheet text, Word file and record label:

    {% load money %}{{ amount|euro }}       German "140.600 €", English "€140,600"

German puts the symbol after the number with the space DIN 5008 asks for, a no-break
space (U+00A0) so that a line never ends between number and "€"; English puts it
before the number without a space. Whole euros are written without cents (the
funding the administration records is mostly in whole euros), an amount with cents
with both decimals ("1.234,50 €")."""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django import template
from django.conf import settings
from django.utils.formats import number_format
from django.utils.translation import get_language

register = template.Library()

NBSP = "\u00a0"
# Languages that write the symbol before the amount; every other one after it.
SYMBOL_FIRST = {"en"}


@register.filter(is_safe=True)
def euro(amount):
    """``amount`` (a number) in euros in the active language; "" for no amount."""
    if amount is None or amount == "":
        return ""
    try:
        amount = Decimal(str(amount))
    except InvalidOperation:
        return ""
    places = 0 if amount == amount.to_integral_value() else 2
    amount = amount.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    number = number_format(abs(amount), decimal_pos=places, use_l10n=True, force_grouping=True)
    sign = "-" if amount < 0 else ""
    language = (get_language() or settings.LANGUAGE_CODE).split("-")[0]
    if language in SYMBOL_FIRST:
        return f"{sign}€{number}"
    return f"{sign}{number}{NBSP}€"
