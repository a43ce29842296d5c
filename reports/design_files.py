"""The files the bureau uploads for the look of its report documents, checked before
anything is stored: a logo (PNG or SVG) for the title page and a Word template
(.docx or .dotx) for the DOCX.

A file that does not pass is refused as a whole with a message that says why; no
file is repaired silently. An SVG is parsed without loading a DTD, entities or
anything from the network, and refused if it holds scripts, event handlers,
embedded HTML, animations or references to anything outside itself (other files,
web addresses, stylesheets): a logo needs none of them, and the report is rendered
and read without any network access. A Word template is a real ZIP archive with a
Word document inside, without macros, that python-docx opens; a .dotx is stored with
the content type of a document, which is all that tells the two apart."""

import io
import re
import zipfile

from django.utils.translation import gettext as _

from integration_tracker.uploads import FileProblem, check_upload_size, zip_members

LOGO_MAX_BYTES = 1024 * 1024
LOGO_MAX_PIXELS = 5000  # on either side
TEMPLATE_MAX_BYTES = 10 * 1024 * 1024
TEMPLATE_MAX_UNPACKED = 50 * 1024 * 1024

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
SVG = "{http://www.w3.org/2000/svg}"
XLINK_HREF = "{http://www.w3.org/1999/xlink}href"
XHTML = "{http://www.w3.org/1999/xhtml}"
# Elements a logo has no use for, and that act, embed other documents or animate.
SVG_REFUSED = {
    "script",
    "foreignObject",
    "iframe",
    "handler",
    "listener",
    "animate",
    "animateMotion",
    "animateTransform",
    "animateColor",
    "set",
    "discard",
}
# Pictures embedded in the SVG itself are allowed; everything else is outside.
INLINE_IMAGE = re.compile(r"^\s*data:image/(png|jpeg|gif);base64,", re.IGNORECASE)
CSS_URL = re.compile(r"url\(\s*(['\"]?)(.*?)\1\s*\)", re.IGNORECASE | re.DOTALL)

DOCUMENT_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
TEMPLATE_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.template.main+xml"


def _extension(name):
    return name.rsplit(".", 1)[-1].lower() if "." in name else ""


def check_logo(content, name):
    """(content type, bytes) of an acceptable logo; raises FileProblem otherwise."""
    check_upload_size(len(content), LOGO_MAX_BYTES)
    extension = _extension(name)
    if extension == "png" or content.startswith(PNG_SIGNATURE):
        if not content.startswith(PNG_SIGNATURE):
            raise FileProblem(_("The file is named .png but is not a PNG image."))
        _check_png(content)
        return "image/png", content
    if extension == "svg":
        _check_svg(content)
        return "image/svg+xml", content
    raise FileProblem(_("Please upload the logo as a PNG or SVG file."))


def _check_png(content):
    from PIL import Image

    try:
        with Image.open(io.BytesIO(content)) as image:
            if image.format != "PNG":
                raise FileProblem(_("The file is named .png but is not a PNG image."))
            width, height = image.size
            if width > LOGO_MAX_PIXELS or height > LOGO_MAX_PIXELS:
                raise FileProblem(
                    _("The logo may be at most %(limit)s pixels wide and high.")
                    % {"limit": LOGO_MAX_PIXELS}
                )
            image.verify()
    except FileProblem:
        raise
    except Exception as error:  # Pillow raises many kinds for a damaged file
        raise FileProblem(_("The PNG image is damaged and cannot be read.")) from error


def _outside_reference(value):
    value = value.strip()
    return bool(value) and not value.startswith("#") and not INLINE_IMAGE.match(value)


def _check_css(text):
    if "@import" in text.lower():
        raise FileProblem(_("The SVG loads a stylesheet from elsewhere; please embed everything."))
    for _quote, target in CSS_URL.findall(text):
        if _outside_reference(target):
            raise FileProblem(
                _("The SVG refers to a file or address outside itself (%(target)s).")
                % {"target": target[:80]}
            )


