"""Publishing the report: the bureau freezes HTML and PDF with their SHA-256
checksums; a published version never changes, the council reads every version,
and drafts say that they are drafts in every format."""

import datetime
import hashlib
import io
import re

import pytest
from django.db import DatabaseError, connection, transaction
from django.urls import reverse
from django.utils import timezone

from measures.models import Status
from reports.exports import render_docx, render_html, render_pdf
from reports.models import ImmutableVersionError, Publication, PublishedVersion, Report
from reports.publishing import NothingToPublish, publish

from .budgets import REQUEST
from .factories import MeasureFactory, StatusEntryFactory, UserFactory

pytestmark = pytest.mark.usefixtures("dresden")

SLUG = "umsetzungsbericht-2009-2014"
PUBLISH_URL = reverse("reports:report_publish", args=[SLUG])
DETAIL_URL = reverse("reports:report_detail", args=[SLUG])


def version_url(number, format):
    return reverse("reports:version_download", args=[SLUG, number, format])


def report():
    return Report.objects.get(slug=SLUG)


def pages_text(pdf):
    from pypdf import PdfReader

    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


def test_bureau_publishes_a_version_with_checksums_who_and_when(client, bureau_user):
    client.force_login(bureau_user)
    assert client.get(PUBLISH_URL).status_code == 200
    response = client.post(PUBLISH_URL, {"note": "Vorlage Ausländerbeirat", "confirm": "on"})
    # The request only records the wish; the worker renders (at once in tests).
    publication = Publication.objects.get()
    assert response.status_code == 302 and response["Location"] == publication.get_absolute_url()

    version = PublishedVersion.objects.get()
    assert publication.version == version and publication.requested_by == bureau_user
    done = client.get(response["Location"]).content.decode()
    assert "Fassung 1 des Berichts wurde veröffentlicht." in done
    assert version.get_absolute_url() in done
    assert (version.number, version.published_by, version.note) == (
        1,
        bureau_user,
        "Vorlage Ausländerbeirat",
    )
    assert version.html_sha256 == hashlib.sha256(bytes(version.html)).hexdigest()
    assert version.pdf_sha256 == hashlib.sha256(bytes(version.pdf)).hexdigest()
    assert bytes(version.pdf).startswith(b"%PDF")

    # The frozen documents say which version they are, not that they are drafts.
    html = bytes(version.html).decode()
    # (on the title page as an administration words it, no notice of the software)
    assert re.search(r'<p class="edition-mark"[^>]*>Fassung 1 vom [^<]*</p>', html)
    assert 'class="edition-mark draft-mark"' not in html
    pages = pages_text(bytes(version.pdf))
    assert all("Fassung 1 vom" in page for page in pages)
    # (the notes on sources may speak of a concept's draft: no draft mark, though)
    assert not any("Entwurf –" in page or "Entwurf:" in page for page in pages)

    page = client.get(DETAIL_URL).content.decode()
    assert version.pdf_sha256 in page and version.html_sha256 in page
    assert "Version 1 vom" in page or "Fassung 1" in page


def test_published_bytes_and_checksum_stay_after_later_edits(client, bureau_user, council_member):
    version = publish(report(), bureau_user)
    client.force_login(council_member)
    before = {f: client.get(version_url(1, f)).content for f in ("html", "pdf")}
    draft_before = render_html(report())

    # Later edits that change the draft: a new title, a new measure with a status
    # approved as of the period, an entry approved after the period.
    Report.objects.filter(pk=version.report_id).update(title="Geänderter Titel des Berichts")
    topic = report().sections.get(number="3").topics.first().children.first()
    measure = MeasureFactory(concept=report().concept, topic=topic, title="Nachgetragene Maßnahme")
    StatusEntryFactory(measure=measure, as_of=datetime.date(2014, 1, 31), status=Status.ONGOING)
    StatusEntryFactory(
        measure=report().concept.measures.get(number="3.1.3"),
        as_of=datetime.date(2015, 6, 1),
        status=Status.IN_PROGRESS,
        progress=10,
    )
    draft_after = render_html(report())
    assert "Geänderter Titel" in draft_after and "Nachgetragene Maßnahme" in draft_after
    assert draft_after != draft_before

    for format in ("html", "pdf"):
        response = client.get(version_url(1, format))
        assert response.status_code == 200
        assert response.content == before[format]
        stored = PublishedVersion.objects.get(pk=version.pk)
        assert hashlib.sha256(response.content).hexdigest() == stored.checksum(format)
        assert stored.checksum(format) == version.checksum(format)
        assert response["ETag"] == f'"{stored.checksum(format)}"'
    assert "Geänderter Titel" not in before["html"].decode()

    # The next version holds the edits; the first stays listed as it was.
    second = publish(report(), bureau_user)
    assert second.number == 2
    assert "Nachgetragene Maßnahme" in bytes(second.html).decode()
    assert client.get(version_url(1, "pdf")).content == before["pdf"]


