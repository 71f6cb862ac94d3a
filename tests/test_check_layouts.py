"""bp_excel check on layouts it has not seen (issue 36): where a table ends, several tables on one
sheet, each with its own learning rate. Each workbook is built cell by cell (tests/handmade.py)."""
import handmade
import openpyxl
import pytest

from bp_excel.check.checker import check
from bp_excel.network import Network, train

pytestmark = pytest.mark.usefixtures("libreoffice")
TIMEOUT = 300


def _stacked():
    """A second table right under the first (no blank row between), in the same columns, with o2
    computed from w6 where w7 belongs."""
    wb = handmade.write(rows=5, header_row=2)
    return handmade.write(rows=5, header_row=8, mistake="w6 for w7", wb=wb)


def _side_by_side():
    """Two tables on one header row, each with its rate over it: 0.5 in G1, 2 in AO1."""
    wb = handmade.write(rows=5, learning_rate=0.5)
    return handmade.write(rows=5, learning_rate=2, first_column=35, wb=wb)


def _one_under_another():
    """Two tables, a blank row and the second's rate (G11) between them."""
    wb = handmade.write(rows=5, learning_rate=0.5)
    return handmade.write(rows=5, learning_rate=2, header_row=12, rate_row=11, wb=wb)


def _pasted(*places):
    """Pasted tables, at (header row, first column) each, with the rates 0.5, 2, ... labelled over
    each: the updates name no cell, so each table's rate is the label nearest it."""
    wb = openpyxl.Workbook()
    for (header_row, first_column), rate in zip(places, [0.5, 2]):
        handmade.paste(wb.active, train(Network(), rate, 5), rate, header_row, first_column)
    return wb


def _one_iteration(update=None):
    """Iteration 0 in full, then a row of the updated weights (and the inputs) with nothing computed
    from them: the one update the exercise asks for."""
    wb = handmade.write(rows=2, update=update)
    ws = wb.active
    for cell in ws[4]:
        if ws.cell(2, cell.column).value in handmade.FORMULAS:
            cell.value = None
    return wb


# A pasted table's rate (0.8) and its label, placed as learners place them: ({cell: content}, the rate's cell).
LABELS = {"ɳ, '=' and the rate": ({"B1": "ɳ", "C1": "=", "D1": 0.8}, "D1"),
          "h over the rate": ({"B1": "h", "B2": 0.8}, "B2"),
          "n = right of the rate": ({"B2": 0.8, "C2": "n ="}, "B2"),
          "learning rate under it": ({"B1": 0.8, "B2": "learning rate"}, "B1")}


def _labelled(cells):
    wb = openpyxl.Workbook()
    ws = handmade.paste(wb.active, train(Network(), 0.8, 5), 0.8, header_row=4)
    ws["F3"] = ws["G3"] = None  # paste's own "η" and rate
    for cell, content in cells.items():
        ws[cell] = content
    return wb


def _headers_over_two_rows():
    """h1 | a_h1 | ... headed "net" and "out" over "h1", ∂E/∂w1 .. headed "∂E_total" over "/∂w1"."""
    lower = {"h1": "h1", "a_h1": "h1", "h2": "h2", "a_h2": "h2", "o1": "o1", "a_o1": "o1", "o2": "o2", "a_o2": "o2",
             **{f"∂E/∂w{k}": f"/∂w{k}" for k in range(1, 9)}}
    upper = {"h1": "net", "a_h1": "out", "h2": "net", "a_h2": "out", "o1": "net", "a_o1": "out", "o2": "net",
             "a_o2": "out", **{f"∂E/∂w{k}": "∂E_total" for k in range(1, 9)}}
    wb = handmade.write(rows=5, header_row=3, spelling=lower)
    for header, text in upper.items():
        wb.active.cell(2, 1 + handmade.HEADERS.index(header), text)
    return wb


