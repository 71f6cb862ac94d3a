"""A workbook from a stranger, looked at before anything opens it. check grades files that students
send, so each is read as the format is (ooxml.py: content types, relationships, every XML part with a
hardened parser) and refused in one line (a UsageError naming the part or cell) unless it is a plain
.xlsx within the limits: no macros under any name, no links to other workbooks, no data connections,
nothing in a formula, a defined name, a conditional format or a validation that reaches outside the
book. What the tables cannot use and LibreOffice would fetch (a linked picture, a hyperlink's target)
is left out of the private copy that LibreOffice reads, and the inspection says so. Where it is told
to, it accepts links to other workbooks too (stale_links.py): the copy never names them."""
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

from labkit import formulas, ooxml, stale_links
from labkit.cli import UsageError, shown

MAX_FILE_BYTES = 20 * 2**20
MAX_UNPACKED_BYTES = 200 * 2**20  # all members together: a zip bomb unpacks far past this
MAX_MEMBERS = 5000
MAX_CELLS = 1_000_000
LOCKED_OR_OLD = "is password-protected or an old .xls: save it as .xlsx without a password"  # an OLE file
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
# What an external-link part holds in place of another workbook: never accepted.
LINK_ELEMENTS = {"ddeLink": "a DDE link", "oleLink": "a link to an OLE object"}


@dataclass(frozen=True)
class Inspection:
    path: Path
    removed: tuple  # one line each: what the private copy leaves out
    dropped: frozenset  # (.rels part, relationship id) that the private copy leaves out
    links: stale_links.StaleLinks = None  # links to other workbooks, where they were accepted


def inspect(path, allow_stale_links=False):
    """The Inspection of a workbook that check may open; UsageError where it is refused. With
    allow_stale_links, links to other workbooks are not refused: the copy leaves them out, and pins
    each cell formula that reaches one to its saved value (only check asks: it grades saved values)."""
    path = within_size(path)
    if is_compound_file(path):
        raise UsageError(f"{path} {LOCKED_OR_OLD}")
    if not zipfile.is_zipfile(path):
        raise UsageError(f"{path} is not an .xlsx workbook")
    try:
        with zipfile.ZipFile(path) as archive:
            return _inspect_package(path, archive, allow_stale_links)
    except ooxml.PackageError as e:
        raise UsageError(f"{path} is not a readable .xlsx workbook: {shown(e)}")
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, ValueError) as e:
        raise UsageError(f"{path} is not a readable .xlsx workbook ({e})")


def within_size(path):
    """The path of a file no larger than MAX_FILE_BYTES; UsageError for none, or a larger one."""
    path = Path(path)
    if not path.is_file():
        raise UsageError(f"{path}: no such file")
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise UsageError(f"{path}: {size / 2**20:.1f} MB is over the limit of {MAX_FILE_BYTES // 2**20} MB")
    return path


def is_compound_file(path):
    """Whether the file begins as an OLE2 compound file: a legacy .xls, or an .xlsx with a password."""
    with open(path, "rb") as f:
        return f.read(8) == ENCRYPTED_OR_OLD


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


def _inspect_package(path, archive, allow_stale_links):
    members = within_limits(path, archive)
    if "[Content_Types].xml" not in members or "xl/workbook.xml" not in members:
        raise UsageError(f"{path} is not an .xlsx workbook (no [Content_Types].xml or xl/workbook.xml)")
    types = ooxml.content_types(ooxml.parse("[Content_Types].xml", _index(path, archive, members["[Content_Types].xml"])))
    named = []  # the parts that link to another workbook, by name or content type
    for name in members:
        kind = ooxml.content_type(name, types).lower()
        if MACRO_NAMES.search(name) or any(word in kind for word in MACRO_WORDS):
            raise UsageError(f"{path} holds macros ({shown(name)}): refused; save it as .xlsx without them")
        if "/externallinks/" in "/" + name.lower() or any(f"{word}+xml" in kind for word in LINK_WORDS):
            words = _link_words(kind, "externallink")
            if not allow_stale_links or words != LINK_WORDS["externallink"]:
                raise UsageError(f"{path} {words} ({shown(name)}): refused")
            named.append(name)
    relationships = {name: ooxml.relationships(name, ooxml.parse(name, _index(path, archive, members[name])))
                     for name in members if name.endswith(".rels")}
    left_out, books, linking, workbooks = stale_links.found(path, named, relationships) if allow_stale_links \
        else (frozenset(), (), frozenset(), frozenset())
    removed, targets, dropped = [], set(), {(name, link.id) for name, link in linking}
    for name, found in relationships.items():
        for link in found:
            _refuse_macros(path, name, link)
            if name not in left_out and (name, link) not in linking:
                _inspect_relationship(path, name, link, removed, dropped)
                if not link.external and link.kind.lower() not in BINARY_KINDS:
                    targets.add(link.target.lower())
    cells, sheets = 0, []
    for name, member in members.items():
        xml = name.lower().endswith(ooxml.XML_EXTENSIONS) or ooxml.content_type(name, types).endswith("xml")
        if not name.endswith(".rels") and (xml or name.lower() in targets):
            pins = stale_links.Pins() if allow_stale_links and name not in left_out else None
            cells = _inspect_part(path, name, ooxml.read(archive, member), cells, pins)
            if pins and pins.count:
                if member.file_size > stale_links.MAX_PINNED_PART_BYTES:
                    raise UsageError(f"{path}: {shown(name)}, whose formulas reach another workbook, is over "
                                     f"{stale_links.MAX_PINNED_PART_BYTES // 2**20} MB: refused")
                sheets.append((name, frozenset(pins.shared), pins.count))
    links = stale_links.StaleLinks(books, sum(n for _, _, n in sheets), left_out, workbooks,
                                   tuple(sheet[:2] for sheet in sheets)) if left_out or sheets else None
    return Inspection(path, tuple(removed), frozenset(dropped), links)


