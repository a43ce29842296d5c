from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _ensure_roles(sender, using, **kwargs):
    from integration_tracker.roles import ensure_role_groups

    ensure_role_groups(using=using)


class WorkingGroupsConfig(AppConfig):
    name = "working_groups"
    verbose_name = _("Concepts and working groups")

    def ready(self):
        # Role groups and the bureau's permissions must exist in every database,
        # including fresh test databases; permissions are created after migrating,
        # so this runs after every app's post_migrate and is idempotent.
        post_migrate.connect(_ensure_roles, dispatch_uid="working_groups.ensure_roles")

        from django.contrib.auth.signals import user_logged_in

        from integration_tracker.sessions import mark_activity

        user_logged_in.connect(mark_activity, dispatch_uid="integration_tracker.mark_activity")

        from integration_tracker import roles

        roles.connect()
