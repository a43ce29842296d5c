"""Bad input never gives a server error: every GET parameter and every path segment of
every page is fuzzed with NUL characters, huge, negative and fractional numbers, long
strings and wrong types, for the bureau and for anonymous visitors of the public pages,
and so are the headers and cookies a page or a middleware reads; and the inputs a probe
found (a NUL in a search, in the session cookie or in a path segment, an over-long login
name also at the admin's login, a CSV with a NUL byte, an absurd year in an admin date
filter, a 23-digit office number) give 400 or a message. PostgreSQL is where a NUL or
an over-long value fails (CI runs these there too)."""

import datetime
from urllib.parse import quote

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from measures.models import Measure, SpreadsheetImport
from reports.models import Report
from reports.publishing import publish

from .factories import ReportingRoundFactory, StatusEntryFactory

pytestmark = pytest.mark.django_db

BAD_VALUES = [
    "\x00",
    "a\x00b",
    "9" * 23,
    "-1",
    "-99999999999999999999",
    "1.5",
    "1e309",
    "x" * 3000,
    "[]",
    "true",
    "ä€𝔘",
]

SINGLY = {"9" * 23}

# Every parameter a page reads (views, filters, pagination, the admin's filters).
PARAMS = [
    "q",
    "page",
    "seite",
    "konzept",
    "handlungsfeld",
    "gruppe",
    "amt",
    "status",
    "ueberfaellig",
    "veraltet",
    "field_of_action",
    "working_group",
    "due",
    "overdue",
    "stale",
    "ordering",
    "next",
]
ADMIN_PARAMS = [
    "q",
    "p",
    "o",
    "as_of__year",
    "as_of__month",
    "as_of__day",
    "state__exact",
    "measure__concept__id__exact",
    "current_entry__status__exact",
    "is_public__exact",
]


def pages(world):
    measure = Measure.objects.filter(current_entry__isnull=False).order_by("pk").first()
    return [
        reverse("measures:home"),
        reverse("measures:concept_detail", args=[measure.concept.slug]),
        reverse("measures:measure_list"),
        reverse("measures:measure_detail", args=[measure.pk]),
        reverse("measures:entry_create", args=[measure.pk]),
        reverse("measures:review_queue"),
        reverse("measures:round_list"),
        reverse("measures:round_create"),
        reverse("measures:round_detail", args=[world["round"].pk]),
        reverse("measures:data_exchange"),
        reverse("measures:table_export", args=["massnahmen", "csv"]),
        reverse("measures:change_history", args=["massnahme", measure.pk]),
        reverse("reports:overview"),
        reverse("reports:measure", args=[measure.pk]),
        reverse("reports:members"),
        reverse("reports:funding"),
        reverse("reports:needs"),
        reverse("reports:open_data"),
        reverse("reports:open_data_csv"),
        reverse("reports:open_data_json"),
        reverse("reports:report_list"),
        reverse("reports:report_detail", args=[world["report"].slug]),
        reverse("reports:report_publish", args=[world["report"].slug]),
        reverse("reports:version_download", args=[world["report"].slug, 1, "html"]),
        reverse("reports:version_detail", args=[world["report"].slug, 1]),
        reverse("reports:accessibility"),
        reverse("reports:accessibility_feedback"),
        reverse("reports:accessibility_feedback_sent"),
        reverse("reports:easy_language"),
        reverse("login"),
        reverse("password_change"),
    ]


ADMIN_PAGES = [
    "admin:measures_statusentry_changelist",
    "admin:measures_measure_changelist",
    "admin:measures_reportinground_changelist",
]


@pytest.fixture
def world(bureau_user):
    # A small world, so that some thousand requests stay quick.
    entry = StatusEntryFactory(measure__is_public=True)
    concept = entry.measure.concept
    report = Report.objects.create(
        concept=concept,
        slug="bericht",
        title="Bericht",
        period_start=datetime.date(2013, 1, 1),
        period_end=datetime.date(2014, 12, 31),
    )
    publish(report, bureau_user)
    return {
        "report": report,
        "round": ReportingRoundFactory(concept=concept),
    }


