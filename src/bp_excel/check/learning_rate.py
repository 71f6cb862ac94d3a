"""The learning rate a hand-made table's updates use: given by the user, the absolute cell the update
formulas name, a number beside a label such as η or lr, or, for pasted values, what the weights'
steps divided by their gradients say. Warnings where these disagree or the reference moves."""
import math
import re
from dataclasses import dataclass

import numpy as np
from openpyxl.utils.cell import column_index_from_string, coordinate_from_string, get_column_letter

from bp_excel.check import tables
from bp_excel.check.findings import Mistake
from bp_excel.check.tables import display, is_number
from bp_excel.equations import WEIGHTS
from bp_excel.formulas.parser import FormulaError, parse, references
from labkit.cli import UsageError
from labkit.engines import value

# The learning rate's name as learners write it: η, its name, lr, α; and η typed where a keyboard or
# font lacks it: ɳ, or the Latin letter a symbol font draws as η (h) or that looks like it (n). Those
# two name quantities too (h1), so a header that gives the rate needs their "=" or ":" ("h=0.5").
ETA = r"η|ɳ|eta|l\.?\s?r\.?|learning[\s_]*rate|alpha|α"
STAND_INS = r"n|h"
LR_LABEL = re.compile(rf"^\s*(?:{ETA}|{STAND_INS})\s*[=:]?\s*$", re.IGNORECASE)
# A header naming a rate: "η = 0.5", "ɳ=0.1", "h=0.5", "L.R. 0.1", "lr 2", "learning rate: .5".
LR_HEADER = re.compile(rf"^\s*(?:(?:{ETA})\s*[=:]?|(?:{STAND_INS})\s*[=:])\s*(\d+(?:\.\d*)?|\.\d+)\s*$",
                       re.IGNORECASE)
# Where a label's number sits, nearest first: right of it (or past an "=" cell), below, left, above.
BESIDE_LABEL = [(0, 1), (0, 2), (1, 0), (0, -1), (-1, 0)]


@dataclass(frozen=True)
class LearningRate:
    """The rate a table's updates use (None: none found), the cell it was read from, the warnings that
    finding it gave, and the updates' mistake where the rate's reference explains it (the first such)."""
    value: float | None
    cell: str | None = None
    warnings: tuple = ()
    update_mistake: Mistake | None = None


def update_references(table, cells):
    """{row: [cells]} that the w1..w8 updates of each data row refer to, besides the weight and
    its gradient on the row above: normally the one learning-rate cell."""
    out = {}
    for row in range(table.first_row + 1, table.last_row + 1):
        found = []
        for w in WEIGHTS:
            content = cells.get(table.cell(w, row)) if w in table.columns else None
            if not (isinstance(content, str) and content.startswith("=")):
                continue
            try:
                refs = references(parse(content))
            except FormulaError:
                continue
            own = {table.cell(w, row - 1), table.cell(f"dE_d{w}", row - 1) if f"dE_d{w}" in table.columns else None}
            found += [cells for _, sheet, cells in refs if sheet is None and ":" not in cells and cells not in own]
        out[row] = found
    return out


def learning_rate_from_label(table, cells, rows):
    """The number beside a label such as η, lr or 'learning rate' (BESIDE_LABEL), above the table or
    on its header row: of several (a sheet of tables, each with its rate), the label nearest the
    table, counting the rows above its header and the columns outside its own."""
    columns = [column_index_from_string(c) for c in table.columns.values()]
    found = []
    for cell, content in cells.items():
        if isinstance(content, str) and LR_LABEL.match(content):
            letters, row = coordinate_from_string(cell)
            col = column_index_from_string(letters)
            if row > table.header_row:
                continue
            beside = [f"{get_column_letter(col + right)}{row + down}" for down, right in BESIDE_LABEL
                      if col + right >= 1 and 1 <= row + down <= table.header_row]  # never a data row
            for candidate in beside:
                if is_number(value(rows, candidate)):
                    distance = table.header_row - row + max(0, min(columns) - col, col - max(columns))
                    found.append((distance, float(value(rows, candidate)), candidate))
                    break
    _, rate, cell = min(found, key=lambda f: f[0], default=(None, None, None))
    return rate, cell


def infer(table, cells, rows, grader, learning_rate=None, learning_rate_cell=None):
    """The LearningRate that the updates use: given, the absolute cell the update formulas name,
    a labelled cell, or, for pasted values, (w_k − w_k+1) / gradient_k; with a warning where the
    update formulas' reference moves from row to row, or the rate and the numbers disagree."""
    if learning_rate is not None:
        return LearningRate(learning_rate)
    if learning_rate_cell:
        found = value(rows, learning_rate_cell.replace("$", "").upper())
        if not is_number(found):
            raise UsageError(f"--lr-cell {learning_rate_cell} holds {found!r}, not a number")
        return LearningRate(float(found), learning_rate_cell.replace("$", "").upper())
    notes = []  # (the kind of mistake it explains in the updates, or None; the warning)
    references = {row: refs for row, refs in update_references(table, cells).items() if refs}
    named = _rate_the_updates_name(table, cells, rows, grader, references, notes) if references else None
    if not named:
        rate, cell = learning_rate_from_label(table, cells, rows)
        named = (rate, cell) if rate is not None else (_rate_of_updates(grader), None)
    mistake = next((Mistake(kind, text) for kind, text in notes if kind), None)
    return LearningRate(*named, tuple(text for _, text in notes), mistake)


def _rate_the_updates_name(table, cells, rows, grader, references, notes):
    """(rate, cell) of the cell the update formulas name ({row: references}), with a note where it
    lies inside the table, moves from row to row, disagrees with the numbers or holds text; None
    where it is empty (the labelled rate is the one the learner meant)."""
    first_row = min(references)
    cell = references[first_row][0].replace("$", "")
    found = value(rows, cell)
    inside = tables.quantity_at(table, cell)
    if inside:
        rate, labelled = learning_rate_from_label(table, cells, rows)
        fix = f": write {tables.absolute(labelled)}" if labelled else ""
        notes.append(("rate-in-table", f"the updates' learning rate is {cell}, the table's {display(inside)} "
                                        f"of row {coordinate_from_string(cell)[1]}, not the rate{fix}"))
        return (rate, labelled) if rate is not None else (_rate_of_updates(grader), None)
    # A rate copied into every row is fine; a reference that moves onto other values is not.
    moved = [(row, refs[0]) for row, refs in sorted(references.items())
             if refs[0] != cell and value(rows, refs[0]) != found]
    if moved:
        row, other = moved[0]
        notes.append(("rate-moves", f"the learning-rate reference moves: row {first_row} uses {cell}, "
                                     f"row {row} uses {other}; write {tables.absolute(cell)}"))
    if is_number(found):
        moved_by = _rate_of_updates(grader)
        if moved_by is not None and not math.isclose(moved_by, found, rel_tol=1e-6):
            notes.append((None, f"the updates move the weights by {moved_by:.6g} × the gradient, not by "
                                f"the {found:g} in {cell}"))
        return float(found), cell
    if found is not None:  # text: every update is an error, which the grader reports
        notes.append(("rate-not-a-number", f"the updates' learning rate {cell} holds {found!r}, not a number"))
        return None, cell
    # Empty: the updates do not move the weights; the rate they should use is the labelled one.
    notes.append(("rate-empty", f"the updates' learning rate {cell} is empty: the weights never change"))
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