def test_a_published_version_cannot_be_changed_or_deleted(bureau_user):
    version = publish(report(), bureau_user)
    version.note = "geändert"
    with pytest.raises(ImmutableVersionError):
        version.save()
    with pytest.raises(ImmutableVersionError):
        PublishedVersion.objects.filter(pk=version.pk).update(note="geändert")
    with pytest.raises(ImmutableVersionError):
        version.delete()
    with pytest.raises(ImmutableVersionError):
        PublishedVersion.objects.all().delete()
    # Not even SQL past the application changes it: the database refuses.
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE reports_publishedversion SET html_sha256 = %s WHERE id = %s",
            ["0" * 64, version.pk],
        )
    assert PublishedVersion.objects.get(pk=version.pk).html_sha256 == version.html_sha256


def test_the_database_refuses_to_delete_a_published_version(bureau_user):
    # Deleted and inserted again with forged content and a matching checksum, a
    # version would look genuine: the database refuses the delete.
    version = publish(report(), bureau_user)
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM reports_publishedversion WHERE id = %s", [version.pk])
    assert PublishedVersion.objects.filter(pk=version.pk).exists()


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite has no TRUNCATE; its DELETE without WHERE meets the trigger above",
)
def test_the_database_refuses_to_truncate_published_versions(bureau_user):
    # TRUNCATE fires no row trigger: a statement trigger refuses it, also when it
    # comes by CASCADE from the report.
    version = publish(report(), bureau_user)
    for statement in (
        "TRUNCATE reports_publishedversion CASCADE",
        "TRUNCATE reports_report CASCADE",
    ):
        with (
            pytest.raises(DatabaseError, match="published versions are immutable"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            # PostgreSQL refuses to truncate a table with foreign key checks still
            # pending in the transaction (the test's own inserts): check them first.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
            cursor.execute(statement)
    assert PublishedVersion.objects.filter(pk=version.pk).exists()


def test_publishing_needs_confirmation_and_writes_nothing_without(client, bureau_user):
    client.force_login(bureau_user)
    response = client.post(PUBLISH_URL, {"note": "x"})
    assert response.status_code == 400
    content = response.content.decode()
    assert "Bitte bestätigen Sie" in content
    assert 'aria-describedby="id_confirm_error' in content
    assert not PublishedVersion.objects.exists()


@pytest.mark.parametrize("role", ["council_member", "office_staff"])
def test_only_the_bureau_publishes(request, client, role):
    client.force_login(request.getfixturevalue(role))
    assert client.get(PUBLISH_URL).status_code == 403
    assert client.post(PUBLISH_URL, {"confirm": "on"}).status_code == 403
    assert not PublishedVersion.objects.exists()


def test_publish_page_answers_get_and_post_only(client, bureau_user):
    client.force_login(bureau_user)
    for method in (client.put, client.patch, client.delete):
        assert method(PUBLISH_URL).status_code == 405
    assert not PublishedVersion.objects.exists()


def test_council_sees_and_downloads_published_versions(client, bureau_user, council_member):
    version = publish(report(), bureau_user, note="Vorlage")
    client.force_login(council_member)
    listing = client.get(reverse("reports:report_list")).content.decode()
    assert version_url(1, "pdf") in listing
    response = client.get(DETAIL_URL)
    # The council's report page is the latest published version, read in the browser.
    page_url = reverse("reports:version_detail", args=[SLUG, 1])
    assert response.status_code == 302 and response.url == page_url
    detail = client.get(page_url).content.decode()
    assert version.pdf_sha256 in detail and "Vorlage" in detail
    assert "<h1>Umsetzung des Konzeptes zur Integration" in detail  # the stored report
    assert "Fassung 1, veröffentlicht am" in detail
    assert PUBLISH_URL not in detail  # no publish button for the council
    # no draft and no way to it
    assert f'href="{DETAIL_URL}"' not in detail and "/download." not in detail
    assert 'class="draft-mark"' not in detail
    response = client.get(version_url(1, "pdf"))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert f"{SLUG}-fassung-1.pdf" in response["Content-Disposition"]
    assert client.get(version_url(2, "pdf")).status_code == 404
    assert client.get(version_url(1, "odt")).status_code == 404


def test_staff_and_anonymous_cannot_read_versions(client, bureau_user, office_staff):
    publish(report(), bureau_user)
    for url in (reverse("reports:report_list"), version_url(1, "pdf")):
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response["Location"]
    client.force_login(office_staff)
    assert client.get(reverse("reports:report_list")).status_code == 403
    assert client.get(version_url(1, "pdf")).status_code == 403


def test_drafts_are_marked_as_drafts_in_every_format():
    html = render_html(report())
    assert 'class="draft"' in html and '<p class="edition-mark draft-mark"' in html
    assert re.search(r'<p class="edition-mark draft-mark"[^>]*>Entwurf</p>', html)
    pages = pages_text(render_pdf(report()))
    assert all("Entwurf – nicht veröffentlicht" in page for page in pages), "on every page"

    from docx import Document

    document = Document(io.BytesIO(render_docx(report())))
    assert document.sections[0].header.paragraphs[0].text.endswith("Entwurf – nicht veröffentlicht")
    assert any(p.text == "Entwurf" for p in document.paragraphs[:3])


def test_pdf_uses_the_bundled_fonts():
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(render_pdf(report())))
    fonts = {
        font.get_object()["/BaseFont"].split("+")[-1]
        for page in reader.pages
        for font in (page["/Resources"].get("/Font") or {}).values()
    }
    # Noto Sans (open, with an unslashed zero), DejaVu Sans for signs it lacks
    assert "Noto-Sans" in fonts
    assert fonts <= {"Noto-Sans", "Noto-Sans-Bold", "Noto-Sans-Italic", "DejaVu-Sans-Bundled"}


def test_export_report_writes_a_published_version(tmp_path, bureau_user):
    from django.core.management import CommandError, call_command

    version = publish(report(), bureau_user)
    target = tmp_path / "fassung.pdf"
    call_command("export_report", SLUG, "--format", "pdf", "--published", "1", "--output", target)
    assert target.read_bytes() == bytes(version.pdf)
    with pytest.raises(CommandError, match="no published version 7"):
        call_command("export_report", SLUG, "--published", "7", "--output", target)


@pytest.mark.parametrize("versions", [1, 12])
def test_report_list_queries_do_not_grow_with_versions(
    client, council_member, django_assert_num_queries, versions
):
    author = UserFactory()
    for number in range(1, versions + 1):
        PublishedVersion.objects.create(
            report=report(),
            number=number,
            published_at=datetime.datetime(2026, 1, number, tzinfo=datetime.UTC),
            published_by=author,
            html=b"<p>x</p>",
            html_sha256=hashlib.sha256(b"<p>x</p>").hexdigest(),
            pdf=b"%PDF",
            pdf_sha256=hashlib.sha256(b"%PDF").hexdigest(),
        )
    client.force_login(council_member)
    # session, user, roles, count, reports, versions: the same for 1 and 12 versions
    with django_assert_num_queries(REQUEST + 3):
        assert client.get(reverse("reports:report_list")).status_code == 200


def test_a_publish_form_sent_twice_publishes_once(client, bureau_user):
    client.force_login(bureau_user)
    page = client.get(PUBLISH_URL)
    assert b'name="opened_after" value="0"' in page.content
    data = {"note": "Vorlage", "confirm": "on", "opened_after": "0"}
    assert client.post(PUBLISH_URL, data).status_code == 302
    second = client.post(PUBLISH_URL, data, follow=True)
    assert PublishedVersion.objects.count() == 1
    assert "in der Zwischenzeit" in second.content.decode()


def test_an_unchanged_report_is_not_published_again(client, bureau_user):
    first = publish(report(), bureau_user)
    client.force_login(bureau_user)
    response = client.post(PUBLISH_URL, {"confirm": "on", "opened_after": "1"}, follow=True)
    assert list(PublishedVersion.objects.values_list("number", flat=True)) == [first.number]
    assert "seit Fassung 1 nicht geändert" in response.content.decode()
    with pytest.raises(NothingToPublish):
        publish(report(), bureau_user)
    # A change to the records makes the next version.
    Report.objects.filter(pk=first.report_id).update(title="Geänderter Titel")
    assert publish(report(), bureau_user).number == 2


@pytest.fixture
def database_tasks(settings):
    """Tasks stay queued in the database, as without a worker."""
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}
    }


