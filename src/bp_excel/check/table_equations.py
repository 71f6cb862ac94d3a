"""The seed's equations as a hand-made table writes them: in its own quantities (expanded), in its own
cells (in_cells), and computed over its columns (evaluate), with Excel's precedence."""
import re

import numpy as np

from bp_excel.equations import BACKWARD, E_TOTAL, FORWARD
from bp_excel.formulas import evaluator, parser

EQUATIONS = {q.name: q.formula[1:] for q in FORWARD + [E_TOTAL] + BACKWARD}


NAME = re.compile(r"\{(\w+)\}")


def expanded(name, have, brackets=True):
    """The equation of a quantity in the table's own quantities: an intermediate the table has no
    column for (δ_o1, ∂E_total/∂a_h1, or h1 where the table skips it) is written out in brackets.
    Biases are left out where the workbook has none (most hand-made ones)."""
    text = re.sub(r"\+\{(b[12])\}", lambda m: m[0] if m[1] in have else "", EQUATIONS[name])

    def inner(match):
        n = match[1]
        if n in have or n not in EQUATIONS:
            return match[0]
        body = expanded(n, have)
        needs_brackets = re.search(r"[-+]", re.sub(r"\([^()]*\)", "", body))  # a sum, outside its own brackets
        return f"({body})" if needs_brackets and (brackets or not n.startswith("dE_da")) else body
    return NAME.sub(inner, text)


def evaluate(expression, values):
    """An equation (formula syntax, {names}) on arrays of values, element by element, computed by the
    formula evaluator with Excel's precedence: each {name} stands for a cell that holds its array."""
    cells = {name: f"A{k}" for k, name in enumerate(dict.fromkeys(NAME.findall(expression)), start=1)}
    tree = parser.parse(NAME.sub(lambda m: cells[m[1]], expression))
    arrays = {cell: values[name] for name, cell in cells.items()}
    with np.errstate(all="ignore"):
        return evaluator.evaluate(tree, None, lambda sheet, cell: arrays[cell], evaluator.ARRAYS)


def in_cells(expression, table, row):
    """The equation written with the table's cells of one row: ={a_h2}*(1-{a_h2}) -> =L3*(1-L3)."""
    have = set(table.columns) | set(table.constants)
    return "=" + NAME.sub(lambda m: table.cell(m[1], row) if m[1] in have else m[1], expression)
