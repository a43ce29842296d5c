"""Page bodies in Django's cache, per audience, renewed by every committed change.

A body is stored under a key made of everything it depends on: the audience (the
user's role set, so what they may see; for the workspace pages also the user and
their offices), the language, today's date (overdue and stale depend on it), the path
with its query string, and the current *versions* of the records it shows.

Versions are counters in the cache (shared by all processes with ``REDIS_URL``):

- ``shared``: master data (concepts, fields of action, groups, offices, organisations,
  measures, funding, needs, reports, user names ...); every page depends on it;
- ``concept-<id>``: what readers see of one concept's reporting: its approved status
  entries and indicator values, its rounds (which decide what is due and stale). The
  progress pages of a concept depend on it, so an approval on one concept keeps the
  pages of the others;
- ``any``: bumped with every concept version, for pages that span all concepts;
- ``measure-<id>``: the work on one measure: every status entry and indicator value
  of it, in any state (draft, submitted, returned, approved);
- ``office-<id>``: the work of one office: the entries on every measure the office
  leads or takes part in, for that office's lists;
- ``work``: bumped with every office version, for lists that show every office's
  work (the bureau's).

So during a reporting round, when offices write drafts and submit entries, the
progress pages stay in the cache (readers see approved entries only), and so do the
lists of the other offices and the pages of the other measures; an approval renews
the pages of its concept.

A save or delete of a watched model bumps its versions in ``transaction.on_commit``,
never before the commit: a reader that reads the new version reads the committed
records, and a body rendered from older records is stored under the older version,
which nobody asks for again. A version that the cache has dropped comes back as a new
random start value, never as one used before.

The frame of a page (menu, the user's name, messages, ``{% csrf_token %}``) is
rendered for each request; only the body comes from the cache.
"""

import hashlib
import secrets
from functools import partial

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.utils import timezone, translation
from simple_history.models import HistoricalChanges

from .roles import is_bureau, role_names

SHARED = "shared"
ANY = "any"
WORK = "work"
# A version outlives the bodies stored under it; when it is dropped all the same, the
# next request starts it anew (see versions()).
VERSION_TIMEOUT = 60 * 60 * 24


def concept_scope(concept_id):
    return f"concept-{concept_id}"


def measure_scope(measure_id):
    return f"measure-{measure_id}"


def office_scope(office_id):
    return f"office-{office_id}"


def _version_key(scope):
    return f"page-version:{scope}"


def _start_value():
    # Random, so that a version started again never repeats one used before.
    return secrets.randbelow(2**62)


def versions(scopes):
    """The current versions of ``scopes``, in one round trip to the cache."""
    keys = [_version_key(scope) for scope in scopes]
    found = cache.get_many(keys)
    missing = [key for key in keys if key not in found]
    if missing:
        for key in missing:
            cache.add(key, _start_value(), VERSION_TIMEOUT)
        found.update(cache.get_many(missing))
    return [found.get(key) for key in keys]


def bump_now(*scopes):
    """Bump the versions of ``scopes`` (a concept's bumps ``any`` too, an office's
    ``work``). Called once the change has committed; see changed()."""
    scopes = set(scopes)
    if any(scope.startswith("concept-") for scope in scopes):
        scopes.add(ANY)
    if any(scope.startswith("office-") for scope in scopes):
        scopes.add(WORK)
    for scope in sorted(scopes):
        key = _version_key(scope)
        try:
            cache.incr(key)
        except ValueError:  # not in the cache (never read, or dropped)
            cache.set(key, _start_value(), VERSION_TIMEOUT)


def changed(*scopes, using=None):
    """The records of ``scopes`` change in the current transaction: bump their
    versions once it has committed (at once outside a transaction); nothing when it
    is rolled back."""
    transaction.on_commit(partial(bump_now, *scopes), using=using)


def changed_all(using=None):
    """For writes that send no signals (bulk inserts): every page renders afresh (every
    page depends on the shared version)."""
    changed(SHARED, using=using)


