"""Who opens the Land view: the viewers of a group of municipalities, and the system
administration. Whether an account views any group is kept in the session with its
roles (helpers/roles.py, ``session_fact``), so that the navigation asks the database
nothing; a change of a group's viewers, or a group deleted, has the viewers' sessions
read it anew with their next request."""

from django.db.models.signals import m2m_changed, pre_delete

from helpers import roles

from .models import MunicipalityGroup

VIEWS_A_GROUP = "land_viewer"


def _views_a_group(user):
    return MunicipalityGroup.objects.filter(viewers=user).exists()


def reads_land_view(user):
    """The Land view's list of groups: an account that views one, and the system
    administration (which keeps the groups). The page of one group is answered
    404 for everyone who may not open it (``viewable_groups``): whether a group
    exists is not told."""
    if not user.is_authenticated or not user.is_active:
        return False
    return user.is_superuser or bool(roles.session_fact(user, VIEWS_A_GROUP))


def viewable_groups(user, queryset=None):
    queryset = MunicipalityGroup.objects.all() if queryset is None else queryset
    return queryset.viewable_by(user)


def _viewers_changed(sender, instance, action, reverse, pk_set, using, **kwargs):
    # ``group.viewers.…`` changes the accounts in pk_set (on clear() every viewer of
    # the group); ``user.land_groups.…`` one account.
    if action in ("post_add", "post_remove"):
        roles.roles_changed(pk_set if not reverse else [instance.pk], using=using)
    elif action == "pre_clear":
        users = instance.viewers.values_list("pk", flat=True) if not reverse else [instance.pk]
        roles.roles_changed(users, using=using)


def _group_deleted(sender, instance, using, **kwargs):
    roles.roles_changed(instance.viewers.values_list("pk", flat=True), using=using)


def connect():
    """Keep the fact in the session and drop it when it changes (LandConfig.ready)."""
    roles.register_session_fact(VIEWS_A_GROUP, _views_a_group)
    m2m_changed.connect(
        _viewers_changed,
        sender=MunicipalityGroup.viewers.through,
        dispatch_uid="land.viewers_changed",
    )
    pre_delete.connect(_group_deleted, sender=MunicipalityGroup, dispatch_uid="land.group_deleted")
