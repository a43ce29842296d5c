"""Every spreadsheet and CSV the application writes neutralises cells that a
spreadsheet program would run as a formula: the admin exports (CSV and XLSX) and the
public open data (the /daten/ tables are tested in test_tables)."""

import csv
import io

import openpyxl
import pytest
from django.urls import reverse
from import_export.forms import SelectableFieldsExportForm

from measures.models import ActionNeed, Measure
from measures.resources import ActionNeedResource, MeasureAdminResource
from working_groups.models import Membership, Office, Organisation
from working_groups.resources import MembershipResource, OfficeResource, OrganisationResource

pytestmark = pytest.mark.usefixtures("dresden")

EVIL = '=HYPERLINK("http://evil.example","x")'

# model, its resource, and the text field that gets the formula
ADMIN_EXPORTS = [
    (Measure, MeasureAdminResource, "title"),
    (Organisation, OrganisationResource, "name"),
    (Office, OfficeResource, "name"),
    (Membership, MembershipResource, "role"),
    (ActionNeed, ActionNeedResource, "title"),
]


def cells(content, file_format):
    if file_format == "csv":
        text = content.decode("utf-8-sig")
        return [cell for row in csv.reader(io.StringIO(text)) for cell in row]
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    found = [cell for row in sheet.iter_rows() for cell in row]
    assert not [cell for cell in found if cell.data_type == "f"], "no formula cell"
    return [cell.value for cell in found]


@pytest.mark.parametrize(("file_format", "index"), [("csv", "0"), ("xlsx", "1")])
@pytest.mark.parametrize(("model", "resource", "field"), ADMIN_EXPORTS)
def test_admin_exports_neutralise_formulas(
    client, admin_user, model, resource, field, file_format, index
):
    obj = model.objects.order_by("pk").first()
    model.objects.filter(pk=obj.pk).update(**{field: EVIL})
    client.force_login(admin_user)
    data = {"format": index, "resource": "0"}
    for name in resource().get_export_order():
        data[SelectableFieldsExportForm.create_boolean_field_name(resource, name)] = "on"
    opts = model._meta
    response = client.post(reverse(f"admin:{opts.app_label}_{opts.model_name}_export"), data)
    assert response.status_code == 200, response.content[:300]
    values = cells(response.content, file_format)
    assert "'" + EVIL in values
    assert not any(isinstance(v, str) and v.startswith("=") for v in values)


def test_open_data_csv_neutralises_formulas(client, public_pages):
    Measure.objects.filter(is_public=True).filter(
        pk=Measure.objects.filter(is_public=True).order_by("pk").values("pk")[:1]
    ).update(title=EVIL)
    Measure.objects.filter(number="3.1.3").update(title="-5 Punkte", is_public=True)
    response = client.get(reverse("reports:open_data_csv"))
    assert response.status_code == 200
    values = cells(b"".join(response) if response.streaming else response.content, "csv")
    assert "'" + EVIL in values and "'-5 Punkte" in values
    assert not any(v.startswith(("=", "-")) for v in values)
