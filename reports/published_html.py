"""A published version's stored HTML, shown inside the site's own page.

The stored document is the application's own rendering, but it is a whole HTML
document with its print stylesheet. Only the body's elements are taken, and
anything that could act or restyle the site's page is dropped (scripts, styles,
embedded objects, event handlers, style attributes), so the page stays within the
Content-Security-Policy and its frame."""

import lxml.html
from django.utils.safestring import mark_safe

DROPPED_TAGS = {
    "script",
    "style",
    "link",
    "meta",
    "base",
    "iframe",
    "frame",
    "object",
    "embed",
    "form",
    "noscript",
    "template",
}


def _is_unsafe_attribute(name, value):
    name = name.lower()
    if name.startswith("on") or name in {"style", "srcdoc", "formaction"}:
        return True
    if name in {"href", "src", "xlink:href", "action"}:
        return value.strip().lower().startswith(("javascript:", "vbscript:"))
    return False


def body_html(document):
    """The elements of ``document``'s body (bytes or str), cleaned and marked safe,
    and the document's language (``<html lang>``, empty if it names none), so the
    page can say in which language the stored report is written."""
    if isinstance(document, bytes | memoryview):
        document = bytes(document).decode("utf-8")
    if not document.strip():
        return mark_safe(""), ""
    root = lxml.html.document_fromstring(document)
    lang = root.get("lang", "")
    body = root.find("body")
    if body is None:
        return mark_safe(""), lang
    for element in list(body.iter()):
        if not isinstance(element.tag, str):
            # Comments and processing instructions.
            if element.getparent() is not None:
                element.drop_tree()
            continue
        if element.tag.lower() in DROPPED_TAGS and element is not body:
            element.drop_tree()
            continue
        for name, value in list(element.attrib.items()):
            if _is_unsafe_attribute(name, value):
                del element.attrib[name]
    parts = [body.text or ""] if body.text else []
    parts += [lxml.html.tostring(child, encoding="unicode") for child in body]
    return mark_safe("".join(parts)), lang  # noqa: S308 - cleaned above, the app's own HTML
