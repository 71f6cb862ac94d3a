"""Compares every computed cell a spreadsheet engine produced with the NumPy reference.

The reference is computed from the inputs the engine's workbook holds (the start-here sheet's
shaded cells, each sheet's learning rate, the table's length), never from cached results.
"""
import math
from dataclasses import dataclass, field

from bp_excel import layout
from bp_excel.build import start_here, summary
from bp_excel.network import Network
from bp_excel.verify.reference import expected_cells
from labkit.cli import UsageError
from labkit.engines import value

# A cell's error is relative to its value or, where its formula subtracts terms that cancel,
# to the size of those terms (reference.Expected.scale): LibreOffice rounds sums to about 15
# significant digits, so o1 as a_o1 approaches a target of 0.5 keeps an error of its terms' size.
RELATIVE_TOLERANCE = 1e-12
ABSOLUTE_TOLERANCE = 1e-15  # below this, any difference passes


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

    def compare(self, cell, value, expected):
        self.cells_compared += 1
        if isinstance(expected.value, str):
            if value != expected.value:
                self.failures.append(f"{self.sheet}!{cell}: {value!r}, expected {expected.value!r}")
            return
        if not isinstance(value, (int, float)) or isinstance(value, bool) or not math.isfinite(value):
            self.failures.append(f"{self.sheet}!{cell}: {'empty' if value is None else repr(value)}, "
                                 f"expected {expected.value!r}")
            return
        error = abs(value - expected.value)
        relative = error / max(abs(expected.value), expected.scale) if error else 0.0
        self.max_abs_error = max(self.max_abs_error, error)
        self.max_rel_error = max(self.max_rel_error, relative)
        if error > ABSOLUTE_TOLERANCE and relative > RELATIVE_TOLERANCE:
            self.failures.append(f"{self.sheet}!{cell}: {value!r}, expected {expected.value!r}")

    def as_json(self):
        return {"sheet": self.sheet, "lr": self.learning_rate, "cells_compared": self.cells_compared,
                "max_abs_error": self.max_abs_error, "max_rel_error": self.max_rel_error,
                "e_total": self.e_total}


def _number(rows, cell, what):
    found = value(rows, cell)
    if not isinstance(found, (int, float)) or isinstance(found, bool) or not math.isfinite(found):
        raise UsageError(f"{what} is {found!r}, not a number")
    return float(found)


def _inputs(values):
    """(network, step, {sheet: learning rate}, iterations) as the workbook holds them."""
    if start_here.SHEET not in values or summary.SHEET not in values or len(values) < 3:
        raise UsageError(f"not a bp_excel workbook: it needs the sheets {start_here.SHEET!r}, {summary.SHEET!r} "
                         f"and learning-rate sheets (build one with `python -m bp_excel build`)")
    start = values[start_here.SHEET]
    cells = start_here.cells(start_here.lines(Network(), ""))
    given = {name: _number(start, cells[name], f"{start_here.SHEET}!{cells[name]} ({name})")
             for name in (*Network().named_inputs(), "step")}
    network = Network(inputs=(given["i1"], given["i2"]), targets=(given["t1"], given["t2"]),
                      biases=(given["b1"], given["b2"]), weights=tuple(given[f"w{k}"] for k in range(1, 9)))
    sheets = [name for name in values if name not in (start_here.SHEET, summary.SHEET)]
    headers = [c.quantity.header for c in layout.COLUMNS]
    iterations = set()
    for sheet in sheets:
        rows = values[sheet]
        found = [value(rows, f"{layout.COLUMN_LETTER[c.name]}{layout.HEADER_ROW}") for c in layout.COLUMNS]
        if found != headers:
            raise UsageError(f"sheet {sheet!r} is not a bp_excel learning-rate sheet (build the workbook with "
                             f"`python -m bp_excel build`)")
        column = layout.COLUMN_LETTER["iteration"]
        count = 0
        while value(rows, f"{column}{layout.row_of(count)}") is not None:
            count += 1
        iterations.add(count - 1)
    if len(iterations) != 1 or min(iterations) < 1:
        raise UsageError(f"the learning-rate sheets' tables must have the same number of iterations (at least 1), "
                         f"found {sorted(iterations)}")
    learning_rates = {sheet: _number(values[sheet], layout.LR_CELL, f"{sheet}!{layout.LR_CELL} (learning rate)")
                      for sheet in sheets}
    return network, given["step"], learning_rates, iterations.pop()


def check(values):
    """One Comparison per sheet, learning-rate sheets first, of every computed cell."""
    network, step, learning_rates, iterations = _inputs(values)
    expected = expected_cells(network, learning_rates, iterations, step)
    results = []
    for sheet, cells in expected.items():
        result = Comparison(sheet, learning_rates.get(sheet))
        for cell, want in cells.items():
            result.compare(cell, value(values[sheet], cell), want)
        if sheet in learning_rates:
            column = layout.COLUMN_LETTER["E_total"]
            result.e_total = [value(values[sheet], f"{column}{layout.row_of(k)}") for k in range(iterations + 1)]
        results.append(result)
    return sorted(results, key=lambda r: r.learning_rate is None)
