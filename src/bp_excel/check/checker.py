"""python -m bp_excel check: grade hand-made backpropagation workbooks, and say where each goes
wrong. Each file is inspected as a stranger's (labkit/untrusted.py), recalculated by LibreOffice (one
process for all of them), its tables found (tables.py) and graded (grading.py)."""
import math
import re
import warnings
import zipfile

import numpy as np
import openpyxl
from openpyxl.utils.cell import coordinate_from_string

from bp_excel.check import tables
from bp_excel.check.grading import Grader, grade_summary
from bp_excel.check.tables import display
from bp_excel.equations import WEIGHTS
from labkit import engines, untrusted
from labkit.cli import UsageError
from labkit.engines import value

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


CHART_RANGE = re.compile(r"<(?:\w+:)?f>(?:'((?:[^']|'')+)'|([^!<']+))!\$?([A-Z]+)\$?(\d+):\$?([A-Z]+)\$?(\d+)</(?:\w+:)?f>")


def _chart_ranges(path):
    """[(sheet, column, last row)] of every chart series' cells (the zip's chart parts)."""
    out = []
    with zipfile.ZipFile(path) as archive:
        for name in archive.namelist():
            if name.startswith("xl/charts/chart") and name.endswith(".xml"):
                text = archive.read(name).decode("utf-8", errors="replace")
                for quoted, plain, column, _, end_column, end in CHART_RANGE.findall(text):
                    if column == end_column:
                        out.append(((quoted.replace("''", "'") or plain), column, int(end)))
    return out


def _warn_short_charts(table, charts):
    """A warning where every chart of the table's E_total stops before the table does."""
    column = table.columns.get("E_total")
    ends = [end for sheet, letters, end in charts if sheet == table.sheet and letters == column]
    if ends and max(ends) < table.last_row:
        table.warnings.append(f"the chart of E_total (column {column}) stops at row {max(ends)}, "
                              f"the table at row {table.last_row}")


def _learning_rate(table, cells, rows, grader, learning_rate=None, learning_rate_cell=None):
    """(rate, cell) that the updates use: given, the absolute cell the update formulas name,
    a labelled cell, or, for pasted values, (w_k − w_k+1) / gradient_k. Adds a warning where the
    update formulas' reference moves from row to row, or the rate and the numbers disagree."""
    if learning_rate is not None:
        return learning_rate, None
    if learning_rate_cell:
        found = value(rows, learning_rate_cell.replace("$", "").upper())
        if not tables.is_number(found):
            raise UsageError(f"--lr-cell {learning_rate_cell} holds {found!r}, not a number")
        return float(found), learning_rate_cell.replace("$", "").upper()
    references = {row: refs for row, refs in tables.update_references(table, cells).items() if refs}
    named = _rate_the_updates_name(table, cells, rows, grader, references) if references else None
    if named:
        return named
    rate, cell = tables.learning_rate_from_label(table, cells, rows)
    if rate is not None:
        return rate, cell
    return _rate_of_updates(grader), None


def _rate_the_updates_name(table, cells, rows, grader, references):
    """(rate, cell) of the cell the update formulas name ({row: references}), with a warning where
    it lies inside the table, moves from row to row, disagrees with the numbers or holds text;
    None where it is empty (the labelled rate is the one the learner meant)."""
    first_row = min(references)
    cell = references[first_row][0].replace("$", "")
    found = value(rows, cell)
    inside = tables.quantity_at(table, cell)
    if inside:
        rate, labelled = tables.learning_rate_from_label(table, cells, rows)
        fix = f": write {tables.absolute(labelled)}" if labelled else ""
        table.warnings.append(f"the updates' learning rate is {cell}, the table's {display(inside)} of row "
                              f"{coordinate_from_string(cell)[1]}, not the rate{fix}")
        return (rate, labelled) if rate is not None else (_rate_of_updates(grader), None)
    # A rate copied into every row is fine; a reference that moves onto other values is not.
    moved = [(row, refs[0]) for row, refs in sorted(references.items())
             if refs[0] != cell and value(rows, refs[0]) != found]
    if moved:
        row, other = moved[0]
        table.warnings.append(f"the learning-rate reference moves: row {first_row} uses {cell}, row {row} "
                              f"uses {other}; write {tables.absolute(cell)}")
    if tables.is_number(found):
        moved_by = _rate_of_updates(grader)
        if moved_by is not None and not math.isclose(moved_by, found, rel_tol=1e-6):
            table.warnings.append(f"the updates move the weights by {moved_by:.6g} × the gradient, not by "
                                  f"the {found:g} in {cell}")
        return float(found), cell
    if found is not None:  # text: every update is an error, which the grader reports
        table.warnings.append(f"the updates' learning rate {cell} holds {found!r}, not a number")
        return None, cell
    # Empty: the updates do not move the weights; the rate they should use is the labelled one.
    table.warnings.append(f"the updates' learning rate {cell} is empty: the weights never change")
    return None


def _rate_of_updates(grader):
    """The median over weights and rows of (w_k − w_k+1) / ∂E/∂w_k: the rate the updates use."""
    ratios = []
    for w in WEIGHTS:
        g = grader.values.get(f"dE_d{w}")
        if w in grader.values and g is not None:
            with np.errstate(all="ignore"):
                ratios += list((grader.values[w][:-1] - grader.values[w][1:]) / g[:-1])
    ratios = [r for r in ratios if math.isfinite(r)]
    return float(np.median(ratios)) if ratios else None


