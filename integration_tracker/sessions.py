"""Sessions end after a period without requests (a shared office PC must not stay
logged in), without writing the session on every request."""

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.utils.translation import gettext as _

LAST_ACTIVITY = "last_activity"
# Renew the timestamp at most every five minutes, so most requests write nothing;
# with a short idle timeout at least every half timeout, or an active user whose last
# renewal was just under REFRESH_AFTER ago would be logged out.
REFRESH_AFTER = 300


def mark_activity(sender, request, user, **kwargs):
    """On login (a user_logged_in receiver): start the idle clock."""
    request.session[LAST_ACTIVITY] = int(time.time())


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
            refresh_after = min(REFRESH_AFTER, settings.SESSION_IDLE_TIMEOUT // 2)
            if last is None or now - last > refresh_after:
                request.session[LAST_ACTIVITY] = now
        return self.get_response(request)
