"""What has changed between two editions of a report, as a reader sees it.

Each edition is read from what it kept when it was published, never from today's
records (a version says what it said): its HTML, split into the report's parts (the
title, the summary, each section, the notes on the sources) and each part into
blocks – the section's introduction and closing text, its items, the rows of its
funding table, and any other heading, paragraph or list item – and its statuses
(``PublishedVersion.statuses``, kept since statuses were compared). The draft is
read the same way, from its HTML and statuses as they are now.

Since ``data-marks`` (reports/report_document.html), sections, items and funding rows
carry the ids of their records, so an item whose wording changed, or that moved to
another section, is still the same item. Older editions are matched by the words
they print: a changed wording then reads as one item removed and another added, and
statuses cannot be placed in a section; the page says so.

Changes are named in the report's own words (an item by its wording as printed, a
funding row by its title), never by numbers the report does not print."""

import difflib
import re
from collections import defaultdict
from dataclasses import dataclass, field

import lxml.html
from django.db.models import Subquery
from django.utils.translation import gettext_lazy as _

from measures.models import Measure, status_label

from .rendering import approved_as_of

SNAPSHOT_FORMAT = 1


def status_snapshot(report):
    """Each measure of the report's concept with the status the report gives it (the
    latest approved entry dated within its period, or none), in the report's order."""
    latest = approved_as_of(report)
    rows = (
        Measure.objects.filter(concept=report.concept_id)
        .annotate(
            snapshot_status=Subquery(latest.values("status")[:1]),
            snapshot_progress=Subquery(latest.values("progress")[:1]),
        )
        .order_by("position", "number")
        .values_list(
            "pk", "number", "title", "report_wording", "snapshot_status", "snapshot_progress"
        )
    )
    return {
        "format": SNAPSHOT_FORMAT,
        "as_of": report.period_end.isoformat(),
        "measures": [
            {
                "id": pk,
                "number": number,
                "words": wording or title,
                "status": status,
                "progress": progress,
            }
            for pk, number, title, wording, status, progress in rows
        ],
    }


def status_text(entry):
    """“in Umsetzung, 40 %”, “noch kein freigegebener Sachstand”, or None where the
    measure was not in the version at all."""
    if entry is None:
        return None
    label = str(status_label(entry["status"]))
    if entry["status"] and entry["progress"] is not None:
        return f"{label}, {entry['progress']}\u00a0%"
    return label


def status_changes(older, newer):
    """The measures whose status or percentage differs between two snapshots, in the
    newer version's order, then those only the older one had: each as a dict with
    id, words, before and after (None: not in that version)."""
    before = {entry["id"]: entry for entry in older["measures"]}
    rows = []
    for entry in newer["measures"]:
        old = before.pop(entry["id"], None)
        if old is not None and (old["status"], old["progress"]) == (
            entry["status"],
            entry["progress"],
        ):
            continue
        rows.append(
            {
                "id": entry["id"],
                "words": entry["words"],
                "before": status_text(old),
                "after": status_text(entry),
            }
        )
    for old in before.values():
        rows.append(
            {"id": old["id"], "words": old["words"], "before": status_text(old), "after": None}
        )
    return rows


# -- Reading an edition's HTML ---------------------------------------------------

# What a block is.
INTRO, CLOSING, HEADING, ITEM, AMOUNTS, TEXT = (
    "intro",
    "closing",
    "heading",
    "item",
    "amounts",
    "text",
)

SPACES = re.compile(r"[ \t\r\n\f\v]+")  # not the no-break space: it is typography
BREAK = "\u2028"  # a line break while the words are gathered
# Left out of the words: the raised numbers of the notes (they shift when a note is
# added anywhere before them) and the printed status (compared from the snapshot).
LEFT_OUT = {"source-mark", "report-status"}
LISTS = {"ul", "ol"}
BLOCK_TAGS = {"p", "li", "div", "h3", "h4"}


def _classes(element):
    return set((element.get("class") or "").split())


