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

from helpers.uploads import FileProblem, check_upload_size, number, zip_members

from .docx_package import clean_template

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
CSS_COMMENT = re.compile(r"/\*.*?(?:\*/|$)", re.DOTALL)
CSS_ESCAPE = re.compile(r"\\(?:([0-9a-fA-F]{1,6})[ \t\r\n\f]?|(\r\n|[\n\r\f])|(.))", re.DOTALL)
# CSS that fetches something besides url(): fonts, image sets, src().
CSS_FETCHES = re.compile(r"@font-face|image-set\(|\bsrc\(|\bimage\(|cross-fade\(")
LOCAL_URL = re.compile(r"url\(\s*['\"]?\s*#([^'\")\s]+)", re.IGNORECASE)
# Elements of a logo, and elements as drawn with every <use>, pattern, marker, mask
# and the like followed as often as it is referred to.
SVG_MAX_ELEMENTS = 10_000
SVG_MAX_DRAWN = 20_000
# Paint servers: drawn by their attributes, their children (stops) are not shapes.
PAINT_SERVERS = {"linearGradient", "radialGradient"}
MARKER_PROPERTIES = ("marker", "marker-start", "marker-mid", "marker-end")
NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
# Web page code in a PNG: any markup in its text chunks, distinctive tags anywhere
# (compressed picture data holds short ones by chance, never these).
HTML_IN_TEXT = re.compile(
    rb"<\s*(?:!doctype|\?xml|html|head|body|script|iframe|frame|svg|object|embed|meta|"
    rb"link|style|img|a|form|base|div|span|p)[\s/>]",
    re.IGNORECASE,
)
HTML_ANYWHERE = re.compile(
    rb"<(?:!doctype|html|head|body|script|iframe|svg|object|embed|meta)[\s/>]", re.IGNORECASE
)
PNG_TEXT_CHUNKS = (b"tEXt", b"zTXt", b"iTXt")

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
    _check_png_chunks(content)


def _check_png_chunks(content):
    """Refuses a PNG that is also a web page (HTML in its chunks or after its end),
    or that carries data after its end."""
    position, web_page = len(PNG_SIGNATURE), False
    while position + 12 <= len(content):
        length = int.from_bytes(content[position : position + 4], "big")
        kind = content[position + 4 : position + 8]
        data = content[position + 8 : position + 8 + length]
        position += 12 + length
        if kind in PNG_TEXT_CHUNKS:
            web_page |= bool(HTML_IN_TEXT.search(_png_text(kind, data)))
        web_page |= bool(HTML_ANYWHERE.search(data))
        if kind == b"IEND":
            break
    rest = content[position:]
    if web_page or HTML_IN_TEXT.search(rest) or HTML_ANYWHERE.search(rest):
        raise FileProblem(
            _("The PNG image also contains web page code (HTML); please save the image again.")
        )
    if rest.strip(b"\0"):
        raise FileProblem(_("The PNG image has data after its end; please save the image again."))


def _png_text(kind, data):
    """The text of a tEXt, zTXt or iTXt chunk (compressed text unpacked, up to 1 MB)."""
    import zlib

    if kind == b"tEXt":
        return data
    keyword, _sep, rest = data.partition(b"\0")
    if kind == b"zTXt":  # method (0: zlib), then the text
        compressed, rest = True, rest[1:]
    else:  # iTXt: flag, method, language, translated keyword, then the text
        compressed, rest = rest[:1] == b"\1", rest[2:].split(b"\0", 2)[-1]
    if not compressed:
        return keyword + b" " + rest
    try:
        return keyword + b" " + zlib.decompressobj().decompress(rest, 1024 * 1024)
    except zlib.error:
        return keyword + b" " + rest


def _outside_reference(value):
    value = value.strip()
    return bool(value) and not value.startswith("#") and not INLINE_IMAGE.match(value)


