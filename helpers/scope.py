"""The municipality scope: every query of a record that belongs to a municipality runs
inside a scope, and a query outside any scope raises.

A record belongs to a municipality through a foreign key or through its concept
(``municipality_paths`` on the model). Its default manager (``ScopedManager``) adds
the scope's filter to every queryset it hands out, the related managers too (Django
builds them from the default manager's class), so a view cannot forget it: a record
of another municipality is simply not there, and ``get_object_or_404`` answers 404.
Foreign keys are followed through the base manager, unscoped, so a record's own
links and the deletion of whole concepts keep working.

Who sets the scope:

- every web request, in ``MunicipalityScopeMiddleware``: the municipalities of the
  account (``Municipality.accounts``), those with public pages for a visitor, all for a
  superuser (the IT that runs the instance);
- the operator's commands (``manage.py``, the worker included) run unscoped: they act
  for the whole instance or for the records they are given by id;
- the tests run unscoped, and each test-client request in its request's scope.

Why not django-scopes: its managers take one lookup per dimension and cannot say
"this organisation belongs to the municipality or to none" or "this funding line
belongs through its measure or its office". The mechanism is the same (a context
variable, a manager that refuses without it), in a few lines of our own.
"""

from contextlib import contextmanager
from contextvars import ContextVar

from django.db import models
from django.db.models import Q
from django.shortcuts import render

# The ids of the municipalities in scope (a frozenset), ALL, or unset.
ALL = "all municipalities"
_scope = ContextVar("municipality_scope")


class ScopeError(RuntimeError):
    """A record that belongs to a municipality was queried outside any scope."""


@contextmanager
def municipality_scope(municipalities):
    """Queries inside the block see the records of ``municipalities`` (ids or
    Municipality objects; empty: none) or, with ``ALL``, of every municipality. A
    callable is asked for them when the first such query runs (a request that reads
    no records, ``/healthz/``, asks nothing)."""
    if municipalities != ALL and not callable(municipalities):
        municipalities = frozenset(getattr(m, "pk", m) for m in municipalities)
    token = _scope.set(municipalities)
    try:
        yield
    finally:
        _scope.reset(token)


def unscoped():
    """For the operator's code (commands, the worker, data migrations of the
    application's own): every municipality."""
    return municipality_scope(ALL)


def current_scope():
    """The ids in scope (a frozenset), ALL, or None outside any scope."""
    scope = _scope.get(None)
    if callable(scope):
        scope = frozenset(scope())
        _scope.set(scope)
    return scope


def enter_unscoped():
    """Set the scope of the current context to ALL for good (manage.py, pytest)."""
    _scope.set(ALL)


def municipality_q(model, municipalities):
    """The condition that a record of ``model`` belongs to one of ``municipalities``."""
    custom = getattr(model, "in_municipalities", None)
    if custom is not None:
        return custom(municipalities)
    condition = Q()
    for path in model.municipality_paths:
        condition |= Q(**{f"{path}__in": municipalities})
    return condition


class ScopedManager(models.Manager):
    """The default manager of a record that belongs to a municipality (the model sets
    ``municipality_paths``, or a classmethod ``in_municipalities``)."""

    def get_queryset(self):
        queryset = super().get_queryset()
        scope = current_scope()
        if scope is None:
            raise ScopeError(
                f"{self.model._meta.label} belongs to a municipality and was queried "
                "outside any municipality scope (helpers/scope.py)."
            )
        if scope == ALL:
            return queryset
        return queryset.filter(municipality_q(self.model, scope))


def scoped_manager(queryset_class=None):
    """A ScopedManager (with the methods of ``queryset_class``, if given)."""
    if queryset_class is None:
        return ScopedManager()
    return ScopedManager.from_queryset(queryset_class)()


def accounts_in_scope():
    """The accounts that work with a municipality in scope (all, unscoped)."""
    from django.contrib.auth import get_user_model
    from django.db.models import Exists, OuterRef

    from working_groups.models import Municipality

    users = get_user_model().objects.all()
    scope = current_scope()
    if scope == ALL:
        return users
    if scope is None:
        raise ScopeError("Accounts were listed outside any municipality scope.")
    assignments = Municipality.accounts.through.objects.filter(
        user=OuterRef("pk"), municipality__in=scope
    )
    return users.filter(Exists(assignments))


def public_municipalities(user):
    """The ids of the municipalities that made their progress pages public; read once
    per request and kept on the (anonymous) user object, as the roles are."""
    from working_groups.models import Municipality

    if not hasattr(user, "_public_municipalities"):
        user._public_municipalities = frozenset(
            Municipality.all_objects.with_public_pages().values_list("pk", flat=True)
        )
    return user._public_municipalities


# The session key of the municipality an account in several has chosen to work in.
CHOSEN_KEY = "municipality"


