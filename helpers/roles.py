"""The roles of DESIGN.md: per municipality, as assignments.

An account works with municipalities (``working_groups.Assignment``: account,
municipality, role); the bureau of one can be a council member of another. A
request's role names are those of the municipality it works in (the one its
address names, else the one the account chose: helpers/scope.py), so every check
(``is_bureau`` …), the navigation and the admin follow it. Superusers (the system
administration) are the same everywhere.

Each role is also a Django group with a fixed name: the groups carry the model
permissions of the admin, and an account holds the groups of the roles it has in
any municipality (``sync_role_groups``, called by whatever changes assignments); the
admin itself opens only where the account is bureau (helpers/admin_site.py). An
assignment without a role reads as the account's role groups: rows made by adding
an account to a municipality without naming a role (the shell, the tests' factories).

Which offices a staff member works for is a relation on the office
(``Office.staff``), each office of one municipality.

The municipalities and their role names are read at login and kept in the session,
so a page asks the database nothing about them. The session's copy carries the
user's *roles version*, a number in the cache: every change of a user's groups or
assignments (the accounts page, the admin, the shell) drops it once the change has
committed, and the next request of each of the user's sessions reads the roles
anew. A demoted user loses the old role's rights with their next request; a
deactivated one is logged out by Django's ModelBackend.
"""

import secrets
from functools import partial

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.contrib.auth.signals import user_logged_in
from django.core.cache import cache
from django.db import models, transaction
from django.db.models import FilteredRelation, Q
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete
from django.utils.translation import gettext_lazy as _

SESSION_KEY = "roles"

# Facts about an account that an app above keeps with the roles, so that a page asks
# the database nothing about them (the Land view: whether the account views a group
# of municipalities): name -> function of the user, giving a JSON value. Registered
# from the app's ready() (``register_session_fact``); read with the roles at login and
# whenever they are read anew, so the app drops them with ``roles_changed``.
SESSION_FACTS = {}

# Apps whose records the bureau keeps (through the admin and the workspace).
BUREAU_APPS = ("working_groups", "measures", "reports")


class Role(models.TextChoices):
    BUREAU = "bureau", _("Commissioner's bureau")
    COUNCIL = "council", _("Advisory council member")
    OFFICE_STAFF = "office_staff", _("Office staff")


def _read_role_names(user):
    # Only the fixed role names count: a group whose name merely resembles one grants
    # nothing.
    return frozenset(user.groups.filter(name__in=Role.values).values_list("name", flat=True))


def _read_municipalities(user):
    """((id, name, slug), …) of the municipalities the user works with, by name,
    and {id: role names} of each."""
    # One query, unscoped (this is read before the request has its scope): each
    # assignment in service with each role group of the account (an assignment
    # without a role reads as those).
    rows = (
        get_user_model()
        .objects.filter(pk=user.pk)
        .annotate(role_group=FilteredRelation("groups", condition=Q(groups__name__in=Role.values)))
        .order_by("assignments__municipality__name")
        .values_list(
            "assignments__municipality_id",
            "assignments__municipality__name",
            "assignments__municipality__slug",
            "assignments__municipality__in_service",
            "assignments__role",
            "role_group__name",
        )
    )
    groups = frozenset(row[5] for row in rows if row[5])
    municipalities, roles = {}, {}
    for pk, name, slug, in_service, role, _group in rows:
        # Those out of service are left out.
        if pk is not None and in_service:
            municipalities[pk] = (pk, name, slug)
            roles[pk] = frozenset([role]) if role else groups
    # An account that works with none: its role groups (it reads what is public).
    return tuple(municipalities.values()), roles or {None: groups}


def out_of_service(user):
    """The names of the user's municipalities taken out of service (read when the
    user works with none in service: the page that says so names them)."""
    from working_groups.models import Municipality

    return sorted(
        Municipality.all_objects.filter(accounts=user, in_service=False).values_list(
            "name", flat=True
        )
    )


def _read_once(user):
    if not hasattr(user, "_municipalities"):
        user._municipalities, user._municipality_roles = _read_municipalities(user)


def municipalities(user):
    """The (id, name, slug) of the municipalities whose records the user works with
    (``Municipality.accounts``, in service), by name. The user of a request has them
    from the session, with the role names; any other user object reads them once and
    keeps them."""
    if not user.is_authenticated or not user.is_active:
        return ()
    _read_once(user)
    return user._municipalities


def roles_in(user, municipality_id):
    """The role names of the user in one municipality (none where it does not work)."""
    if not user.is_authenticated or not user.is_active:
        return frozenset()
    _read_once(user)
    return user._municipality_roles.get(municipality_id, frozenset())


def work_in(user, municipality_id):
    """The request of ``user`` works in ``municipality_id`` (helpers/scope.py): its
    role names are those held there from now on."""
    user._working_in = municipality_id
    _forget_role_names(user)


def _forget_role_names(user):
    # Not through __dict__: the request's user is a lazy object.
    if hasattr(user, "_role_names"):
        del user._role_names


