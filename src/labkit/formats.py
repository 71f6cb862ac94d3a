"""What a learner hands in, read from its content and not its name alone: an .xlsx (a zip holding
an Office Open XML package), an .ods (a zip whose mimetype member says OpenDocument spreadsheet) or
a legacy .xls (an OLE2 compound file with a Workbook stream). The name's extension must say the
same; anything else is refused in one line. An .ods or .xls is inspected as the format it is
(odf.py; here, the compound file's directory: no VBA project, no macro sheet, no password), then
converted to .xlsx by LibreOffice in a private folder, in the sandbox that recalculates (engines.py:
macros off, links never updated, no network); that .xlsx is then inspected like any other
(untrusted.py) before LibreOffice recalculates it for grading. (LibreOffice computes the formulas
while it converts, whatever its profile says of recalculation on load: an .ods's formulas are
inspected before that, an .xls's only in the .xlsx it becomes, the network namespace the guard
while it is converted.)"""
import struct
import zipfile
from dataclasses import dataclass
from pathlib import Path

import olefile

from labkit import engines, odf, ooxml, untrusted
from labkit.cli import UsageError, shown

EXTENSIONS = {".xlsx": "xlsx", ".xlsm": "xlsx", ".ods": "ods", ".xls": "xls"}
CONVERTED = ("ods", "xls")
# A compound file's storages that hold macros: Excel's VBA project (_VBA_PROJECT_CUR/VBA), Word's.
MACRO_STORAGES = {"_vba_project_cur", "_vba_project", "vba", "macros"}
# BIFF records of the workbook's globals: a password (FILEPASS), each sheet's kind (BOUNDSHEET).
EOF, FILEPASS, BOUNDSHEET = 0x000A, 0x002F, 0x0085
MACRO_SHEETS = {1: "an Excel 4 macro sheet", 6: "a VBA module"}
PASSWORD = "is password-protected: save it without a password"


@dataclass(frozen=True)
class Readable:
    """A file as check reads it: the .xlsx to inspect (the file itself, or LibreOffice's
    conversion of it), or why there is none."""
    path: object  # as it was given
    form: str = ""  # "xlsx", "ods" or "xls"; "" where refused before it was known
    xlsx: Path = None
    refused: str = ""  # one line: refused (exit 2)
    not_converted: str = ""  # LibreOffice's words where it could not convert it (exit 3)

    def said(self, error):
        """An inspection's words on the converted .xlsx, said of the file that was handed in."""
        return str(error) if self.form == "xlsx" else str(error).replace(str(self.xlsx), f"{self.path} (as .xlsx)")

    def unread(self):
        """{"error": why} where it was refused, {"not_graded": why} where it could not be converted."""
        return {"error": self.refused} if self.refused else {"not_graded": self.not_converted} if self.not_converted \
            else {}


def xlsx_workbook(path):
    """The path of an .xlsx that verify, render or open may read (our own workbooks); UsageError else."""
    path = Path(path)
    if not path.is_file():
        raise UsageError(f"{path}: no such file")
    if not zipfile.is_zipfile(path):
        raise UsageError(f"{path} is not an .xlsx workbook")
    with zipfile.ZipFile(path) as archive:
        if "xl/workbook.xml" not in archive.namelist():
            raise UsageError(f"{path} is not an .xlsx workbook")
    return path


def as_xlsx(paths, folder, timeout):
    """[Readable] of each path, in order: an .xlsx as it is, an .ods or .xls inspected and converted
    into folder (one LibreOffice process for them all; where it fails or runs out of time, each
    again on its own), anything else refused."""
    found = []
    for path in paths:
        try:
            form = detect(path)
            if form in CONVERTED:
                inspect(path, form)
            found.append(Readable(path, form, Path(path) if form == "xlsx" else None))
        except UsageError as e:
            found.append(Readable(path, refused=str(e)))
    waiting = [k for k, item in enumerate(found) if item.form in CONVERTED and not item.refused]
    converted = _converted([found[k].path for k in waiting], Path(folder), timeout)
    for k, result in zip(waiting, converted):
        found[k] = Readable(found[k].path, found[k].form, *((result, "", "") if isinstance(result, Path)
                                                            else (None, "", f"LibreOffice {result}")))
    return found


