"""python -m bp_excel check: grade hand-made backpropagation workbooks, and say where each goes
wrong. Each file is inspected as a stranger's (labkit/untrusted.py; an .ods or .xls as its format is,
then converted to .xlsx: labkit/formats.py), recalculated by LibreOffice (one process for all of
them), its tables found (tables.py) and graded (grading.py)."""
import re
import tempfile
import warnings
import zipfile
from pathlib import Path

import openpyxl

from bp_excel.check import summaries, tables
from bp_excel.check.grading import Grader
from bp_excel.check.learning_rate import LearningRate
from bp_excel.check.learning_rate import infer as infer_learning_rate
from bp_excel.check.tables import display
from labkit import engines, formats, ooxml, untrusted
from labkit.cli import UsageError

NO_TABLE = ("no backpropagation table found: a table needs a header row naming at least "
            f"{tables.MIN_HEADERS} of i1 i2 t1 t2 w1..w8 h1 a_h1 h2 a_h2 o1 a_o1 o2 a_o2 E1 E2 E_total dE/dw1..dE/dw8; "
            "give --header-row N and --map QUANTITY=COLUMN (e.g. --map w1=E a_h1=J) for what is not found")


def _typed(path):
    """{sheet: {cell: content}} as typed: numbers, text, formulas as text."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # openpyxl's notes on drawings and extensions it drops
        wb = openpyxl.load_workbook(path, read_only=True, keep_links=False)
    try:
        out = {}
        for ws in wb.worksheets:
            cells = {}
            for row in ws.iter_rows():
                for cell in row:
                    if cell.value is not None and hasattr(cell, "coordinate"):
                        cells[cell.coordinate] = getattr(cell.value, "text", cell.value)
            out[ws.title] = cells
        return out
    finally:
        wb.close()


CHART_RANGE = re.compile(r"(?:'((?:[^']|'')+)'|([^!']+))!\$?([A-Z]+)\$?(\d+):\$?([A-Z]+)\$?(\d+)")


def _chart_ranges(path):
    """[(sheet, column, last row)] of every chart series' cells (the chart parts' formulas)."""
    out = []
    with zipfile.ZipFile(path) as archive:
        for member in archive.infolist():
            if member.filename.startswith("xl/charts/chart") and member.filename.endswith(".xml"):
                for element in ooxml.parse(member.filename, ooxml.read(archive, member)).iter():
                    match = CHART_RANGE.fullmatch(ooxml.text(element).strip()) if ooxml.local(element) == "f" else None
                    if match and match[3] == match[5]:
                        out.append(((match[1] or "").replace("''", "'") or match[2], match[3], int(match[6])))
    return out


def _short_charts(table, charts):
    """A warning, in a list, where every chart of the table's E_total stops before the table does."""
    column = table.columns.get("E_total")
    ends = [end for sheet, letters, end in charts if sheet == table.sheet and letters == column]
    if ends and max(ends) < table.last_row:
        return [f"the chart of E_total (column {column}) stops at row {max(ends)}, the table at row {table.last_row}"]
    return []


def _report(table, rate, wrong, drift, warnings):
    """A graded table's record: where it is, its learning rate (a LearningRate), its wrong columns
    (Findings, which report.for_json turns into --json's), the trajectory's drift and the warnings."""
    return {"sheet": table.sheet, "kind": table.kind, "header_row": table.header_row, "first_row": table.first_row,
            "last_row": table.last_row, "columns": {display(q): c for q, c in table.columns.items()},
            "learning_rate": rate.value, "learning_rate_cell": rate.cell,
            "ok": not wrong, "wrong": wrong, "drift": drift or {}, "warnings": list(warnings)}


def grade_table(table, cells, rows, learning_rate=None, learning_rate_cell=None, warnings=()):
    """(the table's record, the network of its first row); warnings: what else was seen of it."""
    grader = Grader(table, rows, cells)
    rate = infer_learning_rate(table, cells, rows, grader, learning_rate, learning_rate_cell)
    drift = grader.trajectory(rate)
    wrong = grader.local(rate, carries=grader.carried(drift))
    warnings = [*table.warnings, *warnings, *rate.warnings, *grader.warnings]
    return _report(table, rate, wrong, drift, warnings), grader.network()


