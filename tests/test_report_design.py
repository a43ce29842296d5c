"""The bureau's logo and Word template for the report documents: uploaded on a page of
its own, checked before anything is stored (bad files refused with a message that
says why), and used by the HTML, the PDF and the DOCX."""

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from reports.design_checks import DOCUMENT_TYPE, TEMPLATE_TYPE
from reports.models import Report, ReportDesign, ReportExport

pytestmark = pytest.mark.usefixtures("dresden")

SLUG = "umsetzungsbericht-2009-2014"
URL = reverse("reports:report_design", args=[SLUG])


def report():
    return Report.objects.select_related("concept__municipality", "issued_by").get(slug=SLUG)


def png(width=120, height=40):
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


def svg(inner='<rect width="120" height="40" fill="#c00"/>', attributes=""):
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"'
        f' viewBox="0 0 120 40" width="120" height="40"{attributes}>{inner}</svg>'
    ).encode()


def word_file(as_template=True, header="Landeshauptstadt – Kopfzeile der Vorlage", drop=()):
    """A Word template as a city would make it: its own heading colour, a header with
    the city's line and no page numbers; ``drop`` removes styles it does not define."""
    from docx import Document
    from docx.shared import RGBColor

    document = Document()
    document.styles["Heading 1"].font.color.rgb = RGBColor.from_string("0B6E4F")
    document.sections[0].header.paragraphs[0].text = header
    document.add_paragraph("Text der Vorlage, der nicht in den Bericht gehört.")
    for name in drop:
        element = document.styles[name].element
        element.getparent().remove(element)
    buffer = io.BytesIO()
    document.save(buffer)
    content = buffer.getvalue()
    if not as_template:
        return content
    return _retype(content, DOCUMENT_TYPE, TEMPLATE_TYPE)


def _retype(content, old, new, extra=None):
    buffer = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(content)) as source,
        zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for member in source.infolist():
            data = source.read(member.filename)
            if member.filename == "[Content_Types].xml":
                data = data.replace(old.encode(), new.encode())
            target.writestr(member, data)
        for name, data in (extra or {}).items():
            target.writestr(name, data)
    return buffer.getvalue()


def upload(client, kind, name, content):
    field = {"logo": "logo-file", "template": "template-file"}[kind]
    return client.post(
        URL,
        {"action": f"upload_{kind}", field: SimpleUploadedFile(name, content)},
        HTTP_ACCEPT_LANGUAGE="en",
    )


@pytest.fixture
def bureau(client, bureau_user):
    client.force_login(bureau_user)
    return client


def test_the_report_page_links_to_the_design_page(bureau):
    page = bureau.get(reverse("reports:report_detail", args=[SLUG])).content.decode()
    assert f'href="{URL}"' in page
    assert bureau.get(URL).status_code == 200


def test_bureau_uploads_a_png_logo_that_heads_every_document(bureau):
    from docx import Document

    from reports.exports import render_docx, render_html, render_pdf

    response = upload(bureau, "logo", "wappen.png", png())
    assert response.status_code == 302
    design = ReportDesign.objects.get()
    assert design.logo_type == "image/png" and design.logo_name == "wappen.png"
    assert 'src="data:image/png;base64,' in bureau.get(URL).content.decode(), "preview"

    html = render_html(report())
    assert 'class="letterhead-logo" src="data:image/png;base64,' in html
    assert b"/Subtype /Image" in render_pdf(report())
    assert len(Document(io.BytesIO(render_docx(report()))).inline_shapes) == 1