def chosen_municipality(request):
    """(id, name, slug) of the municipality the request works in: the one its
    address names (helpers/addresses.py); else, for an account that works with one
    or more, the one it chose (else the first by name); None for a visitor, a
    superuser, or an account without any, at an address that names none."""
    from .roles import municipalities

    named = getattr(request, "address_municipality", None)
    if named is not None:
        return named
    user = request.user
    if not user.is_authenticated or user.is_superuser:
        return None
    choices = municipalities(user)
    if not choices:
        return None
    # A request made without the middleware (a fragment rendered in a test, an
    # e-mail) has no session: the first municipality.
    session = getattr(request, "session", None)
    chosen = session.get(CHOSEN_KEY) if session is not None else None
    return next((row for row in choices if row[0] == chosen), choices[0])


def request_scope(request):
    """The municipalities a request works in: every one for a superuser (the system
    administration), the one an account works in (it chooses when it has several),
    for a visitor — and an account that works with none, the Land's say — those
    that made their progress pages public."""
    user = request.user
    if user.is_authenticated:
        if user.is_superuser:
            return ALL
        chosen = chosen_municipality(request)
        if chosen:
            return frozenset([chosen[0]])
    return lambda: public_municipalities(user)


def _reads_as_visitor(user):
    """An account that works with no municipality and holds no role or admin access
    (the Land's, say) reads a municipality's public pages at its address as a
    visitor does: the links of the Land view lead there."""
    from .roles import municipalities, role_names

    return not municipalities(user) and not role_names(user) and not user.is_staff


def _work_in(request, row):
    """The request's roles are those the account holds in ``row``'s municipality."""
    from .roles import work_in

    if request.user.is_authenticated and not request.user.is_superuser:
        work_in(request.user, row[0])


def out_of_service(user):
    from .roles import out_of_service

    return out_of_service(user)


class MunicipalityScopeMiddleware:
    """Runs the rest of the request (views, templates, error pages, the admin) in
    the request's municipality scope. After the session, the user and the roles."""

    def __init__(self, get_response):
        self.get_response = get_response

    # What an account whose municipalities are all out of service may still do.
    ALWAYS_OPEN = ("/konto/", "/i18n/", "/healthz/", "/static/")

    def __call__(self, request):
        slug = getattr(request, "address_slug", None)
        if slug is not None:
            return self.at_address(request, slug)
        user = request.user
        scope = request_scope(request)
        if isinstance(scope, frozenset):
            _work_in(request, chosen_municipality(request))
        if (
            user.is_authenticated
            and callable(scope)
            and not request.path_info.startswith(self.ALWAYS_OPEN)
        ):
            retired = out_of_service(user)
            if retired:
                with municipality_scope(scope):
                    return render(
                        request,
                        "out_of_service.html",
                        {"municipalities": retired, "status_code": 403},
                        status=403,
                    )
        with municipality_scope(scope):
            return self.get_response(request)

    def at_address(self, request, slug):
        """A request at a municipality's address (``/<slug>/…``) works in that one
        municipality: an account assigned to it (which from then on works there,
        also at addresses without a short name), the system administration, a
        visitor (its public pages, if it made them public, and the login). An
        account of another municipality and an unknown short name get 404, as a
        missing page does: whether a municipality is served here is not told to
        someone who does not work there. One taken out of service answers with a
        page that says so, and keeps its records."""
        from working_groups.models import Municipality

        from .roles import municipalities

        user = request.user
        if user.is_authenticated and not user.is_superuser:
            row = next((row for row in municipalities(user) if row[2] == slug), None)
            if row is not None:
                if request.session.get(CHOSEN_KEY) != row[0]:
                    request.session[CHOSEN_KEY] = row[0]
                return self.respond_in(request, row, frozenset([row[0]]))
        found = (
            Municipality.all_objects.filter(slug=slug)
            .values_list("pk", "name", "slug", "in_service", "public_pages")
            .first()
        )
        if found is None:
            return self.not_found(request)
        pk, name, slug, in_service, public_pages = found
        if not in_service and not user.is_superuser:
            return self.out_of_service_page(request, [name])
        if user.is_authenticated and not user.is_superuser and not _reads_as_visitor(user):
            return self.not_found(request)
        scope = frozenset([pk]) if user.is_superuser or public_pages else frozenset()
        if not user.is_superuser:
            # What is public here is this municipality's, if it made its pages public.
            user._public_municipalities = scope
        return self.respond_in(request, (pk, name, slug), scope)

    def respond_in(self, request, row, scope):
        request.address_municipality = row
        _work_in(request, row)
        with municipality_scope(scope):
            return self.get_response(request)

    @staticmethod
    def not_found(request):
        from django.core.handlers.exception import response_for_exception
        from django.http import Http404

        from .addresses import site_addresses

        # Rendered with the site's own addresses: the short name named nothing.
        with site_addresses(), municipality_scope(frozenset()):
            return response_for_exception(request, Http404("No such municipality here."))

    @staticmethod
    def out_of_service_page(request, names):
        from .addresses import site_addresses

        with site_addresses(), municipality_scope(frozenset()):
            return render(
                request,
                "out_of_service.html",
                {"municipalities": names, "status_code": 403, "at_address": True},
                status=403,
            )
