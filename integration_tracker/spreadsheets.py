"""Widgets for django-import-export that read and write natural keys (an office's
code, a measure's number, a concept's slug) instead of database ids, so the bureau
can round-trip a spreadsheet, and that name the bad value when a key is unknown.

Spreadsheets are written as people read them, in the language of the person who
exports them: column headings of the interface (``HEADINGS``), choices by their
label ("Daueraufgabe", not "ongoing"), yes or no as words, the sheet named after the
records. An import reads the headings and labels of either language, or the internal
keys, so a file exported in German imports in English and the other way round.

Natural keys are looked up once per import (``KeyWidget``), so a file in the
library's bulk mode (integration_tracker/bulk_import.py) costs a fixed number of
queries per table, not some twenty per row.
"""

import datetime
import unicodedata

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils import timezone, translation
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy
from import_export import resources
from import_export.widgets import (
    BooleanWidget,
    CharWidget,
    DateWidget,
    ForeignKeyWidget,
    ManyToManyWidget,
)

# Column headings by column key, as the interface names the fields. An import also
# accepts the keys themselves and the headings of the other language (any case).
HEADINGS = {
    "concept": pgettext_lazy("spreadsheet column", "Concept"),
    "number": pgettext_lazy("spreadsheet column", "Number"),
    "title": pgettext_lazy("spreadsheet column", "Title"),
    "description": pgettext_lazy("spreadsheet column", "Description"),
    "goal": pgettext_lazy("spreadsheet column", "Goal"),
    "field_of_action": pgettext_lazy("spreadsheet column", "Field of action"),
    "topic": pgettext_lazy("spreadsheet column", "Topic"),
    "working_group": pgettext_lazy("spreadsheet column", "Working group"),
    "lead_office": pgettext_lazy("spreadsheet column", "Lead office"),
    "responsible_department": pgettext_lazy("spreadsheet column", "Responsible department"),
    "partner_offices": pgettext_lazy("spreadsheet column", "Partner offices"),
    "partner_organisations": pgettext_lazy("spreadsheet column", "Partner organisations"),
    "parent": pgettext_lazy("spreadsheet column", "Parent"),
    "planned_start": pgettext_lazy("spreadsheet column", "Planned start"),
    "planned_end": pgettext_lazy("spreadsheet column", "Planned end"),
    "languages": pgettext_lazy("spreadsheet column", "Languages"),
    "is_public": pgettext_lazy("spreadsheet column", "Public"),
    "position": pgettext_lazy("spreadsheet column", "Order"),
    "source_note": pgettext_lazy("spreadsheet column", "Source"),
    "current_status": pgettext_lazy("spreadsheet column", "Current status"),
    "current_progress": pgettext_lazy("spreadsheet column", "Progress (%)"),
    "current_as_of": pgettext_lazy("spreadsheet column", "As of"),
    "measure": pgettext_lazy("spreadsheet column", "Measure"),
    "as_of": pgettext_lazy("spreadsheet column", "As of"),
    "status": pgettext_lazy("spreadsheet column", "Status"),
    "progress": pgettext_lazy("spreadsheet column", "Progress (%)"),
    "note": pgettext_lazy("spreadsheet column", "Note"),
    "internal_note": pgettext_lazy("spreadsheet column", "Internal note"),
    "reason": pgettext_lazy("spreadsheet column", "Reason"),
    "line": pgettext_lazy("spreadsheet column", "Funding line"),
    "year_from": pgettext_lazy("spreadsheet column", "From year"),
    "year_to": pgettext_lazy("spreadsheet column", "To year"),
    "kind": pgettext_lazy("spreadsheet column", "Kind"),
    "amount": pgettext_lazy("spreadsheet column", "Amount (€)"),
    "is_approximate": pgettext_lazy("spreadsheet column", "Approximate"),
    "children_are_examples": pgettext_lazy("spreadsheet column", "Items are examples"),
    "responsible_offices": pgettext_lazy("spreadsheet column", "Responsible offices"),
    "measures": pgettext_lazy("spreadsheet column", "Measures"),
    "carried_into": pgettext_lazy("spreadsheet column", "Carried into"),
    "carried_into_field": pgettext_lazy("spreadsheet column", "Field of action there"),
    "version": pgettext_lazy("spreadsheet column", "Version"),
    "municipality": pgettext_lazy("spreadsheet column", "Municipality"),
    "code": pgettext_lazy("spreadsheet column", "Code"),
    "name": pgettext_lazy("spreadsheet column", "Name"),
    "short_name": pgettext_lazy("spreadsheet column", "Short name"),
    "department": pgettext_lazy("spreadsheet column", "Department"),
    "name_is_assumption": pgettext_lazy("spreadsheet column", "Name is an assumption"),
    "email": pgettext_lazy("spreadsheet column", "E-mail for reminders"),
    "group": pgettext_lazy("spreadsheet column", "Group"),
    "organisation": pgettext_lazy("spreadsheet column", "Organisation"),
    "office": pgettext_lazy("spreadsheet column", "Office"),
    "role": pgettext_lazy("spreadsheet column", "Role"),
    "active_from": pgettext_lazy("spreadsheet column", "Active from"),
    "active_until": pgettext_lazy("spreadsheet column", "Active until"),
}

SPREADSHEET_LANGUAGES = ("de", "en")

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

    def render(self, value, obj=None, **kwargs):
        # A spreadsheet program shows a native boolean in its own language; text
        # formats get the word, which reads back in.
        if kwargs.get("force_native_type") or not isinstance(value, bool):
            return value if isinstance(value, bool) else ""
        return _("yes") if value else _("no")