def test_a_clean_svg_logo_is_accepted_for_html_and_pdf(bureau):
    from docx import Document

    from reports.exports import render_docx, render_html, render_pdf

    logo = svg('<defs><linearGradient id="g"/></defs><rect fill="url(#g)" width="9" height="9"/>')
    assert upload(bureau, "logo", "logo.svg", logo).status_code == 302
    assert ReportDesign.objects.get().logo_type == "image/svg+xml"
    assert "data:image/svg+xml;base64," in render_html(report())
    assert render_pdf(report()).startswith(b"%PDF")
    # python-docx places raster pictures only: the DOCX leaves an SVG logo out.
    assert len(Document(io.BytesIO(render_docx(report()))).inline_shapes) == 0


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("logo.png", b"GIF89a" + b"\0" * 40, "is named .png but is not a PNG"),
        ("logo.png", png()[:60], "PNG image is damaged"),
        ("logo.png", png(6000, 10), "at most 5000 pixels"),
        ("logo.gif", b"GIF89a" + b"\0" * 40, "as a PNG or SVG file"),
        ("logo.png", b"\x89PNG\r\n\x1a\n" + b"\0" * (1024 * 1024 + 1), "larger than 1 MB"),
        ("logo.svg", b"<svg", "not a readable SVG"),
        ("logo.svg", b'<html xmlns="http://www.w3.org/1999/xhtml"/>', "not an SVG image"),
        ("logo.svg", svg("<script>alert(1)</script>"), "scripts"),
        ("logo.svg", svg(attributes=' onload="alert(1)"'), "event handlers (onload)"),
        (
            "logo.svg",
            svg('<image href="https://example.org/logo.png" width="9" height="9"/>'),
            "outside itself (https://example.org/logo.png)",
        ),
        ("logo.svg", svg('<use xlink:href="other.svg#logo"/>'), "outside itself (other.svg#logo)"),
        ("logo.svg", svg("<style>@import url(x.css);</style>"), "stylesheet from elsewhere"),
        ("logo.svg", svg('<rect style="fill:url(http://x/y)"/>'), "outside itself (http://x/y)"),
        (
            "logo.svg",
            svg('<foreignObject><div xmlns="http://www.w3.org/1999/xhtml"/></foreignObject>'),
            "foreignObject",
        ),
        ("logo.svg", svg('<set attributeName="href" to="javascript:alert(1)"/>'), "animations"),
        (
            "logo.svg",
            b'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
            b'<svg xmlns="http://www.w3.org/2000/svg">&x;</svg>',
            "document type declaration",
        ),
        (
            "logo.svg",
            b'<?xml-stylesheet href="https://example.org/x.css"?>' + svg()[38:],
            "stylesheet from elsewhere",
        ),
    ],
)
def test_bad_logos_are_refused_with_a_message_and_nothing_is_stored(bureau, name, content, message):
    response = upload(bureau, "logo", name, content)
    assert response.status_code == 400
    assert message in response.content.decode("utf-8").replace("&lt;", "<").replace("&gt;", ">")
    assert not ReportDesign.objects.exists()


def test_a_refused_logo_is_explained_in_german(bureau):
    response = bureau.post(
        URL,
        {"action": "upload_logo", "logo-file": SimpleUploadedFile("l.svg", svg("<script/>"))},
        HTTP_ACCEPT_LANGUAGE="de",
    )
    assert "enthält Skripte" in response.content.decode()


def test_bureau_uploads_a_dotx_whose_styles_header_and_footer_the_docx_uses(bureau):
    from docx import Document

    from reports.exports import render_docx

    response = upload(bureau, "template", "stadt.dotx", word_file())
    assert response.status_code == 302
    design = ReportDesign.objects.get()
    stored = bytes(design.word_template)
    with zipfile.ZipFile(io.BytesIO(stored)) as archive:
        types = archive.read("[Content_Types].xml").decode()
    assert DOCUMENT_TYPE in types and TEMPLATE_TYPE not in types, "stored as a document"
    assert len(design.word_template_sha256) == 64

    document = Document(io.BytesIO(render_docx(report())))
    assert str(document.styles["Heading 1"].font.color.rgb) == "0B6E4F", "the template's style"
    headings = [p.text for p in document.paragraphs if p.style.name == "Heading 1"]
    assert headings[:3] == ["Zusammenfassung", "Inhalt", "1. Grundlagen für die Umsetzung"]
    texts = [p.text for p in document.paragraphs]
    assert "Text der Vorlage, der nicht in den Bericht gehört." not in texts, "body emptied"
    header = [p.text for p in document.sections[0].header.paragraphs]
    assert header[0] == "Landeshauptstadt – Kopfzeile der Vorlage", "the template's header kept"
    assert header[-1].endswith("Entwurf – nicht veröffentlicht"), "the edition mark added"
    footer = document.sections[0].footer._element.xml
    assert " PAGE " in footer and " NUMPAGES " in footer, "page numbers added"
    # the title page without the template's header, the notes as footnotes
    section = document.sections[0]
    assert section.different_first_page_header_footer
    assert [p.text for p in section.first_page_header.paragraphs] == [""]
    assert " PAGEREF _Section1 " in document.element.body.xml
    assert "footnoteReference" in document.element.body.xml
    assert document.core_properties.author == "Integrations- und Ausländerbeauftragte"
    assert document.core_properties.language == "de-DE"


