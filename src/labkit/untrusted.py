"""A workbook from a stranger, looked at before anything opens it. check grades files that students
send, so each is read as the format is (ooxml.py: content types, relationships, every XML part with a
hardened parser) and refused in one line (a UsageError naming the part or cell) unless it is a plain
.xlsx within the limits: no macros under any name, no links to other workbooks, no data connections,
nothing in a formula, a defined name, a conditional format or a validation that reaches outside the
book. What the tables cannot use and LibreOffice would fetch (a linked picture, a hyperlink's target)
is left out of the private copy that LibreOffice reads, and the inspection says so."""
import io
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

from labkit import formulas, ooxml
from labkit.cli import UsageError, shown

MAX_FILE_BYTES = 20 * 2**20
MAX_UNPACKED_BYTES = 200 * 2**20  # all members together: a zip bomb unpacks far past this
MAX_MEMBERS = 5000
MAX_CELLS = 1_000_000
MAX_INDEX_BYTES = 8 * 2**20  # [Content_Types].xml and each .rels part: read whole, so kept small
# Relationship kinds whose target is no XML part (a picture, a printer's settings, an embedded file):
# every other part a relationship names is parsed, whatever its name or content type says.
BINARY_KINDS = {"image", "printersettings", "oleobject", "package", "audio", "video", "media", "thumbnail", "font"}
ENCRYPTED_OR_OLD = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # an OLE file: a password-protected .xlsx, or an .xls
# Active content, found by a part's content type or the relationship that names it, and by the
# names Office gives it: a macro project renamed is still a macro project.
MACRO_WORDS = ("vbaproject", "macroenabled", "macrosheet", "activex", "vbadata", "intlmacrosheet")
MACRO_NAMES = re.compile(r"(^|/)(vbaProject\.bin|vbaData\.xml)$|^xl/macrosheets/|^xl/activeX/", re.IGNORECASE)
# What reaches another file or a server whenever the book is opened or recalculated.
LINK_WORDS = {"externallink": "links to another workbook", "connections": "has a data connection",
              "querytable": "has a web or database query", "externallinkpath": "links to another workbook"}
# External targets that no table needs and LibreOffice might fetch (a picture) or offer (a link).
STRIPPED = {"image": "a linked picture", "hyperlink": "a hyperlink"}


@dataclass(frozen=True)
class Inspection:
    path: Path
    removed: tuple  # one line each: what the private copy leaves out
    dropped: frozenset  # (.rels part, relationship id) that the private copy leaves out


def inspect(path):
    """The Inspection of a workbook that check may open; UsageError where it is refused."""
    path = Path(path)
    if not path.is_file():
        raise UsageError(f"{path}: no such file")
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise UsageError(f"{path}: {size / 2**20:.1f} MB is over the limit of {MAX_FILE_BYTES // 2**20} MB")
    with open(path, "rb") as f:
        if f.read(8) == ENCRYPTED_OR_OLD:
            raise UsageError(f"{path} is password-protected or an old .xls: save it as .xlsx without a password")
    if not zipfile.is_zipfile(path):
        raise UsageError(f"{path} is not an .xlsx workbook")
    try:
        with zipfile.ZipFile(path) as archive:
            return _inspect_package(path, archive)
    except ooxml.PackageError as e:
        raise UsageError(f"{path} is not a readable .xlsx workbook: {shown(e)}")
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, ValueError) as e:
        raise UsageError(f"{path} is not a readable .xlsx workbook ({e})")


def within_limits(path, archive, max_unpacked=MAX_UNPACKED_BYTES, max_members=MAX_MEMBERS):
    """The zip's members, by name; UsageError where they are too many or unpack past max_unpacked
    bytes (as the zip states them: ooxml.read never reads a member past its stated size)."""
    members = {m.filename: m for m in archive.infolist()}
    if len(members) < len(archive.infolist()):  # one name twice: counted once, and readers differ on which copy
        twice = next(m.filename for m in archive.infolist() if archive.getinfo(m.filename) is not m)
        raise UsageError(f"{path} holds two parts named {shown(twice)}: refused")
    if len(members) > max_members:
        raise UsageError(f"{path}: {len(members)} parts is over the limit of {max_members}")
    unpacked = sum(m.file_size for m in members.values())
    if unpacked > max_unpacked:
        raise UsageError(f"{path} unpacks to {unpacked / 2**20:.0f} MB, over the limit of "
                         f"{max_unpacked // 2**20} MB (a zip bomb?)")
    return members


