"""The admin's import and export. The uploaded file is read within the limits of
helpers/uploads.py before the library checks its rows, and a file that
breaks one is refused with the reason on the file field (the library itself would only
say which exception occurred). Exports are named and labelled in the language of the
person exporting (helpers/spreadsheets.py): the fields to choose by their
column headings, the file after the records (“Massnahmen-2026-11-30.xlsx”)."""

import re

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop
from import_export.admin import ImportExportModelAdmin
from import_export.forms import ConfirmImportForm, ImportForm, SelectableFieldsExportForm
from import_export.tmp_storages import CacheStorage

from .import_formats import LimitedXLSX
from .spreadsheets import spreadsheet_filename
from .uploads import FileProblem, check_upload_size, read_spreadsheet


class LimitedImportForm(ImportForm):
    def __init__(self, formats, resources, **kwargs):
        super().__init__(formats, resources, **kwargs)
        self.import_formats = formats

    def clean(self):
        cleaned_data = super().clean()
        upload = cleaned_data.get("import_file")
        chosen = cleaned_data.get("format")
        if upload is None or chosen in (None, ""):
            return cleaned_data
        input_format = self.import_formats[int(chosen)]
        file_format = "xlsx" if issubclass(input_format, LimitedXLSX) else "csv"
        try:
            check_upload_size(upload.size)
            read_spreadsheet(upload.read(), file_format)
        except FileProblem as problem:
            self.add_error("import_file", str(problem))
        finally:
            upload.seek(0)
        return cleaned_data


class CachedConfirmImportForm(ConfirmImportForm):
    """The confirm step names the file to import; it is taken only if it is one the
    first step put into the cache (CacheStorage names it uuid4().hex, under its own
    prefix), not yet imported and not expired. The library's default read any file
    of the temporary directory by its name, and deleted it."""

    def clean(self):
        cleaned_data = super().clean()
        name = cleaned_data.get("import_file_name")
        if name is not None and not (
            re.fullmatch(r"[0-9a-f]{32}", name) and cache.has_key(CacheStorage.CACHE_PREFIX + name)
        ):
            # Not on the hidden field, whose error would be shown with its name.
            raise ValidationError(
                _("The uploaded file is no longer available. Please upload it again.")
            )
        return cleaned_data


class HeadingExportForm(SelectableFieldsExportForm):
    """The fields to export by their column headings (“Federführendes Amt”), not by
    their names made into titles (“Lead Office”)."""

    def __init__(self, formats, resources, **kwargs):
        super().__init__(formats, resources, **kwargs)
        for resource_class in resources:
            resource = resource_class()
            for name in resource.get_export_order():
                field = resource.fields.get(name)
                column = field.column_name if field is not None else name
                form_field = self.fields[self.create_boolean_field_name(resource_class, name)]
                form_field.label = resource.heading(column)


class LimitedImportExportModelAdmin(ImportExportModelAdmin):
    import_form_class = LimitedImportForm
    confirm_form_class = CachedConfirmImportForm
    # Between preview and confirmation the file waits in the cache (shared by all
    # server processes with Redis; a day at most), never in a directory.
    tmp_storage_class = CacheStorage
    export_form_class = HeadingExportForm

    def get_export_filename(self, request, queryset, file_format):
        return spreadsheet_filename(
            self.model._meta.verbose_name_plural, file_format.get_extension()
        )


# django-import-export's German catalogue addresses people as “du”; these of its
# messages are translated in the “Sie” form in the project's catalogue, which Django
# reads first (LOCALE_PATHS). Listed here so that makemessages keeps them.
SIE_FORM = (
    gettext_noop(
        "%(exc_name)s encountered while trying to read file. Ensure you have chosen "
        "the correct format for the file."
    ),
    gettext_noop(
        "No valid data to import. Ensure your file has the correct headers or data for import."
    ),
    gettext_noop('Select at least 1 field for "%(resource_name)s" to export'),
    gettext_noop(
        "Below is a preview of data to be imported. If you are satisfied with the results, "
        "click 'Confirm import'"
    ),
    gettext_noop(
        "Please correct these errors in your data where possible, then reupload it using "
        "the form above."
    ),
    gettext_noop("Form is not validated, call `is_valid` first"),
)