def check(paths, timeout, sheet=None, header_row=None, mapping=None, learning_rate=None, learning_rate_cell=None):
    """[{"file", "ok", "tables", "removed"[, "linked"][, "converted"]}, {"file", "error"} (refused) or
    {"file", "not_graded"}] of each workbook, in the order given. An .ods or .xls is inspected as its
    format is and converted to .xlsx first ("converted" says which: labkit/formats.py). Each accepted
    workbook is graded from a private copy (untrusted.private_copy): what the inspection removed is
    listed under "removed", and where the file links to other workbooks, "linked" names them and
    counts the formulas that reached them, graded from their saved values (labkit/stale_links.py).
    One LibreOffice process recalculates them all; where it fails or runs out of time, each is tried
    on its own, so that a slow or broken file costs only its own report."""
    if not engines.find_soffice():
        raise UsageError(f"LibreOffice not found: {engines.INSTALL_HINT}")
    reports, accepted = [], []
    with tempfile.TemporaryDirectory(prefix="bp_excel_check_") as private:
        for readable in formats.as_xlsx(paths, Path(private, "converted"), timeout):
            if readable.unread():
                reports.append({"file": str(readable.path), **readable.unread()})
                continue
            try:
                inspection = untrusted.inspect(readable.xlsx, allow_stale_links=True)
                copy = untrusted.private_copy(inspection, Path(private, f"book{len(reports)}.xlsx"))
                accepted.append((readable, copy, inspection, len(reports)))
                reports.append(None)
            except UsageError as e:
                reports.append({"file": str(readable.path), "error": readable.said(e)})
        copies = [copy for _, copy, _, _ in accepted]
        recalculated = engines.each_with_libreoffice(engines.recalculate_many_with_libreoffice, copies, timeout)
        for (readable, copy, inspection, index), rows in zip(accepted, recalculated):
            path = readable.path
            try:
                if not isinstance(rows, dict):
                    reports[index] = {"file": str(path), "not_graded": f"LibreOffice {rows}"}
                    continue
                reports[index] = {"file": str(path), **_grade(path, copy, rows, sheet, header_row, mapping,
                                                              learning_rate, learning_rate_cell),
                                  "removed": list(inspection.removed), **_linked(inspection.links),
                                  **({"converted": readable.form} if readable.form in formats.CONVERTED else {})}
            except UsageError as e:
                reports[index] = {"file": str(path), "error": str(e)}
            except NotGraded as e:
                reports[index] = {"file": str(path), "not_graded": str(e)}
            except Exception as e:  # noqa: BLE001 (a file nobody foresaw: its own report, never the batch's end)
                reports[index] = {"file": str(path), "not_graded": f"an unexpected {type(e).__name__}: {e}"}
    return reports


def _linked(links):
    """{"linked": the other workbooks and how many formulas reached them} where the file links to any."""
    return {"linked": {"books": list(links.books), "formulas": links.formulas}} if links else {}


class NotGraded(Exception):
    """A workbook that passed the inspection but cannot be graded: its report says why, exit 3."""


def _by_the_workbooks_names(typed, rows):
    """LibreOffice's values under the workbook's own sheet names. LibreOffice renames a sheet whose
    name it cannot keep (Data[1], over 31 characters, empty, SHEET beside Sheet): sheet by sheet, in
    order, the values are still that sheet's."""
    if set(typed) <= set(rows):
        return rows
    if len(typed) != len(rows):
        raise NotGraded(f"LibreOffice's copy has {len(rows)} sheets, the workbook {len(typed)}")
    return dict(zip(typed, rows.values()))


def _grade(path, copy, rows, sheet, header_row, mapping, learning_rate, learning_rate_cell):
    typed = _typed(copy)
    rows = _by_the_workbooks_names(typed, rows)
    found = tables.find(typed, rows, sheet, header_row, mapping)
    if not found:
        raise UsageError(f"{path}: {NO_TABLE}")
    charts = _chart_ranges(copy)
    graded = [grade_table(t, typed[t.sheet], rows[t.sheet], learning_rate, learning_rate_cell, _short_charts(t, charts))
              for t in found]
    network = next((n for _, n in graded if n is not None), None)
    graded = [report for report, _ in graded]
    for summary in summaries.find(typed, rows):
        if network is None:
            graded.append(_report(summary, LearningRate(None), [], None, ["no table to compare this summary with"]))
        else:
            wrong = summaries.grade(summary, rows[summary.sheet], typed[summary.sheet], network)
            graded.append(_report(summary, LearningRate(None), wrong, None, summary.warnings))
    return {"ok": all(t["ok"] for t in graded), "tables": graded}
