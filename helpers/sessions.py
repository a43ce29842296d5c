"""Sessions end after a period without requests (a shared office PC must not stay
logged in), without writing the session on every request, and SESSION_COOKIE_AGE after
the login in any case: Django renews a session's expiry whenever the session is
saved, so the idle clock's renewals alone would keep an active session for ever."""

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _

LAST_ACTIVITY = "last_activity"
LOGGED_IN_AT = "logged_in_at"
# Renew the timestamp at most every five minutes, so most requests write nothing;
# with a short idle timeout at least every half timeout, or an active user whose last
# renewal was just under REFRESH_AFTER ago would be logged out.
REFRESH_AFTER = 300


def mark_activity(sender, request, user, **kwargs):
    """On login (a user_logged_in receiver): start the idle clock and the session's
    lifetime."""
    now = int(time.time())
    request.session[LAST_ACTIVITY] = now
    request.session[LOGGED_IN_AT] = now


class IdleTimeoutMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            now = int(time.time())
            last = request.session.get(LAST_ACTIVITY)
            if last is not None and now - last > settings.SESSION_IDLE_TIMEOUT:
                logout(request)
                messages.info(request, _("You were logged out after a period of inactivity."))
                return redirect_to_login(request.get_full_path())
            # A session from before the lifetime was recorded counts from now.
            logged_in_at = request.session.setdefault(LOGGED_IN_AT, now)
            if now - logged_in_at > settings.SESSION_COOKIE_AGE:
                logout(request)
                messages.info(
                    request,
                    _("You were logged out because your session reached its maximum length."),
                )
                return redirect_to_login(request.get_full_path())
            refresh_after = min(REFRESH_AFTER, settings.SESSION_IDLE_TIMEOUT // 2)
            if last is None or now - last > refresh_after:
                request.session[LAST_ACTIVITY] = now
        response = self.get_response(request)
        if request.user.is_authenticated and not response.has_header("Cache-Control"):
            # A logged-in page holds what this person may read: no shared cache and no
            # browser history on a shared office PC keeps it. A view that says how its
            # answer may be cached (a published version with its checksum) says so.
            patch_cache_control(response, private=True, no_store=True)
        return response
