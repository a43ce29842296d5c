"""Reading an uploaded spreadsheet (XLSX or CSV) into a tablib Dataset, for the /daten/
workspace and for the admin's imports alike, within limits: a small file must not
unpack into millions of rows (a "spreadsheet bomb").

Every limit is a setting (``SPREADSHEET_LIMITS``, merged over ``DEFAULT_LIMITS``).
An XLSX is refused by the uncompressed sizes its ZIP members declare before anything
is parsed (Python's zipfile enforces the declared sizes when it reads), and by the
packing ratio of each member. Then every XML part is counted as it is unpacked,
before any parser sees it (``count_tags``): a parser builds objects for every element
(openpyxl some 1.6 KB for each ``<xf/>`` of the styles), so a part of a few kilobytes
packed could take gigabytes. The worksheets are found as openpyxl finds them, through
the content types and the workbook's relationships, not by their path, and held to
the row and cell limits; the table of shared strings may not hold more entries than
the sheets have cells; every other part (styles, workbook, properties, drawings) at
most ``xml_elements`` elements. The reading itself then runs in a child process with
a time and memory limit (helpers/bounded.py) and is refused as soon as a
row, column or cell limit is passed. Formula cells are refused with the cell named:
their value is whatever the spreadsheet program last computed, or nothing at all for
a file written by another program.

A CSV is decoded as German offices save it: UTF-8 with or without byte order mark,
UTF-16 with byte order mark, or Windows-1252 ("CSV (Trennzeichen-getrennt)" in Excel).
"""

import codecs
import contextlib
import csv
import io
import re
import zipfile

import tablib
from django.conf import settings
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from openpyxl import load_workbook
from openpyxl.packaging.manifest import Manifest
from openpyxl.packaging.relationship import get_rels_path
from openpyxl.reader.workbook import WorkbookParser
from openpyxl.utils import get_column_letter
from openpyxl.xml.constants import SHARED_STRINGS, XLSM, XLSX, XLTM, XLTX
from openpyxl.xml.functions import fromstring

from .bounded import LimitExceeded, run_bounded

DEFAULT_LIMITS = {
    "upload_bytes": 5 * 1024 * 1024,
    "uncompressed_bytes": 50 * 1024 * 1024,
    "rows": 20_000,
    "columns": 60,
    "cell_chars": 10_000,
    # Elements of an XML part other than the worksheets and the shared strings: a
    # real styles part has a few hundred to a few thousand; 50,000 take openpyxl
    # some 80 MB.
    "xml_elements": 50_000,
    # A member larger than 1 MB unpacked may unpack to at most this many times its
    # packed size (real worksheets: 10 to 40; a bomb of <xf/>: 340).
    "packing_ratio": 200,
    # Errors listed for one file; the rest is counted ("… and 4,812 more").
    "errors": 200,
}
# Formula cells named in one message before the rest is counted.
FORMULA_CELLS_NAMED = 10


class FileProblem(ValueError):
    """The file as a whole cannot be read, is too large or lacks columns; nothing is
    imported."""


def limits():
    return {**DEFAULT_LIMITS, **getattr(settings, "SPREADSHEET_LIMITS", {})}


def megabytes(size):
    return number_format(size / (1024 * 1024), decimal_pos=0, use_l10n=True)


def number(value):
    return number_format(value, use_l10n=True, force_grouping=True)


def check_upload_size(size, limit=None):
    """Refuses a file over ``limit`` bytes (by default the spreadsheets' limit)."""
    limit = limits()["upload_bytes"] if limit is None else limit
    if size > limit:
        raise FileProblem(_("The file is larger than %(limit)s MB.") % {"limit": megabytes(limit)})


def zip_members(content, uncompressed_limit, not_a_zip, too_large):
    """The member names of the ZIP archive ``content`` (an XLSX, a DOCX), refused with
    the message ``not_a_zip`` when it is none, and with ``too_large`` (which names
    %(size)s and %(limit)s) before anything is unpacked when its members declare more
    than ``uncompressed_limit`` bytes (Python's zipfile holds them to the declared
    sizes when it reads)."""
    if not content.startswith(b"PK"):
        raise FileProblem(not_a_zip)
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            members = archive.infolist()
    except zipfile.BadZipFile as error:
        raise FileProblem(not_a_zip) from error
    unpacked = sum(member.file_size for member in members)
    if unpacked > uncompressed_limit:
        raise FileProblem(
            too_large % {"size": megabytes(unpacked), "limit": megabytes(uncompressed_limit)}
        )
    return [member.filename for member in members]


