"""The one-time link of an invitation.

A signed token (django.core.signing, with a timestamp) over a digest of the account's
state: its id, its password field, its last login and its e-mail address. Setting a
password changes the password field, so a link works once; a new invitation gives the
account a new unusable password, so only the latest link works; a changed e-mail
address ends the links sent to the old one. The link expires after
``INVITATION_VALID_DAYS``, independently of Django's password reset links
(``PASSWORD_RESET_TIMEOUT``).

The generator has Django's token generator interface (make_token, check_token), so
Django's PasswordResetConfirmView takes the link (accounts/views.py); ``problem`` says
why a link does not work, for the page that explains it.
"""

import datetime

from django.conf import settings
from django.core import signing
from django.db import models
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext_lazy as _


class LinkProblem(models.TextChoices):
    INVALID = "invalid", _("The link is not valid.")
    EXPIRED = "expired", _("The link has expired.")
    USED = "used", _("The link has already been used.")
    REPLACED = "replaced", _("A newer invitation has replaced this link.")
    DEACTIVATED = "deactivated", _("The account has been deactivated.")


def invitation_validity():
    return datetime.timedelta(days=settings.INVITATION_VALID_DAYS)


class InvitationTokenGenerator:
    salt = "accounts.invitation"

    def _signer(self):
        return signing.TimestampSigner(salt=self.salt)

    def _state(self, user):
        last_login = "" if user.last_login is None else user.last_login.replace(microsecond=0)
        value = f"{user.pk}|{user.password}|{last_login}|{user.email}"
        return salted_hmac(self.salt, value, algorithm="sha256").hexdigest()[:32]

    def make_token(self, user):
        return self._signer().sign(self._state(user))

    def problem(self, user, token):
        """None if the link works, else a LinkProblem."""
        if user is None or not token:
            return LinkProblem.INVALID
        try:
            state = self._signer().unsign(token, max_age=invitation_validity())
        except signing.SignatureExpired:
            return LinkProblem.EXPIRED
        except signing.BadSignature:
            return LinkProblem.INVALID
        if not user.is_active:
            return LinkProblem.DEACTIVATED
        if not constant_time_compare(state, self._state(user)):
            return LinkProblem.USED if user.has_usable_password() else LinkProblem.REPLACED
        return None

    def check_token(self, user, token):
        return self.problem(user, token) is None


invitation_tokens = InvitationTokenGenerator()
