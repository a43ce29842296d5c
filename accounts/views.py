"""The accounts page of the bureau (/konten/), the invitation link, Django's
password reset with this site's forms and mails, and each person's own account
page (/konto/) with their choice of e-mails."""

import logging
from smtplib import SMTPException

from axes.utils import reset as reset_lockouts
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import OuterRef, Prefetch, Subquery, Value
from django.db.models.functions import Coalesce, Lower, NullIf
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse_lazy
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import i18n
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from helpers.addresses import municipality_reverse
from helpers.decorators import requires
from helpers.roles import Role, municipalities
from helpers.scope import CHOSEN_KEY, chosen_municipality
from helpers.worker import worker_is_late
from working_groups.models import Assignment

from . import services
from .filters import AccountFilter, AccountState
from .forms import (
    AccountForm,
    InvitationForm,
    NotificationSettingsForm,
    PasswordResetForm,
    SetPasswordForm,
)
from .history import account_changes, one_record
from .models import INVITATION_REASONS, NotificationSettings, Reason
from .permissions import assignable_roles, can_change_account, can_manage_accounts, managed_accounts
from .tokens import LinkProblem, invitation_tokens, invitation_validity

logger = logging.getLogger(__name__)
User = get_user_model()
ACCOUNTS_PER_PAGE = 25
MAIL_FAILED = gettext_lazy(
    "The e-mail could not be sent: the mail server did not accept it. Nothing was changed. "
    "Please try again later, or ask the administration to check the e-mail settings."
)


def _accounts(user):
    """The accounts ``user`` runs, with what the page shows of each: the role in
    the municipality the user works in (an assignment without one, and for the
    system administration at the instance's addresses: the role groups), offices,
    and when the latest invitation was sent (from the history)."""
    invited_at = (
        User.history.model.objects.filter(
            id=OuterRef("pk"), history_change_reason__in=INVITATION_REASONS
        )
        .order_by("-history_date")
        .values("history_date")[:1]
    )
    here = services.acting_in(user)
    role_here = Assignment.all_objects.filter(user=OuterRef("pk"), municipality=here)
    queryset = (
        User.objects.annotate(
            invited_at=Subquery(invited_at),
            role_here=Subquery(role_here.values("role")[:1]) if here else Value(""),
            # People without a name are listed by their user name among the others.
            sort_name=Lower(Coalesce(NullIf("last_name", Value("")), "username")),
        )
        .prefetch_related(
            Prefetch("groups", Group.objects.filter(name__in=Role.values), to_attr="role_groups"),
            "offices",
        )
        .order_by("sort_name", "first_name", "username")
    )
    return managed_accounts(user, queryset)


def _describe(account, now):
    """The account's roles and its state, for the templates."""
    roles = [account.role_here] if account.role_here else [g.name for g in account.role_groups]
    account.role_names = roles
    account.role_labels = [Role(name).label for name in roles]
    account.invitation_valid_until = None
    if not account.is_active:
        account.state = AccountState.DEACTIVATED
    elif account.has_usable_password():
        account.state = AccountState.ACTIVE
    elif account.invited_at and account.invited_at + invitation_validity() > now:
        account.state = AccountState.INVITED
        account.invitation_valid_until = account.invited_at + invitation_validity()
    else:
        account.state = AccountState.WITHOUT_PASSWORD
    return account


def _site_url(request):
    return f"{request.scheme}://{request.get_host()}"


def _changeable_account(request, pk):
    """The account if the user runs it (else 404) and may change it (else 403)."""
    account = get_object_or_404(_accounts(request.user), pk=pk)
    if not can_change_account(request.user, account):
        raise PermissionDenied
    return _describe(account, timezone.now())


@requires(can_manage_accounts)
@require_safe
def account_list(request):
    account_filter = AccountFilter(request.GET, queryset=_accounts(request.user))
    page = Paginator(account_filter.qs, ACCOUNTS_PER_PAGE).get_page(request.GET.get("page"))
    now = timezone.now()
    for account in page.object_list:
        _describe(account, now)
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "accounts/account_list.html",
        {"filter": account_filter, "page": page, "query": query.urlencode()},
    )


@requires(can_manage_accounts)
@require_safe
def account_detail(request, pk):
    account = _describe(get_object_or_404(_accounts(request.user), pk=pk), timezone.now())
    page, rows = account_changes(account, request.GET.get("page"))
    return render(
        request,
        "accounts/account_detail.html",
        {
            "account": account,
            "can_change": can_change_account(request.user, account),
            "page": page,
            "rows": rows,
        },
    )


