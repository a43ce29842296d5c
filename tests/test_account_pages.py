"""The bureau's accounts page (/konten/): who sees which accounts, changing role and
offices, deactivating and reactivating (the sessions end), the audit trail with who
did it, filters, local time, and constant queries."""

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse
from django.utils import translation

from accounts.models import Reason
from helpers.roles import Role, ensure_role_groups

from .budgets import REQUEST
from .factories import OfficeFactory, UserFactory, the_municipality

pytestmark = pytest.mark.django_db
User = get_user_model()


@pytest.fixture
def offices():
    jugendamt = OfficeFactory(code="51", name="Jugendamt")
    kulturamt = OfficeFactory(code="41", name="Kulturamt", municipality=jugendamt.municipality)
    return jugendamt, kulturamt


def account(username, role=Role.OFFICE_STAFF, offices=(), **fields):
    user = UserFactory(username=username, **fields)
    if role:
        user.groups.add(ensure_role_groups()[role])
    for office in offices:
        office.staff.add(user)
    return user


def test_the_bureau_lists_office_staff_and_council_but_not_bureau_or_admin(
    client, bureau_user, admin_user, offices
):
    account("amt51", offices=[offices[0]], first_name="Jana", last_name="Krause")
    account("beirat1", role=Role.COUNCIL)
    account("buero2", role=Role.BUREAU, is_staff=True)
    client.force_login(bureau_user)
    content = client.get(reverse("accounts:account_list")).content.decode()
    assert "Jana Krause" in content and 'data-label="Ämter">51 – Jugendamt</td>' in content
    assert "beirat1" in content
    assert "buero2" not in content and "root" not in content and ">bureau<" not in content
    client.force_login(admin_user)
    content = client.get(reverse("accounts:account_list")).content.decode()
    assert "buero2" in content and "root" in content


def test_rows_are_labelled_for_phones_and_show_the_last_login_in_local_time(
    client, bureau_user, offices
):
    person = account("amt51", offices=[offices[0]])
    # 12:30 UTC in January is 13:30 in Dresden.
    person.last_login = datetime.datetime(2026, 1, 15, 12, 30, tzinfo=datetime.UTC)
    person.save(update_fields=["last_login"])
    client.force_login(bureau_user)
    content = client.get(reverse("accounts:account_list")).content.decode()
    assert 'data-label="Letzte Anmeldung">15.01.2026 13:30' in content
    for label in ("Name", "E-Mail-Adresse", "Rolle", "Ämter", "Zustand"):
        assert f'data-label="{label}"' in content


def test_filters_and_search(client, bureau_user, offices):
    account("amt51", offices=[offices[0]], last_name="Krause")
    account("amt41", offices=[offices[1]], last_name="Lehmann")
    account("beirat1", role=Role.COUNCIL, last_name="Nguyen")
    gone = account("alt", role=Role.COUNCIL, last_name="Alt", is_active=False)
    invited = account("neu", last_name="Neu", offices=[offices[0]])
    invited.set_unusable_password()
    invited.save()
    client.force_login(bureau_user)
    url = reverse("accounts:account_list")

    def names(**query):
        page = client.get(url, query).context["page"]
        return sorted(a.get_username() for a in page.object_list)

    assert names(role=Role.COUNCIL) == ["alt", "beirat1"]
    assert names(office=offices[0].pk) == ["amt51", "neu"]
    assert names(q="lehm") == ["amt41"]
    assert names(state="deactivated") == [gone.username]
    assert names(state="without_password") == ["neu"]  # never invited through the page
    assert names(state="active") == ["amt41", "amt51", "beirat1"]
    # An unknown choice is ignored and shown as an error, never a server error.
    assert client.get(url, {"state": "x\x00"}).status_code in (200, 400)


