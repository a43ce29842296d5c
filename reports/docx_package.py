"""The bureau's Word template, rebuilt from an allow-list of its parts: the report
takes over the template's styles, list numbering, theme (fonts and colours), page
setup, headers and footers with their pictures, and nothing else. It is rebuilt when
the template is uploaded (the clean package is what is stored, and the bureau is told
what was left out) and again before every DOCX is made from it, so that a template
stored before these rules is held to them too.

What a template can carry and a report must not: a link to another template that Word
fetches when the report is opened (``attachedTemplate`` with an external target:
remote template injection), pictures and fields that load something from elsewhere
(``INCLUDEPICTURE "\\\\host\\share\\logo.png"`` sends the reader's Windows credentials
to that host), DDE and LINK fields that start programs or pull in other files, mail
merge data sources, ActiveX controls and embedded objects. A template with macros
(VBA, under any part name) is refused as a whole; everything else not on the lists
below is left out, and ``clean_template`` says what of it mattered.

Before a part is parsed (without DTD, entities or network access) its elements are
counted as it is unpacked, and the template is refused when all its parts together
would have more than ``XML_ELEMENTS``: a Word template's own styles have a few
thousand, and python-docx takes some 0.5 KB for each element it holds, so a styles
part of 191 KB packed once took 1.4 GB. A part that unpacks to more than
``PACKING_RATIO`` times its packed size is refused before anything is unpacked."""

import io
import posixpath
import re
import zipfile

from django.utils.translation import gettext as _
from lxml import etree

from helpers.uploads import (
    FileProblem,
    PartProblem,
    check_packing,
    count_tags,
    number,
)

XML_ELEMENTS = 150_000
PACKING_RATIO = 200

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
A = "http://schemas.openxmlformats.org/drawingml/2006/main"
OFFICE = "urn:schemas-microsoft-com:office:office"
PACKAGE_RELATIONSHIPS = "http://schemas.openxmlformats.org/package/2006/relationships"
CONTENT_TYPES = "http://schemas.openxmlformats.org/package/2006/content-types"
RELATIONSHIP_TYPE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
# Strict Open XML names the same relationships under another base.
STRICT_TYPE = "http://purl.oclc.org/ooxml/officeDocument/relationships/"