def _index(path, archive, member):
    """A part that is read whole ([Content_Types].xml, a .rels part), within its own limit."""
    if member.file_size > MAX_INDEX_BYTES:
        raise UsageError(f"{path}: {member.filename} is {member.file_size / 2**20:.0f} MB, over the limit of "
                         f"{MAX_INDEX_BYTES // 2**20} MB: refused")
    return ooxml.read(archive, member)


def _link_words(kind, default):
    return next((words for word, words in LINK_WORDS.items() if word in kind.lower()), LINK_WORDS[default])


def _refuse_macros(path, rels, link):
    if any(word in link.kind.lower() for word in MACRO_WORDS):
        raise UsageError(f"{path} holds macros ({rels}: {shown(link.kind)} {shown(link.target)}): refused")


def _inspect_relationship(path, rels, link, removed, dropped):
    kind = link.kind.lower()
    if kind in LINK_WORDS:
        raise UsageError(f"{path} {LINK_WORDS[kind]} ({rels}: {shown(link.target)}): refused")
    if link.external and kind in STRIPPED:
        removed.append(f"{STRIPPED[kind]} to {shown(link.target)} ({rels}) is left out of the copy that is graded")
        dropped.add((rels, link.id))
    elif link.external:
        raise UsageError(f"{path} links outside the workbook ({rels}: {shown(link.kind)} {shown(link.target)}): refused")
    elif not link.target:
        raise UsageError(f"{path} names a part outside the workbook ({rels}: {shown(link.kind)}): refused")


def _inspect_part(path, name, data, cells, pins=None):
    """The cells counted so far, this part's added; UsageError for a formula that reaches outside,
    but for a cell's reference to another workbook where pins are given: pins counts those."""
    # VML, Excel's legacy drawings, is often not well-formed (<br> left open): read as far as it goes.
    for element in ooxml.elements(name, data, recover=name.lower().endswith(".vml")):
        tag = ooxml.local(element)
        if tag == "c":
            cells = counted(path, cells)
        elif tag in formulas.ELEMENTS:
            reaches = formulas.inspect(path, name, element, pins is not None)
            if pins is not None and formulas.in_cell(element):
                pins.saw(element, reaches)
        elif tag in LINK_ELEMENTS:
            raise UsageError(f"{path}: {shown(name)} holds {LINK_ELEMENTS[tag]}: refused")
    return cells


def counted(path, cells, more=1):
    """cells and more; UsageError past MAX_CELLS."""
    if cells + more > MAX_CELLS:
        raise UsageError(f"{path} has over {MAX_CELLS:,} cells: refused")
    return cells + more


def private_copy(inspection, destination):
    """The workbook, as LibreOffice may read it, written to destination: every part as it was but
    the relationships the inspection drops and the links it accepted. UsageError where a part cannot
    be read (a picture the inspection did not need to open, damaged)."""
    try:
        return _copy(inspection, destination)
    except (ooxml.PackageError, zipfile.BadZipFile, OSError) as e:
        raise UsageError(f"{inspection.path} is not a readable .xlsx workbook: {e}")


def _copy(inspection, destination):
    with zipfile.ZipFile(inspection.path) as source, zipfile.ZipFile(destination, "w", zipfile.ZIP_DEFLATED) as copy:
        for member in source.infolist():
            if inspection.links and member.filename in inspection.links.parts:
                continue
            data = ooxml.read(source, member)
            ids = {rid for rels, rid in inspection.dropped if rels == member.filename}
            if ids:
                root = ooxml.parse(member.filename, data)
                for element in [e for e in root if e.get("Id") in ids]:
                    root.remove(element)
                data = ooxml.written(root)
            if inspection.links:
                data = stale_links.copied(inspection.links, member.filename, data)
            copy.writestr(member.filename, data)
    return Path(destination)
