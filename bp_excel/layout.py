"""Where everything sits on a learning-rate sheet, and the formula of every column.

Each column's Excel formula is a template over named cells: `{x}` is this row's cell of
column x, `{prev_x}` the row above's, `{param_x}` the parameter block's (absolute).
The NumPy reference (network.py) computes the same quantities under the same names.
"""
from dataclasses import dataclass

from openpyxl.utils import get_column_letter, quote_sheetname

PARAM_LABEL_ROW, PARAM_VALUE_ROW = 1, 2
NOTE_ROW, EQUATION_ROW, HEADER_ROW, FIRST_ROW = 3, 4, 5, 6  # FIRST_ROW holds iteration 0

WEIGHTS = [f"w{k}" for k in range(1, 9)]
GRADIENTS = [f"dE_dw{k}" for k in range(1, 9)]

# (name, label) of each cell of the parameter block, left to right from column B.
PARAMETERS = [
    ("i1", "input i1"), ("i2", "input i2"), ("t1", "target t1"), ("t2", "target t2"),
    ("b1", "bias b1 (hidden)"), ("b2", "bias b2 (output)"), ("lr", "learning rate"),
] + [(w, f"initial {w}") for w in WEIGHTS]

VALUE, SMALL = "0.000000000", "0.000000E+00"
NOTE = ("Change any value in row 2 (inputs, targets, biases, learning rate, initial weights): "
        "every row below and the chart follow. Row k holds the weights after k updates.")


@dataclass(frozen=True)
class Column:
    name: str
    header: str
    formula: str  # for iterations 1..N
    first: str | int | None = None  # for iteration 0, where it differs
    equation: str = ""
    number_format: str = VALUE


def _weight(k):
    w = f"w{k}"
    return Column(w, w, f"={{prev_{w}}}-{{param_lr}}*{{prev_dE_dw{k}}}", first=f"={{param_{w}}}",
                  equation=f"{w} ← {w} − lr·∂E/∂{w} (row above)")


def _sigmoid(name, net):
    return Column(name, name, f"=1/(1+EXP(-{{{net}}}))", equation=f"{name} = σ({net}) = 1/(1+e^−{net})")


def _output_delta(k):
    """(a_ok - tk)*a_ok*(1 - a_ok): dE/do_k, shared by the gradients of its weights."""
    return f"({{a_o{k}}}-{{t{k}}})*{{a_o{k}}}*(1-{{a_o{k}}})"


def _output_gradient(k, w, hidden):
    return Column(f"dE_dw{w}", f"∂E/∂w{w}", f"={_output_delta(k)}*{{{hidden}}}",
                  equation=f"(a_o{k}−t{k})·a_o{k}·(1−a_o{k})·{hidden}", number_format=SMALL)


def _hidden_gradient(w, hidden, via, i):
    """Both outputs' deltas, carried back through the hidden unit's two outgoing weights."""
    (wa, wb) = via
    back = f"({_output_delta(1)}*{{{wa}}}+{_output_delta(2)}*{{{wb}}})"
    return Column(f"dE_dw{w}", f"∂E/∂w{w}", f"={back}*{{{hidden}}}*(1-{{{hidden}}})*{{{i}}}",
                  equation=f"((a_o1−t1)·a_o1·(1−a_o1)·{wa} + (a_o2−t2)·a_o2·(1−a_o2)·{wb})"
                           f"·{hidden}·(1−{hidden})·{i}", number_format=SMALL)


COLUMNS = [
    Column("iteration", "iteration", "={prev_iteration}+1", first=0,
           equation="updates so far", number_format="0"),
    *(Column(p, p, f"={{param_{p}}}", equation=f"{p} from the parameter block")
      for p in ("t1", "t2", "i1", "i2")),
    *(_weight(k) for k in range(1, 9)),
    Column("h1", "h1", "={w1}*{i1}+{w2}*{i2}+{param_b1}", equation="h1 = w1·i1 + w2·i2 + b1"),
    _sigmoid("a_h1", "h1"),
    Column("h2", "h2", "={w3}*{i1}+{w4}*{i2}+{param_b1}", equation="h2 = w3·i1 + w4·i2 + b1"),
    _sigmoid("a_h2", "h2"),
    Column("o1", "o1", "={w5}*{a_h1}+{w6}*{a_h2}+{param_b2}", equation="o1 = w5·a_h1 + w6·a_h2 + b2"),
    _sigmoid("a_o1", "o1"),
    Column("o2", "o2", "={w7}*{a_h1}+{w8}*{a_h2}+{param_b2}", equation="o2 = w7·a_h1 + w8·a_h2 + b2"),
    _sigmoid("a_o2", "o2"),
    Column("E1", "E1", "=0.5*({t1}-{a_o1})^2", equation="E1 = ½(t1 − a_o1)²", number_format=SMALL),
    Column("E2", "E2", "=0.5*({t2}-{a_o2})^2", equation="E2 = ½(t2 − a_o2)²", number_format=SMALL),
    Column("E_total", "E_total", "={E1}+{E2}", equation="E_total = E1 + E2", number_format=SMALL),
    _hidden_gradient(1, "a_h1", ("w5", "w7"), "i1"),
    _hidden_gradient(2, "a_h1", ("w5", "w7"), "i2"),
    _hidden_gradient(3, "a_h2", ("w6", "w8"), "i1"),
    _hidden_gradient(4, "a_h2", ("w6", "w8"), "i2"),
    _output_gradient(1, 5, "a_h1"),
    _output_gradient(1, 6, "a_h2"),
    _output_gradient(2, 7, "a_h1"),
    _output_gradient(2, 8, "a_h2"),
]

COLUMN_LETTER = {c.name: get_column_letter(i) for i, c in enumerate(COLUMNS, start=1)}
PARAM_CELL = {name: f"${get_column_letter(i)}${PARAM_VALUE_ROW}"
              for i, (name, _) in enumerate(PARAMETERS, start=2)}


def row_of(iteration):
    return FIRST_ROW + iteration


def cell_names(row):
    """The cell each template placeholder stands for, on the given sheet row."""
    names = {f"param_{p}": cell for p, cell in PARAM_CELL.items()}
    for name, letter in COLUMN_LETTER.items():
        names[name] = f"{letter}{row}"
        names[f"prev_{name}"] = f"{letter}{row - 1}"
    return names


def row_contents(iteration):
    """The cells of one table row: formulas, and the constant iteration number 0."""
    names = cell_names(row_of(iteration))
    contents = []
    for column in COLUMNS:
        template = column.first if iteration == 0 and column.first is not None else column.formula
        contents.append(template if isinstance(template, int) else template.format_map(names))
    return contents


def sheet_name(learning_rate):
    return f"lr {learning_rate:.15g}"


def reference(sheet, cell):
    """A cell on another sheet, as a formula operand."""
    return f"{quote_sheetname(sheet)}!{cell}"