def _words(element, *, lists=False):
    """The words of ``element`` as a reader sees them, spaces made uniform and each
    line break or paragraph a line of its own; nested lists (items of their own) only
    with ``lists``."""
    pieces = []

    def walk(node):
        pieces.append(node.text or "")
        for child in node:
            if isinstance(child.tag, str):
                tag = child.tag.lower()
                if tag == "br":
                    pieces.append(BREAK)
                elif (tag in LISTS and not lists) or _classes(child) & LEFT_OUT:
                    pass
                elif tag in BLOCK_TAGS or tag in LISTS:
                    # An item of a list within the text keeps its bullet.
                    pieces.append(BREAK + ("• " if tag == "li" else ""))
                    walk(child)
                    pieces.append(BREAK)
                else:
                    walk(child)
            pieces.append(child.tail or "")

    walk(element)
    lines = (line.strip() for line in SPACES.sub(" ", "".join(pieces)).split(BREAK))
    return "\n".join(line for line in lines if line)


@dataclass
class Block:
    kind: str
    text: str
    # The record it stands for ("measure:12", "line:3"), where the edition says.
    key: str | None = None
    # The heading it stands under within its section.
    under: str = ""
    # An item: the measures it speaks for (an item may stand for several).
    measures: tuple = ()
    # A funding row: its title and its cells by column, as printed.
    label: str = ""
    cells: dict | None = None
    status_printed: bool = False

    @property
    def words(self):
        """An item's first line: its words as the report prints them."""
        return self.label or self.text.split("\n", 1)[0]


@dataclass
class Part:
    # "section:5" where the edition carries its section's id; else None.
    key: str | None
    # "title", "summary", "section-3", "source-notes": where it stands.
    anchor: str
    heading: str
    blocks: list = field(default_factory=list)


@dataclass
class Edition:
    parts: list
    marked: bool = False


def _funding_rows(table):
    columns = [_words(th) for th in table.findall("./thead/tr/th")][1:]
    for row in table.findall("./tbody/tr"):
        header = row.find("th")
        title = _words(header) if header is not None else ""
        cells = {}
        for index, cell in enumerate(row.findall("td")):
            column = cell.get("data-label") or (columns[index] if index < len(columns) else "")
            cells[column] = _words(cell)
        line = row.get("data-funding-line")
        yield Block(
            AMOUNTS,
            "; ".join([title, *(f"{c}: {v}" for c, v in cells.items() if v)]),
            key=f"line:{line}" if line else None,
            label=title,
            cells=cells,
        )


def _blocks(node, out, state, in_list=False):
    """The blocks under ``node`` in document order; ``state`` carries the heading
    above them."""
    for child in node:
        if not isinstance(child.tag, str):
            continue
        tag, classes = child.tag.lower(), _classes(child)
        if tag in {"h1", "h2", "caption", "details", "form", "script", "style", "svg"}:
            continue
        if classes & {"section-text-before", "section-text-after"}:
            kind = INTRO if "section-text-before" in classes else CLOSING
            out.append(Block(kind, _words(child, lists=True), key=kind))
            continue
        if tag in {"h3", "h4"}:
            state["under"] = _words(child)
            out.append(Block(HEADING, state["under"]))
            continue
        if tag == "table":
            if "report-funding" in classes:
                out.extend(_funding_rows(child))
            continue
        measure = child.get("data-measure")
        is_item = measure or (tag in {"li", "p"} and (in_list or "report-lead" in classes))
        if is_item or tag in {"li", "p", "dt", "dd"}:
            text = _words(child)
            speaks_for = (child.get("data-measures") or measure or "").split()
            if is_item:
                out.append(
                    Block(
                        ITEM,
                        text,
                        key=f"measure:{measure}" if measure else None,
                        under=state["under"],
                        measures=tuple(int(pk) for pk in speaks_for if pk.isdigit()),
                        status_printed=any("report-status" in _classes(c) for c in child),
                    )
                )
            elif text:
                out.append(Block(TEXT, text))
            for sub in child:
                if isinstance(sub.tag, str) and sub.tag.lower() in LISTS:
                    _blocks(sub, out, state, in_list=bool(is_item))
            continue
        _blocks(child, out, state, in_list=in_list or "report-measures" in classes)


