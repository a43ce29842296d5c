"""The admin import's errors as a list people can act on: the spreadsheet's row
number (the heading is row 1), the column, the value in the file and the message."""

from django import template
from django.core.exceptions import NON_FIELD_ERRORS

from helpers.spreadsheets import HEADINGS

register = template.Library()


@register.simple_tag
def import_error_list(result):
    """One entry per message of every invalid row, in row order."""
    # The file's headings are those of the interface (helpers/spreadsheets.py).
    columns = {field: str(heading) for field, heading in HEADINGS.items()}
    headers = list(result.diff_headers)
    errors = []
    for row in result.invalid_rows:
        values = dict(zip(headers, row.values, strict=False))
        for field, messages in row.error_dict.items():
            column = "" if field == NON_FIELD_ERRORS else columns.get(field, field)
            # The preview's headers are the fields or their headings.
            value = values.get(field, values.get(column))
            for message in messages:
                errors.append(
                    {
                        "row": row.number + 1,
                        "column": column,
                        "value": "" if value in (None, "---") else value,
                        "message": message,
                    }
                )
    return errors


@register.filter
def cell(value):
    """An empty cell is shown empty, not as “None”."""
    return "" if value is None else value


@register.filter
def column_heading(column):
    """A spreadsheet column's heading in the current language (“Federführendes Amt”
    for lead_office)."""
    return str(HEADINGS.get(column, column))
