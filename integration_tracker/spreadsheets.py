"""Widgets for django-import-export that read and write natural keys (an office's
code, a measure's number, a concept's slug) instead of database ids, so the bureau
can round-trip a spreadsheet, and that name the bad value when a key is unknown."""

from django.db import models
from django.utils.translation import gettext as _
from import_export import resources
from import_export.widgets import CharWidget, ForeignKeyWidget, ManyToManyWidget


class SpreadsheetResource(resources.ModelResource):
    """Base for our resources: text columns read an empty cell as an empty text
    (not NULL), so a spreadsheet round trip changes nothing."""

    WIDGETS_MAP = {**resources.ModelResource.WIDGETS_MAP, "TextField": CharWidget}

    @classmethod
    def widget_kwargs_for_field(cls, field_name, django_field):
        kwargs = super().widget_kwargs_for_field(field_name, django_field)
        if isinstance(django_field, models.TextField) and django_field.blank:
            kwargs.update({"coerce_to_string": True, "allow_blank": True})
        return kwargs


class KeyWidget(ForeignKeyWidget):
    """A foreign key written as a natural key.

    ``lookup(value, row)`` returns a queryset of candidates; exactly one must match.
    ``render_key(obj)`` gives the key written on export.
    """

    def __init__(self, model, lookup, render_key, label):
        super().__init__(model)
        self.lookup = lookup
        self.render_key = render_key
        self.label = label

    def clean(self, value, row=None, **kwargs):
        value = "" if value is None else str(value).strip()
        if not value:
            return None
        matches = list(self.lookup(value, row or {})[:2])
        if len(matches) != 1:
            raise ValueError(
                _("Unknown %(what)s “%(value)s”.") % {"what": self.label, "value": value}
                if not matches
                else _("Ambiguous %(what)s “%(value)s”.") % {"what": self.label, "value": value}
            )
        return matches[0]

    def render(self, value, obj=None, **kwargs):
        return "" if value is None else self.render_key(value)


class KeyListWidget(ManyToManyWidget):
    """A many-to-many relation written as natural keys separated by semicolons
    (commas occur in organisation names)."""

    def __init__(self, model, lookup, render_key, label):
        super().__init__(model, separator=";")
        self.lookup = lookup
        self.render_key = render_key
        self.label = label

    def clean(self, value, row=None, **kwargs):
        value = "" if value is None else str(value)
        keys = [key.strip() for key in value.split(self.separator) if key.strip()]
        found = []
        for key in keys:
            matches = list(self.lookup(key, row or {})[:2])
            if len(matches) != 1:
                raise ValueError(
                    _("Unknown %(what)s “%(value)s”.") % {"what": self.label, "value": key}
                    if not matches
                    else _("Ambiguous %(what)s “%(value)s”.") % {"what": self.label, "value": key}
                )
            found.append(matches[0].pk)
        return self.model.objects.filter(pk__in=found)

    def render(self, value, obj=None, **kwargs):
        if value is None:
            return ""
        return f"{self.separator} ".join(self.render_key(item) for item in value.all())
