"""Changes to the records, for the page cache."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class DataChange(models.Model):
    """One row per change to the records the progress pages show; the highest id is
    the data's generation, part of every cached page's key (measures/page_cache.py).

    Appending (rather than counting up one row) takes no lock that writers could
    wait for, and a row becomes visible with the change that wrote it."""

    changed_at = models.DateTimeField(_("changed at"), auto_now_add=True)
    model = models.CharField(_("model"), max_length=100)

    class Meta:
        verbose_name = _("data change")
        verbose_name_plural = _("data changes")

    def __str__(self):
        return f"{self.pk} {self.model}"
