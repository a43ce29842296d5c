"""One reader turns simple-history records into "what changed" rows
(helpers/history.py); the measures' and the accounts' history pages only
say which fields they show."""

import pytest
from django.utils import translation

from accounts.history import account_changes
from helpers.history import Shown, changes
from measures.audit import change_log

from .factories import MeasureFactory, UserFactory

pytestmark = pytest.mark.django_db


def titled(*titles):
    measure = MeasureFactory(title=titles[0], description="")
    for title in titles[1:]:
        measure.title = title
        measure.save()
    return measure


TITLE = Shown("title", lambda record: record.title, str)


def test_each_record_is_compared_with_the_one_before_it_also_across_pages():
    measure = titled("A", "B", "C", "D")
    _page, first_page = changes(
        measure.history.all(), lambda records: [TITLE], page_number=1, per_page=2
    )
    page, second_page = changes(
        measure.history.all(), lambda records: [TITLE], page_number=2, per_page=2
    )
    assert [row["changes"] for row in first_page] == [
        [("title", "C", "D")],
        [("title", "B", "C")],  # against the newest record of the next page
    ]
    assert [row["changes"] for row in second_page] == [[("title", "A", "B")], [("title", "", "A")]]
    assert [row["is_first"] for row in first_page + second_page] == [False, False, False, True]
    assert page.paginator.count == 4


def test_the_first_record_lists_only_what_it_holds():
    measure = titled("A")
    shown = [
        TITLE,
        Shown("description", lambda record: record.description, str),
        Shown("position", lambda record: record.position, str),
        Shown("public", lambda record: record.is_public, lambda value: "yes" if value else "no"),
    ]
    _page, [row] = changes(measure.history.all(), lambda records: shown)
    assert row["changes"] == [("title", "", "A"), ("public", "", "yes")]


@translation.override("en")
def test_the_measures_and_the_accounts_pages_read_alike():
    measure = titled("Sprachkurse", "Sprachkurse für Eltern")
    _page, rows = change_log(measure)
    # A title exists in German only: on an English page it is marked so.
    assert rows[0]["changes"] == [
        (
            "title",
            '<span lang="de">Sprachkurse</span>',
            '<span lang="de">Sprachkurse für Eltern</span>',
        )
    ]
    assert rows[1]["is_first"]

    account = UserFactory(first_name="Erika")
    account.first_name = "Erika Maria"
    account.save()
    _page, rows = account_changes(account)
    assert ("first name", "Erika", "Erika Maria") in rows[0]["changes"]
    assert rows[0]["reason"] is not None
    assert rows[-1]["is_first"]