def _mail_failed(error):
    logger.error("Account e-mail could not be sent: %r", error)


@requires(can_manage_accounts)
@require_http_methods(["GET", "POST"])
def account_invite(request):
    form = InvitationForm(request.POST or None, roles=assignable_roles(request.user))
    status = 400 if form.is_bound else 200
    if request.method == "POST" and form.is_valid():
        try:
            account = services.invite(request.user, _site_url(request), **form.cleaned_data)
        except (SMTPException, OSError) as error:
            _mail_failed(error)
            form.add_error(None, MAIL_FAILED)
            status = 503
        else:
            messages.success(
                request,
                _("The invitation to %(email)s has been sent; its link is valid for %(days)s days.")
                % {"email": account.email, "days": invitation_validity().days},
            )
            return redirect("accounts:account_detail", account.pk)
    return render(
        request,
        "accounts/account_form.html",
        {"form": form, "invitation_days": settings.INVITATION_VALID_DAYS},
        status=status,
    )


@requires(can_manage_accounts)
@require_http_methods(["GET", "POST"])
def account_edit(request, pk):
    account = _changeable_account(request, pk)
    roles = assignable_roles(request.user)
    current_roles = account.role_names
    initial = {
        "first_name": account.first_name,
        "last_name": account.last_name,
        "email": account.email,
        "role": current_roles[0] if len(current_roles) == 1 else None,
        "offices": [str(office.pk) for office in account.offices.all()],
    }
    form = AccountForm(
        request.POST or None, roles=roles, account=account, actor=request.user, initial=initial
    )
    if request.method == "POST" and form.is_valid():
        services.change(account, request.user, **form.cleaned_data)
        messages.success(request, _("The account has been changed."))
        return redirect("accounts:account_detail", account.pk)
    return render(
        request,
        "accounts/account_form.html",
        {"form": form, "account": account},
        status=400 if form.is_bound else 200,
    )


@requires(can_manage_accounts)
@require_http_methods(["GET", "POST"])
def account_deactivate(request, pk):
    account = _changeable_account(request, pk)
    # An account that also works with another municipality ends its work here only.
    elsewhere = services.works_elsewhere(account, request.user)
    if request.method == "POST":
        try:
            services.set_active(account, request.user, False)
        except services.NotAllowed:
            messages.info(request, _("The account was already deactivated."))
        else:
            if elsewhere:
                messages.success(
                    request,
                    _(
                        "%(username)s no longer works with %(municipality)s; the account "
                        "keeps its work in other municipalities."
                    )
                    % {
                        "username": account.get_username(),
                        "municipality": chosen_municipality(request)[1],
                    },
                )
                return redirect("accounts:account_list")
            messages.success(
                request,
                _("The account %(username)s has been deactivated; it can no longer log in.")
                % {"username": account.get_username()},
            )
        return redirect("accounts:account_detail", account.pk)
    return render(
        request,
        "accounts/account_deactivate.html",
        {"account": account, "elsewhere": elsewhere},
    )


@requires(can_manage_accounts)
@require_POST
def account_reactivate(request, pk):
    account = _changeable_account(request, pk)
    try:
        services.set_active(account, request.user, True)
    except services.NotAllowed:
        messages.info(request, _("The account was already active."))
    else:
        messages.success(
            request,
            _("The account %(username)s has been reactivated.")
            % {"username": account.get_username()},
        )
    return redirect("accounts:account_detail", account.pk)


@requires(can_manage_accounts)
@require_POST
def invitation_resend(request, pk):
    account = _changeable_account(request, pk)
    try:
        services.send_invitation_again(account, request.user, _site_url(request))
    except services.NotAllowed:
        messages.error(
            request,
            _(
                "Only an active account without a password can be invited again; a person "
                "who has chosen a password uses “Forgot your password?” on the login page."
            ),
        )
    except services.TooSoon:
        messages.error(
            request,
            _(
                "An invitation was sent to this account a few minutes ago; please wait "
                "a moment before sending another."
            ),
        )
    except (SMTPException, OSError) as error:
        _mail_failed(error)
        messages.error(request, MAIL_FAILED)
    else:
        messages.success(
            request,
            _("A new invitation has been sent to %(email)s; earlier links no longer work.")
            % {"email": account.email},
        )
    return redirect("accounts:account_detail", account.pk)


