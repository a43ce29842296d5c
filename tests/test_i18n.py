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