def _converted(paths, folder, timeout):
    """[the .xlsx, or what LibreOffice said] of each path (engines.each_with_libreoffice)."""
    def convert(some, timeout):
        return engines.convert_many_with_libreoffice(some, _fresh(folder), timeout)

    return engines.each_with_libreoffice(convert, paths, timeout)


def _fresh(folder):
    """A new folder in folder: each LibreOffice run writes its book0.xlsx ... where no other did."""
    folder.mkdir(parents=True, exist_ok=True)
    made = folder / f"run{len(list(folder.iterdir()))}"
    made.mkdir()
    return made


def detect(path):
    """"xlsx", "ods" or "xls", from the file's content, where its extension says the same; UsageError
    in one line for any other file."""
    path = Path(path)
    if not path.is_file():
        raise UsageError(f"{path}: no such file")
    named = EXTENSIONS.get(path.suffix.lower())
    if named is None:
        raise UsageError(f"{path}: check reads .xlsx, .ods and .xls workbooks, not "
                         f"{shown(path.suffix) or 'a file without an extension'}: save it as .xlsx")
    untrusted.within_size(path)
    content = "xls" if untrusted.is_compound_file(path) else _zip_content(path, named) if zipfile.is_zipfile(path) \
        else None
    if content == named:
        return named
    if content is None:
        raise UsageError(f"{path} is not an .{named} workbook")
    if content == "xls" and named == "xlsx":  # an .xlsx with a password is an OLE file too
        raise UsageError(f"{path} {untrusted.LOCKED_OR_OLD}")
    raise UsageError(f"{path} holds an .{content} workbook, not the .{named} its name says: "
                     f"rename it {path.stem}.{content}, or save it as .xlsx")


def _zip_content(path, named):
    """What a zip holds: "ods" where its mimetype member is there (odf.inspect reads what it says),
    "xlsx" for an Office Open XML package (or any zip named so: untrusted.inspect says what it lacks)."""
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError) as e:
        raise UsageError(f"{path} is not a readable .{named} workbook ({shown(e)})")
    if "mimetype" in names:
        return "ods"
    return "xlsx" if named == "xlsx" or "[Content_Types].xml" in names else None


def inspect(path, form):
    """UsageError, in one line, unless the .ods or .xls is a plain workbook within the limits."""
    try:
        if form == "ods":
            with zipfile.ZipFile(path) as archive:
                odf.inspect(path, archive)
        else:
            _inspect_xls(path)
    except ooxml.PackageError as e:
        raise UsageError(f"{path} is not a readable .{form} workbook: {shown(e)}")
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, ValueError) as e:
        raise UsageError(f"{path} is not a readable .{form} workbook ({shown(e)})")


def _inspect_xls(path):
    names, workbook = _compound_file(path)
    if {"encryptioninfo", "encryptedpackage"} & {name[0].lower() for name in names}:
        raise UsageError(f"{path} {PASSWORD}")
    macros = next(("/".join(name) for name in names if MACRO_STORAGES & {part.lower() for part in name}), None)
    if macros:
        raise UsageError(f"{path} holds macros ({shown(macros)}): refused; save it as .xlsx without them")
    if workbook is None:
        raise UsageError(f"{path} is not an .xls workbook (no Workbook stream)")
    for kind, record in _globals(workbook):
        if kind == FILEPASS:
            raise UsageError(f"{path} {PASSWORD}")
        if kind == BOUNDSHEET and len(record) >= 6 and record[5] in MACRO_SHEETS:
            raise UsageError(f"{path} holds macros ({MACRO_SHEETS[record[5]]}): refused; save it as .xlsx without them")


def _compound_file(path):
    """([each storage's and stream's path, as a list of names], the Workbook stream's bytes or None)."""
    try:
        with olefile.OleFileIO(str(path)) as ole:
            names = ole.listdir(streams=True, storages=True)
            stream = next((name for name in ("Workbook", "Book") if ole.exists(name)), None)
            return names, ole.openstream(stream).read() if stream else None
    except Exception as e:  # noqa: BLE001 (a damaged compound file fails olefile in many ways)
        raise UsageError(f"{path} is not a readable .xls workbook ({shown(e) or type(e).__name__})")


def _globals(stream):
    """(record type, its data) of each BIFF record of the workbook's globals, up to their EOF."""
    offset = 0
    while offset + 4 <= len(stream):
        kind, size = struct.unpack_from("<HH", stream, offset)
        yield kind, stream[offset + 4:offset + 4 + size]
        if kind == EOF:
            return
        offset += 4 + size