MAIN_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
PART_TYPES = {
    "styles": "application/vnd.openxmlformats-officedocument.wordprocessingml.styles+xml",
    "numbering": "application/vnd.openxmlformats-officedocument.wordprocessingml.numbering+xml",
    "settings": "application/vnd.openxmlformats-officedocument.wordprocessingml.settings+xml",
    "theme": "application/vnd.openxmlformats-officedocument.theme+xml",
    "header": "application/vnd.openxmlformats-officedocument.wordprocessingml.header+xml",
    "footer": "application/vnd.openxmlformats-officedocument.wordprocessingml.footer+xml",
}
PART_NAMES = {
    "styles": "styles.xml",
    "numbering": "numbering.xml",
    "settings": "settings.xml",
    "theme": "theme/theme1.xml",
}
# Pictures a header or footer may show, by their first bytes: (extension, type).
PICTURES = (
    (b"\x89PNG\r\n\x1a\n", "png", "image/png"),
    (b"\xff\xd8\xff", "jpeg", "image/jpeg"),
    (b"GIF8", "gif", "image/gif"),
)
# Fields a header or footer may keep: page numbers, dates, document properties and
# references. Anything else (INCLUDEPICTURE, INCLUDETEXT, DDE, DDEAUTO, LINK, IMPORT,
# DATABASE, MACROBUTTON, HYPERLINK …) is removed with what it shows.
FIELDS_KEPT = {
    "PAGE",
    "NUMPAGES",
    "SECTIONPAGES",
    "SECTION",
    "DATE",
    "TIME",
    "CREATEDATE",
    "SAVEDATE",
    "PRINTDATE",
    "STYLEREF",
    "TITLE",
    "SUBJECT",
    "AUTHOR",
    "KEYWORDS",
    "COMMENTS",
    "DOCPROPERTY",
    "FILENAME",
    "REF",
    "PAGEREF",
    "SEQ",
    "QUOTE",
    "SYMBOL",
    "=",
}
# Page setup: the children of the document's last section properties that stay.
SECTION_KEPT = {
    "headerReference",
    "footerReference",
    "type",
    "pgSz",
    "pgMar",
    "paperSrc",
    "pgBorders",
    "lnNumType",
    "pgNumType",
    "cols",
    "vAlign",
    "noEndnote",
    "titlePg",
    "textDirection",
    "bidi",
    "rtlGutter",
    "docGrid",
}
# Document settings that shape the page and the type; the others (an attached
# template, mail merge, document variables, protection, XSLT on saving …) go.
SETTINGS_KEPT = {
    "zoom",
    "mirrorMargins",
    "gutterAtTop",
    "bordersDoNotSurroundHeader",
    "bordersDoNotSurroundFooter",
    "evenAndOddHeaders",
    "bookFoldRevPrinting",
    "bookFoldPrinting",
    "bookFoldPrintingSheets",
    "defaultTabStop",
    "autoHyphenation",
    "consecutiveHyphenLimit",
    "hyphenationZone",
    "doNotHyphenateCaps",
    "characterSpacingControl",
    "compat",
    "themeFontLang",
    "clrSchemeMapping",
    "decimalSymbol",
    "listSeparator",
}
# Relationship types and content types that mean macros: refused.
MACROS = re.compile(r"vbaProject|vbaData|macroEnabled|keyMapCustomizations", re.IGNORECASE)
# …and ActiveX controls or embedded objects: left out.
OBJECTS = re.compile(r"activeX|/control$|oleObject|/package$|embeddings", re.IGNORECASE)
# Elements of a header or footer that are objects, controls or other documents.
OBJECT_ELEMENTS = {
    f"{{{W}}}object",
    f"{{{W}}}control",
    f"{{{W}}}altChunk",
    f"{{{W}}}subDoc",
    f"{{{OFFICE}}}OLEObject",
}
OUTSIDE = re.compile(r"^\s*(?:[a-z][a-z0-9+.-]*:|\\\\|//)", re.IGNORECASE)

PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


def _w(name):
    return f"{{{W}}}{name}"


def _r(name):
    return f"{{{R}}}{name}"


class Removed:
    """What was left out of a template, in the words the bureau is told."""

    def __init__(self):
        self.outside = {}
        self.fields = {}
        self.attached_template = False
        self.mail_merge = False
        self.objects = False

    def items(self):
        items = []
        if self.attached_template:
            items.append(_("the link to another template, which Word would load"))
        if self.mail_merge:
            items.append(_("the mail merge data source"))
        if self.fields:
            items.append(
                _("fields that load or run something (%(fields)s)")
                % {"fields": ", ".join(self.fields)}
            )
        if self.objects:
            items.append(_("ActiveX controls and embedded objects"))
        if self.outside:
            targets = list(self.outside)
            named = ", ".join(target[:80] for target in targets[:5])
            if len(targets) > 5:
                named += " …"
            items.append(
                _("links and pictures from outside addresses (%(targets)s)") % {"targets": named}
            )
        return items


def clean_template(content):
    """(the template rebuilt from its allowed parts, the list of what was left out
    that mattered); raises FileProblem for a template with macros or without a Word
    document in it."""
    removed = Removed()
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            check_packing(archive.infolist(), PACKING_RATIO)
            package = _Package(archive, removed)
            package.refuse_macros()
            package.note_objects_and_links()
            output = package.rebuild()
    except PartProblem as problem:
        raise _part_problem(problem) from problem
    except zipfile.BadZipFile as error:
        raise FileProblem(
            _("The file is not a Word document or template (.docx or .dotx).")
        ) from error
    return output, removed.items()


