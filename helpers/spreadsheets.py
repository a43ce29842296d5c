"""Widgets for django-import-export that read and write natural keys (an office's
code, a measure's number, a concept's slug) instead of database ids, so the bureau
can round-trip a spreadsheet, and that name the bad value when a key is unknown.

Spreadsheets are written as people read them, in the language of the person who
exports them: column headings of the interface (``HEADINGS``), choices by their
label ("Daueraufgabe", not "ongoing"), yes or no as words, the sheet named after the
records. An import reads the headings and labels of either language, or the internal
keys, so a file exported in German imports in English and the other way round.

Natural keys are looked up once per import (``KeyWidget``), so a file in the
library's bulk mode (helpers/bulk_import.py) costs a fixed number of
queries per table, not some twenty per row.

Nothing of a file is left unread while its check passes: a heading matches
whatever its Unicode form, letter case or spacing, and a file with a column that
matches none, or the same column twice, is refused (``ColumnProblem``). Keys are
refused where they could look like another key (``clean_key``): measure numbers,
office codes and slugs have an alphabet of their own, names may not hide characters
or mix scripts within a word.
"""

import datetime
import re
import unicodedata

import tablib
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import models
from django.utils import timezone, translation
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from import_export import resources
from import_export.widgets import (
    BooleanWidget,
    CharWidget,
    DateWidget,
    ForeignKeyWidget,
    ManyToManyWidget,
)
from openpyxl.utils import get_column_letter

from .uploads import FileProblem

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
# spaces, bidirectional overrides), line and paragraph separators, private use,
# unassigned.
INVISIBLE = {"Cc", "Cf", "Zl", "Zp", "Co", "Cn"}
# Characters of other categories that are drawn as nothing: the Hangul fillers, the
# blank Braille pattern and the combining grapheme joiner.
FILLERS = {"\u115f", "\u1160", "\u3164", "\uffa0", "\u2800", "\u034f"}
# Full-width forms of ASCII (“３.１”), which look like the ordinary characters.
FULL_WIDTH = range(0xFF01, 0xFF5F)
# Scripts whose letters look alike (Cyrillic “З” and the digit 3, Greek “Ο” and “O”).
SCRIPTS = ("LATIN", "CYRILLIC", "GREEK")


class Alphabet:
    """The characters a kind of key is written in. A key of other characters could
    look like another key (“З.1” with a Cyrillic Ze, “３.1” with a full-width digit)
    and would create a second record instead of finding the first."""

    def __init__(self, characters, pattern, description):
        self.characters = set(characters)
        self.pattern = re.compile(pattern)
        self.description = description

    def check(self, text):
        if not text or self.pattern.fullmatch(text):
            return
        message = _("“%(value)s” may contain only %(alphabet)s.") % {
            "value": text,
            "alphabet": self.description,
        }
        others = [char for char in dict.fromkeys(text) if char not in self.characters]
        if others:
            message += " " + _("Not allowed: %(characters)s.") % {"characters": named(others)}
        raise ValueError(message)


LATIN_ALPHANUMERICS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
# Measure numbers, numbers of fields of action and needs for action (“3.1.2”).
NUMBERS = Alphabet(
    LATIN_ALPHANUMERICS + ".",
    r"[0-9A-Za-z.]+",
    gettext_lazy("digits, dots and Latin letters (A–Z, a–z)"),
)
# Office codes: as numbers, and single spaces between words, as the city writes
# the codes of its municipal enterprises (“EB Kita”).
CODES = Alphabet(
    LATIN_ALPHANUMERICS + ". ",
    r"[0-9A-Za-z.]+(?: [0-9A-Za-z.]+)*",
    gettext_lazy("digits, dots, Latin letters (A–Z, a–z) and single spaces between them"),
)
# Slugs and keys of concepts, municipalities, topics, funding lines, languages.
SLUGS = Alphabet(
    LATIN_ALPHANUMERICS + "-_",
    r"[-0-9A-Za-z_]+",
    gettext_lazy("Latin letters (A–Z, a–z), digits, hyphens and underscores"),
)


