"""A workbook from a stranger, looked at before anything opens it: check grades files that
students send, so each is refused in one line (a UsageError naming the part or cell) unless it
is a plain .xlsx within the limits, with no macros, no links to other files or the web, and no
XML entity declarations. Only the zip's own directory and its XML text are read here."""
import re
import zipfile
from pathlib import Path

from labkit.cli import UsageError

MAX_FILE_BYTES = 20 * 2**20
MAX_UNPACKED_BYTES = 200 * 2**20  # all members together: a zip bomb unpacks far past this
MAX_MEMBERS = 5000
MAX_CELLS = 1_000_000
ENCRYPTED_OR_OLD = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # an OLE file: a password-protected .xlsx, or an .xls
MACRO_PARTS = re.compile(r"(^|/)(vbaProject\.bin|vbaData\.xml)$|^xl/macrosheets/|^xl/activeX/", re.IGNORECASE)
ENTITIES = re.compile(rb"<!(DOCTYPE|ENTITY)", re.IGNORECASE)
FORMULA_CELL = re.compile(r'<c r="([A-Z]+[0-9]+)"[^>]*>\s*<f[^>]*>([^<]*)</f>')
CELL = re.compile(rb"<c[\s>]")
# What may reach outside the workbook: another file (external references, [1]Sheet!A1), the web,
# DDE (=cmd|'/c calc'!A1), and add-in calls.
DANGEROUS = [
    (re.compile(r"\[[^\]]*\]"), "an external workbook reference"),
    (re.compile(r"\b(WEBSERVICE|FILTERXML|RTD|CALL|REGISTER\.ID|EXEC|HYPERLINK)\s*\(", re.IGNORECASE),
     "the function {0}"),
    (re.compile(r"\|"), "a DDE link"),
    (re.compile(r"(file|https?|ftp):", re.IGNORECASE), "a link ({0})"),
]


def inspect(path):
    """UsageError unless path is a workbook check may open; returns its path."""
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
            _inspect_archive(path, archive)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError) as e:
        raise UsageError(f"{path} is not a readable .xlsx workbook ({e})")
    return path


def _inspect_archive(path, archive):
    members = archive.infolist()
    names = [m.filename for m in members]
    if "xl/workbook.xml" not in names:
        raise UsageError(f"{path} is not an .xlsx workbook (no xl/workbook.xml)")
    if len(members) > MAX_MEMBERS:
        raise UsageError(f"{path}: {len(members)} parts is over the limit of {MAX_MEMBERS}")
    unpacked = sum(m.file_size for m in members)
    if unpacked > MAX_UNPACKED_BYTES:
        raise UsageError(f"{path} unpacks to {unpacked / 2**20:.0f} MB, over the limit of "
                         f"{MAX_UNPACKED_BYTES // 2**20} MB (a zip bomb?)")
    for name in names:
        if name.startswith("xl/externalLinks/"):
            raise UsageError(f"{path} links to another workbook ({name}): refused")
        if MACRO_PARTS.search(name):
            raise UsageError(f"{path} holds macros ({name}): refused; save it as .xlsx without them")
    cells = 0
    for member in members:
        if not member.filename.endswith((".xml", ".rels")):
            continue
        data = _read(archive, member)
        if ENTITIES.search(data):
            raise UsageError(f"{path}: {member.filename} declares XML entities: refused")
        if member.filename.startswith("xl/worksheets/sheet"):
            cells += len(CELL.findall(data))
            if cells > MAX_CELLS:
                raise UsageError(f"{path} has over {MAX_CELLS:,} cells: refused")
            _inspect_formulas(path, member.filename, data.decode("utf-8", errors="replace"))


def _read(archive, member):
    """A member's bytes, never more than it claims to hold (a forged size would unpack further)."""
    with archive.open(member) as f:
        data = f.read(member.file_size + 1)
    if len(data) > member.file_size:
        raise UsageError(f"{member.filename} unpacks past its stated size: refused")
    return data


def _inspect_formulas(path, part, xml):
    for cell, formula in FORMULA_CELL.findall(xml):
        text = re.sub(r'"[^"]*"', lambda m: m[0] if "://" in m[0] or "file:" in m[0] else '""', formula)
        for pattern, what in DANGEROUS:
            match = pattern.search(text)
            if match:
                raise UsageError(f"{path}: {part}, cell {cell} uses {what.format(match[0].rstrip('( '))}: refused")
