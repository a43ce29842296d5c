"""Sessions end after a period without requests (a shared office PC must not stay
logged in), without writing the session on every request."""

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.contrib.sessions.backends import db
from django.db import connections, router
from django.utils import timezone
from django.utils.translation import gettext as _

LAST_ACTIVITY = "last_activity"
# Renew the timestamp at most every five minutes, so most requests write nothing;
# with a short idle timeout at least every half timeout, or an active user whose last
# renewal was just under REFRESH_AFTER ago would be logged out.
REFRESH_AFTER = 300


class SessionStore(db.SessionStore):
    """Django's database sessions (SESSION_ENGINE = "integration_tracker.sessions"),
    read with one plain SQL statement: every page a logged-in user opens reads its
    session, and building the ORM query cost more than running it."""

    def _get_session_from_db(self):
        using = router.db_for_read(self.model)
        connection = connections[using]
        quote = connection.ops.quote_name
        sql = (
            f"SELECT {quote('session_data')} FROM {quote(self.model._meta.db_table)} "
            f"WHERE {quote('session_key')} = %s AND {quote('expire_date')} > %s"
        )
        now = connection.ops.adapt_datetimefield_value(timezone.now())
        with connection.cursor() as cursor:
            cursor.execute(sql, [self.session_key, now])
            row = cursor.fetchone()
        if row is None:
            self._session_key = None
            return None
        return self.model(session_key=self.session_key, session_data=row[0])


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
