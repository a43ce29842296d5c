"""The filters of the accounts page (django-filter). An invalid value makes that
filter invalid and ignored, with the reason shown, never a server error."""

import django_filters
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from helpers.roles import Role
from working_groups.models import Office

from .tokens import invitation_validity

User = get_user_model()
SEARCH_MAX_LENGTH = 100
NO_ROLE = "none"


class AccountState(models.TextChoices):
    ACTIVE = "active", _("active")
    INVITED = "invited", _("invitation open")
    WITHOUT_PASSWORD = "without_password", _("no password (invitation expired or never sent)")
    DEACTIVATED = "deactivated", _("deactivated")


def without_password():
    return Q(password__startswith=UNUSABLE_PASSWORD_PREFIX)


class AccountFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label=_("Name, user name or e-mail"),
        method="filter_search",
        max_length=SEARCH_MAX_LENGTH,
    )
    role = django_filters.ChoiceFilter(
        label=_("Role"),
        choices=[*Role.choices, (NO_ROLE, _("no role"))],
        method="filter_role",
        empty_label=_("all roles"),
    )
    office = django_filters.ModelChoiceFilter(
        label=_("Office"),
        queryset=lambda request: Office.objects.none(),  # per request, in __init__
        method="filter_office",
        empty_label=_("all offices"),
    )
    state = django_filters.ChoiceFilter(
        label=_("State"),
        choices=AccountState.choices,
        method="filter_state",
        empty_label=_("any state"),
    )
    ordering = django_filters.ChoiceFilter(
        label=_("Sort by"),
        choices=[
            ("last_login", _("last login, oldest first")),
            ("-last_login", _("last login, newest first")),
        ],
        method="filter_ordering",
        empty_label=_("name"),
    )

    class Meta:
        model = User
        fields = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Only offices that have staff: the dropdown stays short on a state-wide instance.
        self.filters["office"].queryset = Office.objects.filter(
            pk__in=Office.staff.through.objects.values("office_id")
        )

    def filter_search(self, queryset, name, value):
        for term in value.split():
            queryset = queryset.filter(
                Q(username__icontains=term)
                | Q(first_name__icontains=term)
                | Q(last_name__icontains=term)
                | Q(email__icontains=term)
            )
        return queryset

    def filter_role(self, queryset, name, value):
        # The role in the municipality the page is about (``role_here``,
        # accounts/views.py); an assignment without one: the role groups.
        in_groups = User.objects.filter(groups__name__in=Role.values)
        if value == NO_ROLE:
            return queryset.filter(role_here="").exclude(pk__in=in_groups.values("pk"))
        in_group = User.objects.filter(groups__name=value).values("pk")
        return queryset.filter(Q(role_here=value) | Q(role_here="", pk__in=in_group))

    def filter_office(self, queryset, name, value):
        return queryset.filter(pk__in=value.staff.values("pk"))

    def filter_state(self, queryset, name, value):
        if value == AccountState.DEACTIVATED:
            return queryset.filter(is_active=False)
        queryset = queryset.filter(is_active=True)
        if value == AccountState.ACTIVE:
            return queryset.exclude(without_password())
        cutoff = timezone.now() - invitation_validity()
        if value == AccountState.INVITED:
            return queryset.filter(without_password(), invited_at__gte=cutoff)
        return queryset.filter(
            without_password(), Q(invited_at__isnull=True) | Q(invited_at__lt=cutoff)
        )

    def filter_ordering(self, queryset, name, value):
        field = value.lstrip("-")
        expression = models.F(field)
        ordered = (
            expression.desc(nulls_last=True)
            if value.startswith("-")
            else expression.asc(nulls_first=True)
        )
        return queryset.order_by(ordered, "sort_name", "first_name", "username")
