"""Caching of the progress pages and the workspace's measure list and measure page,
invalidated by any change to the records.

Every save or delete of a record of working_groups, measures or reports (approving a
status entry included) appends a DataChange row in the same transaction; the highest
DataChange id is the data's generation and part of each cache key, so the first
request after a change renders afresh in every server process. A key also holds the
language, what the visitor may see (public or internal measures, reports), the full
path with its query string and today's date (overdue and stale depend on it).
"""

import hashlib

from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.db import connection
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.utils import timezone, translation

from integration_tracker.roles import Role, has_role, is_bureau, is_council

from .permissions import sees_internal_records

WATCHED_APPS = {"working_groups", "measures", "reports"}
IGNORED_MODELS = {"datachange", "spreadsheetimport", "reminder"}
# Old rows are pruned now and then; only the highest id matters.
KEEP_ROWS = 1000


def generation():
    """The highest DataChange id (plain SQL: it runs on every cached page)."""
    from .models import DataChange

    table = connection.ops.quote_name(DataChange._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT MAX(id) FROM {table}")
        return cursor.fetchone()[0] or 0


def _record_change(sender, **kwargs):
    meta = sender._meta
    if meta.app_label not in WATCHED_APPS or meta.model_name in IGNORED_MODELS:
        return
    from .models import DataChange

    change = DataChange.objects.create(model=meta.label_lower)
    if change.pk % KEEP_ROWS == 0:
        DataChange.objects.filter(pk__lte=change.pk - KEEP_ROWS).delete()


def _record_m2m_change(sender, action, **kwargs):
    if action.startswith("post_"):
        _record_change(kwargs["model"] if sender._meta.auto_created else sender)


def connect():
    post_save.connect(_record_change, dispatch_uid="measures.page_cache.save")
    post_delete.connect(_record_change, dispatch_uid="measures.page_cache.delete")
    m2m_changed.connect(_record_m2m_change, dispatch_uid="measures.page_cache.m2m")


def audience(user):
    """What of the progress pages a user sees; users with the same audience get the
    same page body."""
    internal = "internal" if sees_internal_records(user) else "public"
    reports = "reports" if is_bureau(user) or is_council(user) else "noreports"
    return f"{internal}-{reports}"


# Stands for the CSRF token in cached HTML; each response gets its own token.
CSRF_PLACEHOLDER = "csrf-token-of-this-response-b8f1e3"


def _key(request, data_generation, kind, template, who):
    source = "|".join(
        [
            str(data_generation),
            translation.get_language() or "",
            who,
            str(settings.PUBLIC_PROGRESS_PAGES),
            timezone.localdate().isoformat(),
            request.get_full_path(),
        ]
    )
    return f"page:{kind}:{template}:{hashlib.sha256(source.encode()).hexdigest()}"


def _user_and_roles(user):
    if not user.is_authenticated:
        return "anonymous"
    roles = ",".join(
        role for role in Role if has_role(user, role) or (role == Role.BUREAU and is_bureau(user))
    )
    return f"user-{user.pk}-{roles}"


def _with_token(request, html):
    return html.replace(CSRF_PLACEHOLDER, get_token(request)) if CSRF_PLACEHOLDER in html else html


def cached_page(request, template, build_context, per_user=False):
    """The page whose main content is ``template``, from the cache when the records
    have not changed since it was rendered.

    Two levels: the whole page per user (the header names the user), and below it
    the main content per audience (or per user with ``per_user``, for the workspace
    pages), so that a second user of the same audience renders only the frame. A
    page with a pending message is rendered, not cached. The CSRF token is filled in
    per response."""
    data_generation = generation()
    # The frame shows the user's name and the menu of their roles; a role given or
    # taken away changes no record, so the roles are part of the key.
    page_key = _key(request, data_generation, "whole", template, _user_and_roles(request.user))
    pending = len(messages.get_messages(request)) > 0
    if not pending:
        html = cache.get(page_key)
        if html is not None:
            return HttpResponse(_with_token(request, html))

    who = f"user-{request.user.pk}" if per_user else audience(request.user)
    body_key = _key(request, data_generation, "body", template, who)
    cached = cache.get(body_key)
    if cached is None:
        context = {**build_context(), "csrf_token": CSRF_PLACEHOLDER}
        cached = (render_to_string(template, context, request=request), context.get("page_title"))
        cache.set(body_key, cached, settings.PROGRESS_CACHE_SECONDS)
    body, title = cached
    html = render_to_string(
        "cached_page.html",
        {"body": body, "page_title": title or "", "csrf_token": CSRF_PLACEHOLDER},
        request=request,
    )
    if not pending:
        cache.set(page_key, html, settings.PROGRESS_CACHE_SECONDS)
    return HttpResponse(_with_token(request, html))