def working_in(user):
    """The id of the municipality whose roles the user has now (None: it works
    with none)."""
    from .scope import current_scope

    if getattr(user, "_working_in", None) is not None:
        return user._working_in
    rows = municipalities(user)
    # A user object outside a request (the worker, a test): the municipality of the
    # scope, if it is one of the user's; else the first, as a session without a
    # choice has it.
    scope = current_scope()
    if isinstance(scope, frozenset) and len(scope) == 1:
        (only,) = scope
        if any(row[0] == only for row in rows):
            return only
    return rows[0][0] if rows else None


def municipality_ids(user):
    return frozenset(row[0] for row in municipalities(user))


def role_names(user):
    """The names of the user's roles in the municipality it works in. The user of a
    request has them from the session (RolesMiddleware) and works in the request's
    municipality (helpers/scope.py); any other user object reads them once and keeps
    them."""
    if not user.is_authenticated or not user.is_active:
        return frozenset()
    if not hasattr(user, "_role_names"):
        user._role_names = roles_in(user, working_in(user))
    return user._role_names


def register_session_fact(name, read):
    SESSION_FACTS[name] = read


def session_fact(user, name):
    """A fact of SESSION_FACTS about the user: the user of a request has it from the
    session, with the roles; any other user object reads it once and keeps it."""
    if not user.is_authenticated or not user.is_active:
        return None
    facts = getattr(user, "_session_facts", None)
    if facts is None:
        facts = user._session_facts = {}
    if name not in facts:
        facts[name] = SESSION_FACTS[name](user)
    return facts[name]


def _read_session_facts(user):
    return {name: read(user) for name, read in SESSION_FACTS.items()}


def has_role(user, role):
    return role in role_names(user)


def is_bureau(user):
    return user.is_authenticated and (user.is_superuser or has_role(user, Role.BUREAU))


def is_council(user):
    return has_role(user, Role.COUNCIL)


def is_office_staff(user):
    return has_role(user, Role.OFFICE_STAFF)


def ensure_role_groups(using="default"):
    """Create the role groups and give the bureau the permissions it needs.

    Idempotent; runs after every migration so a new database has the roles.
    """
    groups = {}
    for role in Role:
        groups[role], _created = Group.objects.using(using).get_or_create(name=role.value)
    bureau_perms = Permission.objects.using(using).filter(content_type__app_label__in=BUREAU_APPS)
    groups[Role.BUREAU].permissions.set(bureau_perms)
    return groups


def sync_role_groups(accounts):
    """After the assignments of ``accounts`` (users or their ids) changed: each
    account holds the role groups of the roles it has in any municipality (they
    carry the admin's model permissions), and is staff (may use the admin) while it
    is bureau somewhere.

    An assignment without a role reads as the account's role groups; before the
    groups change, it takes the role they give (if they give one), so that a change
    in one municipality leaves the role in another as it was."""
    from working_groups.models import Assignment

    groups = ensure_role_groups()
    # The objects given are changed themselves (the accounts page writes their
    # history once, from the object: accounts/history.py).
    accounts = list(accounts)
    users = [account for account in accounts if isinstance(account, models.Model)]
    ids = {getattr(account, "pk", account) for account in accounts}
    users += get_user_model().objects.filter(pk__in=ids - {user.pk for user in users})
    for user in users:
        held = set(user.groups.filter(name__in=Role.values).values_list("name", flat=True))
        rows = Assignment.all_objects.filter(user=user)
        if len(held) == 1:
            rows.filter(role="").update(role=next(iter(held)))
        roles = set(rows.values_list("role", flat=True))
        # Without any assignment, the groups are all there is to say.
        wanted = (roles - {""}) | (held if "" in roles or not roles else set())
        if held - wanted:
            user.groups.remove(*(groups[Role(name)] for name in held - wanted))
        if wanted - held:
            user.groups.add(*(groups[Role(name)] for name in wanted - held))
        staff = Role.BUREAU in wanted or (user.is_staff and Role.BUREAU not in held)
        if user.is_staff != staff and not user.is_superuser:
            user.is_staff = staff
            user.save(update_fields=["is_staff"])
    roles_changed(ids)


# --- The role names in the session ---------------------------------------------------


def _version_key(user_id):
    return f"roles-version:{user_id}"


def remember_roles(request, user):
    """Read the user's role names and keep them in the session with the user's
    current roles version. The version is read first: a change that commits after it
    drops it, so the names stored here are read again at the next request."""
    key = _version_key(user.pk)
    version = cache.get(key)
    if version is None:
        # Random, so that a version started again never repeats one a session holds.
        cache.add(key, secrets.randbelow(2**62), settings.SESSION_COOKIE_AGE)
        version = cache.get(key)
    user._municipalities, user._municipality_roles = _read_municipalities(user)
    _forget_role_names(user)
    user._session_facts = _read_session_facts(user)
    request.session[SESSION_KEY] = {
        "version": version,
        # (id, name, slug, role names) of each municipality the user works with.
        "municipality_rows": [
            [*row, sorted(user._municipality_roles[row[0]])] for row in user._municipalities
        ],
        "roles_without_municipality": sorted(user._municipality_roles.get(None, ())),
        "facts": user._session_facts,
    }