def _inspect_package(path, archive):
    members = within_limits(path, archive)
    if "[Content_Types].xml" not in members or "xl/workbook.xml" not in members:
        raise UsageError(f"{path} is not an .xlsx workbook (no [Content_Types].xml or xl/workbook.xml)")
    types = ooxml.content_types(ooxml.parse("[Content_Types].xml", _index(path, archive, members["[Content_Types].xml"])))
    for name in members:
        kind = ooxml.content_type(name, types).lower()
        if MACRO_NAMES.search(name) or any(word in kind for word in MACRO_WORDS):
            raise UsageError(f"{path} holds macros ({shown(name)}): refused; save it as .xlsx without them")
        if "/externallinks/" in "/" + name.lower() or any(f"{word}+xml" in kind for word in LINK_WORDS):
            raise UsageError(f"{path} {_link_words(kind, 'externallink')} ({shown(name)}): refused")
    removed, dropped, targets = [], set(), set()
    for name in [name for name in members if name.endswith(".rels")]:
        for link in ooxml.relationships(name, ooxml.parse(name, _index(path, archive, members[name]))):
            _inspect_relationship(path, name, link, removed, dropped)
            if not link.external and link.kind.lower() not in BINARY_KINDS:
                targets.add(link.target.lower())
    cells = 0
    for name, member in members.items():
        xml = name.lower().endswith(ooxml.XML_EXTENSIONS) or ooxml.content_type(name, types).endswith("xml")
        if not name.endswith(".rels") and (xml or name.lower() in targets):
            cells = _inspect_part(path, name, ooxml.read(archive, member), cells)
    return Inspection(path, tuple(removed), frozenset(dropped))


def _index(path, archive, member):
    """A part that is read whole ([Content_Types].xml, a .rels part), within its own limit."""
    if member.file_size > MAX_INDEX_BYTES:
        raise UsageError(f"{path}: {member.filename} is {member.file_size / 2**20:.0f} MB, over the limit of "
                         f"{MAX_INDEX_BYTES // 2**20} MB: refused")
    return ooxml.read(archive, member)


def _link_words(kind, default):
    return next((words for word, words in LINK_WORDS.items() if word in kind.lower()), LINK_WORDS[default])


def _inspect_relationship(path, rels, link, removed, dropped):
    kind = link.kind.lower()
    if any(word in kind for word in MACRO_WORDS):
        raise UsageError(f"{path} holds macros ({rels}: {shown(link.kind)} {shown(link.target)}): refused")
    if kind in LINK_WORDS:
        raise UsageError(f"{path} {LINK_WORDS[kind]} ({rels}: {shown(link.target)}): refused")
    if link.external and kind in STRIPPED:
        removed.append(f"{STRIPPED[kind]} to {shown(link.target)} ({rels}) is left out of the copy that is graded")
        dropped.add((rels, link.id))
    elif link.external:
        raise UsageError(f"{path} links outside the workbook ({rels}: {shown(link.kind)} {shown(link.target)}): refused")
    elif not link.target:
        raise UsageError(f"{path} names a part outside the workbook ({rels}: {shown(link.kind)}): refused")


def _inspect_part(path, name, data, cells):
    """The cells counted so far, this part's added; UsageError for a formula that reaches outside."""
    try:
        # VML, Excel's legacy drawings, is often not well-formed (<br> left open): read as far as it goes.
        for _, element in etree.iterparse(io.BytesIO(data), events=("end",), resolve_entities=False, no_network=True,
                                          load_dtd=False, huge_tree=False, remove_comments=True, remove_pis=True,
                                          recover=name.lower().endswith(".vml")):
            tag = ooxml.local(element)
            if tag == "c":
                cells += 1
                if cells > MAX_CELLS:
                    raise UsageError(f"{path} has over {MAX_CELLS:,} cells: refused")
            elif tag in formulas.ELEMENTS:
                formulas.inspect(path, name, element)
            if element.getparent() is None and element.getroottree().docinfo.doctype:
                raise ooxml.PackageError(f"{name} declares XML entities (a DTD)")
            element.clear(keep_tail=True)
            while element.getprevious() is not None:  # what was read is let go: memory stays flat
                del element.getparent()[0]
    except etree.XMLSyntaxError as e:
        raise ooxml.PackageError(f"{name} is not well-formed XML ({e})")
    return cells


def private_copy(inspection, destination):
    """The workbook, as LibreOffice may read it, written to destination: every part as it was but
    the relationships the inspection drops. UsageError where a part cannot be read (a picture the
    inspection did not need to open, damaged)."""
    try:
        return _copy(inspection, destination)
    except (ooxml.PackageError, zipfile.BadZipFile, OSError) as e:
        raise UsageError(f"{inspection.path} is not a readable .xlsx workbook: {e}")


def _copy(inspection, destination):
    with zipfile.ZipFile(inspection.path) as source, zipfile.ZipFile(destination, "w", zipfile.ZIP_DEFLATED) as copy:
        for member in source.infolist():
            data = ooxml.read(source, member)
            ids = {rid for rels, rid in inspection.dropped if rels == member.filename}
            if ids:
                root = ooxml.parse(member.filename, data)
                for element in [e for e in root if e.get("Id") in ids]:
                    root.remove(element)
                data = ooxml.written(root)
            copy.writestr(member.filename, data)
    return Path(destination)