def _part_problem(problem):
    values = {"part": problem.part, "limit": number(problem.limit or 0)}
    if problem.what == "packing":
        message = _(
            "The part “%(part)s” of the template unpacks to more than %(limit)s times its "
            "packed size, which no real Word file does; the template is not read."
        )
    elif problem.what in ("declaration", "encoding"):
        message = _(
            "The part “%(part)s” of the template is not XML as Word writes it (a document "
            "type declaration or an unusual encoding); the template is not read."
        )
    else:
        values["limit"] = number(XML_ELEMENTS)
        message = _(
            "The template holds more than %(limit)s XML elements (passed in “%(part)s”); "
            "a template’s styles, headers and footers need far fewer. Please save it "
            "again from Word, without the text of a document."
        )
    return FileProblem(message % values)


class _Package:
    def __init__(self, archive, removed):
        self.archive = archive
        self.names = set(archive.namelist())
        self.removed = removed
        self.elements = 0
        self.types = self._content_types()

    # Reading ------------------------------------------------------------------------

    def xml(self, name):
        """The part ``name`` parsed, once its elements are counted."""
        counts = count_tags(
            self.archive, self.archive.getinfo(name), {"elements": XML_ELEMENTS - self.elements}
        )
        self.elements += counts["elements"]
        try:
            return etree.fromstring(self.archive.read(name), PARSER)
        except etree.XMLSyntaxError as error:
            raise FileProblem(
                _("The file could not be read as a Word document (%(error)s).") % {"error": error}
            ) from error

    def _content_types(self):
        if "[Content_Types].xml" not in self.names:
            raise FileProblem(_("The file is not a Word document or template (.docx or .dotx)."))
        root = self.xml("[Content_Types].xml")
        types = {}
        for element in root:
            name = etree.QName(element).localname if isinstance(element.tag, str) else ""
            if name == "Override":
                types[element.get("PartName", "").lstrip("/")] = element.get("ContentType", "")
            elif name == "Default":
                types["*." + element.get("Extension", "").lower()] = element.get("ContentType", "")
        return types

    def content_type(self, name):
        extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
        return self.types.get(name) or self.types.get(f"*.{extension}", "")

    def relationships(self, source):
        """{id: (type, target, external)} of the part ``source`` ("" for the
        package); an internal target as a part name."""
        folder, base = posixpath.split(source)
        name = posixpath.join(folder, "_rels", f"{base}.rels")
        if name not in self.names:
            return {}
        found = {}
        for element in self.xml(name):
            if not isinstance(element.tag, str) or etree.QName(element).localname != "Relationship":
                continue
            kind, target = element.get("Type", ""), element.get("Target", "")
            external = element.get("TargetMode") == "External"
            if not external:
                target = (
                    target.lstrip("/")
                    if target.startswith("/")
                    else posixpath.normpath(posixpath.join(folder, target))
                )
            found[element.get("Id", "")] = (kind, target, external)
        return found

    def all_relationships(self):
        for name in self.names:
            if name.endswith(".rels"):
                folder = posixpath.dirname(posixpath.dirname(name))
                source = posixpath.join(folder, posixpath.basename(name)[: -len(".rels")])
                yield from self.relationships(source.lstrip("/")).values()

    # Checks -------------------------------------------------------------------------

    def refuse_macros(self):
        macros = _("Templates with macros (.docm, .dotm) are not accepted.")
        if any(MACROS.search(kind) for kind in self.types.values()):
            raise FileProblem(macros)
        if any(MACROS.search(kind) for kind, _target, _external in self.all_relationships()):
            raise FileProblem(macros)
        if any(name.lower().endswith(("vbaproject.bin", "vbadata.xml")) for name in self.names):
            raise FileProblem(macros)

    def note_objects_and_links(self):
        """What of the parts left out the bureau is told about: ActiveX controls,
        embedded objects, and everything the template links to outside itself."""
        if any(OBJECTS.search(kind) for kind in self.types.values()):
            self.removed.objects = True
        for kind, target, external in self.all_relationships():
            if OBJECTS.search(kind):
                self.removed.objects = True
            if kind.endswith("/attachedTemplate"):
                self.removed.attached_template = True
            if "mailMerge" in kind:
                self.removed.mail_merge = True
            if external:
                self.removed.outside[target] = True

    # Rebuilding ---------------------------------------------------------------------

    def main_part(self):
        for kind, target, external in self.relationships("").values():
            if _kind(kind) == "officeDocument" and not external and target in self.names:
                return target
        raise FileProblem(
            _("The file could not be read as a Word document (%(error)s).")
            % {"error": _("it names no main document")}
        )

    def rebuild(self):
        main = self.main_part()
        document = self.xml(main)
        if document.tag != _w("document"):
            # Strict Open XML, or no Word document at all.
            raise FileProblem(_("The file is not a Word document or template (.docx or .dotx)."))
        relationships = self.relationships(main)
        self.parts = {}  # name → bytes
        self.part_types = {}  # name → content type
        self.document_relationships = []  # (id, type, target)
        for kind in ("styles", "numbering", "theme", "settings"):
            source = self._related(relationships, kind)
            if source is None:
                continue
            tree = getattr(self, f"_clean_{kind}")(self.xml(source))
            self._add(f"word/{PART_NAMES[kind]}", PART_TYPES[kind], tree, kind)
        body = document.find(_w("body"))
        section = body.find(_w("sectPr")) if body is not None else None
        new_body = etree.SubElement(
            etree.Element(_w("document"), nsmap=dict(document.nsmap)), _w("body")
        )
        etree.SubElement(new_body, _w("p"))
        if section is not None:
            new_body.append(self._clean_section(section, relationships))
        self.parts["word/document.xml"] = _serialise(new_body.getparent())
        return self._write()

    def _related(self, relationships, kind):
        for rel_kind, target, external in relationships.values():
            if _kind(rel_kind) == kind and not external and target in self.names:
                return target
        return None

    def _add(self, name, content_type, tree, kind, part_relationships=None):
        self.parts[name] = _serialise(tree)
        self.part_types[name] = content_type
        number = len(self.document_relationships) + 1
        self.document_relationships.append(
            (f"rId{number}", RELATIONSHIP_TYPE + kind, posixpath.relpath(name, "word"))
        )
        if part_relationships:
            folder, base = posixpath.split(name)
            self.parts[posixpath.join(folder, "_rels", f"{base}.rels")] = _relationships_xml(
                part_relationships
            )
        return f"rId{number}"

    def _clean_section(self, section, relationships):
        kept = etree.Element(_w("sectPr"), nsmap=section.nsmap)
        for child in section:
            if not isinstance(child.tag, str) or child.tag != _w(etree.QName(child).localname):
                continue
            name = etree.QName(child).localname
            if name not in SECTION_KEPT:
                continue
            if name in ("headerReference", "footerReference"):
                kind = name[: -len("Reference")]
                rel = relationships.get(child.get(_r("id"), ""))
                if rel is None or rel[2] or _kind(rel[0]) != kind or rel[1] not in self.names:
                    continue
                number = sum(1 for n in self.parts if n.startswith(f"word/{kind}")) + 1
                tree, media = self._clean_story(self.xml(rel[1]), self.relationships(rel[1]))
                new_id = self._add(f"word/{kind}{number}.xml", PART_TYPES[kind], tree, kind, media)
                child = _copy(child)
                child.set(_r("id"), new_id)
                kept.append(child)
                continue
            child = _copy(child)
            _drop_references(child, kept_ids=set())
            kept.append(child)
        return kept

    def _clean_styles(self, root):
        _drop_references(root, kept_ids=set())
        return root

    def _clean_numbering(self, root):
        # Picture bullets point to pictures of the numbering part, which is not kept.
        for element in list(root.iter(_w("numPicBullet"), _w("lvlPicBulletId"))):
            element.getparent().remove(element)
        _drop_references(root, kept_ids=set())
        return root

    def _clean_theme(self, root):
        # A fill with a picture in the theme becomes the plain colour of its place.
        for fill in list(root.iter(f"{{{A}}}blipFill")):
            plain = etree.Element(f"{{{A}}}solidFill")
            etree.SubElement(plain, f"{{{A}}}schemeClr", val="phClr")
            fill.getparent().replace(fill, plain)
        _drop_references(root, kept_ids=set())
        return root

    def _clean_settings(self, root):
        kept = etree.Element(root.tag, nsmap=root.nsmap)
        for child in root:
            if not isinstance(child.tag, str):
                continue
            name = etree.QName(child).localname
            if child.tag == _w(name) and name in SETTINGS_KEPT:
                child = _copy(child)
                _drop_references(child, kept_ids=set())
                kept.append(child)
            elif child.tag == _w("attachedTemplate"):
                self.removed.attached_template = True
            elif child.tag == _w("mailMerge"):
                self.removed.mail_merge = True
        return kept

    def _clean_story(self, root, relationships):
        """A header or footer without objects, controls, fields that load or run
        something, and references to anything but its own pictures; (tree, its
        relationships to the pictures kept)."""
        for element in list(root.iter(*OBJECT_ELEMENTS)):
            self.removed.objects = True
            _remove(element)
        for name in _remove_fields(root):
            self.removed.fields[name] = True
        media = {}
        for old_id, (kind, target, external) in relationships.items():
            if external or _kind(kind) != "image" or target not in self.names:
                continue
            data = self.archive.read(target)
            for signature, extension, content_type in PICTURES:
                if data.startswith(signature):
                    number = sum(1 for n in self.parts if n.startswith("word/media/")) + 1
                    name = f"word/media/image{number}.{extension}"
                    self.parts[name] = data
                    self.part_types[name] = content_type
                    media[old_id] = (f"rId{len(media) + 1}", name)
                    break
        for target in _outside_addresses(root):
            self.removed.outside[target] = True
        _drop_references(root, kept_ids=set(media))
        for element in root.iter():
            for attribute, value in element.attrib.items():
                if attribute.startswith(f"{{{R}}}") and value in media:
                    element.set(attribute, media[value][0])
        part_relationships = [
            (new_id, RELATIONSHIP_TYPE + "image", posixpath.relpath(name, "word"))
            for new_id, name in media.values()
        ]
        return root, part_relationships

    def _write(self):
        types = etree.Element(f"{{{CONTENT_TYPES}}}Types", nsmap={None: CONTENT_TYPES})
        for extension, content_type in (
            ("rels", "application/vnd.openxmlformats-package.relationships+xml"),
            ("xml", "application/xml"),
            ("png", "image/png"),
            ("jpeg", "image/jpeg"),
            ("gif", "image/gif"),
        ):
            etree.SubElement(
                types, f"{{{CONTENT_TYPES}}}Default", Extension=extension, ContentType=content_type
            )
        for name, content_type in [("word/document.xml", MAIN_TYPE), *self.part_types.items()]:
            if not content_type.startswith("image/"):
                etree.SubElement(
                    types,
                    f"{{{CONTENT_TYPES}}}Override",
                    PartName=f"/{name}",
                    ContentType=content_type,
                )
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
            target.writestr("[Content_Types].xml", _serialise(types))
            target.writestr(
                "_rels/.rels",
                _relationships_xml(
                    [("rId1", RELATIONSHIP_TYPE + "officeDocument", "word/document.xml")]
                ),
            )
            target.writestr("word/document.xml", self.parts.pop("word/document.xml"))
            target.writestr(
                "word/_rels/document.xml.rels", _relationships_xml(self.document_relationships)
            )
            for name, data in self.parts.items():
                target.writestr(name, data)
        return buffer.getvalue()


