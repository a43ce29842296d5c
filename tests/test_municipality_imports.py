"""A file belongs to the municipality it was uploaded in, and changes what its
importer may change there only: the worker runs unscoped, and the check and the
import enter the file's municipality (measures/tasks.py, helpers/scope.py), also
when the importer works with several or is the system administration."""

import importlib

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from helpers.addresses import municipality_reverse
from helpers.roles import Role, ensure_role_groups
from measures.models import SpreadsheetImport, StatusEntry
from measures.tasks import process_spreadsheet

from .factories import ConceptFactory, MeasureFactory, MunicipalityFactory, UserFactory
from .test_tables import status_csv, upload

pytestmark = pytest.mark.usefixtures("dresden")

ROW = "ik-2009;3.1.3;01.01.2015;umgesetzt;100;aus einer anderen Stadt"


@pytest.fixture
def foreign_bureau():
    other = MunicipalityFactory(name="Musterstadt", slug="musterstadt")
    bureau = UserFactory(username="buero-muster", is_staff=True, municipalities=[other])
    bureau.groups.add(ensure_role_groups()[Role.BUREAU])
    return bureau


def test_another_municipalitys_bureau_cannot_report_on_dresdens_measures(client, foreign_bureau):
    client.force_login(foreign_bureau)
    before = StatusEntry.objects.count()
    upload(client, "status_entries", "sachstaende.csv", status_csv(ROW))
    batch = SpreadsheetImport.objects.get(uploaded_by=foreign_bureau)
    assert batch.summary["errors"], "Dresden's concept and measure are not there for it"
    # The worker runs the same check outside any request: in the uploader's scope.
    summary = process_spreadsheet(batch, foreign_bureau, dry_run=False)
    assert summary["errors"]
    assert StatusEntry.objects.count() == before


def test_dresdens_bureau_reports_on_its_own(bureau_user):
    batch = SpreadsheetImport(
        kind="status_entries",
        file_name="sachstaende.csv",
        file_format="csv",
        content=status_csv(ROW),
        uploaded_by=bureau_user,
        municipality=bureau_user.municipalities.get(),
    )
    summary = process_spreadsheet(batch, bureau_user, dry_run=True)
    assert summary["errors"] == []


def upload_at(client, municipality, content, name="sachstaende.csv"):
    """Upload a file of status entries at ``municipality``'s address; the file."""
    url = municipality_reverse(municipality, "measures:import_upload")
    response = client.post(
        url, {"kind": "status_entries", "file": SimpleUploadedFile(name, content)}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    return SpreadsheetImport.objects.latest("pk")


def test_an_upload_by_the_system_administration_at_an_address_is_that_bureaus(
    client, admin_user, bureau_user, foreign_bureau
):
    dresden = bureau_user.municipalities.get()
    client.force_login(admin_user)
    batch = upload_at(client, dresden, status_csv(ROW), name="vom-it.csv")
    assert batch.municipality == dresden
    assert batch.summary["errors"] == [], "checked in Dresden's scope"
    client.force_login(bureau_user)
    assert "vom-it.csv" in client.get(reverse("measures:data_exchange")).content.decode()
    detail = reverse("measures:import_detail", args=[batch.pk])
    assert client.get(detail).status_code == 200
    client.force_login(foreign_bureau)
    assert client.get(detail).status_code == 404
    assert "vom-it.csv" not in client.get(reverse("measures:data_exchange")).content.decode()


def test_an_account_of_two_municipalities_uploads_into_the_one_whose_address_it_is_at(
    client, bureau_user, foreign_bureau
):
    dresden = bureau_user.municipalities.get()
    other = foreign_bureau.municipalities.get()
    MeasureFactory(concept=ConceptFactory(municipality=other, slug="ik-muster"), number="1.1")
    both = UserFactory(username="beraterin", is_staff=True, municipalities=[dresden, other])
    both.groups.add(ensure_role_groups()[Role.BUREAU])
    client.force_login(both)
    before = StatusEntry.objects.count()
    batch = upload_at(client, other, status_csv(ROW), name="dresdner-zeile.csv")
    assert batch.municipality == other
    assert batch.summary["errors"], "Dresden's measure is not there in Musterstadt"
    assert process_spreadsheet(batch, both, dry_run=False)["errors"]
    assert StatusEntry.objects.count() == before
    # The file is Musterstadt's: not there at Dresden's address.
    at_dresden = municipality_reverse(dresden, "measures:import_detail", args=[batch.pk])
    at_other = municipality_reverse(other, "measures:import_detail", args=[batch.pk])
    assert client.get(at_dresden).status_code == 404
    assert client.get(at_other).status_code == 200
    # Its own measure it reports on there.
    own = upload_at(client, other, status_csv("ik-muster;1.1;01.01.2015;umgesetzt;100;x"))
    assert own.summary["errors"] == []


def test_files_from_before_belong_to_the_uploaders_only_municipality_or_the_named_concepts(
    bureau_user, foreign_bureau
):
    dresden = bureau_user.municipalities.get()
    both = UserFactory(
        username="beraterin", municipalities=[dresden, *foreign_bureau.municipalities.all()]
    )
    nobody = UserFactory(username="ohne", municipalities=[])

    def stored(user, summary):
        return SpreadsheetImport.objects.create(
            kind="status_entries",
            file_name="alt.csv",
            file_format="csv",
            content=b"x",
            sha256="0" * 64,
            uploaded_by=user,
            summary=summary,
        )

    checked = {"headings": ["Konzept", "Maßnahme"], "rows": [{"values": ["ik-2009", "3.1.3"]}]}
    own = stored(bureau_user, {})
    named = stored(both, checked)
    unknown = stored(both, {})
    told_nothing = stored(nobody, {})
    migration = importlib.import_module("measures.migrations.0018_spreadsheet_import_municipality")

    class SchemaEditor:
        class connection:
            alias = "default"

    migration.fill_municipality(apps, SchemaEditor)
    for batch in (own, named, unknown, told_nothing):
        batch.refresh_from_db()
    assert own.municipality == dresden
    assert named.municipality == dresden
    assert unknown.municipality is None and told_nothing.municipality is None
