"""The start-here sheet: what the workbook is, the network's shared inputs, and iteration 0
worked by hand (the forward pass, the chain rule for w5 and w1 factor by factor, a
finite-difference check of both gradients, and the first update).

Column A names a quantity, B holds its value (a live formula), C says how it is computed.
Each computed line carries the key of its NumPy counterpart (reference.worked_example).
"""
from dataclasses import dataclass

from openpyxl.utils import get_column_letter

from bp_excel import layout
from bp_excel.equations import BACKWARD, E_TOTAL, FACTORS, FORWARD, PRODUCTS, WEIGHTS, fill

SHEET = "Start here"
PICTURE_COLUMN = "C"  # beside the inputs
DEFAULT_STEP = 1e-4  # h of the gradient check
MOVES = [("w1", 1), ("w1", -1), ("w5", 1), ("w5", -1)]  # the gradient check's four forward passes
MOVED_FIRST_COLUMN = 2  # B
# The chain rule's factors and products: what an exercise leaves for the learner to work out.
ANSWERS = {"dE_da_o1", "da_o1_do1", "do1_dw5", "delta_o1", "dE_dw5", "delta_o2", "dE_da_h1", "da_h1_dh1",
           "dh1_dw1", "dE_dw1"}


@dataclass(frozen=True)
class Line:
    kind: str  # "title", "text", "heading", "input", "value", "table-header"
    label: str = ""
    content: object = None  # a number (input), a formula template (value), or column headers
    note: str = ""
    key: str | None = None  # the NumPy reference's name for a computed value
    number_kind: str = "value"  # a key of styles.NUMBER_FORMATS


INPUT_LABELS = {"i1": "input i1", "i2": "input i2", "t1": "target t1", "t2": "target t2",
                "b1": "bias b1 (hidden layer)", "b2": "bias b2 (output layer)",
                **{w: f"initial weight {w}" for w in WEIGHTS}}


def moved_label(weight, sign):
    return f"{weight} {'+' if sign > 0 else '−'} h"


def lines(network, first_sheet):
    """The sheet, line by line, for a network (its input values) and the learning-rate sheet
    whose iteration 0 and 1 the worked example compares with."""
    table = {name: layout.reference(first_sheet, f"${layout.COLUMN_LETTER[name]}${layout.row_of(k)}")
             for name, k in [("dE_dw5", 0), ("dE_dw1", 0), ("w5", 1), ("w1", 1)]}
    return [*_introduction(network), *_forward_pass(),
            *_output_weight(), *_checks("w5", table, first_sheet),
            *_hidden_weight(), *_checks("w1", table, first_sheet),
            *_gradient_check()]


def _introduction(network):
    return [
        Line("title", "Backpropagation, step by step"),
        Line("text", "A 2-2-2 sigmoid network learns two targets by gradient descent. Every number in"),
        Line("text", "this workbook is a live formula: change a shaded cell and everything follows."),
        Line("text", "The shaded cells below are the network's inputs, shared by every sheet. Each 'lr'"),
        Line("text", "sheet has its own learning rate (shaded, top left) and one row per iteration."),
        Line("text", "Below the inputs: iteration 0 worked by hand, the chain rule for w5 and w1 factor"),
        Line("text", "by factor, and each gradient checked against the sheets and a finite difference."),
        Line("links"),
        Line("heading", "The network's inputs (shared by every sheet)"),
        *(Line("input", INPUT_LABELS[name], value, key=name) for name, value in network.named_inputs().items()),
    ]


def _forward_pass():
    return [
        Line("heading", "1. Forward pass, iteration 0"),
        *(Line("value", q.header, q.formula, f"= {q.equation}", key=q.name, number_kind=q.kind)
          for q in FORWARD + [E_TOTAL]),
    ]


def _step(q, note):
    """A line of the chain rule: the quantity's header and formula, and a note on how it comes."""
    return Line("value", q.header, q.formula, note, key=q.name, number_kind=q.kind)


def _output_weight():
    return [
        Line("heading", "2. Backward pass, output weight w5: three factors"),
        Line("text", "∂E_total/∂w5 = ∂E_total/∂a_o1 · ∂a_o1/∂o1 · ∂o1/∂w5: how E_total moves with a_o1, "
                     "a_o1 with o1, o1 with w5."),
        _step(FACTORS["dE_da_o1"].quantity, "= a_o1 − t1   (only E1 = ½(t1 − a_o1)² holds a_o1)"),
        _step(FACTORS["da_o1_do1"].quantity, "= a_o1·(1 − a_o1)   (the sigmoid's slope)"),
        _step(FACTORS["do1_dw5"].quantity, "= a_h1   (o1 = w5·a_h1 + w6·a_h2 + b2)"),
        _step(PRODUCTS["delta_o1"], "= the first two factors; the output layer's error signal"),
        _step(PRODUCTS["dE_dw5"], "= δ_o1 · a_h1, the product of the three factors"),
    ]