# Measuring the XML parts of a ZIP package (an XLSX, a DOCX) before parsing -----------

# A start tag: "<" not followed by "/" (end tag), "!" (comment, CDATA, declaration) or
# "?" (processing instruction). In well-formed XML "<" occurs nowhere else (text and
# attribute values escape it), so this counts the elements exactly, and a part that is
# not well-formed is refused by the parser afterwards.
START_TAG = re.compile(rb"<(?![/!?])")
ROW_TAG = re.compile(rb"<(?:\w{1,32}:)?row[\s>/]")
CELL_TAG = re.compile(rb"<(?:\w{1,32}:)?c[\s>/]")
STRING_TAG = re.compile(rb"<(?:\w{1,32}:)?si[\s>/]")
# Office files never declare a document type; entities are how XML bombs grow.
DECLARATION = re.compile(rb"<!(?:DOCTYPE|ENTITY)", re.IGNORECASE)
# No pattern above matches more bytes than this.
LONGEST_TAG = 64
CHUNK = 256 * 1024
# XML in UTF-16, UTF-32 or UTF-7 would hide its tags from the byte patterns above
# (lxml reads them all); Office writes UTF-8.
WIDE_XML = (b"\xff\xfe", b"\xfe\xff", b"<\x00", b"\x00<", b"\x00\x00\x00<", b"\x00\x00\xfe\xff")
XML_ENCODING = re.compile(rb"^\s*<\?xml[^>]*?encoding\s*=\s*[\"']([^\"']*)", re.IGNORECASE)
BYTE_ENCODINGS = re.compile(rb"utf-?8|(us-)?ascii|iso-8859-\d+|latin-?1|windows-125\d|cp125\d")
# PNG, JPEG, GIF, BMP, TIFF (both byte orders), WMF; an EMF says so at byte 40.
PICTURES = (
    b"\x89PNG",
    b"\xff\xd8\xff",
    b"GIF8",
    b"BM",
    b"II*\x00",
    b"MM\x00*",
    b"\xd7\xcd\xc6\x9a",
)
EMF = b" EMF"
PACKING_FLOOR = 1024 * 1024


class PartProblem(Exception):
    """A part of a package passes a limit (``what``: a key of the limits given to
    count_tags, "declaration" or "encoding"); the caller says so in its words."""

    def __init__(self, part, what, limit=None):
        super().__init__(part, what, limit)
        self.part, self.what, self.limit = part, what, limit


def is_picture(archive, member):
    """Whether the member is an image (PNG, JPEG, GIF, BMP, TIFF, WMF, EMF): binary,
    never parsed as XML."""
    with archive.open(member) as source:
        head = source.read(44)
    return head.startswith(PICTURES) or head[40:44] == EMF


def check_packing(members, ratio):
    """Refuses a member larger than 1 MB unpacked that unpacks to more than ``ratio``
    times its packed size, before it is unpacked."""
    for member in members:
        if member.file_size > PACKING_FLOOR and member.file_size > ratio * max(
            member.compress_size, 1
        ):
            raise PartProblem(member.filename, "packing", ratio)


def count_tags(archive, member, limits, patterns=None):
    """{"elements": start tags, and one count per pattern of ``patterns``} of one
    XML part, counted as it is unpacked (256 KB at a time) and stopped with
    PartProblem as soon as a count passes its limit in ``limits``."""
    patterns = {"elements": START_TAG, **(patterns or {})}
    counts = dict.fromkeys(patterns, 0)
    tail = b""
    with archive.open(member) as source:
        while True:
            chunk = source.read(CHUNK)
            if not tail and not _ascii_compatible(chunk):
                raise PartProblem(member.filename, "encoding")
            text = tail + chunk
            if DECLARATION.search(text):
                raise PartProblem(member.filename, "declaration")
            # The last bytes wait for the next chunk, where a tag beginning among
            # them is whole; at the end everything is counted.
            cut = max(len(text) - LONGEST_TAG, 0) if chunk else len(text)
            for what, pattern in patterns.items():
                counts[what] += _starting_before(pattern, text, cut)
                if counts[what] > limits[what]:
                    raise PartProblem(member.filename, what, limits[what])
            if not chunk:
                return counts
            tail = text[cut:]