# Validators of the model fields that hold such keys, so that every form (the admin's
# included) refuses what the imports refuse. (Slug fields have Django's validate_slug,
# which allows what SLUGS allows.)
def validate_number(value):
    _validate(value, NUMBERS)


def validate_code(value):
    _validate(value, CODES)


def validate_slug_key(value):
    _validate(value, SLUGS)


def _validate(value, alphabet):
    try:
        alphabet.check(value)
    except ValueError as error:
        raise ValidationError(str(error), code="alphabet") from None


def named(characters):
    """“З (U+0417), ３ (U+FF13)”: characters with their code points."""
    return ", ".join(f"{char} (U+{ord(char):04X})" for char in dict.fromkeys(characters))


def hidden_characters(text):
    """The characters of ``text`` nobody sees or tells from an ordinary space."""
    return [
        char
        for char in text
        if char in FILLERS
        or unicodedata.category(char) in INVISIBLE
        or (char != " " and unicodedata.category(char) == "Zs")
    ]


def script(char):
    """LATIN, CYRILLIC or GREEK for a letter of these scripts; digits count as Latin
    (the Cyrillic “З” and “О” pass for 3 and 0); None for anything else."""
    if char.isascii():
        return "LATIN" if char.isalnum() else None
    words = unicodedata.name(char, "").split()
    return next((name for name in SCRIPTS if name in words), None)


def check_name(text):
    """Refuses a name (NFC, trimmed, no hidden characters) with full-width forms or
    with a word that mixes Latin, Cyrillic or Greek letters."""
    wide = [char for char in text if ord(char) in FULL_WIDTH]
    if wide:
        raise ValueError(
            _(
                "“%(value)s” contains full-width characters (%(characters)s); please type "
                "them as ordinary letters and digits."
            )
            % {"value": text, "characters": named(wide)}
        )
    for word in re.findall(r"\w+", text):
        scripts = [script(char) for char in word]
        found = {name for name in scripts if name}
        if len(found) > 1:
            # The word's most frequent script is taken as meant (Latin on a tie); the
            # letters of the others are named.
            usual = max(sorted(found), key=lambda name: (scripts.count(name), name == "LATIN"))
            odd = [
                char for char, name in zip(word, scripts, strict=True) if name not in (None, usual)
            ]
            raise ValueError(
                _(
                    "“%(value)s” mixes Latin, Cyrillic or Greek letters in the word "
                    "“%(word)s” (%(characters)s), so it looks like another name. Please "
                    "write the word in one script."
                )
                % {"value": text, "word": word, "characters": named(odd)}
            )


def clean_key(value, alphabet=None):
    """A natural key as typed: NFC-normalised and trimmed. Refused (ValueError naming
    the characters) where it could look like another key and so create a second
    record: with invisible or control characters, fillers or unusual spaces (“3.1\u200b”);
    with a character outside its ``alphabet`` (an ``Alphabet``: measure numbers,
    office codes, slugs); a name (no alphabet) with full-width forms or a word mixing
    Latin, Cyrillic or Greek letters."""
    text = "" if value is None else str(value)
    if text.isascii() and text.isprintable():
        # Nearly every key: ASCII without control characters is NFC, visible and of
        # one script.
        text = text.strip()
    else:
        text = unicodedata.normalize("NFC", text).strip()
        hidden = hidden_characters(text)
        if hidden:
            raise ValueError(
                _("“%(value)s” contains invisible or control characters (%(codes)s).")
                % {
                    "value": "".join(c for c in text if c not in hidden),
                    "codes": ", ".join(f"U+{ord(char):04X}" for char in dict.fromkeys(hidden)),
                }
            )
        if alphabet is None:
            check_name(text)
    if alphabet is not None:
        alphabet.check(text)
    return text


def heading_key(text):
    """A column heading as headings are compared: NFC, case folded, each run of
    spaces as one space (“Öffentlich” with a combining diaeresis, “ÖFFENTLICH ”,
    “Fortschritt  (%)” are the same heading)."""
    text = unicodedata.normalize("NFC", "" if text is None else str(text))
    return " ".join(unicodedata.normalize("NFC", text.casefold()).split())