def _check_svg(content):
    from lxml import etree

    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False
    )
    try:
        root = etree.fromstring(content, parser)
    except etree.XMLSyntaxError as error:
        raise FileProblem(
            _("The file is not a readable SVG image (%(error)s).") % {"error": error}
        ) from error
    tree = root.getroottree()
    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None:
        raise FileProblem(_("The SVG contains a document type declaration; please remove it."))
    if root.tag != f"{SVG}svg":
        raise FileProblem(_("The file is not an SVG image."))
    for sibling in root.itersiblings(preceding=True):
        if isinstance(sibling, etree._ProcessingInstruction):
            raise FileProblem(
                _("The SVG loads a stylesheet from elsewhere; please embed everything.")
            )
    for element in root.iter():
        if isinstance(element, etree._Entity):
            raise FileProblem(_("The SVG contains a document type declaration; please remove it."))
        if not isinstance(element.tag, str):
            continue  # comments and processing instructions inside the image
        local = etree.QName(element).localname
        if local in SVG_REFUSED or element.tag.startswith(XHTML):
            raise FileProblem(
                _(
                    "The SVG contains scripts, embedded web content or animations "
                    "(<%(element)s>); a logo needs none of them."
                )
                % {"element": local}
            )
        if local == "style":
            _check_css(element.text or "")
        for attribute, value in element.attrib.items():
            name = etree.QName(attribute).localname
            if name.lower().startswith("on"):
                raise FileProblem(
                    _("The SVG contains event handlers (%(attribute)s); a logo needs none.")
                    % {"attribute": name}
                )
            if attribute in ("href", XLINK_HREF) and _outside_reference(value):
                raise FileProblem(
                    _("The SVG refers to a file or address outside itself (%(target)s).")
                    % {"target": value[:80]}
                )
            if name == "base" or "url(" in value.lower() or name == "style":
                if name == "base" and value.strip():
                    raise FileProblem(
                        _("The SVG refers to a file or address outside itself (%(target)s).")
                        % {"target": value[:80]}
                    )
                _check_css(value)


def check_word_template(content, name):
    """The template as python-docx opens it (a .dotx given the content type of a
    document); raises FileProblem when it is not an acceptable Word file."""
    check_upload_size(len(content), TEMPLATE_MAX_BYTES)
    extension = _extension(name)
    if extension in ("docm", "dotm"):
        raise FileProblem(_("Templates with macros (.docm, .dotm) are not accepted."))
    if extension not in ("docx", "dotx"):
        raise FileProblem(_("Please upload a Word document or template (.docx or .dotx)."))
    not_word = _("The file is not a Word document or template (.docx or .dotx).")
    members = zip_members(
        content,
        TEMPLATE_MAX_UNPACKED,
        not_a_zip=not_word,
        too_large=_(
            "Unpacked, the template would take %(size)s MB; at most %(limit)s MB are read. "
            "Please remove unused pictures or fonts from it."
        ),
    )
    if "word/document.xml" not in members or "[Content_Types].xml" not in members:
        raise FileProblem(not_word)
    if "word/vbaProject.bin" in members:
        raise FileProblem(_("Templates with macros (.docm, .dotm) are not accepted."))
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        types = archive.read("[Content_Types].xml").decode("utf-8", "replace")
    if "macroEnabled" in types:
        raise FileProblem(_("Templates with macros (.docm, .dotm) are not accepted."))
    if TEMPLATE_TYPE in types:
        content = _as_document(content)
    elif DOCUMENT_TYPE not in types:
        raise FileProblem(not_word)
    try:
        from docx import Document

        document = Document(io.BytesIO(content))
        # What the export reads besides the body: styles, numbering, headers, footers.
        list(document.styles)
        document.part.numbering_part  # noqa: B018 - parsed (or created) here, not at export
        for section in document.sections:
            for part in (section.header, section.footer):
                list(part.paragraphs)
    except Exception as error:  # python-docx and lxml raise many kinds
        raise FileProblem(
            _("The file could not be read as a Word document (%(error)s).") % {"error": error}
        ) from error
    return content


def _as_document(content):
    """The same package with the main part typed as a document instead of a
    template: python-docx (like Word's "new document from template") opens that."""
    buffer = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(content)) as source,
        zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for member in source.infolist():
            data = source.read(member.filename)
            if member.filename == "[Content_Types].xml":
                data = data.replace(TEMPLATE_TYPE.encode(), DOCUMENT_TYPE.encode())
            target.writestr(member, data)
    return buffer.getvalue()