def _ascii_compatible(head):
    if head.startswith(WIDE_XML):
        return False
    declared = XML_ENCODING.match(head.removeprefix(b"\xef\xbb\xbf")[:200])
    return declared is None or BYTE_ENCODINGS.fullmatch(declared.group(1).lower()) is not None


def _starting_before(pattern, text, cut):
    """Matches of ``pattern`` in ``text`` that begin before ``cut``, each seen with
    the bytes after it (a match is at most LONGEST_TAG long): all that end before
    ``cut`` + LONGEST_TAG, less those that begin at ``cut`` or later."""
    end = min(cut + LONGEST_TAG, len(text))
    return len(pattern.findall(text, 0, end)) - len(pattern.findall(text, cut, end))


def read_spreadsheet(content, file_format):
    """A tablib Dataset (first row as headings) from the uploaded bytes; raises
    FileProblem with a message for the person who uploaded the file. Read in a child
    process within a time and memory limit (helpers/bounded.py)."""
    check_upload_size(len(content))
    try:
        return run_bounded("spreadsheet", _read, content, file_format)
    except LimitExceeded as error:
        raise FileProblem(
            _("The file could not be read within the limits for uploads: %(error)s")
            % {"error": error}
        ) from error


def _read(content, file_format):
    if file_format == "xlsx":
        return _collect(_xlsx_rows(content), filler=None)
    return _collect(_csv_rows(_decode(content)), filler="")


def _collect(rows, filler):
    """Reads the rows, stopping at the first limit passed; empty rows are dropped."""
    limit = limits()
    headers = None
    dataset = None
    for number_, row in enumerate(rows, start=1):
        row = list(row)
        while row and row[-1] in (None, ""):
            row.pop()
        if len(row) > limit["columns"]:
            raise FileProblem(
                _(
                    "Row %(row)s has more than %(limit)s columns; at most %(limit)s "
                    "columns are read."
                )
                % {"row": number(number_), "limit": number(limit["columns"])}
            )
        if number_ - 1 > limit["rows"]:
            raise _too_many_rows(limit)
        for index, cell in enumerate(row):
            if isinstance(cell, str) and len(cell) > limit["cell_chars"]:
                raise FileProblem(
                    _(
                        "Cell %(cell)s holds more than %(limit)s characters; a cell may "
                        "hold at most %(limit)s."
                    )
                    % {
                        "cell": f"{get_column_letter(index + 1)}{number_}",
                        "limit": number(limit["cell_chars"]),
                    }
                )
        if headers is None:
            if not row:
                continue
            headers = row
            dataset = tablib.Dataset(headers=headers)
            continue
        if not any(cell not in (None, "") and str(cell).strip() for cell in row):
            continue
        dataset.append((row + [filler] * len(headers))[: len(headers)])
    if dataset is None:
        raise FileProblem(_("The file is empty."))
    return dataset


def _xlsx_rows(content):
    limit = limits()
    zip_members(
        content,
        limit["uncompressed_bytes"],
        not_a_zip=_("The file is not an Excel workbook (.xlsx)."),
        too_large=_(
            "Unpacked, the workbook would take %(size)s MB; at most %(limit)s MB "
            "are read. Please remove unused sheets, rows and pictures or split the file."
        ),
    )
    _check_workbook_parts(content)
    try:
        # read_only streams the sheet; data_only=False shows formulas as formulas.
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=False)
    except Exception as error:  # openpyxl and zipfile raise many kinds
        raise FileProblem(
            _("The file could not be read as an Excel workbook (%(error)s).") % {"error": error}
        ) from error
    try:
        sheet = workbook.worksheets[0]
        # The dimensions a file declares may be made up; rows are read as they are.
        sheet.reset_dimensions()
        formulas, cells_read = [], 0
        for number_, row in enumerate(sheet.iter_rows(), start=1):
            # Gaps in a row are filled with empty cells; they count too.
            cells_read += len(row)
            if cells_read > _cell_budget(limit):
                raise _too_many_cells(limit)
            values = []
            for index, cell in enumerate(row):
                if cell.data_type == "f":
                    formulas.append(f"{get_column_letter(index + 1)}{number_}")
                    values.append(None)
                else:
                    values.append(cell.value)
            yield values
        if formulas:
            raise FileProblem(_formula_message(formulas))
    except FileProblem:
        raise
    except Exception as error:
        raise FileProblem(
            _("The file could not be read as an Excel workbook (%(error)s).") % {"error": error}
        ) from error
    finally:
        workbook.close()


