"""Funding programmes, lines, areas and amounts."""

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from helpers.scope import scoped_manager
from helpers.templatetags.money import euro
from working_groups.models import (
    Office,
)

from .measures import (
    Measure,
)


class FundingProgramme(models.Model):
    """A funding programme (e.g. “Die Soziale Stadt”)."""

    name = models.CharField(_("name"), max_length=300, unique=True)
    short_name = models.CharField(_("short name"), max_length=60, blank=True)
    funder = models.CharField(
        _("funded by"),
        max_length=200,
        blank=True,
        help_text=_("E.g. federal state, EU, city."),
    )
    description = models.TextField(_("description"), blank=True)

    class Meta:
        verbose_name = _("funding programme")
        verbose_name_plural = _("funding programmes")
        ordering = ["name"]

    def __str__(self):
        return self.name


class FundingArea(models.Model):
    """An area that receives funding (e.g. a district in “Die Soziale Stadt”)."""

    name = models.CharField(_("name"), max_length=200, unique=True)

    class Meta:
        verbose_name = _("funding area")
        verbose_name_plural = _("funding areas")
        ordering = ["name"]

    def __str__(self):
        return self.name


class FundingLine(models.Model):
    """What a programme or an office funds for one purpose, linked to the measure it
    finances; amounts per year or span of years hang below it."""

    key = models.SlugField(
        _("key"), max_length=80, unique=True, help_text=_("Stable key for spreadsheets.")
    )
    title = models.CharField(_("title"), max_length=300)
    programme = models.ForeignKey(
        FundingProgramme,
        verbose_name=_("funding programme"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="lines",
    )
    measure = models.ForeignKey(
        Measure,
        verbose_name=_("measure"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="funding_lines",
    )
    responsible_office = models.ForeignKey(
        Office,
        verbose_name=_("responsible office"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="funding_lines",
    )
    areas = models.ManyToManyField(
        FundingArea,
        verbose_name=_("funding areas"),
        blank=True,
        through="FundingLineArea",
        related_name="lines",
    )
    source_note = models.TextField(_("source and assumptions"), blank=True)

    # The municipality it belongs to (helpers/scope.py).
    municipality_paths = ("measure__concept__municipality", "responsible_office__municipality")
    objects = scoped_manager()

    class Meta:
        verbose_name = _("funding line")
        verbose_name_plural = _("funding lines")
        ordering = ["title"]

    def __str__(self):
        return self.title


class FundingLineArea(models.Model):
    """An area of a funding line, with whether it is funded or only proposed."""

    class AreaStatus(models.TextChoices):
        FUNDED = "funded", _("funded area")
        PROPOSED = "proposed", _("proposed for admission")

    line = models.ForeignKey(FundingLine, verbose_name=_("funding line"), on_delete=models.CASCADE)
    area = models.ForeignKey(FundingArea, verbose_name=_("funding area"), on_delete=models.PROTECT)
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=AreaStatus.choices,
        default=AreaStatus.FUNDED,
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    # The municipality it belongs to (helpers/scope.py).
    municipality_paths = (
        "line__measure__concept__municipality",
        "line__responsible_office__municipality",
    )
    objects = scoped_manager()

    class Meta:
        verbose_name = _("funding area of a line")
        verbose_name_plural = _("funding areas of a line")
        ordering = ["line", "position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["line", "area"], name="funding_line_area_once"),
        ]

    def __str__(self):
        return f"{self.area} ({self.get_status_display()})"


class FundingAmount(models.Model):
    """An amount for one year or a span of years, planned or actual, exact or approximate."""

    class Kind(models.TextChoices):
        PLANNED = "planned", _("planned")
        ACTUAL = "actual", _("actual")

    line = models.ForeignKey(
        FundingLine,
        verbose_name=_("funding line"),
        on_delete=models.CASCADE,
        related_name="amounts",
    )
    year_from = models.PositiveSmallIntegerField(_("from year"))
    year_to = models.PositiveSmallIntegerField(_("to year"))
    amount = models.DecimalField(_("amount (EUR)"), max_digits=14, decimal_places=2)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.ACTUAL)
    is_approximate = models.BooleanField(_("approximate (“ca.”)"), default=False)
    note = models.CharField(_("note"), max_length=300, blank=True)

    history = HistoricalRecords(no_db_index=["line"])  # see Measure

    # The municipality it belongs to (helpers/scope.py).
    municipality_paths = (
        "line__measure__concept__municipality",
        "line__responsible_office__municipality",
    )
    objects = scoped_manager()

    class Meta:
        verbose_name = _("funding amount")
        verbose_name_plural = _("funding amounts")
        ordering = ["line", "year_from", "year_to"]
        constraints = [
            models.CheckConstraint(
                name="funding_amount_years_in_order",
                condition=Q(year_to__gte=F("year_from")),
                violation_error_message=_("The span of years cannot end before it starts."),
            ),
            models.CheckConstraint(
                name="funding_amount_not_negative",
                condition=Q(amount__gte=0),
                violation_error_message=_("An amount cannot be negative."),
            ),
            models.UniqueConstraint(
                fields=["line", "year_from", "year_to", "kind"],
                name="funding_amount_once_per_span",
                violation_error_message=_(
                    "This line already has an amount of this kind for these years."
                ),
            ),
        ]

    def __str__(self):
        years = (
            str(self.year_from)
            if self.year_from == self.year_to
            else f"{self.year_from}–{self.year_to}"
        )
        return f"{self.line}: {euro(self.amount)} ({years})"

    @property
    def years_label(self):
        if self.year_from == self.year_to:
            return str(self.year_from)
        return f"{self.year_from}–{self.year_to}"
