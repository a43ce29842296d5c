"""The Django admin opens where the account is bureau.

An account's role groups carry the admin's model permissions for every
municipality it holds the role in (helpers/roles.py); the admin itself opens only
in a municipality where the request's role is the bureau's, so the bureau of one
municipality that is a council member of another reads the other's master data
as the council does, not in the admin. Superusers (the system administration)
everywhere.
"""

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig as DjangoAdminConfig


class AdminSite(admin.AdminSite):
    def has_permission(self, request):
        # Late: this module is loaded with the app registry, before the models.
        from .roles import is_bureau

        return super().has_permission(request) and is_bureau(request.user)


class AdminConfig(DjangoAdminConfig):
    default_site = "helpers.admin_site.AdminSite"