def _cell_budget(limit):
    return (limit["rows"] + 1) * limit["columns"]


def _too_many_cells(limit):
    return FileProblem(
        _(
            "The worksheet has too many cells; at most %(rows)s rows and "
            "%(columns)s columns are read."
        )
        % {"rows": number(limit["rows"]), "columns": number(limit["columns"])}
    )


def _check_workbook_parts(content):
    """Measures every part of the workbook before openpyxl parses any (see the module
    docstring); raises FileProblem at the first limit passed."""
    limit = limits()
    other = {"elements": limit["xml_elements"]}
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            members = {member.filename: member for member in archive.infolist()}
            check_packing(members.values(), limit["packing_ratio"])
            counted = set()

            def count(name, caps=other, patterns=None):
                counted.add(name)
                return count_tags(archive, members[name], caps, patterns)

            # The parts that say where the others are, found as openpyxl finds them.
            if "[Content_Types].xml" not in members:
                raise FileProblem(_("The file is not an Excel workbook (.xlsx)."))
            count("[Content_Types].xml")
            manifest = Manifest.from_tree(fromstring(archive.read("[Content_Types].xml")))
            workbook = _workbook_part(manifest)
            if workbook not in members:
                raise FileProblem(_("The file is not an Excel workbook (.xlsx)."))
            count(workbook)
            relationships = get_rels_path(workbook)
            if relationships in members:
                count(relationships)
            # keep_links=False: the external links are other parts, not yet counted.
            parser = WorkbookParser(archive, workbook, keep_links=False)
            parser.parse()
            sheets = [relation.target for _sheet, relation in parser.find_sheets()]

            cells = 0
            sheet_caps = {
                "elements": 4 * _cell_budget(limit) + limit["rows"] + limit["xml_elements"],
                "rows": limit["rows"] + 1,
                "cells": _cell_budget(limit),
            }
            for name in dict.fromkeys(sheets):
                if name in members and name not in counted:
                    counts = count(name, sheet_caps, {"rows": ROW_TAG, "cells": CELL_TAG})
                    cells += counts["cells"]
            strings = manifest.find(SHARED_STRINGS)
            name = strings.PartName[1:] if strings is not None else None
            if name in members and name not in counted:
                # No more texts than cells to hold them (and a few left over by
                # editing); a rich text has some ten elements to each.
                caps = {"elements": 10 * cells + limit["xml_elements"], "strings": cells + 1000}
                count(name, caps, {"strings": STRING_TAG})
            for name, member in members.items():
                if name not in counted and not is_picture(archive, member):
                    count(name)
    except PartProblem as problem:
        raise _part_problem(problem, limit) from problem
    except FileProblem:
        raise
    except Exception as error:  # zipfile, openpyxl and defusedxml raise many kinds
        raise FileProblem(
            _("The file could not be read as an Excel workbook (%(error)s).") % {"error": error}
        ) from error


def _workbook_part(manifest):
    """The workbook's part name, as openpyxl finds it: by its content type."""
    kinds = (XLTM, XLTX, XLSM, XLSX)
    for kind in kinds:
        part = manifest.find(kind)
        if part is not None:
            return part.PartName[1:]
    return "xl/workbook.xml"


