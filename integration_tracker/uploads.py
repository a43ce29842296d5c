"""Reading an uploaded spreadsheet (XLSX or CSV) into a tablib Dataset, for the /daten/
workspace and for the admin's imports alike, within limits: a small file must not
unpack into millions of rows (a "spreadsheet bomb").

Every limit is a setting (``SPREADSHEET_LIMITS``, merged over ``DEFAULT_LIMITS``).
An XLSX is refused by the uncompressed sizes its ZIP members declare before anything
is parsed (Python's zipfile enforces the declared sizes when it reads), then read as
a stream and refused as soon as a row, column or cell limit is passed. Formula cells
are refused with the cell named: their value is whatever the spreadsheet program last
computed, or nothing at all for a file written by another program.

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
from openpyxl.utils import get_column_letter

DEFAULT_LIMITS = {
    "upload_bytes": 5 * 1024 * 1024,
    "uncompressed_bytes": 50 * 1024 * 1024,
    "rows": 20_000,
    "columns": 60,
    "cell_chars": 10_000,
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


def read_spreadsheet(content, file_format):
    """A tablib Dataset (first row as headings) from the uploaded bytes; raises
    FileProblem with a message for the person who uploaded the file."""
    check_upload_size(len(content))
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
    _count_rows_and_cells(content)
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


ROW_TAG = re.compile(rb"<(?:\w+:)?row[\s>/]")
CELL_TAG = re.compile(rb"<(?:\w+:)?c[\s>/]")


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


def _count_rows_and_cells(content):
    """Counts the row and cell elements of every worksheet as the XML is unpacked,
    stopping as soon as a limit is passed: openpyxl reads a whole worksheet that
    declares no dimensions just to open the workbook, even in read-only mode."""
    limit = limits()
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        for member in archive.infolist():
            if not (
                member.filename.startswith("xl/worksheets/") and member.filename.endswith(".xml")
            ):
                continue
            rows = cells = 0
            tail = b""
            with archive.open(member) as source:
                while chunk := source.read(256 * 1024):
                    # A tag split between two chunks is counted in the next one.
                    text = tail + chunk
                    cut = max(len(text) - 16, 0)
                    rows += len(ROW_TAG.findall(text, 0, cut))
                    cells += len(CELL_TAG.findall(text, 0, cut))
                    tail = text[cut:]
                    if rows > limit["rows"] + 1:
                        raise _too_many_rows(limit)
                    if cells > _cell_budget(limit):
                        raise _too_many_cells(limit)
            if len(ROW_TAG.findall(tail)) + rows > limit["rows"] + 1:
                raise _too_many_rows(limit)


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
