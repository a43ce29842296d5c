"""Indicators of a measure and their values per period."""

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from helpers.scope import scoped_manager

from .measures import (
    Measure,
    StatusEntry,
)


class Indicator(models.Model):
    """A measurable indicator of a measure, with a unit and an optional target."""

    measure = models.ForeignKey(
        Measure,
        verbose_name=_("measure"),
        on_delete=models.CASCADE,
        related_name="indicators",
    )
    name = models.CharField(_("name"), max_length=300)
    unit = models.CharField(_("unit"), max_length=60)
    target = models.DecimalField(
        _("target"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    description = models.TextField(_("description"), blank=True)

    # The municipality it belongs to (helpers/scope.py).
    municipality_paths = ("measure__concept__municipality",)
    objects = scoped_manager()

    class Meta:
        verbose_name = _("indicator")
        verbose_name_plural = _("indicators")
        ordering = ["measure", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["measure", "name"], name="indicator_name_unique_per_measure"
            ),
        ]

    def __str__(self):
        return self.name


class IndicatorValue(models.Model):
    """The value of an indicator for a period (e.g. 222 employees, 07/2009 – 11/2014)."""

    indicator = models.ForeignKey(
        Indicator,
        verbose_name=_("indicator"),
        on_delete=models.CASCADE,
        related_name="values",
    )
    value = models.DecimalField(_("value"), max_digits=14, decimal_places=2)
    period_start = models.DateField(_("period from"))
    period_end = models.DateField(_("period until"))
    status_entry = models.ForeignKey(
        StatusEntry,
        verbose_name=_("status entry"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="indicator_values",
        help_text=_("The entry this value was reported with; it is reviewed with the entry."),
    )
    note = models.TextField(_("note"), blank=True)

    # The municipality it belongs to (helpers/scope.py).
    municipality_paths = ("indicator__measure__concept__municipality",)
    objects = scoped_manager()

    class Meta:
        verbose_name = _("indicator value")
        verbose_name_plural = _("indicator values")
        ordering = ["indicator", "period_end"]
        constraints = [
            models.CheckConstraint(
                name="indicator_value_period_in_order",
                condition=Q(period_end__gte=F("period_start")),
                violation_error_message=_("The period cannot end before it starts."),
            ),
        ]

    def __str__(self):
        return f"{self.indicator}: {self.value} ({self.period_start:%m/%Y}–{self.period_end:%m/%Y})"
