"""The system administration appoints a municipality's bureau accounts from the
municipality's admin page.

The municipalities' admin is working_groups' (the app below this one); the
invitation is this app's (accounts/services.py), which that app cannot import. So
this app adds its page to the municipality's admin by registering it again,
extended: the same page, the same rights, one more page behind a button.
"""

import logging
from smtplib import SMTPException

from django.contrib import admin, messages
from django.contrib.admin.options import IS_POPUP_VAR
from django.contrib.admin.utils import unquote
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from helpers.addresses import addresses_of
from helpers.roles import Role
from working_groups.admin import MunicipalityAdmin
from working_groups.models import Municipality

from . import services
from .forms import BureauAccountForm
from .tokens import invitation_validity
from .views import MAIL_FAILED

logger = logging.getLogger(__name__)

admin.site.unregister(Municipality)


@admin.register(Municipality)
class MunicipalityAdministration(MunicipalityAdmin):
    """MunicipalityAdmin with the system administration's page that appoints a
    bureau account: after a municipality is added, and from its change page."""

    change_form_template = "admin/accounts/municipality_change_form.html"

    def _appoint_url(self, municipality):
        return reverse("admin:working_groups_municipality_appoint_bureau", args=[municipality.pk])

    def get_urls(self):
        view = require_http_methods(["GET", "POST"])(self.appoint_bureau_view)
        return [
            path(
                "<path:object_id>/buero-konto/",
                self.admin_site.admin_view(view),
                name="working_groups_municipality_appoint_bureau",
            ),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = extra_context or {}
        if request.user.is_superuser:
            extra_context["appoint_bureau_url"] = reverse(
                "admin:working_groups_municipality_appoint_bureau", args=[object_id]
            )
        return super().change_view(request, object_id, form_url, extra_context)

    def response_add(self, request, obj, post_url_continue=None):
        response = super().response_add(request, obj, post_url_continue)
        if any(key in request.POST for key in ("_continue", "_addanother", IS_POPUP_VAR)):
            return response
        # A new municipality's next step: its first bureau account.
        return redirect(self._appoint_url(obj))

    def appoint_bureau_view(self, request, object_id):
        """Invite a person as a bureau account of this municipality (of this one
        only): the bureau's own invitation, its mail and its one-time link."""
        if not request.user.is_superuser:
            raise PermissionDenied
        municipality = self.get_object(request, unquote(object_id))
        if municipality is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        form = BureauAccountForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                # The link leads to the municipality's own address.
                with addresses_of(municipality):
                    account = services.invite(
                        request.user,
                        f"{request.scheme}://{request.get_host()}",
                        role=Role.BUREAU,
                        offices=[],
                        municipalities=[municipality],
                        **form.cleaned_data,
                    )
            except (SMTPException, OSError) as error:
                logger.error("Account e-mail could not be sent: %r", error)
                form.add_error(None, MAIL_FAILED)
            else:
                messages.success(
                    request,
                    _(
                        "%(municipality)s has a bureau account for %(email)s now; the "
                        "invitation has been sent, its link is valid for %(days)s days."
                    )
                    % {
                        "email": account.email,
                        "municipality": municipality.name,
                        "days": invitation_validity().days,
                    },
                )
                return redirect(self._appoint_url(municipality))
        context = {
            **self.admin_site.each_context(request),
            "title": _("Appoint a bureau account"),
            "subtitle": municipality.name,
            "opts": self.opts,
            "original": municipality,
            "form": form,
            "bureau_accounts": get_user_model()
            .objects.filter(assignments__municipality=municipality, assignments__role=Role.BUREAU)
            .order_by("last_name", "first_name", "username"),
            "has_view_permission": True,
            "invitation_days": invitation_validity().days,
        }
        return TemplateResponse(request, "admin/accounts/appoint_bureau.html", context, status=200)