class ColumnProblem(FileProblem):
    """The headings of a file do not name the columns of its table: a column is
    unknown, appears twice, has values but no heading, or is missing. ``problems``:
    (column letter or "", message) of each."""

    def __init__(self, problems):
        self.problems = list(problems)
        super().__init__(" ".join(message for _column, message in self.problems))


class KeyTextWidget(CharWidget):
    """A key column of text (a measure's number): see ``clean_key``."""

    def __init__(self, alphabet=None, **kwargs):
        super().__init__(**kwargs)
        self.alphabet = alphabet

    def clean(self, value, row=None, **kwargs):
        return clean_key(value, self.alphabet)


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
    # The alphabet of each key column of text by its name (see ``clean_key``); the
    # other key columns, and ``name_columns``, are read as names.
    key_alphabets = {"number": NUMBERS, "code": CODES}
    # Columns of text that are no import id but by which records are looked up.
    name_columns = ()

    WIDGETS_MAP = {
        **resources.ModelResource.WIDGETS_MAP,
        "TextField": CharWidget,
        "DateField": DayWidget,
        "BooleanField": YesNoWidget,
    }

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        # A key column of text (a measure's number) is read as a key (clean_key).
        model = self.get_queryset().model
        for name in (*self.get_import_id_fields(), *self.name_columns):
            field = self.fields.get(name)
            if field is None or type(field.widget) is not CharWidget:
                continue  # declared with a widget of its own, or a choice
            django_field = model._meta.get_field(field.attribute)
            if isinstance(django_field, models.CharField) and not django_field.choices:
                alphabet = None if name in self.name_columns else self.key_alphabets.get(name)
                field.widget = KeyTextWidget(alphabet, allow_blank=True)

    def get_or_init_instance(self, instance_loader, row):
        try:
            return super().get_or_init_instance(instance_loader, row)
        except ValueError:
            # A key a widget refuses (clean_key, an unknown record): the row is read
            # as a new record, whose cells' errors then name the column.
            return self.init_instance(row), True

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
                text = capfirst(self.get_queryset().model._meta.get_field(column).verbose_name)
            except (AttributeError, FieldDoesNotExist):
                text = column
        return str(text)

    def get_export_headers(self, selected_fields=None):
        return [
            self.heading(field.column_name) for field in self.get_export_fields(selected_fields)
        ]

    def sheet_name(self):
        return self.get_queryset().model._meta.verbose_name_plural

    def export(self, queryset=None, **kwargs):
        dataset = super().export(queryset, **kwargs)
        dataset.title = sheet_title(self.sheet_name())
        return dataset

    def column_keys(self):
        """Every name a column may have in a file (its key, its heading in each
        language), as ``heading_key`` gives it → its key."""
        names = {}
        for field in self.fields.values():
            column = field.column_name
            names[heading_key(column)] = column
            for language in SPREADSHEET_LANGUAGES:
                with translation.override(language):
                    names.setdefault(heading_key(self.heading(column)), column)
        return names

    def required_columns(self):
        """The columns a file must have: those that name its records."""
        return [name for name in self.get_import_id_fields() if name in self.fields]

    def with_column_keys(self, dataset):
        """The dataset with its headings read as column keys; a column with neither
        heading nor values is dropped. Raises ColumnProblem naming each column that
        is unknown, appears twice, has values but no heading, or is required and
        missing: a column not read would leave its values unwritten (a row marked
        “nein” public) while the check passes."""
        names = self.column_keys()
        headers = list(dataset.headers or [])
        problems, keys, found, dropped = [], [], {}, []
        for index, header in enumerate(headers):
            letter = get_column_letter(index + 1)
            text = "" if header is None else str(header).strip()
            key = names.get(heading_key(text)) if text else None
            if not text:
                dropped.append(index)
                if any(cell is not None and str(cell).strip() for cell in dataset.get_col(index)):
                    message = _("Column %(column)s has values but no heading.")
                    problems.append((letter, message % {"column": letter}))
            elif key is None:
                problems.append((letter, self.unknown_column(letter, text)))
            elif key in found:
                first, other = found[key]
                message = _(
                    "Column %(column)s, “%(heading)s”, is the same column as column "
                    "%(first)s, “%(other)s”; a column may not appear twice."
                )
                problems.append(
                    (
                        letter,
                        message
                        % {"column": letter, "heading": text, "first": first, "other": other},
                    )
                )
            else:
                found[key] = (letter, text)
            keys.append(key or header)
        missing = [self.heading(key) for key in self.required_columns() if key not in found]
        if missing:
            message = _("Columns missing: %(columns)s.") % {"columns": ", ".join(missing)}
            problems.append(("", message))
        if problems:
            raise ColumnProblem(problems)
        if dropped:
            kept = [index for index in range(len(headers)) if index not in dropped]
            dataset = tablib.Dataset(
                *([row[index] for index in kept] for row in dataset),
                headers=[keys[index] for index in kept],
                title=dataset.title,
            )
        elif keys != headers:
            dataset.headers = keys
        return dataset

    def unknown_column(self, letter, heading):
        known = ", ".join(self.heading(field.column_name) for field in self.fields.values())
        message = _(
            "Column %(column)s, “%(heading)s”, is not a column of this table. Known "
            "columns: %(known)s."
        ) % {"column": letter, "heading": heading, "known": known}
        # Spaces of any kind were read as spaces (heading_key); the others are news.
        hidden = [c for c in hidden_characters(heading) if not c.isspace()]
        if hidden:
            codes = ", ".join(f"U+{ord(char):04X}" for char in dict.fromkeys(hidden))
            message += " " + _("The heading contains invisible characters (%(codes)s).") % {
                "codes": codes
            }
        return message

    def import_data(self, dataset, *args, **kwargs):
        # Lookups cached by a previous import on this instance may be stale.
        for field in self.fields.values():
            if isinstance(field.widget, KeyLookupMixin):
                field.widget.forget()
        try:
            dataset = self.with_column_keys(dataset)
        except ColumnProblem as problem:
            # The check fails for the file as a whole, in the admin as in /daten/.
            if kwargs.get("raise_errors"):
                raise
            result = self.get_result_class()()
            result.total_rows = len(dataset)
            for _column, message in problem.problems:
                result.append_base_error(self.get_error_result_class()(ValueError(message)))
            return result
        return super().import_data(dataset, *args, **kwargs)


