"""Widgets for django-import-export that read and write natural keys (an office's
code, a measure's number, a concept's slug) instead of database ids, so the bureau
can round-trip a spreadsheet, and that name the bad value when a key is unknown.

Natural keys are looked up once per import (``KeyWidget``), so a file in the
library's bulk mode (integration_tracker/bulk_import.py) costs a fixed number of
queries per table, not some twenty per row.
"""

import datetime
import unicodedata

from django.db import models
from django.utils.translation import gettext as _
from import_export import resources
from import_export.widgets import (
    BooleanWidget,
    CharWidget,
    DateWidget,
    ForeignKeyWidget,
    ManyToManyWidget,
)

# Unicode categories of characters nobody sees: control, format (zero-width
# spaces, bidirectional overrides), line and paragraph separators.
INVISIBLE = {"Cc", "Cf", "Zl", "Zp", "Co", "Cn"}


def clean_key(value):
    """A natural key as typed: NFC-normalised and trimmed; a key with invisible or
    control characters is refused (“3.1\u200b” must not become a new measure that
    looks like 3.1)."""
    text = "" if value is None else str(value)
    if text.isascii() and text.isprintable():
        # Nearly every key: ASCII without control characters is NFC and visible.
        return text.strip()
    text = unicodedata.normalize("NFC", text).strip()
    hidden = [char for char in text if unicodedata.category(char) in INVISIBLE]
    if hidden:
        raise ValueError(
            _("“%(value)s” contains invisible or control characters (%(codes)s).")
            % {
                "value": "".join(c for c in text if c not in hidden),
                "codes": ", ".join(f"U+{ord(char):04X}" for char in dict.fromkeys(hidden)),
            }
        )
    return text


class KeyTextWidget(CharWidget):
    """A key column of text (a measure's number): see ``clean_key``."""

    def clean(self, value, row=None, **kwargs):
        return clean_key(value)


class DayWidget(DateWidget):
    """A date (DD.MM.YYYY or YYYY-MM-DD); a spreadsheet's date cell (read as a
    datetime) gives its day, so an unchanged round trip compares equal."""

    def __init__(self, format=None, **kwargs):
        super().__init__(format, **kwargs)
        if format is None:
            self.formats = ("%Y-%m-%d", "%d.%m.%Y", "%d.%m.%y")

    def clean(self, value, row=None, **kwargs):
        if isinstance(value, datetime.datetime):
            return value.date()
        if isinstance(value, str):
            value = value.strip()
        try:
            return super().clean(value, row, **kwargs)
        except ValueError as error:
            raise ValueError(
                _("“%(value)s” is not a date (DD.MM.YYYY).") % {"value": value}
            ) from error


class YesNoWidget(BooleanWidget):
    """Yes or no as people write it: ja/nein, wahr/falsch, x, 1/0 and the English
    words (any letter case). Anything else is refused rather than read as “no”."""

    WORDS = {
        **dict.fromkeys(("ja", "wahr", "x", "1", "yes", "true", "y", "j"), True),
        **dict.fromkeys(("nein", "falsch", "0", "no", "false", "n"), False),
    }

    def clean(self, value, row=None, **kwargs):
        if value is None or isinstance(value, bool):
            return value
        if isinstance(value, int | float) and value in (0, 1):
            return bool(value)
        text = str(value).strip().casefold()
        if not text:
            return None
        if text not in self.WORDS:
            raise ValueError(
                _("“%(value)s” is not a yes or no: write ja or nein (or x, 1 or 0).")
                % {"value": value}
            )
        return self.WORDS[text]


