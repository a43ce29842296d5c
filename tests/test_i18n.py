"""German first, English second: the German catalogue translates every string."""

import re
from pathlib import Path

from .catalogues import GERMAN as CATALOGUE
from .catalogues import entries


def test_german_catalogue_has_no_untranslated_or_fuzzy_string():
    problems = [
        entry.msgid
        for entry in entries(CATALOGUE)
        if not all(entry.strings) or "fuzzy" in entry.flags
    ]
    assert problems == []


def test_german_catalogue_keeps_placeholders():
    for entry in entries(CATALOGUE):
        wanted = sorted(re.findall(r"%\(\w+\)s", entry.msgid))
        for string in entry.strings:
            assert sorted(re.findall(r"%\(\w+\)s", string)) == wanted, entry.msgid


# “du”, “dein …”, “dich”, “dir” and the imperatives of the du form that catalogues use.
DU_FORM = re.compile(
    r"\b(du|dein\w*|dich|dir|stelle sicher|wähle|klicke|korrigiere|führe)\b", re.IGNORECASE
)


def test_german_catalogue_says_sie():
    assert [
        entry.msgid
        for entry in entries(CATALOGUE)
        if any(DU_FORM.search(string) for string in entry.strings)
    ] == []


def test_messages_of_the_import_library_say_sie_too():
    """django-import-export's own German catalogue says “du”; every such message
    reads in the “Sie” form on the site."""
    import import_export
    from django.utils import translation

    library = Path(import_export.__file__).parent / "locale" / "de" / "LC_MESSAGES" / "django.po"
    du = [
        entry.msgid for entry in entries(library) if any(DU_FORM.search(s) for s in entry.strings)
    ]
    assert len(du) >= 4  # the library's catalogue as this test was written
    with translation.override("de"):
        assert [msgid for msgid in du if DU_FORM.search(translation.gettext(msgid))] == []


def test_german_catalogue_has_one_word_for_the_as_of_date():
    """“Stand” as the label, “Stand: 16. Dezember 2014” in running text; never
    “Stichtagsdatum”. (“Stand vom” remains only as the import column's heading, which
    existing spreadsheets carry.)"""
    catalogue = list(entries(CATALOGUE))
    assert [e.msgid for e in catalogue if any("Stichtag" in s for s in e.strings)] == []
    strings = {e.msgid: e.strings for e in catalogue}
    assert strings["as of"] == ["Stand"]
    assert strings["as of %(date)s"] == ["Stand: %(date)s"]
    assert strings["The as-of date cannot lie in the future."] == [
        "Der Stand kann nicht in der Zukunft liegen."
    ]


def test_no_approved_status_and_no_status_at_all_are_two_words():
    """A measure without an approved entry may have a draft or an entry waiting for
    review: that is “noch kein freigegebener Sachstand”; “noch kein Sachstand” is the
    work state of a measure without any entry."""
    from django.utils import translation

    from measures.models import NO_STATUS, WorkState

    with translation.override("de"):
        assert str(NO_STATUS.label) == "noch kein freigegebener Sachstand"
        assert str(WorkState.NONE.label) == "noch kein Sachstand"


def test_a_label_that_is_a_sentence_gets_no_colon_in_the_error_summary():
    from django.template.loader import render_to_string
    from django.utils import translation

    from reports.forms import PublishForm

    form = PublishForm({})
    assert not form.is_valid()
    with translation.override("de"):
        html = render_to_string("_error_summary.html", {"form": form})
    assert ".:" not in html
    assert "geändert werden kann. Bitte bestätigen Sie" in html


def test_no_template_writes_a_date_in_one_languages_format():
    """Dates take the named formats of the page's language (integration_tracker/formats):
    a format written into a template ("j. F Y, H:i") shows "7. December 2026" on an
    English page."""
    import re

    from django.conf import settings

    fixed = re.compile(r'\|date:"[^"A-Z_]*[jdnmYyHiF][^"]*"')
    found = [
        f"{path.relative_to(settings.BASE_DIR)}: {match.group(0)}"
        for path in (settings.BASE_DIR / "templates").rglob("*.html")
        for match in fixed.finditer(path.read_text())
        if not match.group(0).startswith('|date:"F Y')
    ]
    assert found == []
