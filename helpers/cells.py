"""Cells of every spreadsheet and CSV the application writes (the /daten/ tables, the
admin exports, the open data): text that a spreadsheet program would run as a formula
gets a leading apostrophe and is shown as text (CSV/formula injection)."""

import tablib

# A cell starting with one of these is read as a formula by spreadsheet programs.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value):
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def restore(value):
    """The inverse of neutralise, for a file that comes back."""
    if isinstance(value, str) and value.startswith("'") and value[1:].startswith(FORMULA_STARTS):
        return value[1:]
    return value


def neutralise_row(row):
    return [neutralise(cell) for cell in row]


class NeutralisedExportMixin:
    """For django-import-export's admin: every exported cell neutralised, whatever the
    format the bureau picks."""

    def get_data_for_export(self, request, queryset, **kwargs):
        dataset = super().get_data_for_export(request, queryset, **kwargs)
        return tablib.Dataset(
            *(neutralise_row(row) for row in dataset),
            headers=dataset.headers,
            title=dataset.title,
        )
