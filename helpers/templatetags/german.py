"""Content that exists in German only, on pages in another language.

The records (measure titles and notes, status notes, provenance notes, the barriers
of the accessibility statement) are written once, in the administration's language
(``settings.LANGUAGE_CODE``); the interface around them is translated. On an English
page such text is marked ``lang="de"`` so that screen readers pronounce it as German
and browsers hyphenate it as German (WCAG 2.1, 3.1.2 Language of Parts), and a block
of it is introduced once per page with ``{% german_only_note %}``. On German pages
nothing is added. One rule for every template:

    {{ measure.title|german }}                  a value (escaped as usual)
    {{ office.label|german:office.name }}       … only where the argument holds (an
                                                office without a name is "Office 15")
    {% german %}…{% endgerman %}                markup: wrapped in a <span>
    {% german "div" %}…{% endgerman %}          … or in a <div> around blocks
    <p{% german_lang %}>…</p>                   an element of the template's own
    {% german_only_note %}                      "The following entries exist in German only."
"""

from django import template
from django.conf import settings
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _

register = template.Library()

ELEMENTS = {"span", "div"}


def records_language():
    return settings.LANGUAGE_CODE


def page_is_other_language():
    """True on a page whose language is not the records' one."""
    language = (get_language() or settings.LANGUAGE_CODE).split("-")[0]
    return language != records_language()


def wrap(html, element="span"):
    """``html`` (safe) marked as German where the page is in another language."""
    if not page_is_other_language() or not str(html).strip():
        return html
    return format_html('<{} lang="{}">{}</{}>', element, records_language(), html, element)


@register.filter(is_safe=True, needs_autoescape=True)
def german(value, condition=True, autoescape=True):
    """The value, escaped, in ``<span lang="de">`` on a page in another language;
    with an argument only where it holds: an office's label is its German name, or
    where it has none "Office 15" in the page's language (``Office.__str__``)."""
    if value is None or value == "":
        return value
    html = conditional_escape(value) if autoescape else mark_safe(value)
    return wrap(html) if condition else html


@register.simple_tag
def german_lang():
    """` lang="de"` for an element of the template on a page in another language."""
    if not page_is_other_language():
        return ""
    return format_html(' lang="{}"', records_language())


@register.simple_tag
def german_only_note():
    """Once per page, before the first block of German-only content."""
    if not page_is_other_language():
        return ""
    return format_html(
        '<p class="meta german-only-note">{}</p>',
        _("The following entries exist in German only."),
    )


class GermanNode(template.Node):
    def __init__(self, nodelist, element):
        self.nodelist = nodelist
        self.element = element

    def render(self, context):
        return wrap(mark_safe(self.nodelist.render(context)), self.element)


@register.tag("german")
def do_german(parser, token):
    """``{% german %}…{% endgerman %}`` or ``{% german "div" %}…{% endgerman %}``."""
    bits = token.split_contents()
    element = "span"
    if len(bits) == 2:
        element = bits[1].strip("\"'")
    if len(bits) > 2 or element not in ELEMENTS:
        raise template.TemplateSyntaxError('Usage: {% german %} or {% german "div" %}')
    nodelist = parser.parse(("endgerman",))
    parser.delete_first_token()
    return GermanNode(nodelist, element)