# --- One's own account -----------------------------------------------------------------


@login_required
@require_POST
def choose_municipality(request):
    """An account that works with several municipalities chooses the one it works
    in: from the next request on, it sees that one's records only
    (helpers/scope.py). Its start page, since the page it came from
    names a record of the other."""
    chosen = request.POST.get("municipality", "")
    rows = {row[0]: row for row in municipalities(request.user)}
    if not chosen.isdigit() or int(chosen) not in rows:
        messages.error(request, _("Choose one of your municipalities."))
        return redirect("measures:home")
    pk, name, slug = rows[int(chosen)]
    request.session[CHOSEN_KEY] = pk
    messages.success(request, _("You now work in %(name)s.") % {"name": name})
    # Its start page, at its own address (helpers/addresses.py).
    return redirect(municipality_reverse(slug, "measures:home"))


@login_required
@require_http_methods(["GET", "POST"])
def my_account(request):
    """Who one is here, the way to change the password, and which e-mails one gets."""
    notification_settings = NotificationSettings.objects.filter(user=request.user).first()
    form = NotificationSettingsForm(
        request.POST if request.method == "POST" else None,
        instance=notification_settings or NotificationSettings(user=request.user),
    )
    if form.is_valid():
        form.save()
        messages.success(request, _("Your e-mail settings have been saved."))
        return redirect("accounts:my_account")
    return render(
        request,
        "accounts/my_account.html",
        {"form": form, "offices": request.user.offices.order_by("code")},
        status=400 if form.is_bound else 200,
    )


def set_language(request):
    """Django's language switch; a logged-in person's choice is also the language of
    their e-mails from then on."""
    response = i18n.set_language(request)
    if request.method == "POST" and request.user.is_authenticated:
        NotificationSettings.remember_language(request.user, request.POST.get("language"))
    return response


# --- The invitation link and the password reset (Django's views) ---------------------


class InvitationAcceptView(auth_views.PasswordResetConfirmView):
    """The invited person chooses a password and is logged in. Django's view: the
    link's token moves into the session at once, so that it does not leak through
    the address bar or the Referer header."""

    form_class = SetPasswordForm
    token_generator = invitation_tokens
    reset_url_token = "passwort-waehlen"
    post_reset_login = True
    post_reset_login_backend = "django.contrib.auth.backends.ModelBackend"
    success_url = reverse_lazy("measures:home")
    template_name = "registration/invitation_accept.html"

    def dispatch(self, *args, **kwargs):
        token = kwargs.get("token")
        if token == self.reset_url_token:
            token = self.request.session.get(auth_views.INTERNAL_RESET_SESSION_TOKEN)
        self.token = token
        return super().dispatch(*args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if not context["validlink"]:
            context["problem"] = LinkProblem(
                invitation_tokens.problem(self.user, self.token) or LinkProblem.INVALID
            )
        return context

    def form_valid(self, form):
        with one_record(form.user, Reason.INVITATION_ACCEPTED, actor=form.user):
            response = super().form_valid(form)
        messages.success(
            self.request, _("Welcome! Your password has been set and you are logged in.")
        )
        return response


class PasswordResetView(auth_views.PasswordResetView):
    form_class = PasswordResetForm

    def get_context_data(self, **kwargs):
        return {
            **super().get_context_data(**kwargs),
            "valid_hours": settings.PASSWORD_RESET_TIMEOUT // 3600,
        }


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    def get_context_data(self, **kwargs):
        # The worker sends the mail. Whether it is late depends on tasks that have
        # waited for a minute, never on this request's: the page reads the same
        # whether an account has the address or not.
        return {**super().get_context_data(**kwargs), "worker_is_late": worker_is_late()}


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    form_class = SetPasswordForm

    def get_user(self, uidb64):
        # A link sent before the account was deactivated ends with it: Django's token
        # covers the password, the last login and the address, not the account's state.
        user = super().get_user(uidb64)
        return user if user is not None and user.is_active else None

    def form_valid(self, form):
        with one_record(form.user, Reason.PASSWORD_RESET, actor=form.user):
            response = super().form_valid(form)
        # Whoever chose the new password has the mailbox: a lockout after forgotten
        # passwords would only keep them out for its remaining minutes.
        reset_lockouts(username=form.user.get_username())
        return response
