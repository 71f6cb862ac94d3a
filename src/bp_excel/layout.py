"""Where everything sits on a learning-rate sheet, and the formula of every table column.

The sheet's left part holds its one input (the learning rate, shaded), the network's inputs
copied from the start-here sheet, two results and the E_total chart; the table of iterations
starts to its right, so that the chart hides no number. Rows 1 to HEADER_ROW stay in view.
"""
from dataclasses import dataclass

from openpyxl.utils import get_column_letter, quote_sheetname

from bp_excel.equations import BACKWARD, E_TOTAL, FORWARD, INPUTS, WEIGHTS, Quantity, fill, update

TITLE_ROW, LR_ROW, INPUT_LABEL_ROW, INPUT_ROW, GROUP_ROW = 1, 2, 3, 4, 4
FINAL_ROW, BELOW_ROW = 5, 6
EQUATION_ROW, HEADER_ROW, FIRST_ROW = 5, 6, 7  # FIRST_ROW holds iteration 0
LINKS_ROW = FIRST_ROW  # left of the table, under the frozen rows
VALUE_COLUMN = "B"  # of the left block; labels sit in A
FIRST_TABLE_COLUMN = 9  # I: columns A..G hold the inputs and the chart, H is a gap
CHART_ANCHOR = f"A{LINKS_ROW + 1}"
NOTES_ROW = FIRST_ROW + 19  # how to read the table, under the chart (8 cm: about 15 rows)
BELOW = 0.001  # "iterations until E_total stays below this"

LR_CELL = f"${VALUE_COLUMN}${LR_ROW}"
# The network's inputs, copied from the start-here sheet: one label above each value.
INPUT_CELLS = {name: f"${get_column_letter(col)}${INPUT_ROW}" for col, name in enumerate(INPUTS, start=2)}
FINAL_E_CELL = f"{VALUE_COLUMN}{FINAL_ROW}"
BELOW_FROM_CELL = f"{VALUE_COLUMN}{BELOW_ROW}"


@dataclass(frozen=True)
class Column:
    quantity: Quantity
    first: str | int | None = None  # iteration 0's content, where it differs from the formula
    group: str = ""  # a heading over the first column of each group

    @property
    def name(self):
        return self.quantity.name


ITERATION = Quantity("iteration", "iteration", "={prev_iteration}+1", "updates so far", "count")
COLUMNS = [
    Column(ITERATION, first=0),
    Column(E_TOTAL, group="error"),
    *(Column(update(w), first=f"={{initial_{w}}}", group="weights after k updates" if w == "w1" else "")
      for w in WEIGHTS),
    *(Column(q, group="forward pass" if q.name == "h1" else "") for q in FORWARD),
    *(Column(q, group={"delta_o1": "backward pass: error signals",
                       "dE_dw1": "gradients ∂E_total/∂w"}.get(q.name, "")) for q in BACKWARD),
]

COLUMN_LETTER = {c.name: get_column_letter(i) for i, c in enumerate(COLUMNS, start=FIRST_TABLE_COLUMN)}
LAST_TABLE_COLUMN = FIRST_TABLE_COLUMN + len(COLUMNS) - 1


def row_of(iteration):
    return FIRST_ROW + iteration


def cell_names(row, initial_weights):
    """The cell each template name stands for, on the given sheet row. initial_weights:
    {w: cell} of the weights before the first update (on the start-here sheet)."""
    names = {**INPUT_CELLS, "lr": LR_CELL, **{f"initial_{w}": cell for w, cell in initial_weights.items()}}
    for name, letter in COLUMN_LETTER.items():
        names[name] = f"{letter}{row}"
        names[f"prev_{name}"] = f"{letter}{row - 1}"
    return names


def row_contents(iteration, initial_weights):
    """The cells of one table row: formulas, and the constant iteration number 0."""
    names = cell_names(row_of(iteration), initial_weights)
    contents = []
    for column in COLUMNS:
        template = column.first if iteration == 0 and column.first is not None else column.quantity.formula
        contents.append(template if isinstance(template, int) else fill(template, names))
    return contents


def column_range(name, iterations):
    letter = COLUMN_LETTER[name]
    return f"${letter}${row_of(0)}:${letter}${row_of(iterations)}"


def result_formulas(iterations):
    """{cell: formula} of the sheet's two results: the final E_total, and the first iteration
    from which E_total stays below BELOW ("not reached" if the last one is not below it).
    The second is an array formula (ARRAY_FORMULA_CELLS): it takes MAX over a comparison of
    whole columns."""
    e_total, iteration = column_range("E_total", iterations), column_range("iteration", iterations)
    last = f"{COLUMN_LETTER['E_total']}{row_of(iterations)}"
    return {
        FINAL_E_CELL: f"={last}",
        # One past the last iteration at or above BELOW.
        BELOW_FROM_CELL: f'=IF({last}>={BELOW},"not reached",MAX(({e_total}>={BELOW})*({iteration}+1)))',
    }


ARRAY_FORMULA_CELLS = {BELOW_FROM_CELL}


def sheet_name(learning_rate):
    return f"lr {learning_rate:.15g}"


def reference(sheet, cell):
    """A cell on another sheet, as a formula operand."""
    return f"{quote_sheetname(sheet)}!{cell}"