def read(document):
    """An edition's parts and blocks, from its HTML (bytes or str)."""
    if isinstance(document, bytes | memoryview):
        document = bytes(document).decode("utf-8")
    if not document or not document.strip():
        return Edition([])
    root = lxml.html.document_fromstring(document)
    article = next(root.iter("article"), None)
    if article is None:
        return Edition([])
    parts = []
    for element in article:
        if not isinstance(element.tag, str):
            continue
        classes = _classes(element)
        heading = element.find("h2")
        heading = _words(heading) if heading is not None else ""
        if element.tag == "header":
            blocks = [Block(TEXT, _words(e)) for e in element.iter("h1", "p") if _words(e)]
            parts.append(Part(None, "title", "", blocks))
        elif "report-summary" in classes:
            blocks = [Block(TEXT, _words(p)) for p in element.findall("p") if _words(p)]
            parts.append(Part(None, "summary", heading, blocks))
        elif "report-section" in classes or "report-source-notes" in classes:
            section = element.get("data-section")
            part = Part(f"section:{section}" if section else None, element.get("id", ""), heading)
            _blocks(element, part.blocks, {"under": ""})
            parts.append(part)
    return Edition(parts, marked=article.get("data-marks") == "1")


# -- Comparing two editions ------------------------------------------------------

NO_BREAK = re.compile(r"[\u00a0\u202f]")


def reads_the_same(a, b):
    """Whether two texts read the same: the no-break spaces of the typesetting (at a
    period's dash, after an ordinal) are no change a reader sees."""
    return NO_BREAK.sub(" ", a or "") == NO_BREAK.sub(" ", b or "")


TOKENS = re.compile(r"\n|[^\S\n]+|[^\s]+")


def word_diff(before, after):
    """The words of ``after`` with what changed from ``before``: a list of (kind,
    text), kind "same", "removed" or "added". A run of changed words reads as one
    removal and one addition, not word by word."""
    old, new = TOKENS.findall(before or ""), TOKENS.findall(after or "")
    chunks = []  # (tag, old text, new text)
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        chunks.append((tag, "".join(old[i1:i2]), "".join(new[j1:j2])))
    merged = []
    for index, chunk in enumerate(chunks):
        tag, old_text, new_text = chunk
        between_changes = (
            tag == "equal"
            and not old_text.strip()
            and 0 < index < len(chunks) - 1
            and chunks[index + 1][0] != "equal"
        )
        if merged and merged[-1][0] != "equal" and (tag != "equal" or between_changes):
            _, old_before, new_before = merged[-1]
            merged[-1] = ("replace", old_before + old_text, new_before + new_text)
        else:
            merged.append(chunk)
    segments = []
    for tag, old_text, new_text in merged:
        if tag == "equal":
            segments.append(("same", new_text))
            continue
        if old_text[:1].isspace() or new_text[:1].isspace():
            segments.append(("same", " "))
        if old_text.strip():
            segments.append(("removed", old_text.strip()))
        if new_text.strip():
            if old_text.strip():
                segments.append(("same", " "))
            segments.append(("added", new_text.strip()))
        if old_text[-1:].isspace() or new_text[-1:].isspace():
            segments.append(("same", " "))
    return segments


KIND_LABELS = {
    "section": _("Section heading"),
    INTRO: _("Introduction"),
    CLOSING: _("Closing text"),
    HEADING: _("Heading"),
    ITEM: _("Item"),
    AMOUNTS: _("Amounts"),
    TEXT: _("Text"),
}
# The state's words and its KERN badge.
STATES = {
    "changed": (_("changed"), "kern-badge--info"),
    "added": (_("added"), "kern-badge--success"),
    "removed": (_("removed"), "kern-badge--danger"),
    "moved": (_("moved"), "kern-badge--warning"),
    "status": (_("status changed"), "kern-badge--info"),
}


@dataclass
class Change:
    kind: str  # a block's kind, or "section" for a section's heading
    # "changed", "added", "removed", "moved", "status"
    state: str
    words: str = ""  # what names it: an item's words, a funding row's title
    diff: list = field(default_factory=list)
    amounts: list = field(default_factory=list)  # (column, before, after)
    # The status changes of the measures it speaks for: {"before", "after", "printed",
    # and "part": the words of a measure reported within another item}.
    statuses: list = field(default_factory=list)
    moved_from: str = ""  # the heading of the section it stood in before
    moved_to: str = ""
    under_before: str = ""
    under_after: str = ""
    position: tuple = (0,)

    @property
    def kind_label(self):
        return KIND_LABELS[self.kind]

    @property
    def state_label(self):
        return STATES[self.state][0]

    @property
    def badge(self):
        return STATES[self.state][1]


@dataclass
class SectionChanges:
    anchor: str
    heading: str  # as the newer edition prints it (the older, if only it has it)
    changes: list
    added: bool = False
    removed: bool = False