def _kind(relationship_type):
    """The last word of a relationship type ("styles", "header", "image" …), for the
    transitional and the strict names alike."""
    for base in (RELATIONSHIP_TYPE, STRICT_TYPE):
        if relationship_type.startswith(base):
            return relationship_type[len(base) :]
    return ""


def _copy(element):
    from copy import deepcopy

    return deepcopy(element)


def _serialise(tree):
    return etree.tostring(tree, xml_declaration=True, encoding="UTF-8", standalone=True)


def _relationships_xml(relationships):
    root = etree.Element(
        f"{{{PACKAGE_RELATIONSHIPS}}}Relationships", nsmap={None: PACKAGE_RELATIONSHIPS}
    )
    for relationship_id, kind, target in relationships:
        etree.SubElement(
            root,
            f"{{{PACKAGE_RELATIONSHIPS}}}Relationship",
            Id=relationship_id,
            Type=kind,
            Target=target,
        )
    return _serialise(root)


def _remove(element):
    parent = element.getparent()
    if parent is not None:
        parent.remove(element)


def _holder(element):
    """What goes when ``element`` refers to something not kept: the drawing,
    picture or object it belongs to, or the element itself."""
    for ancestor in element.iterancestors(_w("drawing"), _w("pict"), _w("object")):
        return ancestor
    return element