def _css_text(text):
    """CSS as a browser reads it: comments removed, escapes ("\\75 rl(" for "url(")
    replaced by the characters they stand for."""

    def character(match):
        digits, _newline, other = match.groups()
        if digits:
            code = int(digits, 16)
            return chr(code) if 0 < code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF else "\ufffd"
        return other or ""

    return CSS_ESCAPE.sub(character, CSS_COMMENT.sub(" ", text))


def _check_css(text):
    text = _css_text(text)
    lowered = text.lower()
    if "@import" in lowered or CSS_FETCHES.search(lowered):
        raise FileProblem(_("The SVG loads a stylesheet from elsewhere; please embed everything."))
    for _quote, target in CSS_URL.findall(text):
        if _outside_reference(target):
            raise FileProblem(
                _("The SVG refers to a file or address outside itself (%(target)s).")
                % {"target": target[:80]}
            )
        _check_inline_image(target)


def _check_inline_image(value):
    """A picture embedded as a data URL is held to the logo's own limits: WeasyPrint
    unpacks it in full (a PNG of 100,000 by 100,000 pixels packs into kilobytes)."""
    import base64
    import binascii

    if not INLINE_IMAGE.match(value):
        return
    from PIL import Image

    try:
        data = base64.b64decode(value.split(",", 1)[1].strip(), validate=False)
        with Image.open(io.BytesIO(data)) as image:
            width, height = image.size
    except Image.DecompressionBombError:
        width = height = LOGO_MAX_PIXELS + 1
    except (binascii.Error, ValueError, OSError) as error:
        raise FileProblem(_("A picture embedded in the SVG is damaged.")) from error
    if width > LOGO_MAX_PIXELS or height > LOGO_MAX_PIXELS:
        raise FileProblem(
            _("The logo may be at most %(limit)s pixels wide and high.")
            % {"limit": LOGO_MAX_PIXELS}
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
    elements = 0
    for element in root.iter():
        if isinstance(element, etree._Entity):
            raise FileProblem(_("The SVG contains a document type declaration; please remove it."))
        if not isinstance(element.tag, str):
            continue  # comments and processing instructions inside the image
        elements += 1
        if elements > SVG_MAX_ELEMENTS:
            raise FileProblem(
                _("The SVG has more than %(limit)s elements; a logo needs far fewer.")
                % {"limit": number(SVG_MAX_ELEMENTS)}
            )
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
            # All its text: a comment splits it in lxml, not in the renderer.
            _check_css(etree.tostring(element, method="text", encoding=str, with_tail=False))
        for attribute, value in element.attrib.items():
            name = etree.QName(attribute).localname
            if name.lower().startswith("on"):
                raise FileProblem(
                    _("The SVG contains event handlers (%(attribute)s); a logo needs none.")
                    % {"attribute": name}
                )
            if name in ("href", "src") and _outside_reference(value):
                raise FileProblem(
                    _("The SVG refers to a file or address outside itself (%(target)s).")
                    % {"target": value[:80]}
                )
            if name in ("href", "src"):
                _check_inline_image(value)
            if name == "base" and value.strip():
                raise FileProblem(
                    _("The SVG refers to a file or address outside itself (%(target)s).")
                    % {"target": value[:80]}
                )
            _check_css(value)
    _check_drawn_size(root)


def _check_drawn_size(root):
    """Refuses an SVG that, drawn with every reference followed, would have more than
    SVG_MAX_DRAWN elements, or whose references go round in a circle."""
    from lxml import etree

    by_id = {}
    for element in root.iter():
        if isinstance(element.tag, str) and element.get("id"):
            by_id.setdefault(element.get("id"), element)
    styled = _styled_references(root, by_id)
    drawn, open_ = {}, set()

    def references(element):
        """(target, times) of what ``element`` draws besides its children."""
        for attribute, value in element.attrib.items():
            name = etree.QName(attribute).localname
            if name == "href" and value.strip().startswith("#"):
                target = by_id.get(value.strip()[1:])
                if target is not None:
                    yield target, 1
                continue
            text = _css_text(value)
            for found in LOCAL_URL.findall(text):
                target = by_id.get(found)
                if target is None:
                    continue
                markers = name in MARKER_PROPERTIES or (
                    name == "style" and "marker" in text.lower()
                )
                yield target, _vertices(element) if markers else 1
        for target, markers in styled.get(element, ()):
            yield target, _vertices(element) if markers else 1

    def count(element):
        if element in drawn:
            return drawn[element]
        if element in open_:
            raise FileProblem(_("The SVG refers to itself in a circle; please remove the loop."))
        open_.add(element)
        total = 1
        if etree.QName(element).localname not in PAINT_SERVERS:
            for child in element:
                if isinstance(child.tag, str):
                    total += count(child)
                    _check_total(total)
        for target, times in references(element):
            total += count(target) * times
            _check_total(total)
        open_.discard(element)
        drawn[element] = total
        return total

    try:
        count(root)
    except RecursionError as error:
        raise FileProblem(
            _("The SVG nests its parts too deeply; a logo needs far fewer levels.")
        ) from error


def _check_total(total):
    if total > SVG_MAX_DRAWN:
        raise FileProblem(
            _(
                "The SVG repeats its own parts too often (<use> within <use>, patterns, "
                "markers): drawn, it would have more than %(limit)s elements, and rendering "
                "it would not end. A logo needs far fewer."
            )
            % {"limit": number(SVG_MAX_DRAWN)}
        )


def _vertices(element):
    """How often a marker is drawn on a shape: at most once per point of its path."""
    points = element.get("d") or element.get("points") or ""
    return max(len(NUMBER.findall(points)) // 2, 2)


def _styled_references(root, by_id):
    """{element: [(target, whether as a marker)]} of the url(#…) references that
    <style> rules give to the elements they match (as WeasyPrint matches them, with
    cssselect2)."""
    import cssselect2
    import tinycss2
    from lxml import etree

    found = {}
    sheets = [
        etree.tostring(element, method="text", encoding=str, with_tail=False)
        for element in root.iter(f"{SVG}style")
    ]
    if not sheets:
        return found
    wrapper = cssselect2.ElementWrapper.from_xml_root(root)
    for sheet in sheets:
        for rule in tinycss2.parse_stylesheet(_css_text(sheet), skip_comments=True):
            if rule.type != "qualified-rule":
                continue
            declarations = tinycss2.serialize(rule.content)
            markers = "marker" in declarations.lower()
            targets = [
                (by_id[name], markers) for name in LOCAL_URL.findall(declarations) if name in by_id
            ]
            if not targets:
                continue
            try:
                selectors = cssselect2.compile_selector_list(rule.prelude)
            except cssselect2.parser.SelectorError:
                continue
            for matched in wrapper.iter_subtree():
                if any(selector.test(matched) for selector in selectors):
                    found.setdefault(matched.etree_element, []).extend(targets)
    return found


def check_word_template(content, name):
    """(the template rebuilt from its styles, page setup, headers and footers, what
    was left out of it that the bureau should know: a list of phrases); raises
    FileProblem when it is not an acceptable Word file (reports/docx_package.py)."""
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
    if "[Content_Types].xml" not in members:
        raise FileProblem(not_word)
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        if archive.getinfo("[Content_Types].xml").file_size > 1024 * 1024:
            raise FileProblem(not_word)
        types = archive.read("[Content_Types].xml").decode("utf-8", "replace")
    if "macroEnabled" in types:
        raise FileProblem(_("Templates with macros (.docm, .dotm) are not accepted."))
    if TEMPLATE_TYPE not in types and DOCUMENT_TYPE not in types:
        raise FileProblem(not_word)
    content, removed = clean_template(content)
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
    return content, removed