@dataclass
class Comparison:
    sections: list
    # Status changes of measures that no section of either edition lists.
    unplaced: list
    # Whether each edition carries its records' ids (items are matched by them
    # only where both do).
    older_marked: bool
    newer_marked: bool
    statuses_compared: bool

    @property
    def count(self):
        return sum(len(s.changes) for s in self.sections) + len(self.unplaced)


def _align(older, newer, key):
    """Pairs (old, new) in the newer order; what only the older has follows the
    last element before it that both have."""
    new_index = {key(x): i for i, x in enumerate(newer)}
    old_by_key = {key(x): x for x in older}
    after = defaultdict(list)
    last = -1
    for x in older:
        if key(x) in new_index:
            last = new_index[key(x)]
        else:
            after[last].append(x)
    pairs = [(x, None) for x in after[-1]]
    for i, x in enumerate(newer):
        pairs.append((old_by_key.get(key(x)), x))
        pairs += [(x, None) for x in after[i]]
    return pairs


def _similar(a, b):
    return difflib.SequenceMatcher(None, a.split(), b.split(), autojunk=False).ratio() >= 0.5


def _match_unkeyed(old_blocks, new_blocks, key):
    """Blocks without ``key`` matched by their words, in order: {old index: new index}."""
    old = [(i, b) for i, b in enumerate(old_blocks) if key(b) is None]
    new = [(j, b) for j, b in enumerate(new_blocks) if key(b) is None]
    matcher = difflib.SequenceMatcher(
        None, [(b.kind, b.text) for _, b in old], [(b.kind, b.text) for _, b in new], autojunk=False
    )
    pairs = {}
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            pairs.update((old[i1 + k][0], new[j1 + k][0]) for k in range(i2 - i1))
        elif tag == "replace":
            for k in range(min(i2 - i1, j2 - j1)):
                (i, a), (j, b) = old[i1 + k], new[j1 + k]
                if a.kind == b.kind and _similar(a.text, b.text):
                    pairs[i] = j
    return pairs


