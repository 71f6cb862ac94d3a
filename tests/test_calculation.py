"""The formulas read (formulas/parser.py) and computed (formulas/evaluator.py) for the cached values: Excel's
precedence and functions, its errors, and values that do not depend on the CPU."""
import math
import random
import re
from decimal import Context, Decimal
from fractions import Fraction

import openpyxl
import pytest

from bp_excel.formulas.evaluator import evaluate, evaluate_workbook, exp, power
from bp_excel.formulas.parser import FormulaError, parse


def value(formula, cells=None):
    cells = cells or {}
    return evaluate(parse(formula), "Sheet", lambda sheet, cell: cells.get((sheet, cell)))


@pytest.mark.parametrize("formula, expected", [
    ("=1+2*3", 7.0), ("=(1+2)*3", 9.0), ("=2^3^2", 64.0),  # ^ is left-associative in Excel
    ("=-2^2", 4.0),  # unary minus binds tighter than ^ in Excel, unlike Python
    ("=2*-3", -6.0), ("=10/4-1", 1.5), ("=1-2-3", -4.0), ("=2^-1", 0.5), ("=1.5E+2/3", 50.0),
    ('="a"&"b"', "ab"), ("=3>=3", True), ("=2<>2", False), ("=1+2=3", True),
    ('=IF(1>2,"yes","no")', "no"), ("=IF(0,1)", False), ("=MAX(1,5,3)", 5.0),
])
def test_excel_precedence_and_functions(formula, expected):
    assert value(formula) == expected


def test_references_to_this_sheet_another_sheet_and_ranges():
    cells = {("Sheet", "A1"): 2.0, ("Other sheet", "B2"): 3.0, ("Sheet", "C1"): 1.0, ("Sheet", "C2"): 4.0}
    assert value("=$A$1*'Other sheet'!B2", cells) == 6.0
    assert value("=MAX((C1:C2>2)*(C1:C2+1))", cells) == 5.0  # an array formula, element by element


def test_exp_is_correctly_rounded():
    # The double returned is the one nearest to e^x at 60 digits (decimal's exp is correctly
    # rounded), and within 2 ulp of the C library's.
    rng = random.Random(0)
    for x in [rng.uniform(-30, 30) for _ in range(200)] + [0.0, 1.0, -1.0, 1e-10]:
        y = exp(x)
        assert abs(y - math.exp(x)) <= 2 * math.ulp(y)
        below, above = math.nextafter(y, -math.inf), math.nextafter(y, math.inf)
        true = Fraction(Decimal(x).exp(Context(prec=60)))
        assert abs(Fraction(y) - true) <= min(abs(Fraction(below) - true), abs(Fraction(above) - true))


def test_integer_powers_multiply_and_others_are_correctly_rounded():
    assert power(0.1, 2) == 0.1 * 0.1
    assert power(2.0, 0.5) == math.sqrt(2.0)  # sqrt is correctly rounded by IEEE 754
    assert power(0.0, 0.5) == 0.0


@pytest.mark.parametrize("formula, error", [
    ("=1/0", "#DIV/0!"), ("=EXP(800)", "#NUM!"), ("=(-8)^0.5", "#NUM!"), ("=VLOOKUP(1,A1:B2,2)", "not supported"),
    ("=1+", "expected more"), ("=(1", "expected )"), ("=1 2", "unexpected"), ("=#", "cannot read"),
    ('="a"*2', "#VALUE!"),
])
def test_what_a_spreadsheet_shows_as_an_error_is_a_formula_error(formula, error):
    with pytest.raises(FormulaError, match=re.escape(error)):
        value(formula)


@pytest.mark.slow
def test_a_workbook_is_evaluated_through_its_own_references_however_deep():
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "T"
    ws["A1"] = 0.5
    for row in range(2, 5001):  # each row from the one above: deeper than Python's recursion limit
        ws[f"A{row}"] = f"=A{row - 1}*1.0001+B{row}"
        ws[f"B{row}"] = f"=1/(1+EXP(-A{row - 1}))"
    results = evaluate_workbook(wb)["T"]
    a = 0.5
    for row in range(2, 5001):
        b = 1 / (1 + exp(-a))
        a = a * 1.0001 + b
        assert results[f"B{row}"] == b
    assert results["A5000"] == a


def test_a_circular_reference_is_an_error():
    wb = openpyxl.Workbook()
    wb.active["A1"], wb.active["A2"] = "=A2+1", "=A1+1"
    with pytest.raises(FormulaError, match="circular"):
        evaluate_workbook(wb)


def test_check_computes_an_equation_with_excels_precedence():
    """check's equations go through the same parser and walk as the build's formulas, over arrays:
    in Excel, -x^2 is (-x)^2 and 2^3^2 is (2^3)^2; Python's ** would give -4 and 512."""
    import numpy as np

    from bp_excel.check import table_equations

    x = np.array([2.0, -3.0])
    assert table_equations.evaluate("-{x}^2", {"x": x}).tolist() == [4.0, 9.0]
    assert table_equations.evaluate("2^3^2+0*{x}", {"x": x}).tolist() == [64.0, 64.0]
    assert table_equations.evaluate("1-{x}^2", {"x": x}).tolist() == [-3.0, -8.0]
    assert table_equations.evaluate("1/(1+EXP(-{x}))", {"x": np.array([0.0])}).tolist() == [0.5]
