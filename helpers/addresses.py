"""Addresses per municipality: ``/<slug>/…`` on one host, or a host of its own.

A request whose path starts with a municipality's short name works in that
municipality. ``MunicipalityAddressMiddleware`` takes the short name off the path
Django resolves (``request.path_info``) and adds it to the script prefix, so every
``reverse()`` and ``{% url %}`` of that request — links, form actions, redirects,
the login's ``next`` — stays in the municipality without a view or template knowing.
Whether the request may work there is decided after the login is known, in
``helpers.scope.MunicipalityScopeMiddleware``: an account of another municipality,
like an unknown short name, gets 404.

A municipality with a host of its own (``Municipality.host``) is served there
without the short name in the path.

An address without a short name means the municipality the account works in (the
one it chose last, helpers/scope.py), and for visitors every municipality with
public pages.
"""

import re
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache

from django.conf import settings
from django.core.cache import cache as shared_cache
from django.http import HttpResponsePermanentRedirect
from django.urls import (
    URLResolver,
    get_resolver,
    get_script_prefix,
    get_urlconf,
    reverse,
    set_script_prefix,
)

# The script prefix of the request before a municipality's short name was added.
_base_prefix = ContextVar("base_script_prefix", default=None)

# What a municipality's short name may look like (a SlugField's alphabet).
SLUG = re.compile(r"[-a-zA-Z0-9_]+")

HOSTS_KEY = "municipality-hosts"
# A host given to a municipality (or taken from it) is seen by every process of the
# instance within this many seconds; the process that saved it sees it at once.
HOSTS_TIMEOUT = 60


def base_prefix():
    """The script prefix without a municipality's short name."""
    base = _base_prefix.get()
    return base if base is not None else get_script_prefix()


def _slug_of(municipality):
    return municipality if isinstance(municipality, str) else municipality.slug


@contextmanager
def _prefix(prefix):
    previous = get_script_prefix()
    token = _base_prefix.set(base_prefix())
    set_script_prefix(prefix)
    try:
        yield
    finally:
        set_script_prefix(previous)
        _base_prefix.reset(token)


def addresses_of(municipality):
    """``reverse()`` inside the block gives the addresses of ``municipality`` (a
    Municipality or its slug): for e-mails, the worker, and links to another
    municipality's public pages."""
    return _prefix(f"{base_prefix()}{_slug_of(municipality)}/")


def site_addresses():
    """``reverse()`` inside the block gives addresses without a municipality (the
    error pages of an address that names none the request may work in)."""
    return _prefix(base_prefix())


def municipality_reverse(municipality, viewname, args=None, kwargs=None):
    """The address of a page of ``municipality`` (``/<slug>/…``)."""
    with addresses_of(municipality):
        return reverse(viewname, args=args, kwargs=kwargs)


def reserved_words():
    """The first path segments of the site's own pages (``konto``, ``admin``,
    ``berichte`` …) and of its static files: no municipality may be called so, and
    an address starting with one names none."""
    return _reserved_words(get_urlconf() or settings.ROOT_URLCONF)


@cache
def _reserved_words(urlconf):
    words = set()

    def collect(patterns):
        for pattern in patterns:
            route = str(pattern.pattern)
            literal = re.split(r"[/<^$\\(\[.]", route.lstrip("^"), maxsplit=1)[0]
            if literal:
                words.add(literal)
            elif isinstance(pattern, URLResolver):
                collect(pattern.url_patterns)

    collect(get_resolver(urlconf).url_patterns)
    for url in (settings.STATIC_URL, getattr(settings, "MEDIA_URL", "")):
        first = (url or "").strip("/").split("/")[0]
        if first and "://" not in url:
            words.add(first)
    return frozenset(words)


def municipality_hosts():
    """{host: slug} of the municipalities served under a host of their own."""
    hosts = shared_cache.get(HOSTS_KEY)
    if hosts is None:
        from working_groups.models import Municipality

        hosts = dict(Municipality.all_objects.exclude(host="").values_list("host", "slug"))
        shared_cache.set(HOSTS_KEY, hosts, HOSTS_TIMEOUT)
    return hosts


def hosts_changed():
    shared_cache.delete(HOSTS_KEY)


class MunicipalityAddressMiddleware:
    """Reads the municipality a request names: by its host, or by the first
    segment of its path, which it takes off the path and adds to the script prefix.
    Sets ``request.address_slug`` (None when the address names none)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.address_slug = None
        hosts = municipality_hosts() if settings.MUNICIPALITY_HOSTS else {}
        if hosts:
            slug = hosts.get(request.get_host().partition(":")[0].lower())
            if slug:
                request.address_slug = slug
                return self.get_response(request)
        first, slash, rest = request.path_info[1:].partition("/")
        if first in reserved_words() or not SLUG.fullmatch(first):
            return self.get_response(request)
        if not slash:
            # "/dresden" as typed: its start page (an unknown name then gets 404).
            if settings.APPEND_SLASH:
                return HttpResponsePermanentRedirect(request.get_full_path(force_append_slash=True))
            return self.get_response(request)
        request.address_slug = first
        request.path_info = "/" + rest
        with _prefix(f"{get_script_prefix()}{first}/"):
            return self.get_response(request)
