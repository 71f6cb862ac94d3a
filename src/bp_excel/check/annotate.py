"""check --annotate FOLDER: each graded workbook copied into FOLDER, with its feedback where the
learner works. The first wrong cell of each wrong column gets a red fill and a note in the words
the report gives by default (where it goes wrong, the likely mistake, a hint; the right formula only
with --solutions), and a Feedback sheet in front gives the verdict, each wrong column's cell (a link
to it) and how to check again. The copy is the learner's own package with only the parts that the
marks need changed (labkit/ooxml_edit.py): charts, pictures and every other part stay theirs, byte
for byte, and the original is only read. A right workbook gets the Feedback sheet alone, saying so,
so that every graded file has its copy; a file refused or not graded gets none. An .ods or .xls
gets an .xlsx copy, made from LibreOffice's conversion of it (labkit/formats.py)."""
import os
import tempfile
from pathlib import Path

from bp_excel.check.report import finding_lines, table_line
from labkit import formats, xlsx_edit, xlsx_notes
from labkit.cli import UsageError
from labkit.files import write_atomically
from labkit.ooxml_edit import Package

SHEET = "Feedback"
AUTHOR = "bp_excel check"
FILL = "FFFFC7CE"  # the light red of Excel's "Bad" cell style
WIDTHS = (16, 90, 60)  # the Feedback sheet's columns: the cell, where it goes wrong, the likely mistake or hint


def prepare(folder, workbooks):
    """The folder for the annotated copies, made where it is not (in a folder that is). UsageError,
    before anything is graded, where it cannot be written or a copy would replace its workbook."""
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise UsageError(f"--annotate {folder} is a file, not a folder")
    if not folder.parent.is_dir():
        raise UsageError(f"--annotate {folder}: no folder {folder.parent} to make it in")
    folder.mkdir(exist_ok=True)
    if not os.access(folder, os.W_OK | os.X_OK):
        raise UsageError(f"--annotate {folder}: cannot write there")
    for path in workbooks:
        if Path(path).resolve().parent == folder.resolve():
            raise UsageError(f"--annotate {folder} holds {path}: its annotated copy would replace it; "
                             "give another folder")
    return folder


def write(reports, folder, solutions=False, timeout=120):
    """Each graded workbook's annotated copy in folder, under the workbook's own name (an .ods or
    .xls: name.xlsx, made from LibreOffice's conversion of it, as check read it; another workbook
    of that name in the same run gets name-2.xlsx, ...); returns the lines that say what was written
    and which files got no copy."""
    written, skipped = [], []
    converted = [report for report in reports if "tables" in report and report.get("converted")]
    with tempfile.TemporaryDirectory(prefix="bp_excel_annotate_") as private:
        readable = formats.as_xlsx([report["file"] for report in converted], Path(private), timeout)
        sources = {id(report): found for report, found in zip(converted, readable)}
        for report in reports:
            source = sources.get(id(report))
            why = _no_copy(report, source)
            if why:
                skipped.append(f"{report['file']} ({why})")
                continue
            name = Path(report["file"]).stem + ".xlsx" if source else Path(report["file"]).name
            path = _free(Path(folder), name, written)
            try:
                annotate(report, path, solutions, source.xlsx if source else None)
            except OSError:
                raise
            except Exception as e:  # noqa: BLE001 (a stranger's file nobody foresaw costs only its own copy)
                skipped.append(f"{report['file']} (an unexpected {type(e).__name__}: {e})")
                continue
            written.append((report["file"], path))
    lines = []
    if written:
        copies = [path.name if path.name == Path(file).name else f"{path.name} (of {file})" for file, path in written]
        lines.append(f"annotated cop{'ies' if len(written) > 1 else 'y'} in {folder}: {', '.join(copies)}")
    if skipped:
        lines.append(f"no annotated copy of {', '.join(skipped)}")
    return lines


def _no_copy(report, source):
    """Why a workbook gets no annotated copy, or None: refused, not graded, or not converted again."""
    if "tables" not in report:
        return "refused" if "error" in report else "not graded"
    return source.refused or source.not_converted if source and not source.xlsx else None


def _free(folder, name, written):
    taken = {path.name.lower() for _, path in written}
    stem, suffix = Path(name).stem, Path(name).suffix
    candidates = [name] + [f"{stem}-{k}{suffix}" for k in range(2, len(written) + 3)]
    return folder / next(n for n in candidates if n.lower() not in taken)


def annotate(report, destination, solutions=False, source=None):
    """Write the annotated copy of one graded workbook (its check report) to destination: a copy of
    the workbook, or of source (the .xlsx that LibreOffice made of an .ods or .xls)."""
    package = Package(source or report["file"])
    parts = xlsx_edit.sheet_parts(package)
    marks = _marks(report, solutions)
    if marks:
        xlsx_edit.fill(package, {parts[sheet]: list(notes) for sheet, notes in marks.items()}, FILL)
        for sheet, notes in marks.items():
            xlsx_notes.add(package, parts[sheet], notes, AUTHOR)
    rows, links = _feedback(report, Path(report["file"]).name)
    xlsx_edit.add_first_sheet(package, SHEET, xlsx_edit.text_sheet(rows, WIDTHS, links))
    write_atomically(destination, package.save)


def _marks(report, solutions):
    """{sheet: {cell: its note}}: the first wrong cell of each wrong column, and what the report
    says of that column."""
    marks = {}
    for table in report["tables"]:
        for finding in table["wrong"]:
            notes = marks.setdefault(table["sheet"], {})
            note = "\n".join(finding_lines(finding, solutions))
            notes[finding.cell] = f"{notes[finding.cell]}\n\n{note}" if finding.cell in notes else note
    return marks


def _feedback(report, name):
    """The Feedback sheet's rows, and its links [(its cell, the marked cell)]."""
    wrong = sum(len(table["wrong"]) for table in report["tables"])
    if wrong:
        verdict = (f"WRONG: {wrong} column{'s go' if wrong > 1 else ' goes'} wrong. Each is marked at its first "
                   "wrong cell with a red fill and a note that says what is wrong (point at the cell to read it).")
        again = "To check again: correct your own workbook (this copy only shows where), save it, and run"
    else:
        verdict = f"RIGHT: every table is right ({len(report['tables'])} checked)."
        again = "To check again after a change, run"
    rows, links = [[f"Feedback from python -m bp_excel check on {name}"], [verdict], []], []
    for table in report["tables"]:
        rows.append(["", table_line(table)])
        for finding in table["wrong"]:
            where = f"{table['sheet']}!{finding.cell}"
            rows.append([where, finding_lines(finding)[0], finding.mistake or finding.hint])
            links.append((f"A{len(rows)}", "'{}'!{}".format(table["sheet"].replace("'", "''"), finding.cell)))
        rows += [["", f"warning: {warning}"] for warning in table["warnings"]]
    rows += [[], ["", again], ["", f"python -m bp_excel check {name}"]]
    return rows, links