class ChoiceWidget(CharWidget):
    """A choice written as its label in the current language ("Daueraufgabe", not
    "ongoing"); read back from its key or its label in German or English, in any
    letter case. An unknown value is refused with the labels that are known."""

    def __init__(self, choices, required=False, **kwargs):
        super().__init__(allow_blank=True, **kwargs)
        self.choices = list(choices)
        self.required = required
        self._names = None

    def names(self):
        # Built once: labels are lazy, and translations do not change at run time.
        if self._names is None:
            names = {}
            for key, label in self.choices:
                names[str(key).casefold()] = key
                for language in SPREADSHEET_LANGUAGES:
                    with translation.override(language):
                        names.setdefault(str(label).casefold(), key)
            self._names = names
        return self._names

    def missing(self):
        return ValueError(_("A value is required."))

    def unknown(self, text):
        return ValueError(
            _("Unknown value “%(value)s”. Known: %(known)s.")
            % {"value": text, "known": self.known()}
        )

    def known(self):
        return ", ".join(str(label) for _key, label in self.choices)

    def clean(self, value, row=None, **kwargs):
        text = "" if value is None else str(value).strip()
        if not text:
            if self.required:
                raise self.missing()
            return ""
        key = self.names().get(text.casefold())
        if key is None:
            raise self.unknown(text)
        return key

    def render(self, value, obj=None, **kwargs):
        if value in (None, ""):
            return ""
        return str(dict(self.choices).get(value, value))


def transliterate(text):
    """ASCII for a file name: umlauts as ae, oe, ue, ß as ss, spaces as hyphens."""
    text = str(text)
    for umlaut, ascii in (
        ("ä", "ae"),
        ("ö", "oe"),
        ("ü", "ue"),
        ("Ä", "Ae"),
        ("Ö", "Oe"),
        ("Ü", "Ue"),
        ("ß", "ss"),
    ):
        text = text.replace(umlaut, ascii)
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "-".join("".join(c if c.isalnum() else " " for c in text).split())


def spreadsheet_filename(name, extension):
    """“Massnahmen-2026-11-30.xlsx”: the records' name in the current language and
    the local date."""
    return f"{transliterate(capfirst(str(name)))}-{timezone.localdate().isoformat()}.{extension}"


def sheet_title(name):
    """A sheet name Excel accepts: at most 31 characters, none of []:*?/\\."""
    text = "".join(" " if c in "[]:*?/\\" else c for c in capfirst(str(name)))
    return text.strip()[:31]


class SpreadsheetResource(resources.ModelResource):
    """Base for our resources: text columns read an empty cell as an empty text
    (not NULL), so a spreadsheet round trip changes nothing; natural keys are looked
    up once per import (see ``KeyWidget``)."""

    # Column headings that differ from ``HEADINGS`` for this resource's records.
    headings = {}

    WIDGETS_MAP = {
        **resources.ModelResource.WIDGETS_MAP,
        "TextField": CharWidget,
        "DateField": DayWidget,
        "BooleanField": YesNoWidget,
    }

    @classmethod
    def field_from_django_field(cls, field_name, django_field, readonly):
        field = super().field_from_django_field(field_name, django_field, readonly)
        if (
            field_name in (cls._meta.import_id_fields or ())
            and isinstance(django_field, models.CharField)
            and not django_field.choices
        ):
            field.widget = KeyTextWidget(allow_blank=True)
        return field

    @classmethod
    def widget_from_django_field(cls, f, default=None):
        if f.choices and not f.is_relation:
            return ChoiceWidget
        return super().widget_from_django_field(f, default)

    @classmethod
    def widget_kwargs_for_field(cls, field_name, django_field):
        kwargs = super().widget_kwargs_for_field(field_name, django_field)
        if isinstance(django_field, models.TextField) and django_field.blank:
            kwargs.update({"coerce_to_string": True, "allow_blank": True})
        if django_field.choices and not django_field.is_relation:
            kwargs = {"choices": django_field.choices, "required": not django_field.blank}
        return kwargs

    # Headings and sheet name in the current language ---------------------------

    def heading(self, column):
        """The heading of a column as the interface names it."""
        text = self.headings.get(column) or HEADINGS.get(column)
        if text is None:
            try:
                text = capfirst(self._meta.model._meta.get_field(column).verbose_name)
            except (AttributeError, FieldDoesNotExist):
                text = column
        return str(text)

    def get_export_headers(self, selected_fields=None):
        return [
            self.heading(field.column_name) for field in self.get_export_fields(selected_fields)
        ]

    def sheet_name(self):
        return self._meta.model._meta.verbose_name_plural

    def export(self, queryset=None, **kwargs):
        dataset = super().export(queryset, **kwargs)
        dataset.title = sheet_title(self.sheet_name())
        return dataset

    def column_keys(self):
        """Every name a column may have in a file (its key, its heading in each
        language, any letter case) → its key."""
        names = {}
        for field in self.fields.values():
            column = field.column_name
            names[column.casefold()] = column
            for language in SPREADSHEET_LANGUAGES:
                with translation.override(language):
                    names.setdefault(self.heading(column).casefold(), column)
        return names

    def with_column_keys(self, dataset):
        """The dataset with its headings read as column keys; unknown headings are
        kept as they are (the library ignores them)."""
        names = self.column_keys()
        headers = [
            names.get(str(header or "").strip().casefold(), header)
            for header in dataset.headers or []
        ]
        if headers != list(dataset.headers or []):
            dataset.headers = headers
        return dataset

    def import_data(self, dataset, *args, **kwargs):
        # Lookups cached by a previous import on this instance may be stale.
        for field in self.fields.values():
            if isinstance(field.widget, KeyLookupMixin):
                field.widget.forget()
        return super().import_data(self.with_column_keys(dataset), *args, **kwargs)


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
