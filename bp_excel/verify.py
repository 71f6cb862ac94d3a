"""Compares every computed cell a spreadsheet engine produced with the NumPy reference."""
import math
from dataclasses import dataclass, field

from . import layout
from .errors import UsageError
from .network import Network, train
from .workbook import SUMMARY, SUMMARY_HEADERS

# A cell's error is relative to its value or, near zero, to its column's largest magnitude:
# LibreOffice rounds sums to about 15 significant digits, so a sum of terms that cancel (o1 as
# a_o1 approaches a target of 0.5) keeps an error proportional to its terms, not to the result.
RELATIVE_TOLERANCE = 1e-12
ABSOLUTE_TOLERANCE = 1e-15  # below this, any difference passes
INDEX = {column.name: i for i, column in enumerate(layout.COLUMNS)}


@dataclass
class Comparison:
    """Errors of one sheet's cells against the reference."""

    sheet: str
    learning_rate: float | None = None
    cells_compared: int = 0
    max_abs_error: float = 0.0
    max_rel_error: float = 0.0
    failures: list[str] = field(default_factory=list)
    e_total: list[float] = field(default_factory=list)
    weights: list[float] = field(default_factory=list)

    def compare(self, cell, value, expected, scale):
        self.cells_compared += 1
        if not isinstance(value, (int, float)) or isinstance(value, bool) or not math.isfinite(value):
            self.failures.append(f"{self.sheet}!{cell}: {'empty' if value is None else repr(value)}, "
                                 f"expected {expected!r}")
            return
        error = abs(value - expected)
        relative = error / max(abs(expected), scale) if error else 0.0
        self.max_abs_error = max(self.max_abs_error, error)
        self.max_rel_error = max(self.max_rel_error, relative)
        if error > ABSOLUTE_TOLERANCE and relative > RELATIVE_TOLERANCE:
            self.failures.append(f"{self.sheet}!{cell}: {value!r}, expected {expected!r}")

    def as_json(self):
        return {"sheet": self.sheet, "lr": self.learning_rate, "cells_compared": self.cells_compared,
                "max_abs_error": self.max_abs_error, "max_rel_error": self.max_rel_error,
                "e_total": self.e_total, "weights": self.weights}


def _parameters(name, rows):
    """The network and learning rate in a sheet's parameter block, or UsageError if it has none."""
    labels = rows[layout.PARAM_LABEL_ROW - 1][1:len(layout.PARAMETERS) + 1] if rows else []
    headers = rows[layout.HEADER_ROW - 1][:len(layout.COLUMNS)] if len(rows) >= layout.HEADER_ROW else []
    if labels != [label for _, label in layout.PARAMETERS] or headers != [c.header for c in layout.COLUMNS]:
        raise UsageError(f"sheet {name!r} is not a bp_excel learning-rate sheet (build one with "
                         f"`python -m bp_excel build`)")
    values = dict(zip([p for p, _ in layout.PARAMETERS], rows[layout.PARAM_VALUE_ROW - 1][1:]))
    bad = [p for p, v in values.items() if not isinstance(v, (int, float)) or not math.isfinite(v)]
    if bad:
        raise UsageError(f"sheet {name!r}: parameter {bad[0]} is {values[bad[0]]!r}, not a number")
    network = Network(inputs=(values["i1"], values["i2"]), targets=(values["t1"], values["t2"]),
                      biases=(values["b1"], values["b2"]), weights=tuple(values[w] for w in layout.WEIGHTS))
    return network, values["lr"]


def _table(rows):
    """The iteration rows, each padded to the table's width."""
    width = len(layout.COLUMNS)
    table = [list(row[:width]) + [None] * (width - len(row)) for row in rows[layout.FIRST_ROW - 1:]]
    while table and all(v is None for v in table[-1]):
        table.pop()
    return table


def check_sheet(name, rows):
    network, learning_rate = _parameters(name, rows)
    table = _table(rows)
    result = Comparison(name, learning_rate)
    if not table:
        result.failures.append(f"{name}: the table has no rows")
        return result, train(network, learning_rate, 0)
    reference = train(network, learning_rate, len(table) - 1)
    scales = {name: float(abs(values).max()) for name, values in reference.items()}
    for iteration, row in enumerate(table):
        for column, value in zip(layout.COLUMNS, row):
            cell = f"{layout.COLUMN_LETTER[column.name]}{layout.row_of(iteration)}"
            result.compare(cell, value, float(reference[column.name][iteration]), scales[column.name])
    result.e_total = [row[INDEX["E_total"]] for row in table]
    result.weights = [table[-1][INDEX[w]] for w in layout.WEIGHTS]
    return result, reference


def check_summary(rows, references):
    """The summary table: each learning-rate sheet's rate, iterations and final E_total."""
    result = Comparison(SUMMARY)
    if not rows or list(rows[0][:len(SUMMARY_HEADERS)]) != SUMMARY_HEADERS:
        result.failures.append(f"{SUMMARY}: header row is not {SUMMARY_HEADERS}")
        return result
    listed = {row[0]: (r, row) for r, row in enumerate(rows[1:], start=2) if row and row[0] is not None}
    for sheet, (learning_rate, reference) in references.items():
        if sheet not in listed:
            result.failures.append(f"{SUMMARY}: no row for sheet {sheet!r}")
            continue
        r, row = listed[sheet]
        row = list(row) + [None] * 4
        iterations = len(reference["E_total"]) - 1
        for letter, value, expected in (("B", row[1], learning_rate), ("C", row[2], iterations),
                                        ("D", row[3], reference["E_total"][-1])):
            result.compare(f"{letter}{r}", value, float(expected), abs(float(expected)))
    return result


def check(values):
    """Comparisons for every learning-rate sheet, then the summary's."""
    if SUMMARY not in values or len(values) < 2:
        raise UsageError("not a bp_excel workbook: it needs a Summary sheet and learning-rate sheets "
                         "(build one with `python -m bp_excel build`)")
    sheets, references = [], {}
    for name, rows in values.items():
        if name == SUMMARY:
            continue
        result, reference = check_sheet(name, rows)
        sheets.append(result)
        references[name] = (result.learning_rate, reference)
    return sheets, check_summary(values[SUMMARY], references)