class _Comparer:
    def __init__(self, older, newer, old_statuses, new_statuses):
        self.keyed = older.marked and newer.marked
        self.older, self.newer = older, newer
        self.statuses = (
            {row["id"]: row for row in status_changes(old_statuses, new_statuses)}
            if old_statuses is not None and new_statuses is not None
            else None
        )
        self.placed = set()
        # Where each item stands in each edition, for moves between sections.
        self.old_items = self._items(older)
        self.new_items = self._items(newer)

    def _key(self, block):
        """A block's id where both editions carry ids; funding rows by title else."""
        if block.kind in (INTRO, CLOSING):
            return block.key
        if block.kind == AMOUNTS:
            return block.key if self.keyed else f"row:{block.label}"
        return block.key if self.keyed else None

    def _part_key(self, part):
        return (part.key if self.keyed else None) or part.anchor

    def _items(self, edition):
        found = {}
        for part in edition.parts:
            for block in part.blocks:
                if block.kind == ITEM and self._key(block):
                    found[self._key(block)] = (part, block)
        return found

    def run(self):
        sections = []
        pairs = _align(self.older.parts, self.newer.parts, self._part_key)
        for old_part, new_part in pairs:
            changes = self._part(old_part, new_part)
            part = new_part or old_part
            if changes or old_part is None or new_part is None:
                sections.append(
                    SectionChanges(
                        part.anchor,
                        part.heading,
                        changes,
                        added=old_part is None,
                        removed=new_part is None,
                    )
                )
        unplaced = []
        if self.statuses is not None:
            for measure_id, row in self.statuses.items():
                if measure_id not in self.placed:
                    unplaced.append(
                        Change(ITEM, "status", words=row["words"], statuses=[self._status(row)])
                    )
        return Comparison(
            sections, unplaced, self.older.marked, self.newer.marked, self.statuses is not None
        )

    def _status(self, row, printed=False):
        return {"before": row["before"], "after": row["after"], "printed": printed}

    def _part(self, old_part, new_part):
        old_blocks = old_part.blocks if old_part else []
        new_blocks = new_part.blocks if new_part else []
        changes = []
        if old_part and new_part and old_part.heading != new_part.heading:
            changes.append(
                Change(
                    "section",
                    "changed",
                    diff=word_diff(old_part.heading, new_part.heading),
                    position=(-1,),
                )
            )
        # Old index → new index of the blocks that are the same block in both.
        pairs = _match_unkeyed(old_blocks, new_blocks, self._key)
        new_by_key = {self._key(b): j for j, b in enumerate(new_blocks) if self._key(b)}
        for i, block in enumerate(old_blocks):
            key = self._key(block)
            if key and key in new_by_key:
                pairs[i] = new_by_key[key]
        paired_new = {j: i for i, j in pairs.items()}

        for j, block in enumerate(new_blocks):
            i = paired_new.get(j)
            old = old_blocks[i] if i is not None else None
            change = self._block(old, block)
            if change:
                change.position = (j, 0)
                changes.append(change)
        last = -1
        for i, block in enumerate(old_blocks):
            if i in pairs:
                last = pairs[i]
                continue
            change = self._block(block, None)
            if change:
                change.position = (last, 1, i)
                changes.append(change)
        changes.sort(key=lambda change: change.position)
        return changes

    def _item_statuses(self, *blocks):
        """The status changes of the measures an item speaks for, each told once."""
        found = []
        if self.statuses is None:
            return found
        printed = any(b is not None and b.status_printed for b in blocks)
        for block in blocks:
            if block is None:
                continue
            for measure_id in block.measures:
                row = self.statuses.get(measure_id)
                if row and measure_id not in self.placed:
                    self.placed.add(measure_id)
                    status = self._status(row, printed)
                    if measure_id != block.measures[0]:
                        # Reported within this item: named by its own words.
                        status["part"] = row["words"]
                    found.append(status)
        return found

    def _block(self, old, new):
        """The change from ``old`` to ``new`` (None: not in that edition), or None."""
        block = new or old
        kind = block.kind
        if kind == AMOUNTS:
            return self._amounts(old, new)
        if kind == ITEM:
            return self._item(old, new)
        if old is None:
            return Change(kind, "added", diff=[("added", new.text)])
        if new is None:
            return Change(kind, "removed", diff=[("removed", old.text)])
        if not reads_the_same(old.text, new.text):
            return Change(kind, "changed", diff=word_diff(old.text, new.text))
        return None

    def _item(self, old, new):
        key = self._key(new or old)
        change = Change(ITEM, "changed", words=(new or old).words)
        if old is None and key in self.old_items:
            # From another section: said where it stood, with any change of words.
            old_part, old = self.old_items[key]
            change.state, change.moved_from = "moved", old_part.heading
        elif new is None and key in self.new_items:
            new_part, _block = self.new_items[key]
            change.state, change.moved_to = "moved", new_part.heading
            # The item's other changes are told where it stands now.
            return change
        if old is None:
            change.state, change.diff = "added", [("added", new.text)]
        elif new is None:
            change.state, change.diff = "removed", [("removed", old.text)]
        else:
            if not reads_the_same(old.text, new.text):
                change.diff = word_diff(old.text, new.text)
            if old.under != new.under and change.state != "moved":
                change.state = "moved"
                change.under_before, change.under_after = old.under, new.under
        change.statuses = self._item_statuses(new, old)
        if change.statuses and not change.diff and change.state == "changed":
            change.state = "status"
        if change.state == "changed" and not change.diff:
            return None
        return change

    def _amounts(self, old, new):
        row = new or old
        if old is None or new is None:
            state = "added" if old is None else "removed"
            amounts = [
                (column, None, value) if old is None else (column, value, None)
                for column, value in row.cells.items()
                if value
            ]
            return Change(AMOUNTS, state, words=row.label, amounts=amounts)
        columns = list(dict.fromkeys([*old.cells, *new.cells]))
        amounts = [
            (column, old.cells.get(column) or None, new.cells.get(column) or None)
            for column in columns
            if (old.cells.get(column) or "") != (new.cells.get(column) or "")
        ]
        diff = word_diff(old.label, new.label) if old.label != new.label else []
        if not amounts and not diff:
            return None
        return Change(AMOUNTS, "changed", words=new.label, amounts=amounts, diff=diff)


def compare(older_html, newer_html, older_statuses=None, newer_statuses=None):
    """What changed from the older edition to the newer, by section, in the newer
    edition's order (a section only the older has after the one before it)."""
    return _Comparer(read(older_html), read(newer_html), older_statuses, newer_statuses).run()
