"""What every logged-in request reads before its own queries, for the query budgets."""

from django.conf import settings

# The session: one query with database sessions; none with cached_db sessions
# (REDIS_URL), which are read from the cache once they are in it.
SESSION = 0 if settings.SESSION_ENGINE.endswith("cached_db") else 1
# The session and the user (Django's ModelBackend); the user's role names come from
# the session (helpers/roles.py).
REQUEST = SESSION + 1
