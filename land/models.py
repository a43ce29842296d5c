"""Groups of municipalities and who may read what their members published, side by
side (the Land view). A group belongs to no single municipality: it is the
instance's, kept by the system administration in the admin."""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from working_groups.models import Municipality


class MunicipalityGroupQuerySet(models.QuerySet):
    def viewable_by(self, user):
        """The groups ``user`` may open: those it is a viewer of; every group for the
        system administration (superusers)."""
        if not user.is_authenticated or not user.is_active:
            return self.none()
        if user.is_superuser:
            return self
        return self.filter(viewers=user)


class MunicipalityGroup(models.Model):
    """A group of municipalities (a Land, a district, an association of towns). Its
    viewers (e.g. the Land's integration ministry) read, per member, the published
    report versions and, where the member made its progress pages public, the
    counts those pages show; nothing else of the members."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    slug = models.SlugField(
        _("short name (URL)"),
        max_length=80,
        unique=True,
        help_text=_("The last part of the group's address (/land/short-name/)."),
    )
    description = models.TextField(
        _("description"),
        blank=True,
        help_text=_("Shown on the group's page, e.g. who the viewers are and why."),
    )
    members = models.ManyToManyField(
        Municipality,
        verbose_name=_("member municipalities"),
        related_name="land_groups",
        blank=True,
    )
    viewers = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("viewers"),
        related_name="land_groups",
        blank=True,
        help_text=_(
            "The accounts that may open this group's page. They read what the member "
            "municipalities have published (report versions; counts of their public "
            "progress pages), nothing else, and need no role in a municipality."
        ),
    )

    objects = MunicipalityGroupQuerySet.as_manager()
    # Who was given the view of which municipalities, and when.
    history = HistoricalRecords(m2m_fields=[members, viewers], no_db_index=["name", "slug"])

    class Meta:
        verbose_name = _("group of municipalities")
        verbose_name_plural = _("groups of municipalities")
        ordering = ["name"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("land:group", args=[self.slug])

    def member_municipalities(self):
        """The members, by name, read past the municipality scope (the viewer is
        not assigned to them): the page sets its scope from them."""
        return Municipality.all_objects.filter(land_groups=self).order_by("name")
