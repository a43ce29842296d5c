"""German first, English second: the German catalogue translates every string."""

import ast
import re
from pathlib import Path

from django.conf import settings

CATALOGUE = Path(settings.BASE_DIR) / "locale" / "de" / "LC_MESSAGES" / "django.po"


def entries(path):
    """(msgid, [msgstr …], flags) for every entry of a .po file."""
    for block in path.read_text(encoding="utf-8").split("\n\n"):
        fields, key, flags = {}, None, ""
        for line in block.splitlines():
            if line.startswith("#,"):
                flags += line
            match = re.match(r'^(msgid|msgid_plural|msgstr(?:\[\d\])?) (".*")$', line)
            if match:
                key = match.group(1)
                fields[key] = ast.literal_eval(match.group(2))
            elif line.startswith('"') and key:
                fields[key] += ast.literal_eval(line)
        if fields.get("msgid"):
            strings = [v for k, v in fields.items() if k.startswith("msgstr")]
            yield fields["msgid"], strings, flags


def test_german_catalogue_has_no_untranslated_or_fuzzy_string():
    problems = [
        msgid
        for msgid, strings, flags in entries(CATALOGUE)
        if not all(strings) or "fuzzy" in flags
    ]
    assert problems == []


def test_german_catalogue_keeps_placeholders():
    for msgid, strings, _flags in entries(CATALOGUE):
        wanted = sorted(re.findall(r"%\(\w+\)s", msgid))
        for string in strings:
            assert sorted(re.findall(r"%\(\w+\)s", string)) == wanted, msgid


# “du”, “dein …”, “dich”, “dir” and the imperatives of the du form that catalogues use.
DU_FORM = re.compile(
    r"\b(du|dein\w*|dich|dir|stelle sicher|wähle|klicke|korrigiere|führe)\b", re.IGNORECASE
)


def test_german_catalogue_says_sie():
    assert [
        msgid
        for msgid, strings, _flags in entries(CATALOGUE)
        if any(DU_FORM.search(string) for string in strings)
    ] == []


def test_messages_of_the_import_library_say_sie_too():
    """django-import-export's own German catalogue says “du”; every such message
    reads in the “Sie” form on the site."""
    import import_export
    from django.utils import translation

    library = Path(import_export.__file__).parent / "locale" / "de" / "LC_MESSAGES" / "django.po"
    du = [
        msgid
        for msgid, strings, _flags in entries(library)
        if any(DU_FORM.search(s) for s in strings)
    ]
    assert len(du) >= 4  # the library's catalogue as this test was written
    with translation.override("de"):
        assert [msgid for msgid in du if DU_FORM.search(translation.gettext(msgid))] == []
