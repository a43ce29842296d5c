"""The benchmark's logged-in ceiling: the cheapest page a logged-in person can get.

It passes the same middleware as every page (session, user, roles, idle clock, CSRF,
security headers), with the same session backend and the same user as the page it is
compared with, and returns a body of about 2 KB from the cache: no query of its own,
no template. What a page costs beyond it is the page's own work and its frame.
`make bench` serves it under a URL that exists only when BENCH_CEILING is on (set by
bench/harness.py for the benchmark's gunicorn; integration_tracker/urls.py).
"""

from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.http import HttpResponse

CACHE_KEY = "bench:logged-in-ceiling"
BODY = "<!DOCTYPE html>\n<title>Ceiling</title>\n" + "<p>" + "x" * 2000 + "</p>\n"


@login_required
def logged_in_ceiling(request):
    return HttpResponse(cache.get_or_set(CACHE_KEY, BODY, None))
