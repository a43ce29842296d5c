"""The frame every page shares (templates/base.html, helpers/context_processors.py)
costs every request: its links are worked out once per process, and what depends on
the user only when a template shows it."""

from unittest import mock

import django.urls
import pytest
from django.template.loader import render_to_string
from django.urls import reverse

import helpers.context_processors
from measures.models import Status, StatusEntry


def _frame(client, url):
    """base.html rendered for the request of a page, as a page renders it."""
    request = client.get(url).wsgi_request
    return lambda: render_to_string("base.html", request=request)


def test_the_frame_reverses_no_url_once_it_has_shown_a_page(client, bureau_user):
    client.force_login(bureau_user)
    render = _frame(client, reverse("measures:measure_list"))
    first = render()
    with (
        # {% url %} imports reverse when it renders.
        mock.patch.object(django.urls, "reverse", wraps=reverse) as in_tags,
        mock.patch.object(helpers.context_processors, "reverse", wraps=reverse) as in_frame,
    ):
        second = render()
    assert in_tags.call_count == in_frame.call_count == 0
    # The links are those reverse() gives: the navigation and the frame's own.
    for name in ("reports:overview", "accounts:my_account", "logout", "admin:index"):
        assert f'"{reverse(name)}"' in first
        assert f'"{reverse(name)}"' in second


def test_the_links_follow_the_url_configuration(client, office_staff):
    """A process serving another URL configuration (or script prefix) does not get
    the links of the first."""
    client.force_login(office_staff)
    urls = helpers.context_processors.frame_urls()
    with mock.patch.object(helpers.context_processors, "get_script_prefix", return_value="/it/"):
        prefixed = helpers.context_processors.frame_urls()
    assert prefixed is not urls
    assert urls["measures"] == reverse("measures:measure_list")


def test_a_fragment_rendered_with_the_request_works_out_no_navigation(rf, office_staff):
    request = rf.get("/")
    request.user = office_staff
    with mock.patch.object(helpers.context_processors, "_sections") as sections:
        assert render_to_string("_pagination.html", request=request) is not None
    sections.assert_not_called()


@pytest.mark.parametrize("status", Status.values)
def test_an_entry_reads_its_status_as_djangos_display_does(status):
    entry = StatusEntry(status=status)
    assert str(entry.status_label) == str(entry.get_status_display())
