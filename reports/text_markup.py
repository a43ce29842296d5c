"""The bureau's own texts in a report section, in a very small markup that every
format renders the same way: an empty line starts a new paragraph, a line starting
with “- ”, “* ” or “• ” is an item of a bulleted list (a following line without a
mark continues that item), and a single line break stays a line break. Nothing is
ever read as HTML: the texts are escaped wherever they are shown, and the form
refuses tags so that nobody expects them to work."""

import re

from django.utils.html import escape, format_html_join
from django.utils.safestring import mark_safe

from .templatetags.report_tags import keep_together

BULLET = re.compile(r"^\s*[-*•]\s+")
# What looks like an HTML (or XML) tag: "<p>", "</b>", "<a href=…>", "<!-- … -->".
TAG = re.compile(r"<\s*(?:/\s*)?[a-zA-Z!][^<>]*>")


class Paragraph:
    kind = "paragraph"

    def __init__(self, lines):
        self.lines = lines


class BulletList:
    kind = "list"

    def __init__(self, items):
        self.items = items


def blocks(text):
    """The text as a list of Paragraph (its lines) and BulletList (its items)."""
    result = []
    for chunk in re.split(r"\n\s*\n", (text or "").replace("\r\n", "\n").replace("\r", "\n")):
        lines = [line.strip() for line in chunk.split("\n") if line.strip()]
        paragraph, items = [], None
        for line in lines:
            if BULLET.match(line):
                if paragraph:
                    result.append(Paragraph(paragraph))
                    paragraph = []
                if items is None:
                    items = []
                    result.append(BulletList(items))
                items.append(BULLET.sub("", line))
            elif items is not None:
                items[-1] = f"{items[-1]} {line}"
            else:
                paragraph.append(line)
        if paragraph:
            result.append(Paragraph(paragraph))
    return result


def has_tags(text):
    return bool(TAG.search(text or ""))


def to_html(text):
    """The text as HTML paragraphs and lists, every word escaped, with the report's
    German typography (no break inside “100 %” or “1. Juli 2009”)."""
    parts = []
    for block in blocks(text):
        if block.kind == "paragraph":
            lines = mark_safe("<br>".join(escape(keep_together(line)) for line in block.lines))
            parts.append(f"<p>{lines}</p>")
        else:
            items = format_html_join("", "<li>{}</li>", ((keep_together(i),) for i in block.items))
            parts.append(f"<ul>{items}</ul>")
    return mark_safe("".join(parts))  # noqa: S308 - every piece escaped above