def _part_problem(problem, limit):
    """The message for a part of a workbook that passes a limit."""
    if problem.what == "rows":
        return _too_many_rows(limit)
    if problem.what == "cells":
        return _too_many_cells(limit)
    values = {"part": problem.part, "limit": number(problem.limit or 0)}
    if problem.what == "strings":
        message = _(
            "The workbook’s table of texts (“%(part)s”) holds more entries than its "
            "sheets have cells. Please save the file again from your spreadsheet program."
        )
    elif problem.what == "packing":
        message = _(
            "The part “%(part)s” of the file unpacks to more than %(limit)s times its "
            "packed size, which no real spreadsheet does; the file is not read."
        )
    elif problem.what in ("declaration", "encoding"):
        message = _(
            "The part “%(part)s” of the file is not XML as spreadsheet programs write "
            "it (a document type declaration or an unusual encoding); the file is not read."
        )
    else:
        message = _(
            "The part “%(part)s” of the file holds more than %(limit)s XML elements; at "
            "most %(limit)s are read. Please save the file again from your spreadsheet "
            "program, without unused cell formats."
        )
    return FileProblem(message % values)


def _too_many_rows(limit):
    return FileProblem(
        _(
            "The file has more than %(limit)s rows (below the heading row); at "
            "most %(limit)s rows can be imported at once. Please split the file."
        )
        % {"limit": number(limit["rows"])}
    )


def _formula_message(cells):
    advice = _(
        "Please replace the formulas by their values (copy, then paste as values) "
        "and upload the file again."
    )
    if len(cells) == 1:
        return _("Cell %(cell)s contains a formula.") % {"cell": cells[0]} + " " + advice
    named = ", ".join(cells[:FORMULA_CELLS_NAMED])
    rest = len(cells) - FORMULA_CELLS_NAMED
    if rest > 0:
        named = ngettext(
            "%(cells)s and %(count)s more cell", "%(cells)s and %(count)s more cells", rest
        ) % {"cells": named, "count": number(rest)}
    return _("Cells %(cells)s contain formulas.") % {"cells": named} + " " + advice


def _decode(content):
    """The text of a CSV file in the encodings German offices save."""
    if content.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding = "utf-16"  # Excel's "Unicode-Text"; the BOM tells the byte order
    elif b"\x00" in content:
        # No cell holds it, and the database cannot store it in the summary. Without a
        # byte order mark this is also how UTF-16 looks.
        raise FileProblem(
            _(
                "The file contains NUL characters, which a CSV file cannot hold. "
                "Please save it again as “CSV UTF-8”."
            )
        )
    else:
        encoding = "utf-8-sig"
    try:
        text = content.decode(encoding)
    except UnicodeDecodeError:
        text = None
        if encoding == "utf-8-sig":
            with contextlib.suppress(UnicodeDecodeError):
                text = content.decode("cp1252")  # “CSV (Trennzeichen-getrennt)” from Excel
        if text is None:
            raise FileProblem(
                _(
                    "The file’s characters could not be read. Expected is a CSV file "
                    "in UTF-8 (in Excel: “CSV UTF-8”), UTF-16 with byte order mark or "
                    "Windows-1252 (“CSV (Trennzeichen-getrennt)”). Please save it "
                    "again as “CSV UTF-8”."
                )
            ) from None
    if "\x00" in text:
        raise FileProblem(
            _(
                "The file contains NUL characters, which a CSV file cannot hold. "
                "Please save it again as “CSV UTF-8”."
            )
        )
    return text


def _csv_rows(text):
    limit = limits()
    first_line = text.split("\n", 1)[0]
    delimiter = max((";", ",", "\t"), key=first_line.count)
    # A longer field stops the reader with the cell-length message below.
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    old_limit = csv.field_size_limit(limit["cell_chars"] + 1)
    try:
        yield from reader
    except csv.Error as error:
        if "field larger" in str(error):
            raise FileProblem(
                _(
                    "Row %(row)s holds a cell with more than %(limit)s characters; a "
                    "cell may hold at most %(limit)s."
                )
                % {"row": number(reader.line_num), "limit": number(limit["cell_chars"])}
            ) from error
        raise FileProblem(
            _("The file could not be read as CSV (%(error)s).") % {"error": error}
        ) from error
    finally:
        csv.field_size_limit(old_limit)


def capped_errors(errors):
    """At most the configured number of errors, the rest counted in a last entry."""
    limit = limits()["errors"]
    if len(errors) <= limit:
        return errors
    rest = len(errors) - limit
    more = ngettext("… and %(count)s more error", "… and %(count)s more errors", rest) % {
        "count": number(rest)
    }
    return [*errors[:limit], {"row": None, "column": "", "message": more}]
