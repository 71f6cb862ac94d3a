"""An OpenDocument spreadsheet (.ods) from a stranger, read as the format is before LibreOffice
converts it (formats.py): a zip within the limits an .xlsx has (untrusted.within_limits), whose
mimetype member names an OpenDocument spreadsheet, each XML part read by ooxml's hardened streaming
parser. Refused in one line where it carries macros (Basic/, Scripts/ or Dialogs/ members, a script
or an event bound to one in any part), is encrypted, or reaches outside the file: a linked sheet or
range, a DDE link, a database range, a picture or object linked from outside the package, a formula
that reaches outside (formulas.reaching). A hyperlink is left to the inspection of the converted
.xlsx, which leaves it out of the copy that is graded."""
import posixpath
import re

from labkit import formulas, ooxml, untrusted
from labkit.cli import UsageError, shown

MIMETYPE = "application/vnd.oasis.opendocument.spreadsheet"
MAX_MIMETYPE_BYTES = 200
MACRO_FOLDERS = ("basic/", "scripts/", "dialogs/")
OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
TEXT = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
DRAW = "urn:oasis:names:tc:opendocument:xmlns:drawing:1.0"
STYLE = "urn:oasis:names:tc:opendocument:xmlns:style:1.0"
FORM = "urn:oasis:names:tc:opendocument:xmlns:form:1.0"
SCRIPT = "urn:oasis:names:tc:opendocument:xmlns:script:1.0"
PRESENTATION = "urn:oasis:names:tc:opendocument:xmlns:presentation:1.0"
MANIFEST = "urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"
CALCEXT = "urn:org:documentfoundation:names:experimental:calc:xmlns:calcext:1.0"
# Elements that run something or reach outside the file, and what each is.
REFUSED = {
    (OFFICE, "script"): "holds macros (a script)",
    (SCRIPT, "event-listener"): "holds macros (an event bound to a script)",
    (PRESENTATION, "event-listener"): "holds macros (an event bound to a script)",
    (TABLE, "table-source"): "links to another file (a linked sheet)",
    (TABLE, "cell-range-source"): "links to another file (a linked range)",
    (TABLE, "dde-source"): "holds a DDE link",
    (TABLE, "dde-link"): "holds a DDE link",
    (OFFICE, "dde-source"): "holds a DDE link",
    (TEXT, "dde-connection-decl"): "holds a DDE link",
    (TABLE, "database-source-sql"): "has a data connection",
    (TABLE, "database-source-query"): "has a data connection",
    (TABLE, "database-source-table"): "has a data connection",
    (FORM, "connection-resource"): "has a data connection",
    (TABLE, "source-service"): "has a data connection",
    (MANIFEST, "encryption-data"): "is password-protected: save it without a password",
}
REFUSED_NAMES = {local: why for (_, local), why in REFUSED.items()}  # the same, whatever the namespace
# Attributes that hold a formula: a cell's, a named expression's, a validation's, a conditional format's.
FORMULAS = {(TABLE, "formula"), (TABLE, "expression"), (TABLE, "condition"), (STYLE, "condition"), (CALCEXT, "value")}
CELLS = {(TABLE, "table-cell"), (TABLE, "covered-table-cell")}
HYPERLINKS = {(TEXT, "a"), (DRAW, "a")}
LINKS = {"href", "image-data"}  # attributes that name a file or URL: xlink:href, form:href, form:image-data
# LibreOffice reads an OpenDocument namespace of any version (table:1.2, table:1.3) as its 1.0.
VERSIONED = re.compile(r"(urn:oasis:names:tc:opendocument:xmlns:[^:]+):[0-9][0-9.]*", re.IGNORECASE)


def _qualified(name):
    """("namespace", "local name") of an lxml tag or attribute name, its namespace as LibreOffice
    reads it."""
    namespace, _, local = name[1:].partition("}") if name.startswith("{") else ("", "", name)
    versioned = VERSIONED.fullmatch(namespace)
    return (f"{versioned[1].lower()}:1.0" if versioned else namespace), local