def keep_roles_in_session(sender, request, user, **kwargs):
    """On login (a user_logged_in receiver)."""
    if request is not None and hasattr(request, "session"):
        remember_roles(request, user)


class RolesMiddleware:
    """Gives the request's user the municipalities and its role names in each, kept
    in the session, as long as the user's roles version has not changed since; else
    reads and keeps them anew (a session from before a role change, or a version
    the cache has dropped)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if user.is_authenticated:
            stored = request.session.get(SESSION_KEY) or {}
            version = cache.get(_version_key(user.pk))
            rows = stored.get("municipality_rows")
            if (
                version is not None
                and stored.get("version") == version
                and rows is not None
                and all(len(row) == 4 for row in rows)
                and set(stored.get("facts", ())) == set(SESSION_FACTS)
            ):
                user._municipalities = tuple(tuple(row[:3]) for row in rows)
                user._municipality_roles = {row[0]: frozenset(row[3]) for row in rows} or {
                    None: frozenset(stored.get("roles_without_municipality", ()))
                }
                user._session_facts = dict(stored["facts"])
            else:
                remember_roles(request, user)
        return self.get_response(request)


def forget_roles(user_ids):
    """The sessions of these users read their roles anew at their next request."""
    cache.delete_many([_version_key(user_id) for user_id in set(user_ids)])


def roles_changed(user_ids, using=None):
    """The groups of ``user_ids`` change in the current transaction: their sessions
    read the roles anew once it has committed (never before: a request in between
    would keep the old roles under the new version); nothing when it is rolled back."""
    transaction.on_commit(partial(forget_roles, list(user_ids)), using=using)


def _user_groups_changed(sender, instance, action, reverse, pk_set, using, **kwargs):
    # ``user.groups.…`` changes one user; ``group.user_set.…`` the users in pk_set, or
    # on clear() every user of the group, which only pre_clear still knows.
    if action in ("post_add", "post_remove"):
        roles_changed(pk_set if reverse else [instance.pk], using=using)
    elif action == "pre_clear":
        users = instance.user_set.values_list("pk", flat=True) if reverse else [instance.pk]
        roles_changed(users, using=using)


def _accounts_changed(sender, instance, action, reverse, pk_set, using, **kwargs):
    # ``municipality.accounts.…`` changes the users in pk_set (on clear() every
    # account of the municipality); ``user.municipalities.…`` one user.
    if action in ("post_add", "post_remove"):
        roles_changed(pk_set if not reverse else [instance.pk], using=using)
    elif action == "pre_clear":
        users = instance.accounts.values_list("pk", flat=True) if not reverse else [instance.pk]
        roles_changed(users, using=using)


def _assignment_changed(sender, instance, using, **kwargs):
    # Saved or deleted as a record (the admin's inline, the accounts page), not
    # through ``municipality.accounts``: the account's roles change.
    roles_changed([instance.user_id], using=using)


def _municipality_saved(sender, instance, using, created=False, **kwargs):
    from .addresses import hosts_changed

    # Its host may have changed (helpers/addresses.py).
    transaction.on_commit(hosts_changed, using=using)
    # Taken out of service, back, or renamed: its accounts' sessions read their
    # municipalities anew with their next request.
    if not created:
        roles_changed(instance.accounts.values_list("pk", flat=True), using=using)


def _group_changed(sender, instance, using, created=False, **kwargs):
    # A group renamed (to or from a role's name) or deleted: its users' roles change.
    if not created:
        roles_changed(instance.user_set.values_list("pk", flat=True), using=using)


def connect():
    """Connect the receivers that keep the session's role names and drop them when
    a user's groups change (called from an app's ready())."""
    user_logged_in.connect(keep_roles_in_session, dispatch_uid="roles.keep_roles_in_session")
    m2m_changed.connect(
        _user_groups_changed,
        sender=get_user_model().groups.through,
        dispatch_uid="roles.user_groups_changed",
    )
    from working_groups.models import Municipality

    m2m_changed.connect(
        _accounts_changed,
        sender=Municipality.accounts.through,
        dispatch_uid="roles.municipality_accounts_changed",
    )
    for signal in (post_save, post_delete):
        signal.connect(
            _assignment_changed,
            sender=Municipality.accounts.through,
            dispatch_uid=f"roles.assignment_{signal is post_save}",
        )
    post_save.connect(
        _municipality_saved, sender=Municipality, dispatch_uid="roles.municipality_saved"
    )
    post_save.connect(_group_changed, sender=Group, dispatch_uid="roles.group_saved")
    pre_delete.connect(_group_changed, sender=Group, dispatch_uid="roles.group_deleted")
