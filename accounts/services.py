"""What the bureau does with accounts: invite, send an invitation again, change,
deactivate and reactivate. Each is one transaction and one history record with its
reason and who did it (accounts/history.py).

The bureau acts in the municipality it works in (``here``): the role it gives is
the role there, its offices are that municipality's, and deactivating an account
that also works with another municipality ends its work here only. The system
administration at the instance's own addresses (``here`` None) acts for every
municipality of the account."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from helpers.roles import Role, ensure_role_groups, sync_role_groups, working_in
from working_groups.models import Assignment, Municipality, Office

from .history import one_record
from .models import Reason
from .permissions import can_change_address
from .tokens import invitation_tokens, invitation_validity

User = get_user_model()


class NotAllowed(Exception):
    """The action does not apply to the account in its present state."""


def invitation_link(account, site_url):
    """The one-time link for ``account`` (valid until the next invitation, the first
    use or INVITATION_VALID_DAYS). ``site_url``: scheme and host, e.g.
    ``https://integration.example.org``."""
    uid = urlsafe_base64_encode(force_bytes(account.pk))
    token = invitation_tokens.make_token(account)
    return site_url + reverse("accounts:invitation_accept", args=[uid, token])


def _send_invitation(account, actor, site_url):
    # Whom to ask: the contact of the municipality the account works in (its first
    # by name), else the instance's.
    municipality = Municipality.all_objects.filter(accounts=account).order_by("name").first()
    context = {
        "account": account,
        "actor": actor,
        "link": invitation_link(account, site_url),
        "site_url": site_url,
        "valid_until": timezone.localtime() + invitation_validity(),
        "contact": municipality.contact if municipality else settings.BUREAU_CONTACT,
    }
    # Invitations go out in German, the language of the administration (as reminders do).
    with translation.override(settings.LANGUAGE_CODE):
        subject = render_to_string("accounts/email/invitation_subject.txt", context).strip()
        body = render_to_string("accounts/email/invitation_body.txt", context)
    send_mail(subject, body, None, [account.email])


def _set_role(account, role, here):
    """Give ``account`` the role ``role`` in the municipality ``here`` (None: in
    every one it works with); its role groups and whether it is staff (the bureau
    uses the admin) follow the roles it holds anywhere (helpers/roles.py)."""
    assignments = Assignment.all_objects.filter(user=account)
    if here is not None:
        assignments = assignments.filter(municipality=here)
    assignments.update(role=role)
    sync_role_groups([account])


def acting_in(actor):
    """The municipality the actor's request works in; None for the system
    administration (every municipality)."""
    return None if actor.is_superuser else working_in(actor)


def _municipalities_of_new_account(actor, offices, municipalities):
    """An invited account works with the municipality of the bureau that invites
    it (the one it works in), and with those of its offices (the only ones the form
    offers are the bureau's own; the system administration may choose any) or named
    for it (the system administration appoints a municipality's bureau account,
    which has no office)."""
    found = {office.municipality_id for office in offices}
    named = {municipality.pk for municipality in municipalities}
    if not actor.is_superuser:
        own = {working_in(actor)}
        if not (named | found) <= own:
            raise NotAllowed
        found |= own
    return found | named


def invite(
    actor,
    site_url,
    *,
    username,
    email,
    first_name,
    last_name,
    role,
    offices,
    municipalities=(),
):
    """Create the account without a usable password and e-mail it the link to choose
    one. If the mail cannot be sent, nothing is kept (the error goes to the caller)."""
    with transaction.atomic():
        account = User(
            username=username or email,
            email=email,
            first_name=first_name,
            last_name=last_name,
            is_staff=role == Role.BUREAU,
        )
        account.set_unusable_password()
        with one_record(account, Reason.INVITED, actor):
            account.save()
            account.municipalities.set(
                _municipalities_of_new_account(actor, offices, municipalities),
                through_defaults={"role": role},
            )
            # An account the system administration invites for no municipality
            # has its role as a group only (helpers/roles.py).
            account.groups.add(ensure_role_groups()[role])
            _set_role(account, role, None)
            account.offices.set(offices)
        _send_invitation(account, actor, site_url)
    return account


