"""What pages show of municipalities beyond their records."""

from django import template
from django.conf import settings

from ..models import Municipality

register = template.Library()


@register.simple_tag
def contacts_of(municipalities):
    """Whom to ask about ``municipalities`` (their names or the objects, as the
    out-of-service page is given them): each one's contact, each contact once; the
    instance's (BUREAU_CONTACT) where none is found."""
    names = [str(municipality) for municipality in municipalities]
    contacts = []
    for municipality in Municipality.all_objects.filter(name__in=names).order_by("name"):
        if municipality.contact not in contacts:
            contacts.append(municipality.contact)
    return contacts or [settings.BUREAU_CONTACT]
