"""Needs for action (Handlungsbedarfe)."""

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from helpers.scope import scoped_manager
from helpers.spreadsheets import validate_number
from working_groups.models import (
    Concept,
    FieldOfAction,
    Office,
)

from .measures import (
    Measure,
)


class ActionNeed(models.Model):
    """A need for action (Handlungsbedarf) found when reporting on a concept, possibly
    carried into a later concept."""

    class NeedStatus(models.TextChoices):
        OPEN = "open", _("open")
        IN_PROGRESS = "in_progress", _("being addressed")
        RESOLVED = "resolved", _("resolved")
        CARRIED_OVER = "carried_over", _("carried into a later concept")

    concept = models.ForeignKey(
        Concept,
        verbose_name=_("found in concept"),
        on_delete=models.CASCADE,
        related_name="action_needs",
    )
    number = models.CharField(_("number"), max_length=20, validators=[validate_number])
    parent = models.ForeignKey(
        "self",
        verbose_name=_("part of"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="children",
    )
    children_are_examples = models.BooleanField(
        _("sub-points are examples"),
        default=False,
        help_text=_("The sub-points illustrate the need (“z. B.”) rather than exhaust it."),
    )
    title = models.TextField(_("text"))
    field_of_action = models.ForeignKey(
        FieldOfAction,
        verbose_name=_("field of action"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="action_needs",
    )
    responsible_offices = models.ManyToManyField(
        Office,
        verbose_name=_("responsible offices"),
        blank=True,
        related_name="action_needs",
    )
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=NeedStatus.choices,
        default=NeedStatus.OPEN,
    )
    measures = models.ManyToManyField(
        Measure,
        verbose_name=_("addressed by measures"),
        blank=True,
        related_name="action_needs",
    )
    carried_into = models.ForeignKey(
        Concept,
        verbose_name=_("carried into concept"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="inherited_action_needs",
    )
    carried_into_field = models.ForeignKey(
        FieldOfAction,
        verbose_name=_("carried into field of action"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="inherited_action_needs",
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    source_note = models.TextField(_("source and assumptions"), blank=True)

    # The municipality it belongs to (helpers/scope.py).
    municipality_paths = ("concept__municipality",)
    objects = scoped_manager()

    class Meta:
        verbose_name = _("need for action")
        verbose_name_plural = _("needs for action")
        ordering = ["concept", "position", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["concept", "number"],
                name="action_need_number_unique_per_concept",
            ),
            models.CheckConstraint(
                name="action_need_not_own_parent",
                condition=~Q(parent=F("pk")),
                violation_error_message=_("A need cannot be part of itself."),
            ),
            models.CheckConstraint(
                name="action_need_carried_over_names_concept",
                condition=~Q(status="carried_over") | Q(carried_into__isnull=False),
                violation_error_message=_("A need carried over names the concept it went into."),
            ),
        ]

    def __str__(self):
        return f"{self.number} {self.title[:80]}"

    def clean(self):
        if self.parent_id and self.parent.concept_id != self.concept_id:
            raise ValidationError({"parent": _("The parent need belongs to another concept.")})
        if self.status == self.NeedStatus.CARRIED_OVER and not self.carried_into_id:
            raise ValidationError(
                {"carried_into": _("A need carried over names the concept it went into.")}
            )
