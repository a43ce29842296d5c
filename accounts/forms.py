from django import forms
from django.conf import settings
from django.contrib.auth import forms as auth_forms
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from helpers.forms import AccessibleErrorsMixin
from helpers.roles import Role
from helpers.scope import accounts_in_scope
from working_groups.models import Office

from .models import NotificationKind, NotificationSettings
from .permissions import can_change_address
from .tasks import send_password_reset

User = get_user_model()
RESET_MAIL_INTERVAL = 300  # seconds

ADDRESS_FIXED_HELP = _(
    "This person has chosen a password: the address of the account cannot be changed "
    "here. If their address changes, deactivate this account and invite them with the "
    "new address."
)
ADDRESS_FIXED = _(
    "The e-mail address of an account in use cannot be changed here: whoever has the "
    "address can reset the password and act as the person. Deactivate this account and "
    "invite the person with the new address."
)


EMAIL_ELSEWHERE = _(
    "Another account already has this e-mail address. It does not work with your "
    "municipality: the system administration assigns an existing account to a "
    "municipality. Ask it, or enter another address."
)
USERNAME_ELSEWHERE = _(
    "The user name “%(username)s” is taken, by an account that does not work with your "
    "municipality: the system administration assigns an existing account to a "
    "municipality. Ask it, or enter another user name."
)


def _works_here(others):
    """Whether an account of ``others`` works with the municipality the request
    works in. One that does not, the bureau cannot reach, nor merge an invitation
    into it: the system administration assigns existing accounts."""
    return accounts_in_scope().filter(pk__in=others.values("pk")).exists()


