"""Typesetting and provenance for the implementation report.

``typeset`` keeps together what German typography does not break ("100 %",
"1. Juli 2009", "Amt 41", "140.600 €"). ``source_mark`` sets a small numbered mark after
a record whose content does not come from the source as it stands (its
``source_note``); the notes are listed at the end of the report, so that the bureau
and the reader both see what is an inference."""

import re

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from working_groups.templatetags.german import german, german_lang

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
    """The notes on the provenance of what a report shows, numbered in the order the
    records first appear."""

    def __init__(self):
        self._numbers = {}
        self.items = []

    @staticmethod
    def note_of(obj):
        if obj is None:
            return ""
        # An office printed by name is an inference only when the name behind its
        # number is one; its other notes concern spelling.
        if hasattr(obj, "name_is_assumption") and hasattr(obj, "code"):
            return obj.source_note if obj.name_is_assumption else ""
        return getattr(obj, "source_note", "") or ""

    def number(self, obj):
        note = self.note_of(obj)
        if not note:
            return None
        key = (obj._meta.label, obj.pk)
        if key not in self._numbers:
            self.items.append({"number": len(self.items) + 1, "subject": str(obj), "note": note})
            self._numbers[key] = len(self.items)
        return self._numbers[key]


@register.simple_tag(takes_context=True)
def source_mark(context, obj):
    """A superscript number linking to the note on ``obj``'s provenance, or nothing.
    Without a report (on the progress pages) the note itself is the tooltip of a
    discreet mark and is read out to screen readers."""
    notes = context.get("source_notes")
    if notes is None:
        note = SourceNotes.note_of(obj)
        if not note:
            return ""
        # The note is the bureau's, in German only (working_groups/templatetags/german.py).
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
    number = notes.number(obj)
    if number is None:
        return ""
    return format_html(
        '<sup class="source-mark"><a href="#source-note-{}">{}</a></sup>',
        number,
        number,
    )


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


@register.filter
def editorial(text):
    """The bureau's text of a section as paragraphs and lists (reports/editorial.py)."""
    from reports.editorial import to_html

    return to_html(text)
