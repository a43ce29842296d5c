"""/healthz/ answers load balancers without touching the database or the session."""

from django.urls import reverse


def test_healthz_answers_ok_as_plain_text_without_a_query(client, db, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get(reverse("healthz"))
    assert response.status_code == 200
    assert response.content == b"ok"
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert "no-cache" in response["Cache-Control"]
    assert not response.cookies


def test_healthz_works_without_database_access(client):
    # No db fixture: pytest-django would raise on any database access.
    assert client.get(reverse("healthz")).status_code == 200


def test_healthz_answers_head(client):
    assert client.head(reverse("healthz")).status_code == 200


def test_healthz_refuses_post(client):
    assert client.post(reverse("healthz")).status_code == 405
