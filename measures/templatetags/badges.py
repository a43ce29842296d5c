"""KERN badges for statuses and states: one variant (its colour) per meaning, so a
status reads the same on every page."""

from django import template

from measures.models import WorkState

register = template.Library()

# KERN has four feedback variants; statuses with no feedback of their own (not
# started, in preparation, a draft, none yet) use the neutral badge.
VARIANTS = {
    "completed": "success",
    "done": "success",
    "approved": "success",
    "in_progress": "info",
    "ongoing": "info",
    "deferred": "warning",
    "dropped": "warning",
    "stale": "warning",
    "submitted": "warning",
    "overdue": "danger",
    "returned": "danger",
    "late": "danger",
    # Accounts (accounts/models.py: the state of an account).
    "active": "success",
    "invited": "info",
    "without_password": "warning",
    "deactivated": "danger",
}


@register.filter
def badge(value):
    """The classes of the badge for a status or state key: “kern-badge
    kern-badge--success”, or the neutral badge."""
    variant = VARIANTS.get(str(value or ""))
    return f"kern-badge kern-badge--{variant}" if variant else "kern-badge badge-neutral"


@register.filter
def work_state_label(value):
    """The words for a ``WorkState`` value (``Measure.objects.with_work_state``)."""
    return WorkState(value).label
