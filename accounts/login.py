"""The login and the password change, limited alike: wrong current passwords count
as failed logins of the account (django-axes), so the password change cannot be used
to guess a password without limit once someone has an unlocked session. (The
invitations and the password reset by e-mail are in accounts/.)"""

from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_lockout_response
from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.signals import user_login_failed
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from accounts.history import one_record
from accounts.models import Reason
from helpers.addresses import municipality_reverse
from helpers.roles import municipalities
from helpers.scope import CHOSEN_KEY


class LoginForm(AuthenticationForm):
    """Django's login form sets the user name's maximum length on the input only;
    a longer name went on to django-axes, which cannot store it (a server error on
    PostgreSQL). Here it is a form error, before anything is looked up.

    Its message for a wrong password reads in German as if the fields were empty
    ("Bitte Benutzername und Passwort eingeben"); this one says what happened."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _(
            "The user name or the password is not correct. Please check both; "
            "capital and small letters count."
        ),
    }

    def clean(self):
        username = self.cleaned_data.get("username")
        if username is not None and len(username) > self.fields["username"].max_length:
            raise self.get_invalid_login_error()
        return super().clean()

    def confirm_login_allowed(self, user):
        """At a municipality's address (``/<slug>/konto/login/``) only its own
        accounts log in (and the system administration); an account of another
        one is told what a wrong password is told, so the form does not reveal
        where an account works."""
        super().confirm_login_allowed(user)
        slug = getattr(self.request, "address_slug", None)
        if slug and not user.is_superuser and slug not in {row[2] for row in municipalities(user)}:
            raise self.get_invalid_login_error()


class LoginView(auth_views.LoginView):
    """Django's login, which leads an account without a ``next`` to the start page
    of the municipality it works in, at that municipality's address (the login at a
    municipality's address stays there: helpers/addresses.py)."""

    authentication_form = LoginForm

    def get_default_redirect_url(self):
        if self.next_page or getattr(self.request, "address_slug", None):
            return super().get_default_redirect_url()
        from land.permissions import reads_land_view

        user = self.request.user
        rows = municipalities(user)
        if not rows and not user.is_superuser and reads_land_view(user):
            # An account of the Land, which works with no municipality itself.
            return reverse("land:group_list")
        if not rows or user.is_superuser:
            return super().get_default_redirect_url()
        chosen = self.request.session.get(CHOSEN_KEY)
        slug = next((row[2] for row in rows if row[0] == chosen), rows[0][2])
        return municipality_reverse(slug, settings.LOGIN_REDIRECT_URL)


class AdminLoginForm(LoginForm, AdminAuthenticationForm):
    """The admin's login, with the same guard: a name longer than the field is a form
    error, not a row django-axes cannot store. Only staff are let in
    (AdminAuthenticationForm.confirm_login_allowed)."""


class PasswordChangeView(auth_views.PasswordChangeView):
    def _credentials(self):
        return {"username": self.request.user.get_username()}

    def post(self, request, *args, **kwargs):
        if not AxesProxyHandler.is_allowed(request, self._credentials()):
            return get_lockout_response(request, credentials=self._credentials())
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        # The account's audit trail says what the change was (never the password).
        with one_record(form.user, Reason.PASSWORD_CHANGED, actor=form.user):
            return super().form_valid(form)

    def form_invalid(self, form):
        if form.has_error("old_password"):
            # django-axes counts it; once over the limit, its middleware answers
            # with the lockout page (429) instead of this form.
            user_login_failed.send(
                sender=__name__, credentials=self._credentials(), request=self.request
            )
        return super().form_invalid(form)
