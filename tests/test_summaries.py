"""Finding summary tables (summaries.py) in sheets built cell by cell, without a spreadsheet engine
(typed numbers are their own values): rates named in the spellings learners type, η's symbol-font
stand-ins among them, and rows of bare rates over E_total, never an ordinary row of numbers."""
import openpyxl
import pytest

from bp_excel.check import summaries
from bp_excel.check.learning_rate import LR_HEADER
from bp_excel.check.report import table_line
from bp_excel.network import Network, train

RATES = [0.1, 0.2, 0.5, 0.8, 1, 2]
ITERATIONS = 20


@pytest.mark.parametrize("header, rate", [
    ("ɳ=0.1", 0.1), ("h=0.5", 0.5), ("η = 2", 2), ("n=0.5", 0.5), ("L.R. 0.1", 0.1), ("lr 2", 2), ("η0.8", 0.8),
    ("learning rate: .5", 0.5), ("H = 1", 1), ("Eta=0.2", 0.2),
    ("h1", None), ("h2", None), ("n1", None), ("w1", None), ("lr", None), ("η", None), ("h 0.5", None),
])
def test_rate_headers_in_the_spellings_learners_type(header, rate):
    match = LR_HEADER.match(header)
    assert (float(match[1]) if match else None) == rate


def _sheet(ws):
    """(typed contents by cell, rows of values) of a sheet: typed numbers stand for the engine's values."""
    rows = [list(r) for r in ws.iter_rows(min_row=1, min_col=1, max_row=ws.max_row, max_col=ws.max_column,
                                          values_only=True)]
    return {c.coordinate: c.value for r in ws.iter_rows() for c in r if c.value is not None}, rows


def _found(ws):
    """(header row, first row, last row, columns) of each summary summaries.find finds on a sheet."""
    cells, rows = _sheet(ws)
    return [(t.header_row, t.first_row, t.last_row, t.columns) for t in summaries.find({ws.title: cells},
                                                                                        {ws.title: rows})]


def _bare(label=None, rates=RATES, curves=None, header_row=2, first_column=2):
    """A sheet of bare rates (header_row, from first_column) over each rate's E_total by iteration, as a
    learner pastes it; label: a cell left of the rates."""
    ws = openpyxl.Workbook().active
    if label:
        ws.cell(header_row, first_column - 1, label)
    for k, rate in enumerate(rates):
        ws.cell(header_row, first_column + k, rate)
        curve = curves[k] if curves else train(Network(targets=(0.01, 0.99)), rate, ITERATIONS)["E_total"]
        for row, e_total in enumerate(curve, start=header_row + 1):
            ws.cell(row, first_column + k, float(e_total))
    return ws


EXPECTED = {f"E_total at lr {rate:g}": letter for rate, letter in zip(RATES, "BCDEFG")}


@pytest.mark.parametrize("label", [None, "learning rate", "η"])
def test_a_row_of_bare_rates_over_falling_e_total_is_a_summary(label):
    # Only the header row: the rows of numbers under it (each iteration's E_total per rate, distinct
    # and falling below it too) sit under numbers.
    assert _found(_bare(label)) == [(2, 3, 3 + ITERATIONS, EXPECTED)]


def test_named_rates_in_symbol_font_stand_ins_are_a_summary():
    ws = _bare()
    for col, header in zip("BCDEFG", ["ɳ=0.1", "h=0.2", "η = 0.5", "n=0.8", "H=1", "lr 2"]):
        ws[f"{col}2"] = header
    assert _found(ws) == [(2, 3, 3 + ITERATIONS, EXPECTED)]


def test_an_ordinary_row_of_numbers_is_no_summary():
    rising = [list(reversed(train(Network(), rate, ITERATIONS)["E_total"])) for rate in RATES]
    under_text = _bare()
    for col in "BCDEFG":
        under_text[f"{col}1"] = "w1"  # numbers under headers: a table's first row (w1 falls, as E_total)
    beside_text = _bare()
    beside_text["H2"] = "final"
    repeated = _bare(rates=[0.1, 0.1, 0.5])
    too_big = _bare(rates=[0.5, 1, 500])
    assert _found(_bare(curves=rising)) == []  # numbers over columns that rise: no E_total
    assert _found(under_text) == []
    assert _found(beside_text) == []
    assert _found(repeated) == []
    assert _found(too_big) == []
    assert _found(_bare(label="weights")) == []


def test_rates_over_too_short_a_column_are_no_summary():
    short = [train(Network(), rate, summaries.MIN_ROWS - 2)["E_total"] for rate in RATES]
    assert _found(_bare(curves=short)) == []
    enough = [train(Network(), rate, summaries.MIN_ROWS - 1)["E_total"] for rate in RATES]
    assert len(_found(_bare(curves=enough))) == 1


def _graded(ws, network):
    """The one summary on a sheet and its findings (summaries.grade)."""
    cells, rows = _sheet(ws)
    (table,) = summaries.find({ws.title: cells}, {ws.title: rows})
    return table, summaries.grade(table, rows, cells, network)


def test_each_column_is_graded_down_to_its_own_last_number():
    network = Network(targets=(0.01, 0.99))
    ws = _bare()
    for row in range(3 + 10, 3 + ITERATIONS + 1):
        ws[f"G{row}"] = None  # lr 2 run for 10 iterations, the others for 20: nothing wrong
    table, wrong = _graded(ws, network)
    assert table.last_row == 3 + ITERATIONS and wrong == []
    ws["D10"] = ws["D10"].value * 1.01  # iteration 7 of lr 0.5, typed over
    ws["C8"] = None  # iteration 5 of lr 0.2, left out
    _, wrong = _graded(ws, network)
    assert [(f.cell, f.kind, f.rows_wrong) for f in wrong] == [("C8", "blank", 1), ("D10", "stale-summary", 1)]
    assert wrong[1].hint == "D10 should be E_total of iteration 7"


def test_a_summary_says_its_rates_are_its_columns():
    line = table_line({"sheet": "Summary", "header_row": 2, "first_row": 3, "last_row": 72, "kind": "summary",
                       "learning_rate": None, "learning_rate_cell": None, "ok": True})
    assert line == "sheet 'Summary', header row 2, rows 3-72 (summary), a learning rate per column: OK"