def _hidden_weight():
    backward = {q.name: q for q in BACKWARD}
    delta_o2 = backward["delta_o2"]
    return [
        Line("heading", "3. Backward pass, hidden weight w1: the error comes back through both outputs"),
        Line("text", "∂E_total/∂w1 = ∂E_total/∂a_h1 · ∂a_h1/∂h1 · ∂h1/∂w1, where a_h1 feeds o1 and o2: "
                     "∂E_total/∂a_h1 = ∂E1/∂a_h1 + ∂E2/∂a_h1."),
        Line("value", "δ_o2 = ∂E_total/∂o2", delta_o2.formula,
             f"= {delta_o2.equation}   (as δ_o1, for the second output)", key="delta_o2", number_kind="error"),
        _step(backward["dE_da_h1"], "= δ_o1·w5 + δ_o2·w7   (∂E1/∂a_h1 through w5, plus ∂E2/∂a_h1 through w7)"),
        _step(FACTORS["da_h1_dh1"].quantity, "= a_h1·(1 − a_h1)   (the sigmoid's slope)"),
        _step(FACTORS["dh1_dw1"].quantity, "= i1   (h1 = w1·i1 + w2·i2 + b1)"),
        _step(PRODUCTS["dE_dw1"], "= the product of the three factors"),
    ]


def _gradient_check():
    return [
        Line("heading", "4. Gradient check: the forward pass again, with one weight moved by ±h"),
        Line("input", "step h", DEFAULT_STEP, "a small step; the check's error shrinks as h²", key="step"),
        Line("table-header", "", [moved_label(w, sign) for w, sign in MOVES]),
        *(Line("moved", q.header, q.formula, key=q.name, number_kind="precise") for q in FORWARD + [E_TOTAL]),
    ]


def _checks(weight, table, first_sheet):
    """The analytic gradient beside the table's, a finite difference, and the first update."""
    up, down = (f"{{E_total@{moved_label(weight, sign)}}}" for sign in (1, -1))
    return [
        Line("value", f"the table's ∂E_total/∂{weight}", f"={table[f'dE_d{weight}']}",
             f"= sheet '{first_sheet}', iteration 0: the same number", key=f"table_dE_d{weight}",
             number_kind="error"),
        Line("value", "finite difference", f"=({up}-{down})/(2*{{step}})",
             f"= (E_total({weight} + h) − E_total({weight} − h)) / 2h, no chain rule (section 4)",
             key=f"fd_{weight}", number_kind="error"),
        Line("value", "chain rule − finite difference", f"={{dE_d{weight}}}-{{fd_{weight}}}",
             "tiny next to the gradient: the chain rule is right", key=f"fd_gap_{weight}", number_kind="error"),
        Line("value", f"{weight} after the first update", f"={{{weight}}}-{{lr}}*{{dE_d{weight}}}",
             f"= {weight} − lr·∂E_total/∂{weight}, lr of sheet '{first_sheet}'", key=f"updated_{weight}"),
        Line("value", f"the table's {weight}, iteration 1", f"={table[weight]}",
             f"= sheet '{first_sheet}', iteration 1: the same number", key=f"table_updated_{weight}"),
    ]


def cells(sheet_lines, first_row=1):
    """{key: cell} of every input and value line, and of each moved pass's quantities
    ('E_total@w5 + h'), with the rows the lines will take."""
    names, row = {}, first_row
    for line in sheet_lines:
        if line.kind in ("input", "value"):
            names.setdefault(line.key, f"$B${row}")
        if line.kind == "moved":
            for col, (w, sign) in enumerate(MOVES, start=MOVED_FIRST_COLUMN):
                names[f"{line.key}@{moved_label(w, sign)}"] = f"${get_column_letter(col)}${row}"
        row += 1
    return names


def formulas(sheet_lines, first_sheet, first_row=1):
    """{cell: (formula, key)} of every computed cell, the table's copies included."""
    names = cells(sheet_lines, first_row)
    names["lr"] = layout.reference(first_sheet, layout.LR_CELL)
    out, row = {}, first_row
    for line in sheet_lines:
        if line.kind == "value":
            out[f"B{row}"] = (fill(line.content, names), line.key)
        if line.kind == "moved":
            for col, (w, sign) in enumerate(MOVES, start=MOVED_FIRST_COLUMN):
                moved = {**names, **{q.name: names[f"{q.name}@{moved_label(w, sign)}"] for q in FORWARD + [E_TOTAL]},
                         w: f"({names[w]}{'+' if sign > 0 else '-'}{names['step']})"}
                out[f"{get_column_letter(col)}{row}"] = (fill(line.content, moved), f"{line.key}@{moved_label(w, sign)}")
        row += 1
    return out
