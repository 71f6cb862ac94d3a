"""Summary tables: one E_total column per learning rate ("L.R. 0.1", "n=0.5", "lr 2") under a
header row naming two or more rates, each checked against the reference's training at its rate."""
import re

from openpyxl.utils.cell import coordinate_from_string

from bp_excel.check.findings import UNRECOGNIZED, Mistake
from bp_excel.check.grading import Grader
from bp_excel.check.tables import Table, is_number
from bp_excel.network import train
from labkit.engines import value

RATE_HEADER = re.compile(r"^\s*(?:l\.?\s?r\.?|lr|n|η|eta|α|alpha|learning\s*rate)\s*[=:]?\s*(\d+(?:\.\d*)?|\.\d+)\s*$",
                         re.IGNORECASE)


def find(formulas, values):
    """Summary tables: a header row naming two or more learning rates, each over a column of
    E_total by iteration. Their columns are named 'E_total at lr 0.1'."""
    found = []
    for name, cells in formulas.items():
        by_row = {}
        for cell, content in cells.items():
            match = RATE_HEADER.match(content) if isinstance(content, str) else None
            if match:
                letters, row = coordinate_from_string(cell)
                by_row.setdefault(row, {})[f"E_total at lr {float(match[1]):g}"] = letters
        for row, columns in sorted(by_row.items()):
            if len(columns) >= 2:
                table = Table(name, row, columns, kind="summary", first_row=row + 1)
                last = row
                while any(is_number(value(values[name], f"{c}{last + 1}")) for c in columns.values()):
                    last += 1
                table.last_row = last
                if last > row:
                    found.append(table)
    return found


def grade(table, rows, formulas, network):
    """Findings of a summary table: each learning rate's E_total column against the reference's
    training of the workbook's network (its first table's first row) at that rate."""
    findings = []
    grader = Grader(table, rows, formulas)
    for name, letter in table.columns.items():
        rate = float(name.rsplit(" ", 1)[1])
        found = grader.values[name]
        expected = train(network, rate, len(found) - 1)["E_total"]
        wrong = grader.differs(found, expected)
        if wrong.any():
            mistake = grader.no_number(name, wrong)
            if mistake == UNRECOGNIZED:
                mistake = Mistake("stale-summary", f"the E_total column for learning rate {rate:g} does not follow "
                                                   "the table's training at that rate: pasted from an older version "
                                                   "of the table?")
            findings.append(grader.finding(name, expected, found, wrong, mistake, f"{letter}{grader.first_row(wrong)} "
                                           f"should be E_total of iteration {int(wrong.argmax())}"))
    return findings