def test_a_template_without_list_and_table_styles_gets_plain_ones(bureau):
    from docx import Document

    from reports.exports import render_docx

    content = word_file(as_template=False, drop=["List Bullet", "List Bullet 2", "Table Grid"])
    response = upload(bureau, "template", "brief.docx", content)
    assert response.status_code == 302
    notice = bureau.get(URL, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "List Bullet, List Bullet 2, Table Grid" in notice

    document = Document(io.BytesIO(render_docx(report())))
    bullets = [p for p in document.paragraphs if p.style.name == "List Bullet"]
    assert bullets and bullets[0]._p.style == document.styles["List Bullet"].style_id
    assert "<w:numPr>" in document.styles["List Bullet"].element.xml, "a real bulleted list"
    assert all(table.style.name == "Table Grid" for table in document.tables)


def test_a_new_template_makes_the_finished_docx_out_of_date(
    bureau, django_capture_on_commit_callbacks
):
    bureau.post(reverse("reports:report_export", args=[SLUG, "docx"]))
    first = ReportExport.objects.get(format="docx")
    with django_capture_on_commit_callbacks(execute=True):
        upload(bureau, "template", "stadt.dotx", word_file())
    download = bureau.get(reverse("reports:report_download", args=[SLUG, "docx"]))
    assert download.status_code == 302, "rendered anew from the template"
    bureau.post(reverse("reports:report_export", args=[SLUG, "docx"]))
    assert ReportExport.objects.get(format="docx").fingerprint != first.fingerprint


def _zip(members):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("vorlage.dotx", b"not a zip at all", "not a Word document or template"),
        ("vorlage.docx", _zip({"hello.txt": "x"}), "not a Word document or template"),
        ("vorlage.dotm", b"PK", "with macros"),
        ("vorlage.odt", b"PK", "(.docx or .dotx)"),
        ("vorlage.docx", b"PK" + b"\0" * (10 * 1024 * 1024), "larger than 10 MB"),
        (
            "vorlage.docx",
            _zip({"[Content_Types].xml": "<Types/>", "word/document.xml": "<w/>"}),
            "not a Word document or template",
        ),
        (
            "vorlage.docx",
            _zip(
                {
                    "[Content_Types].xml": f'<Types><Override ContentType="{DOCUMENT_TYPE}"/>'
                    "</Types>",
                    "word/document.xml": "<broken",
                }
            ),
            "could not be read as a Word document",
        ),
    ],
)
def test_bad_templates_are_refused_with_a_message_and_nothing_is_stored(
    bureau, name, content, message
):
    response = upload(bureau, "template", name, content)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not ReportDesign.objects.exists()


def test_a_template_with_macros_is_refused(bureau):
    content = _retype(word_file(as_template=False), "", "", {"word/vbaProject.bin": b"\0"})
    response = upload(bureau, "template", "vorlage.docx", content)
    assert response.status_code == 400 and "with macros" in response.content.decode()


def test_a_zip_bomb_is_refused_before_it_is_unpacked(bureau, monkeypatch):
    monkeypatch.setattr("reports.design_checks.TEMPLATE_MAX_UNPACKED", 1024)
    response = upload(bureau, "template", "vorlage.docx", word_file(as_template=False))
    assert response.status_code == 400
    assert "Unpacked, the template would take" in response.content.decode()


def test_logo_and_template_can_be_removed(bureau):
    from reports.exports import render_html

    upload(bureau, "logo", "wappen.png", png())
    upload(bureau, "template", "stadt.dotx", word_file())
    assert bureau.post(URL, {"action": "remove_logo"}).status_code == 302
    assert bureau.post(URL, {"action": "remove_template"}).status_code == 302
    design = ReportDesign.objects.get()
    assert not design.logo and not design.logo_type and not design.word_template_name
    assert 'class="letterhead-logo"' not in render_html(report())


def test_an_unknown_action_changes_nothing(bureau):
    response = bureau.post(URL, {"action": "drop_everything"})
    assert response.status_code == 302
    assert not ReportDesign.objects.exists()


@pytest.mark.parametrize("role", ["council_member", "office_staff"])
def test_only_the_bureau_keeps_the_look_of_the_documents(request, client, role):
    client.force_login(request.getfixturevalue(role))
    assert client.get(URL).status_code == 403
    assert upload(client, "logo", "wappen.png", png()).status_code == 403
    assert not ReportDesign.objects.exists()


def test_anonymous_users_are_sent_to_the_login(client):
    response = client.get(URL)
    assert response.status_code == 302 and "login" in response.url