def _shared(instance):
    return [SHARED]


def watch(model, scopes_of=_shared):
    """Bump the versions when a record of ``model`` is saved or deleted, and when one
    of its many-to-many relations changes. ``scopes_of(instance)`` names the scopes a
    change of the record bumps (read while the change is made, bumped once it has
    committed); by default the shared version. A change of a many-to-many relation
    bumps the shared version."""

    def on_change(sender, instance, using, **kwargs):
        changed(*scopes_of(instance), using=using)

    def on_m2m_change(sender, action, using, **kwargs):
        if action.startswith("post_"):
            changed(SHARED, using=using)

    uid = f"page_cache.{model._meta.label_lower}"
    post_save.connect(on_change, sender=model, weak=False, dispatch_uid=f"{uid}.save")
    post_delete.connect(on_change, sender=model, weak=False, dispatch_uid=f"{uid}.delete")
    for field in model._meta.local_many_to_many:
        m2m_changed.connect(
            on_m2m_change,
            sender=field.remote_field.through,
            weak=False,
            dispatch_uid=f"{uid}.{field.name}",
        )


def watch_app(app_config, scopes_of=None, ignore=()):
    """Watch every model of an app except its history models (simple-history) and the
    models named in ``ignore``; ``scopes_of`` maps a model to its scopes_of."""
    scopes_of = scopes_of or {}
    for model in app_config.get_models():
        if issubclass(model, HistoricalChanges) or model in ignore:
            continue
        watch(model, scopes_of.get(model, _shared))


def _user_saved(sender, instance, update_fields, using, **kwargs):
    # A login writes last_login only; names (shown with status entries) are master data.
    if update_fields is None or set(update_fields) - {"last_login"}:
        changed(SHARED, using=using)


def watch_users():
    post_save.connect(_user_saved, sender=get_user_model(), dispatch_uid="page_cache.user.save")


def _office_ids(user):
    """The user's offices, read once per request (kept on the user, as the roles are)."""
    if not hasattr(user, "_page_cache_offices"):
        user._page_cache_offices = sorted(user.offices.values_list("pk", flat=True))
    return user._page_cache_offices


def workspace_scopes(user):
    """The work a user's workspace lists show: their offices' (office staff), every
    office's (the bureau, whose workspace holds every measure)."""
    if is_bureau(user):
        return [WORK]
    return [office_scope(pk) for pk in _office_ids(user)]


def audience(request, workspace=False):
    """Who the body is for. Users with the same audience get the same body: the same
    role set (which decides public or internal records and whether reports show),
    and for the workspace pages the same user with the same offices."""
    user = request.user
    if not user.is_authenticated:
        return "anonymous"
    parts = ["superuser" if user.is_superuser else "user", *sorted(role_names(user))]
    if workspace:
        parts += [f"user-{user.pk}", "offices", *map(str, _office_ids(user))]
    return ",".join(parts)


def cached(name, scopes, compute, vary=()):
    """``compute()``, from the cache when it was computed for the same ``vary`` since
    the records of ``scopes`` last changed."""
    source = "|".join(
        [
            name,
            *vary,
            *(
                f"{scope}={version}"
                for scope, version in zip(scopes, versions(scopes), strict=True)
            ),
        ]
    )
    key = f"page-cache:{hashlib.sha256(source.encode()).hexdigest()}"
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, settings.PROGRESS_CACHE_SECONDS)
    return value


def cached_body(request, name, scopes, who, render):
    """The body ``name`` as ``render()`` returns it (the HTML and a small dict for the
    frame: title, ids of forms), from the cache when it was rendered for the same
    audience ``who`` since the records of ``scopes`` last changed."""
    vary = [
        who,
        translation.get_language() or "",
        str(settings.PUBLIC_PROGRESS_PAGES),
        timezone.localdate().isoformat(),
        request.get_full_path(),
    ]
    return cached(name, scopes, render, vary)