class AccountForm(AccessibleErrorsMixin, forms.Form):
    """Name, e-mail address, role and offices of an account (the bureau's form)."""

    first_name = forms.CharField(label=_("First name"), max_length=150)
    last_name = forms.CharField(label=_("Last name"), max_length=150)
    email = forms.EmailField(
        label=_("E-mail address"),
        max_length=254,
        help_text=_("Invitations and password resets are sent to this address."),
    )
    role = forms.ChoiceField(
        label=_("Role"), widget=forms.RadioSelect(attrs={"class": "kern-form-check__radio"})
    )
    offices = forms.MultipleChoiceField(
        label=_("Offices"),
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "kern-form-check__checkbox"}),
        help_text=_(
            "Office staff enter the status of the measures their offices lead or take part "
            "in. Council members belong to no office."
        ),
    )

    def __init__(self, *args, roles, account=None, actor=None, offices=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.account = account
        self.address_is_fixed = account is not None and not can_change_address(actor, account)
        if self.address_is_fixed:
            self.fields["email"].help_text = ADDRESS_FIXED_HELP
        self.fields["role"].choices = [(role.value, role.label) for role in roles]
        # One query. With several municipalities an office's name says which one.
        offices = Office.objects.all() if offices is None else offices
        self.office_objects = {
            str(office.pk): office for office in offices.select_related("municipality")
        }
        municipalities = {office.municipality_id for office in self.office_objects.values()}
        self.fields["offices"].choices = [
            (key, f"{office} ({office.municipality})" if len(municipalities) > 1 else str(office))
            for key, office in self.office_objects.items()
        ]

    def clean_email(self):
        email = User.objects.normalize_email(self.cleaned_data["email"]).strip()
        if self.address_is_fixed:
            if email.lower() != self.account.email.lower():
                raise forms.ValidationError(ADDRESS_FIXED, code="address_fixed")
            return self.account.email
        others = User.objects.filter(email__iexact=email)
        if self.account is not None:
            others = others.exclude(pk=self.account.pk)
        if others.exists():
            if not _works_here(others):
                raise forms.ValidationError(EMAIL_ELSEWHERE, code="account_elsewhere")
            raise forms.ValidationError(
                _(
                    "Another account already has this e-mail address. Each person has one "
                    "account: change the existing account, or enter another address."
                ),
                code="duplicate_email",
            )
        return email

    def clean_offices(self):
        return [self.office_objects[key] for key in self.cleaned_data["offices"]]

    def clean(self):
        cleaned = super().clean()
        role, offices = cleaned.get("role"), cleaned.get("offices")
        if role == Role.OFFICE_STAFF and offices == []:
            self.add_error(
                "offices", _("Office staff need at least one office whose measures they report.")
            )
        if role == Role.COUNCIL and offices:
            self.add_error(
                "offices",
                _(
                    "Council members belong to no office: clear the offices, or choose "
                    "another role."
                ),
            )
        return cleaned


class InvitationForm(AccountForm):
    username = forms.CharField(
        label=_("User name"),
        max_length=150,
        required=False,
        validators=[User.username_validator],
        help_text=_(
            "The name the person logs in with; letters, digits and @ . + - _ only. "
            "Left empty, the e-mail address is the user name."
        ),
    )

    field_order = ["first_name", "last_name", "email", "username", "role", "offices"]

    def clean_username(self):
        username = self.cleaned_data["username"].strip()
        if not username:
            username = self.cleaned_data.get("email", "")
            if not username:
                return username  # the e-mail address has its own error
            try:
                User.username_validator(username)
            except forms.ValidationError:
                raise forms.ValidationError(
                    _("The e-mail address cannot be a user name: enter a user name."),
                    code="invalid",
                ) from None
        others = User.objects.filter(username__iexact=username)
        if others.exists():
            if not _works_here(others):
                raise forms.ValidationError(
                    USERNAME_ELSEWHERE, code="account_elsewhere", params={"username": username}
                )
            raise forms.ValidationError(
                _("The user name “%(username)s” is taken: enter another one."),
                code="duplicate_username",
                params={"username": username},
            )
        return username


class BureauAccountForm(InvitationForm):
    """The system administration appoints a bureau account of one municipality (the
    municipality's admin page, accounts/admin.py): the invitation's name, address
    and user name. The role is the bureau's, the municipality the one it is
    appointed for, and a bureau account has no office."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, roles=[Role.BUREAU], offices=Office.objects.none(), **kwargs)
        del self.fields["role"], self.fields["offices"]


class SetPasswordForm(AccessibleErrorsMixin, auth_forms.SetPasswordForm):
    """Django's form (with the password validators of AUTH_PASSWORD_VALIDATORS), its
    errors linked to the fields."""


class PasswordResetForm(AccessibleErrorsMixin, auth_forms.PasswordResetForm):
    """Django's password reset, with the mail sent by the background worker: the
    answer to the visitor is the same, and comes as fast, whether an account has the
    address or not (no one learns which addresses have accounts), and a slow mail
    server does not hold up the request. The task receives no link: the worker makes
    the token itself, so none is stored with the task."""

    def save(self, request=None, use_https=False, domain_override=None, **kwargs):
        domain = domain_override or request.get_host()
        for user in self.get_users(self.cleaned_data["email"]):
            # At most one mail per account in a few minutes: the form must not become
            # a way to flood someone's mailbox.
            if not cache.add(f"password-reset-mail:{user.pk}", True, RESET_MAIL_INTERVAL):
                continue
            send_password_reset.enqueue(
                user.pk,
                domain=domain,
                protocol="https" if use_https else "http",
                language=translation.get_language() or "de",
            )


class NotificationSettingsForm(AccessibleErrorsMixin, forms.ModelForm):
    """A person's own choice of e-mails (one checkbox per kind) and their language."""

    class Meta:
        model = NotificationSettings
        fields = [*NotificationKind.values, "language"]
        labels = {
            "entry_returned": _(
                "An entry of mine was returned for revision (with the bureau’s comment)"
            ),
            "entry_approved": _("An entry of mine was approved"),
            "round_opened": _(
                "A reporting round was opened in which my office reports (what is due, and by when)"
            ),
            "overdue": _(
                "A reminder after the deadline, at most once a day, while my office has "
                "not reported everything"
            ),
            "language": _("Language of the e-mails"),
        }
        help_texts = {
            "overdue": _(
                "If your office has a shared e-mail address for reminders, this reminder "
                "goes to that address instead."
            ),
            "language": _("Choosing a language at the top of a page changes it too."),
        }
        widgets = {"language": forms.RadioSelect}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        days = settings.DEADLINE_REMINDER_DAYS
        self.fields["deadline_near"].label = ngettext(
            "A reminder %(days)s day before the deadline, if my office has not reported "
            "everything yet",
            "A reminder %(days)s days before the deadline, if my office has not reported "
            "everything yet",
            days,
        ) % {"days": days}

    def kind_fields(self):
        return [self[kind] for kind in NotificationKind.values]
