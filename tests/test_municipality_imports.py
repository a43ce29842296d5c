"""A file changes what its importer may change, in the importer's municipality only:
the worker runs unscoped, and the import enters the scope of the account that
uploaded or confirmed the file (measures/tasks.py, helpers/scope.py)."""

import pytest

from helpers.roles import Role, ensure_role_groups
from measures.models import SpreadsheetImport, StatusEntry
from measures.tasks import process_spreadsheet

from .factories import MunicipalityFactory, UserFactory
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
    )
    summary = process_spreadsheet(batch, bureau_user, dry_run=True)
    assert summary["errors"] == []
