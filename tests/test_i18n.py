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