def test_publishing_only_records_the_wish_and_the_page_follows_it(
    client, bureau_user, database_tasks
):
    client.force_login(bureau_user)
    data = {"note": "Vorlage", "confirm": "on", "opened_after": "0"}
    response = client.post(PUBLISH_URL, data)
    publication = Publication.objects.get()
    assert response["Location"] == publication.get_absolute_url()
    assert publication.state == Publication.State.QUEUED and publication.task_id
    assert not PublishedVersion.objects.exists(), "nothing is rendered in the request"

    page = client.get(publication.get_absolute_url())
    assert page["Refresh"] == "3"
    assert "Fassung 1 wird veröffentlicht" in page.content.decode()
    # The draft's page says so instead of offering to publish again.
    detail = client.get(DETAIL_URL).content.decode()
    assert "Fassung 1 wird veröffentlicht." in detail
    assert "Diesen Entwurf als neue Fassung veröffentlichen" not in detail

    # A second click while it is under way is led to the same publication.
    again = client.post(PUBLISH_URL, data)
    assert again["Location"] == publication.get_absolute_url()
    assert Publication.objects.count() == 1


def test_a_failed_rendering_publishes_nothing_and_says_so(client, bureau_user, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("typesetting failed")

    monkeypatch.setattr("reports.publishing.render_pdf", broken)
    client.force_login(bureau_user)
    client.post(PUBLISH_URL, {"confirm": "on", "opened_after": "0"})
    publication = Publication.objects.get()
    assert publication.state == Publication.State.FAILED and publication.version is None
    assert not PublishedVersion.objects.exists()
    page = client.get(publication.get_absolute_url()).content.decode()
    assert "konnte nicht erstellt werden" in page


def test_the_publication_page_is_the_bureaus(client, bureau_user, council_member, office_staff):
    client.force_login(bureau_user)
    client.post(PUBLISH_URL, {"confirm": "on", "opened_after": "0"})
    url = Publication.objects.get().get_absolute_url()
    for user in (council_member, office_staff):
        client.force_login(user)
        assert client.get(url).status_code == 403
    client.logout()
    assert client.get(url).url.startswith(reverse("login"))
    client.force_login(bureau_user)
    assert client.post(url).status_code == 405
    other = reverse("reports:publication", args=[SLUG, 999])
    assert client.get(other).status_code == 404


def test_without_a_worker_the_waiting_pages_say_so(client, bureau_user, database_tasks):
    """No worker has taken a task for a minute: the publication and the export pages
    say so instead of waiting silently; nothing is lost."""
    from django_tasks_db.models import DBTaskResult

    client.force_login(bureau_user)
    client.post(PUBLISH_URL, {"confirm": "on", "opened_after": "0"})
    client.post(reverse("reports:report_export", args=[SLUG, "pdf"]))
    publication = Publication.objects.get()
    export_url = reverse("reports:report_export", args=[SLUG, "pdf"])
    late = "Die Hintergrundverarbeitung antwortet nicht"
    assert late not in client.get(publication.get_absolute_url()).content.decode()

    DBTaskResult.objects.update(enqueued_at=timezone.now() - datetime.timedelta(minutes=2))
    assert late in client.get(publication.get_absolute_url()).content.decode()
    assert late in client.get(export_url).content.decode()