def invitation_pending(account):
    return account.is_active and not account.has_usable_password()


# One invitation per account in this many seconds: the button must not become a way
# to flood someone's mailbox.
INVITATION_INTERVAL = 300


class TooSoon(Exception):
    """An invitation was sent to this account a moment ago."""


def send_invitation_again(account, actor, site_url):
    """A new link for an account that has not chosen a password yet; earlier links
    stop working (the account gets a new unusable password)."""
    if not invitation_pending(account):
        raise NotAllowed
    if not cache.add(f"invitation-mail:{account.pk}", True, INVITATION_INTERVAL):
        raise TooSoon
    with transaction.atomic():
        with one_record(account, Reason.INVITATION_SENT, actor):
            account.set_unusable_password()
            account.save(update_fields=["password"])
        _send_invitation(account, actor, site_url)


def _tell_old_address(account, actor, old_email):
    """Whoever controls an account's address can reset its password: the old address
    learns of a change, so that a person notices when someone else takes it over."""
    context = {
        "account": account,
        "actor": actor,
        "old_email": old_email,
        "contact": settings.BUREAU_CONTACT,
    }
    with translation.override(settings.LANGUAGE_CODE):
        subject = render_to_string("accounts/email/address_changed_subject.txt", context).strip()
        body = render_to_string("accounts/email/address_changed_body.txt", context)
    send_mail(subject, body, None, [old_email])


def change(account, actor, *, email, first_name, last_name, role, offices):
    old_email = account.email
    if old_email.lower() != email.lower() and not can_change_address(actor, account):
        raise NotAllowed
    here = acting_in(actor)
    with transaction.atomic(), one_record(account, Reason.CHANGED, actor):
        account.email, account.first_name, account.last_name = email, first_name, last_name
        _set_role(account, role, here)
        account.save(update_fields=["email", "first_name", "last_name", "is_staff"])
        _set_offices(account, offices, here)
        if old_email and old_email.lower() != email.lower():
            _tell_old_address(account, actor, old_email)


def _set_offices(account, offices, here):
    """The account's offices in the municipality ``here`` (None: in all); its
    offices in another stay."""
    staff = Office.staff.through.objects.filter(user=account)
    if here is not None:
        staff = staff.filter(office__municipality=here)
    keep = {office.pk for office in offices}
    gone = set(staff.values_list("office_id", flat=True)) - keep
    if gone:
        account.offices.remove(*gone)
    account.offices.add(*offices)


def works_elsewhere(account, actor):
    """Whether ``account`` also works with a municipality other than the one the
    actor works in (then deactivating it here ends its work here only)."""
    here = acting_in(actor)
    return (
        here is not None
        and Assignment.all_objects.filter(user=account).exclude(municipality=here).exists()
    )


def end_assignment(account, actor):
    """The account no longer works with the actor's municipality: its role and its
    offices there end; its work in other municipalities stays."""
    here = acting_in(actor)
    if here is None or not account.is_active:
        raise NotAllowed
    with transaction.atomic(), one_record(account, Reason.ASSIGNMENT_ENDED, actor):
        _set_offices(account, [], here)
        Assignment.all_objects.filter(user=account, municipality=here).delete()
        sync_role_groups([account])


def set_active(account, actor, active):
    """Deactivate or reactivate. A deactivated account cannot log in, and its open
    sessions end at their next request: Django's ModelBackend does not return an
    inactive user for a session (``user_can_authenticate``). An account that also
    works with another municipality is not deactivated by the bureau of one: its
    work there ends (``end_assignment``)."""
    if account.is_active == active:
        raise NotAllowed
    if not active and works_elsewhere(account, actor):
        return end_assignment(account, actor)
    reason = Reason.REACTIVATED if active else Reason.DEACTIVATED
    with transaction.atomic(), one_record(account, reason, actor):
        account.is_active = active
        account.save(update_fields=["is_active"])
