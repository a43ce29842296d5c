from django.http import HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe


@never_cache
@require_safe
def healthz(request):
    """For load balancers and monitoring: the application answers. It reads neither
    the database nor the session, so it says nothing about them, and it is the
    cheapest request the middleware stack can serve (the benchmark's ceiling)."""
    return HttpResponse("ok", content_type="text/plain; charset=utf-8")
