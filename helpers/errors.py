"""The site's own error pages (templates/4xx.html, 500.html), in the user's language,
with the site's header and a way on. Django's own pages are bare English HTML whose
inline styles the Content-Security-Policy blocks."""

import logging

from django.contrib.auth.models import AnonymousUser
from django.http import HttpResponseServerError
from django.shortcuts import render
from django.template import loader

from .context_processors import frame_urls

logger = logging.getLogger(__name__)


def _page(request, status):
    if not hasattr(request, "user"):
        # Refused in a middleware before AuthenticationMiddleware (a Host not in
        # ALLOWED_HOSTS, in CommonMiddleware): the page is shown as to a visitor,
        # without reading the session of a request already found suspicious.
        request.user = AnonymousUser()
    return render(request, f"{status}.html", {"status_code": status}, status=status)


def bad_request(request, exception):
    return _page(request, 400)


def permission_denied(request, exception):
    return _page(request, 403)


def page_not_found(request, exception):
    return _page(request, 404)


def server_error(request):
    """Rendered without the request: no context processors, sessions or database,
    which may be what failed."""
    try:
        # The frame's links without the context processors (frame_urls reads nothing).
        context = {"status_code": 500, "site_urls": frame_urls()}
        body = loader.get_template("500.html").render(context)
    except Exception:  # the last resort must not fail in turn
        logger.exception("The 500 page could not be rendered")
        body = "<h1>Server Error (500)</h1>"
    return HttpResponseServerError(body)


def csrf_failure(request, reason=""):
    """CSRF_FAILURE_VIEW: a form without a valid check code."""
    return render(request, "403_csrf.html", {"status_code": 403, "reason": reason}, status=403)


class ErrorPageMiddleware:
    """Gives the empty 405 and 409 answers of views (require_http_methods, a conflict
    answered without a form) the site's page; answers with a body are left alone."""

    STATUSES = (405, 409)

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            response.status_code in self.STATUSES
            and not response.streaming
            and not response.content
        ):
            page = _page(request, response.status_code)
            for header in ("Allow",):
                if header in response.headers:
                    page.headers[header] = response.headers[header]
            return page
        return response
