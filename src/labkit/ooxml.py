"""An Office Open XML package (.xlsx) read as the format is: a zip whose parts have content types
([Content_Types].xml) and relationships (_rels/*.rels), each XML part parsed by a hardened parser
(no DTD, no entities, no network, any encoding). Nothing here decides what is safe: untrusted.py does.
Every read is bounded by the size the zip states, so that a forged size cannot unpack further."""
import io
import posixpath
import zipfile
import zlib
from dataclasses import dataclass
from urllib.parse import unquote

from lxml import etree

XML_EXTENSIONS = (".xml", ".rels", ".vml")


class PackageError(Exception):
    """The package cannot be read as one: damaged, encrypted, or not well-formed XML."""


@dataclass(frozen=True)
class Relationship:
    source: str  # the part that holds it ("" for the package)
    id: str
    type: str  # the relationship type's URI
    target: str  # a part name for an internal target, as written for an external one
    external: bool

    @property
    def kind(self):
        """The type's last word: "worksheet", "hyperlink", "externalLink", "vbaProject", ..."""
        return self.type.rstrip("/").rpartition("/")[2]


def read(archive, member):
    """A member's bytes, never more than it claims to hold."""
    if member.flag_bits & 0x1:
        raise PackageError(f"{member.filename} is encrypted")
    try:
        with archive.open(member) as f:
            data = f.read(member.file_size + 1)
    except (NotImplementedError, RuntimeError, zipfile.BadZipFile, zlib.error, EOFError, OSError) as e:
        raise PackageError(f"{member.filename} cannot be unpacked ({e})")
    if len(data) > member.file_size:
        raise PackageError(f"{member.filename} unpacks past its stated size")
    return data


def _parser(recover=False):
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False,
                           remove_comments=True, remove_pis=True, recover=recover)


def parse(name, data, recover=False):
    """The XML part's root element; PackageError where it is not well-formed or declares a DTD
    (entity declarations live there: a billion-laughs part cannot expand). recover: read a part
    that is often not well-formed (VML, with its <br> left open) as far as it goes."""
    try:
        root = etree.fromstring(data, _parser(recover))
    except (etree.XMLSyntaxError, ValueError) as e:
        raise PackageError(f"{name} is not well-formed XML ({e})")
    if root is None:
        raise PackageError(f"{name} is empty")
    if root.getroottree().docinfo.internalDTD is not None or root.getroottree().docinfo.doctype:
        raise PackageError(f"{name} declares XML entities (a DTD)")
    return root


def elements(name, data, recover=False):
    """Each element of an XML part, at its end, read as a stream by the same hardened parser; what
    was read is let go as it goes, so that memory stays flat. PackageError as parse() raises it."""
    try:
        for _, element in etree.iterparse(io.BytesIO(data), events=("end",), resolve_entities=False, no_network=True,
                                          load_dtd=False, huge_tree=False, remove_comments=True, remove_pis=True,
                                          recover=recover):
            if element.getparent() is None and element.getroottree().docinfo.doctype:
                raise PackageError(f"{name} declares XML entities (a DTD)")
            yield element
            element.clear(keep_tail=True)
            while element.getprevious() is not None:
                del element.getparent()[0]
    except etree.XMLSyntaxError as e:
        if "XML_PARSE_HUGE" in str(e):  # lxml's limits on depth and size, held on purpose
            raise PackageError(f"{name} is nested too deeply or too large to be a workbook's part")
        raise PackageError(f"{name} is not well-formed XML ({e})")


def written(root):
    """An XML part's bytes, from its root element: UTF-8, with its declaration."""
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def local(element):
    """An element's name without its namespace: a prefix of the file's own choosing changes nothing."""
    tag = element.tag
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""


def text(element):
    """All of an element's text, its children's included (entities and CDATA already resolved)."""
    return "".join(element.itertext())


def part_name(name):
    return "/" + name.lstrip("/")


def content_types(root):
    """({extension: type}, {part name: type}) from [Content_Types].xml's Default and Override."""
    defaults, overrides = {}, {}
    for element in root:
        if local(element) == "Default":
            defaults[element.get("Extension", "").lower()] = element.get("ContentType", "")
        elif local(element) == "Override":
            overrides[element.get("PartName", "").lower()] = element.get("ContentType", "")
    return defaults, overrides


def content_type(name, types):
    defaults, overrides = types
    return overrides.get(part_name(name).lower()) or defaults.get(posixpath.splitext(name)[1][1:].lower(), "")


def rels_source(rels_name):
    """The part that a .rels part belongs to: xl/_rels/workbook.xml.rels -> xl/workbook.xml."""
    folder, _, file = rels_name.rpartition("_rels/")
    return folder + file[: -len(".rels")] if file.endswith(".rels") else None


def relationships(rels_name, root):
    """[Relationship] of one .rels part, internal targets resolved to part names ("" where one
    points outside the package: above its root, or at an absolute URI)."""
    source = rels_source(rels_name)
    found = []
    for element in root:
        if local(element) != "Relationship":
            continue
        target = element.get("Target", "")
        external = element.get("TargetMode", "Internal").lower() == "external"
        if not external:
            target = resolve(source or "", target)
        found.append(Relationship(source or "", element.get("Id", ""), element.get("Type", ""), target, external))
    return found


def resolve(source, target):
    """The package part that an internal target names, from the part that holds it; "" for a
    target outside the package."""
    target = unquote(target.split("#", 1)[0])
    if "://" in target or target.startswith(("\\\\", "file:")) or ":" in target.split("/", 1)[0]:
        return ""
    if target.startswith("/"):
        path = target
    else:
        path = posixpath.join("/" + posixpath.dirname(source), target)
    depth = 0
    for piece in path.split("/"):
        depth += -1 if piece == ".." else (0 if piece in ("", ".") else 1)
        if depth < 0:
            return ""
    return posixpath.normpath(path).lstrip("/")


def drawn_objects(archive):
    """{sheet name: the charts, pictures and shapes drawn on it} of a package whose parts are
    already known to be sound (untrusted.inspect), counted from each drawing's anchors."""
    def rels_of(part):
        name = posixpath.join(posixpath.dirname(part), "_rels", posixpath.basename(part) + ".rels")
        return relationships(name, parse(name, read(archive, archive.getinfo(name)))) if name in archive.namelist() else []

    workbook = parse("xl/workbook.xml", read(archive, archive.getinfo("xl/workbook.xml")))
    parts = {link.id: link.target for link in rels_of("xl/workbook.xml")}
    counts = {}
    for element in workbook.iter():
        if local(element) != "sheet":
            continue
        rid = next((value for key, value in element.attrib.items() if key.endswith("}id")), None)
        part = parts.get(rid, "")
        drawings = [link.target for link in rels_of(part) if link.kind == "drawing" and not link.external] \
            if part in archive.namelist() else []
        counts[element.get("name", "")] = sum(
            local(anchor) in ("twoCellAnchor", "oneCellAnchor", "absoluteAnchor")
            for drawing in drawings if drawing in archive.namelist()
            for anchor in parse(drawing, read(archive, archive.getinfo(drawing))))
    return counts
