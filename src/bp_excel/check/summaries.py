"""Summary tables: one E_total column per learning rate under a header row naming two or more rates,
each column checked against the reference's training at its rate. The rates are named as headers
("L.R. 0.1", "ɳ=0.5", "h=0.5", "lr 2": learning_rate.LR_HEADER), or are bare numbers over their
columns (0.1 0.2 0.5 0.8 1 2). A row of numbers is such a header only where it reads as one: its
numbers distinct rates (0 < rate <= MAX_RATE), nothing else on the row but a learning-rate label,
above each nothing but such a label (a header starts its columns), and under each a column of at least
MIN_ROWS numbers between 0 and 1 that ends lower than it starts, as E_total falls. (A table's
first row of numbers sits under its headers, its other rows under numbers: neither is a header.)"""
import numpy as np
from openpyxl.utils import get_column_letter
from openpyxl.utils.cell import coordinate_from_string

from bp_excel.check.findings import UNRECOGNIZED, Mistake
from bp_excel.check.grading import Grader
from bp_excel.check.learning_rate import LR_HEADER, LR_LABEL
from bp_excel.check.tables import Table, is_number
from bp_excel.network import train
from labkit.engines import value

MIN_ROWS = 3  # fewer numbers under a bare rate are no curve of E_total
MAX_RATE = 100  # a bare number above this is no learning rate


def _column_name(rate):
    return f"E_total at lr {rate:g}"


def find(formulas, values):
    """Summary tables: a header row naming two or more learning rates (see above), each over a column
    of E_total by iteration. Their columns are named 'E_total at lr 0.1'."""
    found = []
    for name, cells in formulas.items():
        rows = values[name]
        for row, columns in [*_named_headers(cells), *_bare_headers(rows)]:
            last = row
            while any(is_number(value(rows, f"{c}{last + 1}")) for c in columns.values()):
                last += 1
            if last > row:
                found.append(Table(name, row, columns, kind="summary", first_row=row + 1, last_row=last))
    return found


def _named_headers(cells):
    """[(row, {column name: letter})] of the rows with two or more headers that name a rate."""
    by_row = {}
    for cell, content in cells.items():
        match = LR_HEADER.match(content) if isinstance(content, str) else None
        if match:
            letters, row = coordinate_from_string(cell)
            by_row.setdefault(row, {})[_column_name(float(match[1]))] = letters
    return [(row, columns) for row, columns in sorted(by_row.items()) if len(columns) >= 2]


def _bare_headers(rows):
    """[(row, {column name: letter})] of the rows of bare rates over columns of falling E_total."""
    found = []
    for row, line in enumerate(rows, start=1):
        cells = {col: x for col, x in enumerate(line, start=1) if x not in (None, "")}
        rates = {col: x for col, x in cells.items() if is_number(x)}
        if (len(rates) >= 2 and len(set(rates.values())) == len(rates)
                and all(0 < x <= MAX_RATE for x in rates.values())
                and all(_label(x) for col, x in cells.items() if col not in rates)
                and all(_label(value(rows, f"{get_column_letter(col)}{row - 1}") if row > 1 else None, empty=True)
                        for col in rates)
                and all(_falls(rows, row, col) for col in rates)):
            found.append((row, {_column_name(x): get_column_letter(col) for col, x in rates.items()}))
    return found


def _label(content, empty=False):
    """Whether a cell is a learning-rate label (η, lr, learning rate, ...), or, with empty, empty."""
    return (empty and content in (None, "")) or (isinstance(content, str) and bool(LR_LABEL.match(content)))


def _falls(rows, row, col):
    """Whether the numbers under a cell fall as E_total does: MIN_ROWS or more, between 0 and 1, the last
    below the first."""
    letter, column = get_column_letter(col), []
    while is_number(x := value(rows, f"{letter}{row + 1 + len(column)}")):
        column.append(x)
    return len(column) >= MIN_ROWS and all(0 < x < 1 for x in column) and column[-1] < column[0]


def grade(table, rows, formulas, network):
    """Findings of a summary table: each learning rate's E_total column against the reference's
    training of the workbook's network (its first table's first row) at that rate, down to the
    column's own last number (a rate run for fewer iterations than another is no mistake)."""
    findings = []
    grader = Grader(table, rows, formulas)
    for name, letter in table.columns.items():
        rate = float(name.rsplit(" ", 1)[1])
        found = grader.values[name][:np.flatnonzero(np.isfinite(grader.values[name])).max(initial=0) + 1]
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
