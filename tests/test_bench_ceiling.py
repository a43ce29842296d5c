"""The benchmark's logged-in ceiling (bench/views.py): served only when `make bench`
switches it on, and as cheap as a logged-in page can be: the session and the user,
through the same middleware as every page, and a body from the cache."""

import pytest
from django.urls import NoReverseMatch, reverse

from .budgets import REQUEST

CEILING = "/bench/logged-in-ceiling/"


def test_the_ceiling_is_not_served_in_a_normal_run(client, office_staff):
    client.force_login(office_staff)
    assert client.get(CEILING).status_code == 404
    with pytest.raises(NoReverseMatch):
        reverse("bench_logged_in_ceiling")


@pytest.mark.urls("tests.bench_urls")
def test_the_ceiling_reads_the_session_and_the_user_and_nothing_more(
    client, office_staff, django_assert_num_queries
):
    client.force_login(office_staff)
    assert reverse("bench_logged_in_ceiling") == CEILING
    client.get(CEILING)  # the body into the cache
    # The session (none from a shared cache), the user; the role names come from the
    # session.
    with django_assert_num_queries(REQUEST):
        response = client.get(CEILING)
    assert response.status_code == 200
    assert 2000 <= len(response.content) <= 2200
    # Through the middleware of every logged-in page.
    assert "no-store" in response["Cache-Control"]
    assert response["X-Frame-Options"] == "DENY"


@pytest.mark.urls("tests.bench_urls")
def test_the_ceiling_sends_a_visitor_without_a_session_to_the_login(client, db):
    response = client.get(CEILING)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