def test_the_bureau_changes_role_and_offices_and_the_history_names_it(client, bureau_user, offices):
    # Invited, no password chosen yet: the invitation may still go to another address.
    person = account("amt51", offices=[offices[0]], email="jk@dresden.example", password=None)
    client.force_login(bureau_user)
    response = client.post(
        reverse("accounts:account_edit", args=[person.pk]),
        {
            "first_name": "Jana",
            "last_name": "Krause",
            "email": "jana.krause@dresden.example",
            "role": Role.OFFICE_STAFF,
            "offices": [str(offices[0].pk), str(offices[1].pk)],
        },
    )
    assert response.status_code == 302
    person.refresh_from_db()
    assert set(person.offices.all()) == set(offices)
    record = person.history.first()
    assert record.history_user == bureau_user
    assert record.history_change_reason == Reason.CHANGED
    assert record.offices == "41 – Kulturamt; 51 – Jugendamt"
    page = client.get(reverse("accounts:account_detail", args=[person.pk])).content.decode()
    assert "<del>51 – Jugendamt</del>" in page
    assert "<ins>41 – Kulturamt; 51 – Jugendamt</ins>" in page
    assert "<ins>jana.krause@dresden.example</ins>" in page
    assert "Konto geändert" in page
    # The old address learns of the change: whoever has the address can reset the
    # password.
    [notice] = [m for m in mail.outbox if m.to == ["jk@dresden.example"]]
    assert notice.subject == "Die E-Mail-Adresse Ihres Kontos im Integrationsmonitor wurde geändert"
    assert "jana.krause@dresden.example" in notice.body
    assert (bureau_user.get_full_name() or bureau_user.get_username()) in notice.body

    # From office staff to the council: offices go, the role changes.
    client.post(
        reverse("accounts:account_edit", args=[person.pk]),
        {
            "first_name": "Jana",
            "last_name": "Krause",
            "email": "jana.krause@dresden.example",
            "role": Role.COUNCIL,
            "offices": [],
        },
    )
    person.refresh_from_db()
    assert list(person.groups.values_list("name", flat=True)) == [Role.COUNCIL]
    assert not person.offices.exists()
    # The role in the municipality it works with.
    assert person.history.first().roles == f"{the_municipality().name}: {Role.COUNCIL}"


def test_the_bureau_cannot_change_the_address_of_an_account_in_use(client, bureau_user, offices):
    """Whoever has the address can reset the password and act as the person: once the
    person has chosen a password, the bureau deactivates the account and invites them
    anew with the new address instead."""
    from accounts import services
    from accounts.forms import AccountForm

    person = account("amt51", offices=[offices[0]], email="jk@dresden.example")
    edit = reverse("accounts:account_edit", args=[person.pk])
    data = {
        "first_name": "Jana",
        "last_name": "Krause",
        "email": "buero@dresden.example",
        "role": Role.OFFICE_STAFF,
        "offices": [str(offices[0].pk), str(offices[1].pk)],
    }
    before = person.history.count()
    client.force_login(bureau_user)
    assert "Diese Person hat ein Passwort gewählt" in client.get(edit).content.decode()

    response = client.post(edit, data)
    assert response.status_code == 400
    assert (
        "Die E-Mail-Adresse eines Kontos, das bereits genutzt wird, kann hier nicht geändert"
        in response.content.decode()
    )
    person.refresh_from_db()
    assert person.email == "jk@dresden.example" and list(person.offices.all()) == [offices[0]]
    assert mail.outbox == [] and person.history.count() == before
    with translation.override("en"):
        form = AccountForm(data, roles=[Role.OFFICE_STAFF], account=person)
        assert form.errors["email"] == [
            "The e-mail address of an account in use cannot be changed here: whoever has "
            "the address can reset the password and act as the person. Deactivate this "
            "account and invite the person with the new address."
        ]
    with pytest.raises(services.NotAllowed):
        services.change(person, bureau_user, **{**form.cleaned_data, "email": data["email"]})

    # The same address, written otherwise, is no change; the rest of the form is saved.
    response = client.post(edit, {**data, "email": "JK@dresden.example"})
    assert response.status_code == 302
    person.refresh_from_db()
    assert person.email == "jk@dresden.example" and person.offices.count() == 2
    assert mail.outbox == []

    # The way for a new address: deactivate, and invite the person with it.
    client.post(reverse("accounts:account_deactivate", args=[person.pk]))
    client.post(
        reverse("accounts:account_invite"),
        {**data, "email": "jana.krause@dresden.example", "username": "jkrause"},
    )
    [invitation] = mail.outbox
    assert invitation.to == ["jana.krause@dresden.example"]
    person.refresh_from_db()
    assert not person.is_active and person.email == "jk@dresden.example"


def test_a_deactivated_account_cannot_log_in_and_its_session_ends(client, bureau_user, offices):
    from django.test import Client

    person = account("amt51", offices=[offices[0]])
    theirs = Client()
    theirs.force_login(person)
    assert theirs.get(reverse("measures:measure_list")).status_code == 200

    client.force_login(bureau_user)
    confirm = client.get(reverse("accounts:account_deactivate", args=[person.pk]))
    assert "Konto von amt51 deaktivieren?" in confirm.content.decode()
    response = client.post(reverse("accounts:account_deactivate", args=[person.pk]))
    assert response.status_code == 302
    person.refresh_from_db()
    assert not person.is_active

    ended = theirs.get(reverse("measures:measure_list"))
    assert ended.status_code == 302 and ended.url.startswith(reverse("login"))
    login = {"username": "amt51", "password": "secret-password"}
    assert Client().post(reverse("login"), login, REMOTE_ADDR="10.0.0.9").status_code == 200

    client.post(reverse("accounts:account_reactivate", args=[person.pk]))
    assert Client().post(reverse("login"), login, REMOTE_ADDR="10.0.0.9").status_code == 302
    reasons = list(
        person.history.order_by("-history_date", "-history_id").values_list(
            "history_change_reason", "history_user"
        )[:2]
    )
    assert reasons == [(Reason.REACTIVATED, bureau_user.pk), (Reason.DEACTIVATED, bureau_user.pk)]


