"""What every computed cell of the workbook should hold, from the NumPy reference alone.

The build stores these values as the formulas' cached results (so that viewers that do not
calculate show numbers); verify compares what a spreadsheet engine computed with them.
"""
from dataclasses import dataclass

import numpy as np

from bp_excel import layout
from bp_excel.build import start_here, summary
from bp_excel.equations import FACTORS
from bp_excel.network import backward, central_difference, forward, moved, train
from labkit.cli import UsageError


@dataclass(frozen=True)
class Expected:
    value: float | str
    # The magnitude a cell's rounding error is measured against: its own value or, where the
    # formula subtracts terms that cancel, the size of those terms.
    scale: float = 0.0


def below_from(e_total):
    """The first iteration from which E_total stays below layout.BELOW, as the sheet computes it."""
    if e_total[-1] >= layout.BELOW:
        return "not reached"
    above = np.nonzero(e_total >= layout.BELOW)[0]
    return int(above.max()) + 1 if above.size else 0


def worked_example(network, learning_rate, step, table):
    """{key: value} of the start-here sheet's computed lines (start_here.lines), from the
    matrix-form forward and backward passes; table: train()'s rows of the first sheet."""
    weights = np.array(network.weights, float)
    q = {**network.named_inputs(), "step": step, **forward(weights, network), **backward(weights, network)}
    q.update({name: factor.numpy(q) for name, factor in FACTORS.items()})
    for weight in ("w1", "w5"):
        k = int(weight[1:])
        q[f"table_dE_d{weight}"] = table[f"dE_d{weight}"][0]
        q[f"fd_{weight}"] = central_difference(network, k, step)
        q[f"fd_gap_{weight}"] = q[f"dE_d{weight}"] - q[f"fd_{weight}"]
        q[f"updated_{weight}"] = q[weight] - learning_rate * q[f"dE_d{weight}"]
        q[f"table_updated_{weight}"] = table[weight][1]
        for sign in (1, -1):
            shifted = moved(network, k, sign * step)
            for name, value in forward(shifted.weights, shifted).items():
                q[f"{name}@{start_here.moved_label(weight, sign)}"] = value
    return q


def _start_here(network, learning_rates, step, tables, first_sheet):
    values = worked_example(network, learning_rates[first_sheet], step, tables[first_sheet])
    # A finite difference subtracts two E_total of nearly equal size: its rounding error
    # is that of E_total, divided by 2h.
    difference_scale = abs(values["E_total"]) / (2 * step)
    lines = start_here.lines(network, first_sheet)
    return {cell: Expected(float(values[key]),
                           difference_scale if key.startswith("fd") else abs(float(values[key])))
            for cell, (_, key) in start_here.formulas(lines, first_sheet).items()}


def _learning_rate_sheet(network, table, iterations):
    cells = {cell.replace("$", ""): Expected(value, abs(value))
             for name, cell in layout.INPUT_CELLS.items() for value in [network.named_inputs()[name]]}
    cells[layout.FINAL_E_CELL] = Expected(float(table["E_total"][-1]), abs(float(table["E_total"][-1])))
    cells[layout.BELOW_FROM_CELL] = Expected(below_from(table["E_total"]))
    for column in layout.COLUMNS:
        values = table[column.name]
        scale = float(abs(values).max())  # near zero, a sum of terms that cancel keeps their error
        letter = layout.COLUMN_LETTER[column.name]
        for iteration in range(iterations + 1):
            if not (iteration == 0 and isinstance(column.first, int)):
                cells[f"{letter}{layout.row_of(iteration)}"] = Expected(float(values[iteration]), scale)
    return cells


def trained(network, learning_rates, iterations):
    """{sheet: train()'s rows} for learning_rates {sheet: rate}, each checked to be computable."""
    tables = {sheet: train(network, lr, iterations) for sheet, lr in learning_rates.items()}
    check_computable(tables)
    return tables


def expected_cells(network, learning_rates, iterations, step=start_here.DEFAULT_STEP, tables=None):
    """{sheet: {cell: Expected}} of every formula in the workbook. learning_rates: {sheet: rate};
    tables: trained(network, learning_rates, iterations), where the caller has them already."""
    tables = tables or trained(network, learning_rates, iterations)
    first_sheet = next(iter(learning_rates))
    out = {start_here.SHEET: _start_here(network, learning_rates, step, tables, first_sheet),
           summary.SHEET: {}}
    for sheet, table in tables.items():
        out[sheet] = _learning_rate_sheet(network, table, iterations)
    for cell, (_, sheet, copied) in summary.formulas(list(learning_rates)).items():
        lr = learning_rates[sheet]
        out[summary.SHEET][cell] = Expected(lr, lr) if copied == layout.LR_CELL else out[sheet][copied]
    return out


# Beyond these a spreadsheet gives #NUM! where NumPy still computes: EXP overflows, and products
# of very large numbers leave the double range.
EXP_LIMIT, MAGNITUDE_LIMIT = 709.0, 1e300


def check_computable(tables):
    """UsageError unless a spreadsheet can compute every row of every table (train()'s rows)."""
    for sheet, table in tables.items():
        nets = np.array([table[n] for n in ("h1", "h2", "o1", "o2")])
        values = np.array([table[c.name] for c in layout.COLUMNS])
        bad = (nets < -EXP_LIMIT).any(axis=0) | ~(np.isfinite(values) & (abs(values) < MAGNITUDE_LIMIT)).all(axis=0)
        if bad.any():
            iteration = int(bad.argmax())
            fix = ("smaller initial weights, inputs or biases" if iteration == 0 else
                   "a smaller learning rate or fewer iterations")
            raise UsageError(f"sheet {sheet!r}: at iteration {iteration} the numbers grow beyond what a spreadsheet "
                             f"computes (EXP overflows); use {fix}")