def _attributes(element):
    return {_qualified(name): value for name, value in element.attrib.items()} if element is not None else {}


def _repeated(cell, attributes):
    """How many cells a cell element stands for: one where it is empty (a sheet's empty rest is one
    element repeated a billion times), else its repeats across and its row's down (a repeated value
    is as many cells to LibreOffice as if each were written out)."""
    if not (len(cell) or (OFFICE, "value-type") in attributes or (TABLE, "formula") in attributes):
        return 1
    row = _attributes(cell.getparent())
    return _count(attributes.get((TABLE, "number-columns-repeated"))) * _count(row.get((TABLE, "number-rows-repeated")))


def _count(repeats):
    """A repeat count as LibreOffice reads it ("+5000" and " 5000" are 5000); ValueError where it is
    no whole number at all."""
    return max(1, int(repeats)) if repeats is not None else 1


def _inside(part, href):
    """Whether an href names a part of the package (LibreOffice resolves a relative one inside the
    package, whether or not such a member exists: an object's replacement picture often does not), a
    place in the document ("#Sheet1.A1"), or the package itself (a chart's ".." names the document
    whose cells it draws)."""
    return (href.startswith("#") or bool(ooxml.resolve(part, href))
            or posixpath.normpath(posixpath.join(posixpath.dirname(part), href)) == ".")


def inspect(path, archive):
    """UsageError, in one line naming the part, unless the .ods (an open zipfile.ZipFile) is a plain
    spreadsheet within the limits."""
    members = untrusted.within_limits(path, archive)
    mimetype = members.get("mimetype")
    if mimetype is None or mimetype.file_size > MAX_MIMETYPE_BYTES:
        raise UsageError(f"{path} is not an .ods workbook (no mimetype member)")
    said = ooxml.read(archive, mimetype).decode("ascii", "replace").strip()
    if said != MIMETYPE:
        raise UsageError(f"{path} is an OpenDocument file of type {shown(said)}, not a spreadsheet: "
                         "save it as .ods or .xlsx")
    if "content.xml" not in members:
        raise UsageError(f"{path} is not an .ods workbook (no content.xml)")
    for name in members:
        if name.lower().startswith(MACRO_FOLDERS):
            raise UsageError(f"{path} holds macros ({shown(name)}): refused; save it without them")
    cells, spreadsheet = 0, False
    for name, member in sorted(members.items(), key=lambda item: item[0] != "META-INF/manifest.xml"):
        if name.lower().endswith((".xml", ".rdf")):  # the manifest first: it says whether the rest is encrypted
            cells, found = _inspect_part(path, name, ooxml.read(archive, member), cells)
            spreadsheet |= name == "content.xml" and found
    if not spreadsheet:
        raise UsageError(f"{path} is not an .ods workbook (content.xml holds no spreadsheet)")


def _inspect_part(path, name, data, cells):
    """(the cells counted so far, this part's added; whether the part holds a spreadsheet)."""
    spreadsheet = False
    for element in ooxml.elements(name, data):
        tag = _qualified(element.tag) if isinstance(element.tag, str) else ("", "")
        if tag[1] in REFUSED_NAMES:
            raise UsageError(f"{path} {REFUSED_NAMES[tag[1]]} ({shown(name)}: {tag[1]}): refused")
        attributes = _attributes(element)
        if tag in CELLS:
            try:
                cells = untrusted.counted(path, cells, _repeated(element, attributes))
            except ValueError:
                raise UsageError(f"{path}: {shown(name)}, a cell repeated a number of times that is not a whole "
                                 "number: refused")
        spreadsheet |= tag == (OFFICE, "spreadsheet")
        for attribute, value in attributes.items():
            if attribute in FORMULAS:
                found = formulas.reaching(value)
                if found:
                    raise UsageError(f"{path}: {shown(name)}, a {tag[1]} element's formula {found}: refused")
            elif attribute[1] in LINKS and tag not in HYPERLINKS and value and not _inside(name, value):
                raise UsageError(f"{path} links outside the workbook ({shown(name)}: {tag[1]} {shown(value)}): refused")
    return cells, spreadsheet