def _report(table, wrong, drift):
    return {"sheet": table.sheet, "kind": table.kind, "header_row": table.header_row, "first_row": table.first_row,
            "last_row": table.last_row, "columns": {display(q): c for q, c in table.columns.items()},
            "learning_rate": table.learning_rate, "learning_rate_cell": table.learning_rate_cell,
            "ok": not wrong, "wrong": [{k: v for k, v in f.items() if not k.startswith("_")} for f in wrong],
            "drift": drift or {}, "warnings": table.warnings}


def grade_table(table, cells, rows, learning_rate=None, learning_rate_cell=None):
    grader = Grader(table, rows, cells)
    table.learning_rate, table.learning_rate_cell = _learning_rate(table, cells, rows, grader, learning_rate,
                                                                   learning_rate_cell)
    wrong = grader.local()
    drift = grader.trajectory()
    if wrong:
        wrong[0]["carries"] = grader.carried(drift)
    moving = [w for w in table.warnings if w.startswith(("the learning-rate reference moves", "the updates' learning rate"))]
    for finding in wrong:
        if moving and finding["quantity"] in WEIGHTS and not finding["mistake"]:
            finding["mistake"] = moving[0]
    return _report(table, wrong, drift), grader.network()


def check(paths, timeout, sheet=None, header_row=None, mapping=None, learning_rate=None, learning_rate_cell=None):
    """[{"file", "ok", "tables"} or {"file", "error"}] of each workbook, in the order given."""
    reports, accepted = [], []
    for path in paths:
        try:
            accepted.append((untrusted.inspect(path), len(reports)))
            reports.append(None)
        except UsageError as e:
            reports.append({"file": str(path), "error": str(e)})
    recalculated = engines.recalculate_many_with_libreoffice([p for p, _ in accepted], timeout) if accepted else []
    for (path, index), rows in zip(accepted, recalculated):
        try:
            if rows is None:
                raise UsageError(f"{path}: LibreOffice could not read it")
            typed = _typed(path)
            found = tables.find(typed, rows, sheet, header_row, mapping)
            if not found:
                raise UsageError(f"{path}: {NO_TABLE}")
            charts = _chart_ranges(path)
            for table in found:
                _warn_short_charts(table, charts)
            graded = [grade_table(t, typed[t.sheet], rows[t.sheet], learning_rate, learning_rate_cell) for t in found]
            network = next((n for _, n in graded if n is not None), None)
            graded = [report for report, _ in graded]
            for summary in tables.find_summaries(typed, rows):
                if network is None:
                    summary.warnings.append("no table to compare this summary with")
                    graded.append(_report(summary, [], None))
                else:
                    graded.append(_report(summary, grade_summary(summary, rows[summary.sheet], typed[summary.sheet],
                                                                 network), None))
            reports[index] = {"file": str(path), "ok": all(t["ok"] for t in graded), "tables": graded}
        except UsageError as e:
            reports[index] = {"file": str(path), "error": str(e)}
    return reports


def _number(x, missing="no number (an error, text or nothing)"):
    if x is None:
        return missing
    return f"{x:.6g}" if isinstance(x, float) and math.isfinite(x) else str(x)


def summary_line(report):
    """One line for a workbook: OK, or its first wrong quantity, column and row."""
    if "error" in report:
        return f"{report['file']}: REFUSED: {report['error']}"
    if report["ok"]:
        return f"{report['file']}: OK ({len(report['tables'])} table{'s' * (len(report['tables']) > 1)})"
    first = next((t, f) for t in report["tables"] for f in t["wrong"][:1])
    table, finding = first
    return (f"{report['file']}: WRONG: sheet {table['sheet']!r}: {finding['quantity']} (column {finding['column']}) "
            f"from row {finding['first_row']}" + (f": {finding['mistake']}" if finding["mistake"] else ""))


def details(report):
    """The lines a learner reads for one workbook."""
    if "error" in report:
        return [summary_line(report)]
    lines = [summary_line(report)]
    for t in report["tables"]:
        lr = f"learning rate {_number(t['learning_rate'], 'not found')}" + (
            f" from {t['learning_rate_cell']}" if t["learning_rate_cell"] else "")
        lines.append(f"  sheet {t['sheet']!r}, header row {t['header_row']}, rows {t['first_row']}-{t['last_row']} "
                     f"({t['kind']}), {lr}: {'OK' if t['ok'] else 'WRONG'}")
        for f in t["wrong"]:
            lines.append(f"    {f['quantity']} (column {f['column']}) is wrong from row {f['first_row']}: "
                         f"found {_number(f['found'])}, expected {_number(f['expected'], 'a number')}")
            if f["formula"]:
                lines.append(f"      its formula: {f['formula']}")
            if f["mistake"]:
                lines.append(f"      likely mistake: {f['mistake']}")
            lines.append(f"      {f['hint']}")
            if f.get("carries"):
                lines.append(f"      how far it carries: {f['carries']}")
        for w in t["warnings"]:
            lines.append(f"    warning: {w}")
    return lines
