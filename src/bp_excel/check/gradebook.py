"""check --gradebook: a class's results as one table for the teacher, a row per workbook, those who
need help first; and, in the .xlsx, how many workbooks show each likely mistake, with a chart.
Built from the checker's own records (checker.check), never from the printed report."""
import csv
import math
from collections import Counter

import openpyxl
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.chart import Reference
from openpyxl.styles import Alignment, Font, PatternFill

from bp_excel.check.findings import KINDS
from bp_excel.check.report import first_wrong
from labkit.files import write_atomically
from labkit.sheets import bar_chart, print_one_page_wide

SUFFIXES = (".xlsx", ".csv")
# A teacher reads from the top: what could not be graded, then what is wrong, then what is right.
VERDICTS = ("not graded", "refused", "wrong", "right")
# Each column of a row: its header, and its width in the .xlsx (characters).
COLUMNS = {
    "file": 36, "verdict": 11, "tables found": 12, "sheet": 12, "first wrong": 12, "cell": 7, "likely mistake": 48,
    "how far it carries into E_total": 46, "why not graded or refused": 60,
}
FILLS = {"not graded": "F8CBAD", "refused": "F8CBAD", "wrong": "FFE699", "right": "C6EFCE"}
BOLD = Font(bold=True)
LINE_HEIGHT_PT = 15  # a line of the default font, 11 pt
GRADEBOOK_SHEET, MISTAKES_SHEET = "Gradebook", "Mistakes"


def verdict(report):
    """right, wrong, refused or not graded: what the checker's record of a workbook says."""
    if "error" in report:
        return "refused"
    if "not_graded" in report:
        return "not graded"
    return "right" if report["ok"] else "wrong"


def row(report):
    """{column: value} of one workbook; None where the column says nothing of it."""
    out = dict.fromkeys(COLUMNS)
    out["file"], out["verdict"] = report["file"], verdict(report)
    if out["verdict"] in ("refused", "not graded"):
        out["why not graded or refused"] = report.get("error") or report["not_graded"]
        return out
    out["tables found"] = len(report["tables"])
    if out["verdict"] == "wrong":
        table, finding = first_wrong(report)
        out.update({"sheet": table["sheet"], "first wrong": finding.quantity, "cell": finding.cell,
                    "likely mistake": finding.mistake, "how far it carries into E_total": finding.carries})
    return out


def rows(reports):
    """Every workbook's row, those who need help first; in the order given within a verdict."""
    return sorted((row(r) for r in reports), key=lambda r: VERDICTS.index(r["verdict"]))


def mistake_counts(reports):
    """[(kind of mistake, workbooks that show it)], the most common first: each workbook
    counts once for each kind of mistake any of its wrong columns shows, whichever quantities it
    names (a_h1 for a_h2 and w6 for w7 are one kind: a neighbour's quantity)."""
    counts = Counter()
    for report in reports:
        if verdict(report) == "wrong":
            counts.update({f.kind for t in report["tables"] for f in t["wrong"]})
    return sorted(counts.items(), key=lambda item: (-item[1], KINDS[item[0]]))


def tally(reports):
    """'12 workbooks: 5 right, 4 wrong, 2 refused, 1 not graded', less the verdicts no workbook has."""
    counts = Counter(verdict(r) for r in reports)
    found = [f"{counts[v]} {v}" for v in reversed(VERDICTS) if counts[v]]
    return f"{len(reports)} workbook{'s' * (len(reports) != 1)}: {', '.join(found)}"


def write(path, reports):
    """The gradebook of reports at path: an .xlsx or a .csv (by its suffix, one of SUFFIXES), written whole
    or not at all."""
    table = rows(reports)
    if path.suffix.lower() == ".csv":
        write_atomically(path, lambda tmp: _write_csv(tmp, table))
    else:
        write_atomically(path, lambda tmp: _workbook(table, mistake_counts(reports)).save(tmp))


def _write_csv(path, table):
    # With a byte-order mark: Excel then reads the file as UTF-8 (½, ∂, ·) rather than as ANSI.
    with open(path, "w", newline="", encoding="utf-8-sig") as f:
        writer = csv.writer(f)
        writer.writerow(COLUMNS)
        writer.writerows([r[c] for c in COLUMNS] for r in table)


def _header(ws, names, widths):
    ws.append(list(names))
    for cell, width in zip(ws[1], widths):
        cell.font = BOLD
        ws.column_dimensions[cell.column_letter].width = width
    ws.freeze_panes = "A2"
    print_one_page_wide(ws)


def _workbook(table, counts):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = GRADEBOOK_SHEET
    _header(ws, COLUMNS, COLUMNS.values())
    wrapped = Alignment(wrap_text=True, vertical="top")
    for r in table:
        # A cell cannot hold control characters, which a file's name (also quoted in the checker's words) may.
        ws.append([ILLEGAL_CHARACTERS_RE.sub("?", v) if isinstance(v, str) else v for v in map(r.get, COLUMNS)])
        for cell in ws[ws.max_row]:
            cell.alignment = wrapped
        ws.cell(ws.max_row, 2).fill = PatternFill("solid", fgColor=FILLS[r["verdict"]])
        # Neither Excel nor LibreOffice grows a row for wrapped text it did not type: its lines, as many
        # as its longest cell needs at its column's width.
        lines = max(math.ceil(len(str(v)) / COLUMNS[c]) for c, v in r.items() if v is not None)
        ws.row_dimensions[ws.max_row].height = LINE_HEIGHT_PT * lines
    ws.auto_filter.ref = ws.dimensions
    _mistakes_sheet(wb.create_sheet(MISTAKES_SHEET), counts)
    return wb


def _mistakes_sheet(ws, counts):
    """The kinds of mistake of the class in words, the most common first, with a bar for each; beside
    each, its identifier (a finding's "kind" in check --json)."""
    _header(ws, ["likely mistake", "workbooks", "kind"], [60, 11, 18])
    if not counts:
        ws.append(["no wrong workbook"])
        return
    for kind, workbooks in counts:
        ws.append([KINDS[kind], workbooks, kind])
    for (cell,) in ws.iter_rows(min_col=3, max_col=3):
        cell.alignment = Alignment(indent=1)  # apart from the counts, which align right beside it
    chart = bar_chart("Workbooks that show each likely mistake", None, "workbooks", 24, 3 + 1.2 * len(counts))
    chart.legend = None
    chart.y_axis.majorUnit = max(1, math.ceil(counts[0][1] / 10))  # whole workbooks, at most 10 gridlines
    chart.add_data(Reference(ws, min_col=2, min_row=1, max_row=len(counts) + 1), titles_from_data=True)
    chart.set_categories(Reference(ws, min_col=1, min_row=2, max_row=len(counts) + 1))
    ws.add_chart(chart, "E2")
