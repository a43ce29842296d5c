"""django-import-export's import formats for the admin, read through the same limits
and checks as the /daten/ workspace (helpers/uploads.py): sizes, rows,
columns, cell lengths, the encodings of a CSV and formula cells. Named in the
``IMPORT_FORMATS`` setting; exports keep the library's own formats."""

from import_export.formats.base_formats import CSV, XLSX

from .uploads import read_spreadsheet


class LimitedCSV(CSV):
    # Read as bytes: the encoding is detected (UTF-8, UTF-16, Windows-1252), not assumed.
    def is_binary(self):
        return True

    def get_read_mode(self):
        return "rb"

    def create_dataset(self, in_stream, **kwargs):
        if isinstance(in_stream, str):
            in_stream = in_stream.encode("utf-8")
        return read_spreadsheet(in_stream, "csv")


class LimitedXLSX(XLSX):
    def create_dataset(self, in_stream):
        return read_spreadsheet(in_stream, "xlsx")