def _drop_references(root, kept_ids):
    """Removes what refers to a relationship other than ``kept_ids``; a hyperlink
    keeps its text."""
    for element in list(root.iter()):
        if not isinstance(element.tag, str):
            continue
        references = [
            (name, value) for name, value in element.attrib.items() if name.startswith(f"{{{R}}}")
        ]
        if not references:
            continue
        if element.tag == _w("hyperlink"):
            parent = element.getparent()
            if parent is not None:
                for child in list(element):
                    element.addprevious(child)
                parent.remove(element)
            continue
        if element.tag == f"{{{A}}}blip":
            # A picture stored in the file that is also linked: the link goes.
            element.attrib.pop(_r("link"), None)
            references = [(n, v) for n, v in references if n != _r("link")]
        if any(value not in kept_ids for _name, value in references):
            # A picture's link to a web page goes, the picture stays.
            linked = etree.QName(element).localname.startswith("hlink")
            _remove(element if linked else _holder(element))


def _outside_addresses(root):
    """Pictures and objects of VML and DrawingML that name a file or address
    directly (o:href, src, …) are removed; their addresses are returned."""
    found = []
    for element in list(root.iter()):
        if not isinstance(element.tag, str):
            continue
        for name, value in element.attrib.items():
            local = etree.QName(name).localname
            direct = local in ("href", "src", "link") and not name.startswith(f"{{{R}}}")
            if direct and OUTSIDE.match(value):
                found.append(value)
                _remove(_holder(element))
                break
    return found


