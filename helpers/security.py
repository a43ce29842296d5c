"""The Content-Security-Policy middleware, with the one exception the admin needs;
and the refusal of NUL characters in requests.

The policy itself is CONTENT_SECURITY_POLICY in the settings: no inline script or
style anywhere. django-import-export's export page (admin, bureau only) has a
"select all" checkbox with an inline onchange handler and two style attributes; rather
than allow inline code there, exactly those three attribute values are allowed by
their hashes, on that page only. If a new version of the package changes them, the
browser test of the policy reports the violation.
"""

import base64
import hashlib

from csp.middleware import CSPMiddleware as BaseCSPMiddleware
from django.http import HttpResponseBadRequest
from django.utils.translation import gettext as _


def source_hash(source):
    digest = hashlib.sha256(source.encode("utf-8")).digest()
    return f"'sha256-{base64.b64encode(digest).decode('ascii')}'"


# From import_export/templates/admin/import_export/export.html (django-import-export 4).
IMPORT_EXPORT_EXPORT_PAGE = {
    "script-src-attr": ["'unsafe-hashes'", source_hash("onSelectToggleChange(event)")],
    "style-src-attr": [
        "'unsafe-hashes'",
        source_hash("padding: 0;"),
        source_hash("font-weight: bold;"),
    ],
}


class CSPMiddleware(BaseCSPMiddleware):
    def get_policy_parts(self, request, response, report_only=False):
        parts = super().get_policy_parts(request, response, report_only=report_only)
        match = getattr(request, "resolver_match", None)
        if match and match.namespace == "admin" and (match.url_name or "").endswith("_export"):
            parts.update = {**(parts.update or {}), **IMPORT_EXPORT_EXPORT_PAGE}
        return parts


class RefuseNulMiddleware:
    """A NUL character anywhere in a request is refused with 400: in the path, the
    query string, the form data, a cookie or a header. No one types it, and PostgreSQL
    refuses it in text, which made it a server error wherever a value reaches a query
    (a search, a filter, the login, a section number in the path, the session cookie,
    the user agent django-axes records). RFC 9110 (5.5) forbids it in header fields.

    Before the session and the user are read (AuthenticationMiddleware), which would
    look the session cookie up."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if (
            "\x00" in request.path_info
            or any("\x00" in v for k, v in request.META.items() if k.startswith("HTTP_"))
            # A cookie's quoted value ("\\000…") becomes a NUL only when it is read.
            or any("\x00" in k + v for k, v in request.COOKIES.items())
            or _has_nul(request.GET)
            or (request.method == "POST" and _has_nul(request.POST))
        ):
            return HttpResponseBadRequest(
                _("The request contains a NUL character, which no field accepts."),
                content_type="text/plain; charset=utf-8",
            )
        return self.get_response(request)


def _has_nul(query):
    return any("\x00" in key or any("\x00" in v for v in values) for key, values in query.lists())