def assert_handled(response, url, params):
    assert response.status_code < 500, (url, params)


@pytest.mark.parametrize("who", ["bureau", "anonymous"])
def test_no_page_fails_on_bad_parameters(client, public_pages, world, bureau_user, who):
    if who == "bureau":
        client.force_login(bureau_user)
    urls = pages(world)
    if who == "bureau":
        urls += [reverse(name) for name in ADMIN_PAGES]
    for url in urls:
        names = ADMIN_PARAMS if url.startswith("/admin/") else PARAMS
        for value in BAD_VALUES:
            # All at once, and each parameter given twice …
            params = {name: [value, "1"] for name in names}
            assert_handled(client.get(url, params), url, params)
            if value in SINGLY:
                # … and one by one, so that one refused parameter hides no other.
                for name in names:
                    params = {name: value}
                    assert_handled(client.get(url, params), url, params)


# Path segments: each segment of each page's address in turn, percent-encoded.
PATH_VALUES = ["\x00", "a\x00b", "9" * 23, "-1", "1.5", "x" * 1000, "ä€𝔘", "[]"]

# Headers a page or a middleware reads (the locale, CSRF, django-axes, the cache,
# conditional GETs), and the Host, which must be refused with 400, not 500.
HEADERS = [
    "HTTP_HOST",
    "HTTP_ACCEPT_LANGUAGE",
    "HTTP_ACCEPT",
    "HTTP_REFERER",
    "HTTP_ORIGIN",
    "HTTP_USER_AGENT",
    "HTTP_X_FORWARDED_FOR",
    "HTTP_X_FORWARDED_PROTO",
    "HTTP_X_FORWARDED_HOST",
    "HTTP_X_REQUESTED_WITH",
    "HTTP_IF_MODIFIED_SINCE",
    "HTTP_IF_NONE_MATCH",
    "HTTP_RANGE",
]
# UTF-8 as a WSGI server passes it on: its bytes as Latin-1 characters.
UTF8 = "ä€".encode().decode("latin-1")
HEADER_VALUES = ["a\x00b", "x" * 3000, "-1", UTF8, "*, */*;q=-1"]

# Cookie values; a NUL reaches the server quoted ("\\000…") and is unquoted by Django.
COOKIE_VALUES = ["\x00" + "a" * 31, "a" * 32, "x" * 3000, UTF8, "-1", '"', "\\"]


def header_pages(world):
    return [
        ("get", reverse("measures:home")),
        ("get", reverse("reports:overview")),
        ("get", reverse("reports:report_detail", args=[world["report"].slug])),
        ("get", reverse("measures:measure_list")),
        ("get", reverse("healthz")),
        ("get", reverse("login")),
        ("post", reverse("login")),
        ("post", reverse("admin:login")),
    ]


def request(client, method, url, **extra):
    if method == "post":
        return client.post(url, {"username": "niemand", "password": "falsch"}, **extra)
    return client.get(url, **extra)


@pytest.mark.parametrize("who", ["bureau", "anonymous"])
def test_no_page_fails_on_bad_path_segments(client, public_pages, world, bureau_user, who):
    if who == "bureau":
        client.force_login(bureau_user)
    urls = pages(world) + [reverse("reports:section_edit", args=[world["report"].slug, "1"])]
    if who == "bureau":
        urls += [reverse(name) for name in ADMIN_PAGES]
    for url in urls:
        segments = url.strip("/").split("/")
        for index in range(len(segments)):
            for value in PATH_VALUES:
                changed = [*segments[:index], quote(value, safe=""), *segments[index + 1 :]]
                path = "/" + "/".join(changed) + "/"
                assert_handled(client.get(path), path, value)


