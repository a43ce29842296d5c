from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = _("Reports")

    def ready(self):
        from measures import start_page

        from . import start_page as reports_start_page

        start_page.add_section(reports_start_page.context)