class SpreadsheetResource(resources.ModelResource):
    """Base for our resources: text columns read an empty cell as an empty text
    (not NULL), so a spreadsheet round trip changes nothing; natural keys are looked
    up once per import (see ``KeyWidget``)."""

    WIDGETS_MAP = {
        **resources.ModelResource.WIDGETS_MAP,
        "TextField": CharWidget,
        "DateField": DayWidget,
        "BooleanField": YesNoWidget,
    }

    @classmethod
    def field_from_django_field(cls, field_name, django_field, readonly):
        field = super().field_from_django_field(field_name, django_field, readonly)
        if field_name in (cls._meta.import_id_fields or ()) and isinstance(
            django_field, models.CharField
        ):
            field.widget = KeyTextWidget(allow_blank=True)
        return field

    @classmethod
    def widget_kwargs_for_field(cls, field_name, django_field):
        kwargs = super().widget_kwargs_for_field(field_name, django_field)
        if isinstance(django_field, models.TextField) and django_field.blank:
            kwargs.update({"coerce_to_string": True, "allow_blank": True})
        return kwargs

    def import_data(self, dataset, *args, **kwargs):
        # Lookups cached by a previous import on this instance may be stale.
        for field in self.fields.values():
            if isinstance(field.widget, KeyLookupMixin):
                field.widget.forget()
        return super().import_data(dataset, *args, **kwargs)


class KeyLookupMixin:
    """Looks a natural key up with ``lookup(value, row)``; exactly one record must
    match. ``scope`` names the row's columns the lookup depends on besides the value
    (e.g. the concept of a measure number): found records are then cached for the
    import, keyed by value and scope. Without a scope nothing is cached."""

    def setup_lookup(self, lookup, render_key, label, scope):
        self.lookup = lookup
        self.render_key = render_key
        self.label = label
        self.scope = scope
        self.cache = {}

    def forget(self):
        self.cache = {}

    def _cache_key(self, value, row):
        # The cells as the lookup reads them (hashable: text, numbers, dates).
        if not self.scope:
            return value
        return (value, *[row.get(column) for column in self.scope])

    def remember(self, value, row, obj):
        """Make ``obj`` (possibly not saved yet) the match for ``value`` in ``row``."""
        if self.scope is not None:
            self.cache[self._cache_key(value, row)] = obj

    def find(self, value, row):
        if self.scope is not None:
            key = self._cache_key(value, row)
            if key in self.cache:
                return self.cache[key]
        matches = list(self.lookup(value, row)[:2])
        if len(matches) != 1:
            raise ValueError(
                _("Unknown %(what)s “%(value)s”.") % {"what": self.label, "value": value}
                if not matches
                else _("Ambiguous %(what)s “%(value)s”.") % {"what": self.label, "value": value}
            )
        # Only found records are cached: a key unknown now may be added by a later
        # row of the same file in a row-by-row import.
        if self.scope is not None:
            self.cache[key] = matches[0]
        return matches[0]


class KeyWidget(KeyLookupMixin, ForeignKeyWidget):
    """A foreign key written as a natural key.

    ``lookup(value, row)`` returns a queryset of candidates; exactly one must match.
    ``render_key(obj)`` gives the key written on export. ``scope``: see
    ``KeyLookupMixin``.
    """

    def __init__(self, model, lookup, render_key, label, scope=None):
        super().__init__(model)
        self.setup_lookup(lookup, render_key, label, scope)

    def clean(self, value, row=None, **kwargs):
        value = clean_key(value)
        if not value:
            return None
        return self.find(value, row or {})

    def render(self, value, obj=None, **kwargs):
        return "" if value is None else self.render_key(value)


class KeyListWidget(KeyLookupMixin, ManyToManyWidget):
    """A many-to-many relation written as natural keys separated by semicolons
    (commas occur in organisation names)."""

    def __init__(self, model, lookup, render_key, label, scope=None):
        super().__init__(model, separator=";")
        self.setup_lookup(lookup, render_key, label, scope)

    def clean_objects(self, value, row=None):
        value = "" if value is None else str(value)
        keys = [clean_key(key) for key in value.split(self.separator)]
        return [self.find(key, row or {}) for key in keys if key]

    def clean(self, value, row=None, **kwargs):
        found = [obj.pk for obj in self.clean_objects(value, row)]
        return self.model.objects.filter(pk__in=found)

    def render(self, value, obj=None, **kwargs):
        if value is None:
            return ""
        return f"{self.separator} ".join(self.render_key(item) for item in value.all())
