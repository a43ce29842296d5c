"""Django's RedisCache for a site that must keep working while Redis is away.

What the site keeps in the cache can always be had again from the database: computed
figures, sessions (``cached_db`` reads them from the database on a miss), counters of
rate limits. So an unreachable Redis is a cache miss, not a server error: a read finds
nothing, a write stores nothing, and the request goes on from the database. The fault
is logged once a minute, not once per request; ``/healthz/ready/`` reports it.

While Redis is away the rate limits kept in the cache (feedback messages per hour,
one password reset mail in five minutes) do not count: they fail open, as the cache's
other users fail over to the database. Logins stay limited by django-axes, which
counts in the database. A Redis that was unreachable but kept its data may serve
figures cached before a change made meanwhile, for at most their timeout
(``PROGRESS_CACHE_SECONDS``).
"""

import logging
import time

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

# Seconds between two log records of an unreachable Redis.
LOG_INTERVAL = 60


class RedisCacheOrNothing(RedisCache):
    """Each operation answers as if the cache were empty when Redis fails."""

    last_logged = None

    def failed(self, operation, error):
        now = time.monotonic()
        if self.last_logged is None or now - self.last_logged >= LOG_INTERVAL:
            # Kept on the class: one record per process and interval, for every alias.
            RedisCacheOrNothing.last_logged = now
            logger.error(
                "The cache (Redis) failed in %s; pages are served from the database "
                "until it answers again: %s",
                operation,
                error,
            )

    def reachable(self):
        """Whether Redis answers now (for the readiness check)."""
        try:
            super().get("reachable")
        except RedisError as error:
            self.failed("get", error)
            return False
        return True

    def get(self, key, default=None, version=None):
        try:
            return super().get(key, default, version)
        except RedisError as error:
            self.failed("get", error)
            return default

    def get_many(self, keys, version=None):
        try:
            return super().get_many(keys, version)
        except RedisError as error:
            self.failed("get_many", error)
            return {}

    def has_key(self, key, version=None):
        try:
            return super().has_key(key, version)
        except RedisError as error:
            self.failed("has_key", error)
            return False

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        # As if it had been added: nobody else can have a value while Redis is away.
        try:
            return super().add(key, value, timeout, version)
        except RedisError as error:
            self.failed("add", error)
            return True

    def incr(self, key, delta=1, version=None):
        # A counter that cannot be read counts from nothing.
        try:
            return super().incr(key, delta, version)
        except RedisError as error:
            self.failed("incr", error)
            return delta

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        try:
            super().set(key, value, timeout, version)
        except RedisError as error:
            self.failed("set", error)

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        try:
            return super().set_many(data, timeout, version)
        except RedisError as error:
            self.failed("set_many", error)
            return list(data)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        try:
            return super().touch(key, timeout, version)
        except RedisError as error:
            self.failed("touch", error)
            return False

    def delete(self, key, version=None):
        try:
            return super().delete(key, version)
        except RedisError as error:
            self.failed("delete", error)
            return False

    def delete_many(self, keys, version=None):
        try:
            super().delete_many(keys, version)
        except RedisError as error:
            self.failed("delete_many", error)

    def clear(self):
        try:
            return super().clear()
        except RedisError as error:
            self.failed("clear", error)
            return False