def test_nobody_changes_their_own_account_or_an_administrators_here(
    client, admin_user, bureau_user
):
    client.force_login(admin_user)
    assert client.get(reverse("accounts:account_detail", args=[admin_user.pk])).status_code == 200
    for name in ("account_edit", "account_deactivate"):
        assert client.get(reverse(f"accounts:{name}", args=[admin_user.pk])).status_code == 403
    # The administrator changes bureau accounts.
    assert client.get(reverse("accounts:account_edit", args=[bureau_user.pk])).status_code == 200
    client.force_login(bureau_user)
    # The bureau does not even see its own or the administrator's account here.
    for pk in (bureau_user.pk, admin_user.pk):
        assert client.get(reverse("accounts:account_detail", args=[pk])).status_code == 404
        assert client.post(reverse("accounts:account_deactivate", args=[pk])).status_code == 404
    admin_user.refresh_from_db()
    assert admin_user.is_active


def test_changes_in_the_admin_are_recorded_too(admin_user, offices):
    person = account("amt51", offices=[])
    offices[1].staff.add(person)  # as the office's admin page does
    record = person.history.first()
    assert record.offices == "41 – Kulturamt"
    offices[1].staff.clear()
    assert person.history.first().offices == ""
    ensure_role_groups()[Role.COUNCIL].user_set.add(person)
    # Its assignment names no role: its role groups.
    assert person.history.first().roles == f"{the_municipality().name}: council,office_staff"


def test_a_login_writes_no_history_and_no_record_holds_a_password(client, council_member):
    before = council_member.history.count()
    client.post(reverse("login"), {"username": "council", "password": "secret-password"})
    assert council_member.history.count() == before
    assert "password" not in {f.name for f in User.history.model._meta.fields}


def test_bad_input_on_the_edit_form_changes_nothing(client, bureau_user, offices):
    # Invited, no password chosen yet: only then may the address change at all.
    person = account("amt51", offices=[offices[0]], email="a@dresden.example", password=None)
    account("amt41", offices=[offices[1]], email="b@dresden.example")
    client.force_login(bureau_user)
    before = person.history.count()
    response = client.post(
        reverse("accounts:account_edit", args=[person.pk]),
        {"first_name": "", "last_name": "K", "email": "B@dresden.example", "role": "x"},
    )
    assert response.status_code == 400
    content = response.content.decode()
    assert "<title>Fehler:" in content
    assert 'href="#id_role"' in content  # the summary links to the group of choices
    assert "Ein anderes Konto hat bereits diese E-Mail-Adresse." in content
    person.refresh_from_db()
    assert person.email == "a@dresden.example" and person.history.count() == before


@pytest.mark.parametrize("count", [3, 30])
def test_account_list_queries_do_not_grow(
    client, bureau_user, offices, django_assert_num_queries, count
):
    for n in range(count):
        account(f"amt{n}", offices=offices)
        account(f"beirat{n}", role=Role.COUNCIL)
    client.force_login(bureau_user)
    # count, the page of accounts (with the latest invitation), their role groups, their
    # offices, and the offices of the filter's dropdown
    with django_assert_num_queries(REQUEST + 5):
        assert client.get(reverse("accounts:account_list")).status_code == 200


@pytest.mark.parametrize("count", [3, 30])
def test_account_page_queries_do_not_grow(
    client, bureau_user, offices, django_assert_num_queries, count
):
    person = account("amt51", offices=[offices[0]])
    client.force_login(bureau_user)
    for n in range(count):
        client.post(
            reverse("accounts:account_edit", args=[person.pk]),
            {
                "first_name": f"V{n}",
                "last_name": "K",
                "email": f"v{n}@dresden.example",
                "role": Role.OFFICE_STAFF,
                "offices": [str(offices[n % 2].pk)],
            },
        )
    # the account (with the latest invitation), its role groups, its offices, may it be
    # changed, the history's count, its page (with who), the record before the page
    with django_assert_num_queries(REQUEST + 7):
        assert client.get(reverse("accounts:account_detail", args=[person.pk])).status_code == 200
