"""Spreadsheet formulas evaluated the way a spreadsheet computes them, in Python floats.

Each operator is applied in the formula's own order with IEEE double arithmetic, and EXP and
non-integer powers are correctly rounded (through `decimal`): the results are the same on every
CPU, which NumPy's are not (its SIMD and BLAS kernels change the last bits). The build stores
these results as the formulas' cached values; verify still compares a real engine's results
with the independent NumPy reference.

A range is a list, and operators apply element by element, as in an array formula. The
functions: FUNCTIONS. The same walk of the same tree also computes a formula over NumPy arrays
(ARRAYS: one value per row of a table, for check), so that Excel's precedence (-x^2 is x², 2^3^2
is 64) holds wherever a formula is computed.
"""
from decimal import Context, Decimal

import numpy as np

from bp_excel.formulas.parser import FormulaError, cells_of, parse, references

DIGITS = Context(prec=40)  # far past a double's 17, so rounding the result to a float is exact


def exp(x):
    if x > 709.78:
        raise FormulaError("#NUM! (EXP overflows)")
    return float(Decimal(x).exp(DIGITS))


def power(base, exponent):
    if float(exponent).is_integer() and 0 <= exponent <= 64:
        result = 1.0
        for _ in range(int(exponent)):
            result *= base
        return result
    if base < 0:
        raise FormulaError("#NUM! (a negative number to a fractional power)")
    if base == 0:
        return 0.0
    return float(DIGITS.power(Decimal(base), Decimal(exponent)))


def _divide(a, b):
    if b == 0:
        raise FormulaError("#DIV/0!")
    return a / b


def _number(x):
    if isinstance(x, bool):
        return 1.0 if x else 0.0
    if isinstance(x, (int, float)):
        return float(x)
    if x is None:
        return 0.0
    raise FormulaError(f"#VALUE! ({x!r} is not a number)")


OPERATORS = {
    "+": lambda a, b: _number(a) + _number(b), "-": lambda a, b: _number(a) - _number(b),
    "*": lambda a, b: _number(a) * _number(b), "/": lambda a, b: _divide(_number(a), _number(b)),
    "^": lambda a, b: power(_number(a), _number(b)), "&": lambda a, b: f"{a}{b}",
    "=": lambda a, b: a == b, "<>": lambda a, b: a != b, "<": lambda a, b: a < b, ">": lambda a, b: a > b,
    "<=": lambda a, b: a <= b, ">=": lambda a, b: a >= b,
}


def _elementwise(function, *args):
    arrays = [len(a) for a in args if isinstance(a, list)]
    if not arrays:
        return function(*args)
    if len(set(arrays)) > 1:
        raise FormulaError("#VALUE! (arrays of different sizes)")
    return [function(*(a[k] if isinstance(a, list) else a for a in args)) for k in range(arrays[0])]


def _flat(values):
    for value in values:
        yield from (value if isinstance(value, list) else [value])


def _if(evaluate, args):
    if len(args) not in (2, 3):
        raise FormulaError("IF takes 2 or 3 arguments")
    chosen = args[1] if _number(evaluate(args[0])) else (args[2] if len(args) == 3 else ("bool", False))
    return evaluate(chosen)


FUNCTIONS = {
    "EXP": lambda evaluate, args: _elementwise(lambda x: exp(_number(x)), *map(evaluate, args)),
    "MAX": lambda evaluate, args: max((_number(x) for x in _flat(map(evaluate, args)) if x is not None),
                                      default=0.0),
    "IF": _if,
}


EXACT = (OPERATORS, FUNCTIONS, _elementwise, _number)
# NumPy's kernels, whole arrays at a time: for check, which compares a column with its equation
# within a tolerance (its last bits may differ by CPU; the build's cached values never use these).
ARRAYS = ({"+": np.add, "-": np.subtract, "*": np.multiply, "/": np.divide, "^": np.power},
          {"EXP": lambda evaluate, args: np.exp(evaluate(args[0]))},
          lambda function, *args: function(*args), lambda x: x)


def evaluate(tree, sheet, value_of, arithmetic=EXACT):
    """The value of a parsed formula on sheet; value_of(sheet, "A1") gives a cell's value."""
    operators, functions, elementwise, number = arithmetic

    def walk(node):
        kind = node[0]
        if kind in ("number", "string", "bool"):
            return node[1]
        if kind == "ref":
            cells = [value_of(node[1] or sheet, cell) for cell in cells_of(node[2])]
            return cells if ":" in node[2] else cells[0]
        if kind == "unary":
            value = walk(node[2])
            return elementwise(lambda x: -number(x) if node[1] == "-" else number(x), value)
        if kind == "binary":
            return elementwise(operators[node[1]], walk(node[2]), walk(node[3]))
        if node[1] not in functions:
            raise FormulaError(f"the function {node[1]} is not supported here")
        return functions[node[1]](walk, node[2])
    result = walk(tree)
    return 0.0 if result is None else result  # =A1 of an empty cell shows 0


def _formula_trees(wb):
    """{(sheet, cell): parse tree} of every formula in the workbook."""
    trees = {}
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if cell.data_type == "f":
                    text = getattr(cell.value, "text", cell.value)  # an ArrayFormula holds its text
                    try:
                        trees[(ws.title, cell.coordinate)] = parse(text)
                    except FormulaError as e:
                        raise FormulaError(f"{ws.title}!{cell.coordinate}: {e}") from None
    return trees


def evaluate_workbook(wb):
    """{sheet: {cell: value}} of every formula in an openpyxl workbook, each computed from the
    cells it references (typed values, or other formulas' results)."""
    trees = _formula_trees(wb)
    results = {}

    def value_of(sheet, cell):
        if (sheet, cell) in results:
            return results[(sheet, cell)]
        return wb[sheet][cell].value if sheet in wb.sheetnames else None

    def needed(key):
        return [(ref[1] or key[0], cell) for ref in references(trees[key]) for cell in cells_of(ref[2])]

    # Depth first with a stack of its own: a table's last row depends on every row above it,
    # deeper than Python's recursion allows.
    for start in trees:
        stack, waiting = [start], set()
        while stack:
            key = stack[-1]
            if key in results:
                stack.pop()
                continue
            missing = [k for k in needed(key) if k in trees and k not in results]
            if missing:
                if key in waiting or any(k in waiting for k in missing):
                    raise FormulaError(f"{key[0]}!{key[1]} is part of a circular reference")
                waiting.add(key)
                stack.extend(missing)
                continue
            try:
                results[key] = evaluate(trees[key], key[0], value_of)
            except FormulaError as e:
                raise FormulaError(f"{key[0]}!{key[1]}: {e}") from None
            waiting.discard(key)
            stack.pop()
    out = {ws.title: {} for ws in wb.worksheets}
    for sheet, cell in trees:
        out[sheet][cell] = results[(sheet, cell)]
    return out
