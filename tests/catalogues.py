"""The entries of a gettext catalogue (.po), read for the tests of the translations
(tests/test_i18n.py) and of English left on German pages (tests/e2e/language.py)."""

import ast
import re
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

GERMAN = Path(settings.BASE_DIR) / "locale" / "de" / "LC_MESSAGES" / "django.po"
FIELD = re.compile(r'^(msgctxt|msgid|msgid_plural|msgstr(?:\[\d\])?) (".*")$')


@dataclass(frozen=True)
class Entry:
    msgid: str
    plural: str | None
    strings: list
    flags: str


def entries(path):
    """Every entry of the catalogue at ``path`` but its header."""
    for block in path.read_text(encoding="utf-8").split("\n\n"):
        fields, key, flags = {}, None, ""
        for line in block.splitlines():
            if line.startswith("#,"):
                flags += line
            match = FIELD.match(line)
            if match:
                key = match.group(1)
                fields[key] = ast.literal_eval(match.group(2))
            elif line.startswith('"') and key:
                fields[key] += ast.literal_eval(line)
        if fields.get("msgid"):
            strings = [v for k, v in fields.items() if k.startswith("msgstr")]
            yield Entry(fields["msgid"], fields.get("msgid_plural"), strings, flags)
