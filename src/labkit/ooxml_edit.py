"""An Office Open XML package edited part by part. The parts an edit asks for are parsed as the
format is (ooxml.parse: hardened), changed in place and written back; every other part is copied
as the bytes it was, so that what an edit does not touch stays the author's own, byte for byte
(openpyxl, which rewrites the whole book, drops what it cannot read: charts, pictures). A new
part comes with its content type and the relationship that names it."""
import itertools
import posixpath
import zipfile

from lxml import etree

from labkit import ooxml

CONTENT_TYPES = "[Content_Types].xml"
DECLARATION = b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'  # as Office writes it
PACKAGE_RELATIONSHIPS = "http://schemas.openxmlformats.org/package/2006/relationships"
CONTENT_TYPES_NAMESPACE = "http://schemas.openxmlformats.org/package/2006/content-types"
# The namespace of r:id, and the prefix of every relationship type of an Office document.
RELATIONSHIPS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def rels_name(part):
    """The relationships part of a part: xl/workbook.xml -> xl/_rels/workbook.xml.rels."""
    folder, file = posixpath.split(part)
    return posixpath.join(folder, "_rels", file + ".rels")


def insert_in_order(parent, element, later):
    """Insert element into parent before its first child whose local name is in later (the
    elements that the schema's sequence puts after it), else last; returns element."""
    following = next((child for child in parent if ooxml.local(child) in later), None)
    if following is None:
        parent.append(element)
    else:
        following.addprevious(element)
    return element


class Package:
    def __init__(self, path):
        with zipfile.ZipFile(path) as archive:
            self.order = [member.filename for member in archive.infolist()]
            self.data = {member.filename: ooxml.read(archive, member) for member in archive.infolist()}
        self.roots = {}  # part name: its parsed root, read or edited
        self.changed = set()  # the parts to write from their roots

    def __contains__(self, name):
        return name in self.roots or name in self.data

    @property
    def names(self):
        """Every part's name: the package's in their order, then the new ones."""
        return self.order + [name for name in self.roots if name not in self.data]

    def read(self, name, recover=False):
        """A part's root element, to read: changing it changes nothing that is written."""
        if name not in self.roots:
            self.roots[name] = ooxml.parse(name, self.data[name], recover)
        return self.roots[name]

    def edit(self, name, recover=False):
        """A part's root element, to change in place: it is written back."""
        self.changed.add(name)
        return self.read(name, recover)

    def add(self, name, root, content_type):
        """A new part, its content type declared: by a Default where its extension (not .xml) has
        none, else by an Override."""
        self.roots[name] = root
        self.changed.add(name)
        types = self.edit(CONTENT_TYPES)
        defaults, _ = ooxml.content_types(types)
        extension = posixpath.splitext(name)[1][1:].lower()
        if defaults.get(extension) == content_type:
            return
        if extension != "xml" and extension not in defaults:
            types.insert(0, etree.Element(f"{{{CONTENT_TYPES_NAMESPACE}}}Default", Extension=extension,
                                          ContentType=content_type))
        else:
            etree.SubElement(types, f"{{{CONTENT_TYPES_NAMESPACE}}}Override", PartName=ooxml.part_name(name),
                             ContentType=content_type)

    def relationships(self, source):
        """[ooxml.Relationship] of a part ("" for the package)."""
        name = rels_name(source) if source else "_rels/.rels"
        return ooxml.relationships(name, self.read(name)) if name in self else []

    def related(self, source, kind):
        """The parts that source names by relationships of kind ("worksheet", "comments", ...)."""
        return [link.target for link in self.relationships(source) if link.kind == kind and not link.external]

    def relate(self, source, kind, target):
        """The Id of a new relationship of kind from the part source to the part target."""
        name = rels_name(source)
        if name not in self:
            root = etree.Element(f"{{{PACKAGE_RELATIONSHIPS}}}Relationships", nsmap={None: PACKAGE_RELATIONSHIPS})
            self.add(name, root, "application/vnd.openxmlformats-package.relationships+xml")
        root = self.edit(name)
        taken = {element.get("Id") for element in root}
        rid = next(f"rId{k}" for k in itertools.count(1) if f"rId{k}" not in taken)
        etree.SubElement(root, f"{{{PACKAGE_RELATIONSHIPS}}}Relationship", Id=rid, Type=f"{RELATIONSHIPS}/{kind}",
                         Target=posixpath.relpath(target, posixpath.dirname(source) or "."))
        return rid

    def free_name(self, pattern):
        """pattern.format(k) for the first k from 1 that names no part, in any case."""
        taken = {name.lower() for name in self.names}
        return next(pattern.format(k) for k in itertools.count(1) if pattern.format(k).lower() not in taken)

    def save(self, path):
        """The package, written to path: the parts in their order, the new ones after them."""
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
            for name in self.names:
                data = self.data.get(name)
                if name in self.changed:
                    data = DECLARATION + etree.tostring(self.roots[name], encoding="UTF-8")
                archive.writestr(name, data)