FIELD_NAME = re.compile(r"^\s*([^\s\\]+)")


def _remove_fields(root):
    """Removes the fields not in FIELDS_KEPT with what they show; returns their
    names. Complex fields run from a run with fldChar "begin" to one with "end"
    (nested fields inside), simple fields are one fldSimple element. A field with
    another field in its instruction is removed too: the inner field's result
    becomes part of the instruction (``{ QUOTE "INCLUDEPICTURE" }``), so its first
    word does not say what the field does."""
    removed = []
    for simple in list(root.iter(_w("fldSimple"))):
        name = _field_name(simple.get(_w("instr"), ""))
        if name not in FIELDS_KEPT:
            removed.append(name)
            _remove(simple)
    stack, doomed = [], []
    for run in list(root.iter(_w("r"))):
        for child in run:
            if child.tag == _w("fldChar"):
                kind = child.get(_w("fldCharType"))
                if kind == "begin":
                    if stack and not stack[-1]["separated"]:
                        stack[-1]["nested"] = True
                    stack.append({"instruction": "", "runs": [], "separated": False})
                elif kind == "separate" and stack:
                    stack[-1]["separated"] = True
                elif kind == "end" and stack:
                    field = stack.pop()
                    field["runs"].append(run)
                    name = _field_name(field["instruction"])
                    if name not in FIELDS_KEPT or field.get("nested"):
                        removed.append(name)
                        # The outer fields' runs include this one's.
                        doomed.extend(field["runs"])
                    continue
            elif child.tag in (_w("instrText"), _w("delInstrText")):
                if stack:
                    stack[-1]["instruction"] += child.text or ""
                else:
                    doomed.append(run)  # an instruction outside any field
        for field in stack:
            field["runs"].append(run)
    # A field left open at the end of the part is removed too.
    for field in stack:
        removed.append(_field_name(field["instruction"]))
        doomed.extend(field["runs"])
    for run in doomed:
        _remove(run)
    return [name for name in dict.fromkeys(removed) if name]


def _field_name(instruction):
    match = FIELD_NAME.match(instruction)
    return match.group(1).upper() if match else "?"