LAYOUTS = {"stacked": _stacked, "side by side": _side_by_side, "one under another": _one_under_another,
           "pasted side by side": lambda: _pasted((2, 1), (2, 35)),
           "pasted one under another": lambda: _pasted((2, 1), (12, 1)),
           "gradients headed dw1..dw8, w6 for w7": lambda: handmade.write(
               rows=5, mistake="w6 for w7 in dE/dw1", spelling={f"∂E/∂w{k}": f"dw{k}" for k in range(1, 9)}),
           "gradients headed 𝟃E/𝟃w1..": lambda: handmade.write(
               rows=5, spelling={f"∂E/∂w{k}": f"𝟃E/𝟃w{k}" for k in range(1, 9)}),
           **{f"rate labelled {name}": lambda cells=cells: _labelled(cells) for name, (cells, _) in LABELS.items()},
           "headers over two rows": _headers_over_two_rows,
           "one iteration": _one_iteration,
           "one iteration, update's sign": lambda: _one_iteration(update="={w}+{rate}*{gradient}")}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """Every layout above, checked in one run (one LibreOffice process), by name."""
    folder = tmp_path_factory.mktemp("layouts")
    paths = {name: handmade.save(build(), folder / f"layout{k}.xlsx")
             for k, (name, build) in enumerate(LAYOUTS.items())}
    return dict(zip(paths, check(list(paths.values()), TIMEOUT)))


def test_a_table_ends_where_the_next_ones_header_row_begins(graded):
    first, second = graded["stacked"]["tables"]
    assert (first["header_row"], first["first_row"], first["last_row"]) == (2, 3, 7)
    assert (second["header_row"], second["first_row"], second["last_row"]) == (8, 9, 13)
    assert first["ok"], first["wrong"]
    assert [(f.quantity, f.first_row) for f in second["wrong"]] == [("o2", 9)]
    assert "uses w6 where w7" in second["wrong"][0].mistake


@pytest.mark.parametrize("name, rate_cells", [
    ("side by side", ["G1", "AO1"]), ("one under another", ["G1", "G11"]),
    ("pasted side by side", ["G1", "AO1"]), ("pasted one under another", ["G1", "G11"]),
])
def test_several_tables_on_one_sheet_each_with_its_own_learning_rate(graded, name, rate_cells):
    report = graded[name]
    rates = [(t["learning_rate"], t["learning_rate_cell"]) for t in report["tables"]]
    assert rates == list(zip([0.5, 2.0], rate_cells))
    assert report["ok"], [t["wrong"][:1] for t in report["tables"]]


def test_a_last_row_of_updated_weights_only_is_graded_for_its_updates_alone(graded):
    (table,) = graded["one iteration"]["tables"]
    assert (table["first_row"], table["last_row"]) == (3, 4)
    assert table["ok"], table["wrong"]
    (table,) = graded["one iteration, update's sign"]["tables"]
    assert {(f.quantity, f.first_row) for f in table["wrong"]} == {(f"w{k}", 4) for k in range(1, 9)}
    assert "sign" in table["wrong"][0].mistake


def test_short_gradient_headers_are_the_gradients_and_graded(graded):
    (table,) = graded["gradients headed 𝟃E/𝟃w1.."]["tables"]
    assert table["ok"] and table["columns"]["dE/dw8"] == "AE"
    (table,) = graded["gradients headed dw1..dw8, w6 for w7"]["tables"]
    assert [f"dE/dw{k}" for k in range(1, 9)] == [q for q in table["columns"] if q.startswith("dE/")]
    assert [(f.quantity, f.first_row) for f in table["wrong"]] == [("dE/dw1", 3), ("dE/dw2", 3)]
    assert all("uses w6 where w7" in f.mistake for f in table["wrong"])


@pytest.mark.parametrize("name", LABELS)
def test_a_learning_rate_is_read_beside_its_label_however_eta_is_typed(graded, name):
    rate_cell = LABELS[name][1]
    (table,) = graded[f"rate labelled {name}"]["tables"]
    assert (table["learning_rate"], table["learning_rate_cell"]) == (0.8, rate_cell)
    assert table["ok"], table["wrong"][:1]


def test_headers_written_over_two_rows(graded):
    (table,) = graded["headers over two rows"]["tables"]
    assert (table["header_row"], table["first_row"], len(table["columns"])) == (3, 4, 31)
    assert (table["columns"]["h1"], table["columns"]["a_h1"], table["columns"]["dE/dw1"]) == ("I", "J", "X")
    assert table["ok"], table["wrong"][:1]
