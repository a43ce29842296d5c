"""Typesetting and provenance for the implementation report.

``typeset`` keeps together what German typography does not break ("100 %",
"1. Juli 2009", "Amt 41", "140.600 €", "101. MS") and never starts a line with a dash
("Juli 2009 – März 2014"). ``source_mark`` sets a small numbered mark after
a record whose content does not come from the source as it stands (its
``source_note``); the notes are listed at the end of the report, so that the bureau
and the reader both see what is an inference."""

import re

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from helpers.templatetags.german import german, german_lang

register = template.Library()

NBSP = "\u00a0"
MONTHS = (
    "Januar|Februar|März|April|Mai|Juni|Juli|August|September|Oktober|November|Dezember|"
    "January|February|March|May|June|July|October|December"
)
_KEEP_TOGETHER = [
    # 100 %, 140.600 €, 550 TEUR
    re.compile(r"(\d) ((?:%|€|Euro|EUR|TEUR)(?!\w))"),
    # 1. Juli 2009, Juli 2009
    re.compile(rf"(\d\.) ((?:{MONTHS})\b)"),
    re.compile(rf"(\b(?:{MONTHS})) (\d)"),
    # Amt 41, Ämter 15, GB 7, FAG 1, ca. 550
    re.compile(r"(\b(?:Amt|Ämter|GB|FAG|Nr\.|ca\.|approx\.)) (\d)"),
    # z. B., i. R., e. V.
    re.compile(r"(\b[a-zA-Z]\.) ([a-zA-Z]\.)"),
    # an ordinal with what it counts: 101. MS, 16. Dezember
    re.compile(r"((?<![\d.])\d{1,3}\.) ([^\W\d_])"),
    # a dash never starts a line: Juli 2009 – März 2014, (Sozialamt) – Verein
    re.compile(r"(\S) (–\s)"),
]


def keep_together(text):
    for pattern in _KEEP_TOGETHER:
        text = pattern.sub(rf"\1{NBSP}\2", text)
    return text


@register.filter(is_safe=True)
def typeset(value):
    """The text with non-breaking spaces where German typography keeps words
    together. Escaping is left to the template (the filter adds no markup)."""
    if value is None:
        return ""
    text = keep_together(str(value))
    return mark_safe(text) if isinstance(value, SafeString) else text


class SourceNotes:
    """The notes of a report, numbered in the order their marks first appear: on the
    provenance of a record the text prints (its ``source_note``), or on something the
    report itself adds (a computed figure). Each note is headed by the words the text
    prints (``subject``), never by a record's number or label."""

    # A subject longer than this many words is cut, and says so ("…").
    SUBJECT_WORDS = 8

    def __init__(self):
        self._numbers = {}
        self.items = []

    @staticmethod
    def note_of(obj, always=False):
        if obj is None:
            return ""
        # An office printed by name is an inference only when the name behind its
        # number is one; its other notes concern spelling. Where the report words the
        # office or department itself (``always``), every note on it applies.
        if not always and hasattr(obj, "name_is_assumption") and hasattr(obj, "code"):
            return obj.source_note if obj.name_is_assumption else ""
        return getattr(obj, "source_note", "") or ""

    @classmethod
    def subject_of(cls, obj):
        """The words the text prints for ``obj``: an item's words (rendering sets
        ``report_subject``), an office by its name, anything else as it reads."""
        subject = getattr(obj, "report_subject", None) or getattr(obj, "short_label", None)
        if not subject:
            subject = getattr(obj, "title", None) or getattr(obj, "name", None) or str(obj)
        return cls.shorten(str(subject))

    @classmethod
    def shorten(cls, text):
        words = text.split()
        if len(words) <= cls.SUBJECT_WORDS:
            return text
        cut = " ".join(words[: cls.SUBJECT_WORDS]).rstrip(",;:")
        if cut.count("„") > cut.count("“"):
            cut += "“"
        return f"{cut} …"

    def add(self, key, subject, note, german=False):
        """The number of the note ``note`` under ``key``, numbered when first asked.
        ``german``: the note and its subject are a record's, in German only (a note on
        something the report adds is in the page's language)."""
        if not note:
            return None
        if key not in self._numbers:
            self.items.append(
                {"number": len(self.items) + 1, "subject": subject, "note": note, "german": german}
            )
            self._numbers[key] = len(self.items)
        return self._numbers[key]

    def number(self, obj, always=False):
        note = self.note_of(obj, always)
        if not note:
            return None
        return self.add((obj._meta.label, obj.pk), self.subject_of(obj), note, german=True)


def _superscript(number):
    return format_html(
        '<sup class="source-mark"><a href="#source-note-{}">{}</a></sup>',
        number,
        number,
    )


@register.simple_tag(takes_context=True)
def source_mark(context, obj, always=False):
    """A superscript number linking to the note on ``obj``'s provenance, or nothing.
    Without a report (on the progress pages) the note itself is the tooltip of a
    discreet mark and is read out to screen readers. ``always``: the report words the
    office or department itself, so that any note on it applies (SourceNotes.note_of)."""
    notes = context.get("source_notes")
    if notes is None:
        note = SourceNotes.note_of(obj, always)
        if not note:
            return ""
        # The note is the bureau's, in German only (helpers/templatetags/german.py).
        if context.get("user_is_bureau"):
            return format_html(
                '<span class="source-mark" aria-hidden="true">*</span>'
                '<small class="source-note"> ({}: {})</small>',
                _("Source"),
                german(note),
            )
        return format_html(
            '<span class="source-mark"{} title="{}">*<span class="visually-hidden"> ({})</span>'
            "</span>",
            german_lang(),
            note,
            note,
        )
    number = notes.number(obj, always)
    if number is None:
        return ""
    return _superscript(number)


@register.simple_tag(takes_context=True)
def report_mark(context, key, subject, note):
    """The mark of a note on something the report adds itself (a computed figure),
    ``subject`` being the words it follows; nothing outside a report."""
    notes = context.get("source_notes")
    number = notes.add(key, subject, note) if notes is not None else None
    return _superscript(number) if number else ""


@register.simple_tag(takes_context=True)
def source_marks(context, *objs):
    """The marks of several records (lists flattened) together, after the words they
    qualify, so that the words themselves stay as the source has them."""
    flat = []
    for obj in objs:
        flat.extend(obj if isinstance(obj, (list, tuple)) else [obj])
    marks = [source_mark(context, obj) for obj in flat if obj is not None]
    marks = [mark for mark in marks if mark]
    if context.get("source_notes") is None:
        return mark_safe("".join(marks[:1]))
    return mark_safe("".join(marks))


class CaptureNode(template.Node):
    def __init__(self, nodelist, name):
        self.nodelist, self.name = nodelist, name

    def render(self, context):
        context[self.name] = self.nodelist.render(context)
        return ""


@register.tag
def capture(parser, token):
    """``{% capture as name %}…{% endcapture %}``: the content rendered at once and kept
    in ``name``, to be printed further up the page than it is rendered: the report's
    contents list names the notes on the sources, which the sections number as they
    are rendered."""
    bits = token.split_contents()
    if len(bits) != 3 or bits[1] != "as":
        raise template.TemplateSyntaxError("Usage: {% capture as name %}…{% endcapture %}")
    nodelist = parser.parse(("endcapture",))
    parser.delete_first_token()
    return CaptureNode(nodelist, bits[2])


@register.filter
def editorial(text):
    """The bureau's text of a section as paragraphs and lists (reports/text_markup.py)."""
    from reports.text_markup import to_html

    return to_html(text)
