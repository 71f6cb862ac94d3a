"""Spreadsheet formulas evaluated the way a spreadsheet computes them, in Python floats.

Each operator is applied in the formula's own order with IEEE double arithmetic, and EXP and
non-integer powers are correctly rounded (through `decimal`): the results are the same on every
CPU, which NumPy's are not (its SIMD and BLAS kernels change the last bits). The build stores
these results as the formulas' cached values; verify still compares a real engine's results
with the independent NumPy reference.

Supported: numbers, strings, cell and range references (optionally 'Sheet'!), unary + and -,
^ * / + - & and the six comparisons with Excel's precedence, and the functions in FUNCTIONS.
A range is a list, and operators apply element by element, as in an array formula.
"""
import re
from decimal import Context, Decimal

from openpyxl.utils import get_column_letter
from openpyxl.utils.cell import range_boundaries

DIGITS = Context(prec=40)  # far past a double's 17, so rounding the result to a float is exact


class FormulaError(ValueError):
    """A formula that cannot be evaluated here (syntax, unsupported function) or whose result
    a spreadsheet would show as an error (#DIV/0!, #NUM!)."""


TOKEN = re.compile(r"""
    \s*(?:
      (?P<string>"(?:[^"]|"")*")
    | (?P<ref>(?:(?:'(?:[^']|'')+'|[A-Za-z_][\w.]*)!)?\$?[A-Za-z]{1,3}\$?\d+(?::\$?[A-Za-z]{1,3}\$?\d+)?)(?![\w(])
    | (?P<number>(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)
    | (?P<function>[A-Za-z][A-Za-z0-9.]*)\(
    | (?P<operator><=|>=|<>|[-+*/^&=<>(),])
    )""", re.VERBOSE)

# Binding power of each binary operator; ^ binds tighter than * and /, which bind tighter than
# + and -, then &, then the comparisons. Unary minus binds tighter than all (Excel: -2^2 = 4).
BINARY = {"=": 1, "<>": 1, "<": 1, ">": 1, "<=": 1, ">=": 1, "&": 2, "+": 3, "-": 3, "*": 4, "/": 4, "^": 5}
UNARY = 6


def tokens(text):
    """[(kind, text)] of a formula without its leading '='."""
    out, position = [], 0
    while position < len(text):
        if text[position:].strip() == "":
            break
        match = TOKEN.match(text, position)
        if not match:
            raise FormulaError(f"cannot read the formula at {text[position:position + 12]!r}")
        kind = match.lastgroup
        out.append((kind, match[kind]))
        position = match.end()
    return out


def parse(formula):
    """The formula ('=...') as a tree of tuples: ("number", x), ("string", s), ("ref", sheet,
    cells), ("unary", op, x), ("binary", op, a, b), ("call", NAME, [args])."""
    stream = tokens(formula[1:] if formula.startswith("=") else formula)
    position = 0

    def peek():
        return stream[position] if position < len(stream) else (None, None)

    def take(expected=None):
        nonlocal position
        kind, text = peek()
        if kind is None or (expected and text != expected):
            raise FormulaError(f"{formula}: expected {expected or 'more'}")
        position += 1
        return kind, text

    def operand():
        kind, text = take()
        if kind == "number":
            return ("number", float(text))
        if kind == "string":
            return ("string", text[1:-1].replace('""', '"'))
        if kind == "ref":
            sheet, _, cells = text.rpartition("!")
            return ("ref", sheet.strip("'").replace("''", "'") or None, cells.replace("$", "").upper())
        if kind == "function":
            args = []
            if peek()[1] != ")":
                args.append(expression(0))
                while peek()[1] == ",":
                    take(",")
                    args.append(expression(0))
            take(")")
            return ("call", text.upper(), args)
        if text == "(":
            inner = expression(0)
            take(")")
            return inner
        if text in ("-", "+"):
            return ("unary", text, expression(UNARY))
        raise FormulaError(f"{formula}: unexpected {text!r}")

    def expression(min_power):
        left = operand()
        while True:
            kind, text = peek()
            power = BINARY.get(text) if kind == "operator" else None
            if power is None or power <= min_power:
                return left
            take()
            # ^ is left-associative in Excel (2^3^2 = 64), as every other operator.
            left = ("binary", text, left, expression(power))

    tree = expression(0)
    if position != len(stream):
        raise FormulaError(f"{formula}: unexpected {stream[position][1]!r}")
    return tree


def references(tree):
    """Every ("ref", sheet, cells) in the tree, in the order they are written."""
    if tree[0] == "ref":
        return [tree]
    if tree[0] == "unary":
        return references(tree[2])
    if tree[0] == "binary":
        return references(tree[2]) + references(tree[3])
    if tree[0] == "call":
        return [ref for arg in tree[2] for ref in references(arg)]
    return []


def cells_of(cells):
    """The cells ("A1") of a reference, a range's row by row."""
    if ":" not in cells:
        return [cells]
    min_col, min_row, max_col, max_row = range_boundaries(cells)
    return [f"{get_column_letter(col)}{row}" for row in range(min_row, max_row + 1)
            for col in range(min_col, max_col + 1)]


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


def evaluate(tree, sheet, value_of):
    """The value of a parsed formula on sheet; value_of(sheet, "A1") gives a cell's value."""
    def walk(node):
        kind = node[0]
        if kind in ("number", "string", "bool"):
            return node[1]
        if kind == "ref":
            cells = [value_of(node[1] or sheet, cell) for cell in cells_of(node[2])]
            return cells if ":" in node[2] else cells[0]
        if kind == "unary":
            value = walk(node[2])
            return _elementwise(lambda x: -_number(x) if node[1] == "-" else _number(x), value)
        if kind == "binary":
            return _elementwise(OPERATORS[node[1]], walk(node[2]), walk(node[3]))
        if node[1] not in FUNCTIONS:
            raise FormulaError(f"the function {node[1]} is not supported here")
        return FUNCTIONS[node[1]](walk, node[2])
    result = walk(tree)
    return 0.0 if result is None else result  # =A1 of an empty cell shows 0


def evaluate_workbook(wb):
    """{sheet: {cell: value}} of every formula in an openpyxl workbook, each computed from the
    cells it references (typed values, or other formulas' results)."""
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
