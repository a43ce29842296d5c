"""The admin's import form: the uploaded file is read within the limits of
integration_tracker/uploads.py before the library checks its rows, and a file that
breaks one is refused with the reason on the file field (the library itself would only
say which exception occurred)."""

from import_export.admin import ImportExportModelAdmin
from import_export.forms import ImportForm

from .import_formats import LimitedXLSX
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


class LimitedImportExportModelAdmin(ImportExportModelAdmin):
    import_form_class = LimitedImportForm
