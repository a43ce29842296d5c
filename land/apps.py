from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LandConfig(AppConfig):
    """The Land view: a group of municipalities (a Land, a district, an association
    of towns) whose viewers read side by side what its members have published."""

    name = "land"
    verbose_name = _("Land view")

    def ready(self):
        from . import permissions

        permissions.connect()
