from django.core.cache import cache
from django.db import DatabaseError, connection
from django.http import HttpResponse, HttpResponseNotAllowed, JsonResponse
from django.views.decorators.cache import never_cache

from .worker import worker_is_late

TEXT = "text/plain; charset=utf-8"


def _refused(request):
    # With a body of its own, so that the site's error page (and with it the frame's
    # queries) stays out of monitoring's answers.
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "HEAD"], "GET or HEAD", content_type=TEXT)
    return None


@never_cache
def healthz(request):
    """For load balancers and monitoring: the application answers. It reads neither
    the database nor the session, so it says nothing about them, and it is the
    cheapest request the middleware stack can serve (the benchmark's ceiling)."""
    return _refused(request) or HttpResponse("ok", content_type=TEXT)


@never_cache
def ready(request):
    """For monitoring: the database, the cache and the background worker, each on its
    own. The answer is 503 only when the database does not answer, since without it
    nothing works; without the cache pages come from the database, and without a
    worker documents, imports and e-mails wait (the pages that wait say so)."""
    if refused := _refused(request):
        return refused
    checks = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except DatabaseError:
        checks["database"] = "unavailable"
    reachable = getattr(cache, "reachable", None)
    checks["cache"] = "ok" if reachable is None or reachable() else "unavailable"
    if checks["database"] == "ok":
        # A task that has waited more than a minute for a worker: none is running.
        checks["worker"] = "late" if worker_is_late() else "ok"
    else:
        checks["worker"] = "unknown"
    return JsonResponse(checks, status=200 if checks["database"] == "ok" else 503)