class KeyLookupMixin:
    """Looks a natural key up with ``lookup(value, row)``; exactly one record must
    match. ``scope`` names the row's columns the lookup depends on besides the value
    (e.g. the concept of a measure number): found records are then cached for the
    import, keyed by value and scope. Without a scope nothing is cached."""

    def setup_lookup(self, lookup, render_key, label, scope, alphabet):
        self.lookup = lookup
        self.render_key = render_key
        self.label = label
        self.scope = scope
        self.alphabet = alphabet  # of the keys (see clean_key); None: names
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
    ``KeyLookupMixin``. ``alphabet``: see ``clean_key``.
    """

    def __init__(self, model, lookup, render_key, label, scope=None, alphabet=None):
        super().__init__(model)
        self.setup_lookup(lookup, render_key, label, scope, alphabet)

    def clean(self, value, row=None, **kwargs):
        value = clean_key(value, self.alphabet)
        if not value:
            return None
        return self.find(value, row or {})

    def render(self, value, obj=None, **kwargs):
        return "" if value is None else self.render_key(value)


class KeyListWidget(KeyLookupMixin, ManyToManyWidget):
    """A many-to-many relation written as natural keys separated by semicolons
    (commas occur in organisation names)."""

    def __init__(self, model, lookup, render_key, label, scope=None, alphabet=None):
        super().__init__(model, separator=";")
        self.setup_lookup(lookup, render_key, label, scope, alphabet)

    def clean_objects(self, value, row=None):
        value = "" if value is None else str(value)
        keys = [clean_key(key, self.alphabet) for key in value.split(self.separator)]
        return [self.find(key, row or {}) for key in keys if key]

    def clean(self, value, row=None, **kwargs):
        found = [obj.pk for obj in self.clean_objects(value, row)]
        return self.model.objects.filter(pk__in=found)

    def render(self, value, obj=None, **kwargs):
        if value is None:
            return ""
        return f"{self.separator} ".join(self.render_key(item) for item in value.all())
