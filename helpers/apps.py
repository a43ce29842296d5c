from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _ensure_roles(sender, using, **kwargs):
    from .roles import ensure_role_groups

    ensure_role_groups(using=using)


class HelpersConfig(AppConfig):
    """What every app of the site shares: the checks of uploaded files and the reading
    and writing of spreadsheets, the roles and the rights decorator, the session, cache
    and worker health, the history reader, the error pages and security headers, and
    the site-wide template tags (KERN form fields, German text, euro amounts)."""

    name = "helpers"
    verbose_name = _("Shared parts")

    def ready(self):
        # Role groups and the bureau's permissions must exist in every database,
        # including fresh test databases; permissions are created after migrating,
        # so this runs after every app's post_migrate and is idempotent.
        post_migrate.connect(_ensure_roles, dispatch_uid="helpers.ensure_roles")

        from django.contrib.auth.signals import user_logged_in

        from . import roles
        from .sessions import mark_activity

        user_logged_in.connect(mark_activity, dispatch_uid="helpers.mark_activity")
        roles.connect()