@pytest.mark.parametrize("who", ["bureau", "anonymous"])
def test_no_page_fails_on_bad_headers(client, public_pages, world, bureau_user, who):
    if who == "bureau":
        client.force_login(bureau_user)
    for method, url in header_pages(world):
        for header in HEADERS:
            for value in HEADER_VALUES:
                response = request(client, method, url, **{header: value})
                assert_handled(response, url, {header: value})


@pytest.mark.parametrize("who", ["bureau", "anonymous"])
def test_no_page_fails_on_bad_cookies(client, settings, public_pages, world, bureau_user, who):
    names = [
        settings.SESSION_COOKIE_NAME,
        settings.CSRF_COOKIE_NAME,
        settings.LANGUAGE_COOKIE_NAME,
        "messages",
    ]
    for method, url in header_pages(world):
        for name in names:
            for value in COOKIE_VALUES:
                client.cookies.clear()
                if who == "bureau":
                    client.force_login(bureau_user)
                client.cookies[name] = value
                assert_handled(request(client, method, url), url, {name: value})


def test_a_nul_in_the_session_cookie_is_refused_with_400(client, settings, db):
    # As a probe sent it: the quoted octal escape, on any page, without a login.
    cookie = f'{settings.SESSION_COOKIE_NAME}="\\000{"a" * 31}"'
    response = client.get(reverse("measures:home"), HTTP_COOKIE=cookie)
    assert response.status_code == 400
    assert "NUL" in response.content.decode()


def test_a_nul_in_a_path_segment_is_refused_with_400(client, world, bureau_user):
    client.force_login(bureau_user)
    response = client.get(f"/berichte/{world['report'].slug}/abschnitte/%00/")
    assert response.status_code == 400
    assert "NUL" in response.content.decode()


def test_an_overlong_name_at_the_admin_login_is_a_form_error(client, bureau_user):
    response = client.post(reverse("admin:login"), {"username": "x" * 256, "password": "falsch"})
    assert response.status_code == 200
    assert "Benutzername oder Passwort sind nicht richtig." in response.content.decode()


def test_a_nul_in_the_search_is_refused_with_400(client, public_pages, world):
    response = client.get(reverse("reports:overview"), {"q": "\x00"})
    assert response.status_code == 400
    assert "NUL" in response.content.decode()
    assert client.post(reverse("login"), {"username": "a\x00", "password": "x"}).status_code == 400


def test_an_overlong_login_name_is_a_form_error(client, bureau_user):
    response = client.post(reverse("login"), {"username": "x" * 300, "password": "falsch"})
    assert response.status_code == 200
    assert "Benutzername oder Passwort sind nicht richtig." in response.content.decode()


def test_a_csv_with_a_nul_byte_is_refused_with_a_message(client, bureau_user):
    client.force_login(bureau_user)
    content = "Konzept;Maßnahme;Umsetzungsstand;Stand vom\r\nik\x00;1;in_progress;01.01.2015\r\n"
    upload = SimpleUploadedFile("stand.csv", content.encode("utf-8"), content_type="text/csv")
    response = client.post(
        reverse("measures:import_upload"), {"kind": "status_entries", "file": upload}, follow=True
    )
    assert response.status_code == 200
    assert "Nullzeichen" in response.content.decode()
    batch = SpreadsheetImport.objects.get()
    assert bytes(batch.content) == content.encode("utf-8")


@pytest.mark.parametrize("year", ["99999", "9999", "0", "-1", "9" * 23])
def test_an_absurd_year_in_the_admin_date_filter_is_refused(client, bureau_user, year):
    client.force_login(bureau_user)
    url = reverse("admin:measures_statusentry_changelist")
    response = client.get(url, {"as_of__year": year, "as_of__month": "12"})
    assert response.status_code == 302
    assert response.url.endswith("?e=1")


def test_a_23_digit_office_number_is_ignored(client, public_pages, world):
    response = client.get(reverse("reports:overview"), {"amt": "9" * 23, "gruppe": "-5"})
    assert response.status_code == 200
