"""Spreadsheet formulas read into trees: numbers, strings, cell and range references
(optionally 'Sheet'!), unary + and -, ^ * / + - & and the six comparisons with Excel's
precedence, and function calls. evaluator.py computes the trees.
"""
import re

from openpyxl.utils import get_column_letter
from openpyxl.utils.cell import range_boundaries


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
    # One Pratt parser: its closures share the position in the token stream, so they stay together.
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
