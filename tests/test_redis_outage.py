"""A Redis that does not answer is a cache miss: pages, logins and sessions go on from
the database (helpers/cache.py), the fault is logged once a minute, and
/healthz/ready/ reports the database, the cache and the worker each on its own."""

import datetime
import logging

import pytest
from django.urls import reverse
from django.utils import timezone

from helpers import cache as forgiving

# Nothing listens on port 1: every connection is refused at once.
NO_REDIS = {
    "default": {
        "BACKEND": "helpers.cache.RedisCacheOrNothing",
        "LOCATION": "redis://127.0.0.1:1/0",
        "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
    }
}


@pytest.fixture
def redis_away(settings, monkeypatch):
    settings.CACHES = NO_REDIS
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
    monkeypatch.setattr(forgiving.RedisCacheOrNothing, "last_logged", None)


def test_pages_logins_and_sessions_work_while_redis_is_away(
    client, dresden, council_member, redis_away, caplog
):
    with caplog.at_level(logging.ERROR, logger="helpers.cache"):
        assert client.get("/").status_code == 200
        response = client.post(
            reverse("login"), {"username": council_member.username, "password": "secret-password"}
        )
        assert response.status_code == 302
        # The session was written to the database and is read from there.
        assert client.get(reverse("reports:overview")).status_code == 200
        assert client.get(reverse("reports:open_data")).status_code == 200
    records = [r for r in caplog.records if r.name == "helpers.cache"]
    assert len(records) == 1, "one record per minute, not one per request"
    assert "served from the database" in records[0].getMessage()


def test_operations_answer_as_an_empty_cache(redis_away):
    from django.core.cache import cache

    assert cache.get("key", "default") == "default"
    assert cache.get_many(["a", "b"]) == {}
    assert cache.has_key("key") is False
    assert cache.add("key", 1) is True
    assert cache.incr("counter") == 1
    assert cache.get_or_set("key", 5) == 5
    cache.set("key", 1)
    cache.set_many({"a": 1})
    cache.delete("key")
    cache.delete_many(["a"])
    assert cache.reachable() is False


def test_readiness_names_the_cache_when_redis_is_away(client, db, redis_away):
    response = client.get(reverse("ready"))
    assert response.status_code == 200
    assert response.json() == {"database": "ok", "cache": "unavailable", "worker": "ok"}


def test_readiness_with_everything_there(client, db):
    response = client.get(reverse("ready"))
    assert response.status_code == 200
    assert response.json() == {"database": "ok", "cache": "ok", "worker": "ok"}
    assert "no-cache" in response["Cache-Control"]


def test_readiness_says_when_no_worker_has_taken_a_task_for_a_minute(client, db, settings):
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    from reports.tasks import render_export

    result = render_export.enqueue(export_id=0)
    DBTaskResult.objects.filter(pk=result.id).update(
        enqueued_at=timezone.now() - datetime.timedelta(minutes=2)
    )
    assert client.get(reverse("ready")).json()["worker"] == "late"


@pytest.mark.skipif("not __import__('os').environ.get('REDIS_URL')")
def test_the_shared_cache_is_reachable_in_ci(settings):
    from django.core.cache import cache

    assert cache.reachable() is True
