"""bp_excel check on hand-made workbooks (tests/handmade.py), recalculated by a real LibreOffice:
the tables are found in the layouts students use, correct ones pass, and each seeded mistake is
named at its column and first row."""
import json
import math

import handmade
import pytest

from bp_excel.check.checker import check
from bp_excel.check.tables import quantity_of
from bp_excel.cli import main
from bp_excel.network import Network, train

pytestmark = pytest.mark.usefixtures("libreoffice")
TIMEOUT = 300
HEADER_ROW = 2
FIRST = HEADER_ROW + 1  # iteration 0's row


@pytest.mark.parametrize("header, quantity", [
    ("a_h1", "a_h1"), ("act_h1", "a_h1"), ("a_o1", "a_o1"), ("a_01", "a_o1"), ("act_o1", "a_o1"),
    ("E_total", "E_total"), ("E_tot", "E_total"), ("Etotal", "E_total"), ("E_Total", "E_total"),
    ("∂E/∂w1", "dE_dw1"), ("∂E_total/∂w1", "dE_dw1"), ("∂E_total/∂W5", "dE_dw5"), ("δE_tot/δw1", "dE_dw1"),
    ("dE/dw1", "dE_dw1"), ("Etotaldw1", "dE_dw1"), ("dw1", "dE_dw1"), ("E∂w8", "dE_dw8"), ("𝟃w1", "dE_dw1"),
    ("𝟃E/𝟃w5", "dE_dw5"), ("w₃", "w3"), ("Δw1", None), ("w 3", "w3"), ("t2", "t2"), ("h1", "h1"), ("out_h1", "a_h1"),
    ("σ(o2)", "a_o2"), ("net_o1", "o1"), ("i1 =", "i1"), ("Total error", "E_total"), ("b1", "b1"),
    ("h1 = w1*i1 + w2*i2", None), ("Step", None), ("iteration", None), ("δ_o1", None), ("∂E_total/∂a_h1", None),
])
def test_header_spellings_seen_in_real_workbooks(header, quantity):
    assert quantity_of(header) == quantity


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """Every fixture below, checked in one run (one LibreOffice process), by name."""
    folder = tmp_path_factory.mktemp("handmade")
    books = {
        "plain": {}, "prose, Step column, table from column B at row 10":
            {"prose": True, "step": True, "first_column": 2, "header_row": 10},
        "Greek headers, constants as formulas": {"greek": True, "constants_as_formulas": True},
        "learning rate 0.5, 60 rows": {"learning_rate": 0.5, "rows": 60},
        **{f"mistake: {m}": {"mistake": m} for m in handmade.MISTAKES},
        "mistake: update sign": {"update": "={w}+{rate}*{gradient}"},
        "mistake: moving learning rate": {"moving_rate": True},
    }
    paths = {name: handmade.save(handmade.write(**kwargs), folder / f"book{k}.xlsx")
             for k, (name, kwargs) in enumerate(books.items())}
    template = handmade.write(sheet=None)
    template.active.title = "template"
    handmade.write(mistake="a_h1 for a_h2", sheet="mine", wb=template)
    paths["template copy beside the student's sheet"] = handmade.save(template, folder / "two-sheets.xlsx")
    reports = check(list(paths.values()), TIMEOUT)
    return dict(zip(paths, reports))


@pytest.mark.parametrize("name", ["plain", "prose, Step column, table from column B at row 10",
                                  "Greek headers, constants as formulas", "learning rate 0.5, 60 rows"])
def test_a_correct_hand_made_table_passes(graded, name):
    report = graded[name]
    assert report["ok"], report
    (table,) = report["tables"]
    assert table["wrong"] == [] and table["kind"] == "table"
    assert all(v is not None and v < 1e-12 for v in table["drift"].values()), table["drift"]


def test_the_table_is_found_where_it_is_and_its_rate_where_the_updates_point(graded):
    (table,) = graded["prose, Step column, table from column B at row 10"]["tables"]
    assert table["header_row"] == 10 and table["first_row"] == 11 and table["last_row"] == 40
    assert table["columns"]["t1"] == "C" and table["columns"]["dE/dw8"] == "AG"  # B holds the Step column
    assert table["learning_rate"] == 1.0 and table["learning_rate_cell"] == "H1"
    (table,) = graded["learning rate 0.5, 60 rows"]["tables"]
    assert table["learning_rate"] == 0.5 and table["learning_rate_cell"] == "G1" and table["last_row"] == FIRST + 59


SEEDED = {f"mistake: {m}": (quantity, words, handmade.KIND[m]) for m, (quantity, _, words) in handmade.MISTAKES.items()}
SEEDED["mistake: update sign"] = ("w1", "sign", "wrong-sign")
SEEDED["mistake: moving learning rate"] = ("w1", "learning-rate reference moves", "rate-moves")
# The columns each seeded mistake changes (handmade's spellings in check's), or every update's.
WRONG_COLUMNS = {f"mistake: {m}": {k.replace("∂E/∂", "dE/d").replace("E_tot", "E_total") for k in changes}
                 for m, (_, changes, _) in handmade.MISTAKES.items()}
WRONG_COLUMNS["mistake: update sign"] = WRONG_COLUMNS["mistake: moving learning rate"] = {f"w{k}" for k in range(1, 9)}
FIRST_WRONG_ROW = {"w1": FIRST + 1}  # the first update; iteration 0's weights are typed
FIRST_WRONG_ROW_MOVING = FIRST + 2  # the first update still finds the rate; the next one a cell below it


@pytest.mark.parametrize("name", list(SEEDED))
def test_each_seeded_mistake_is_named_at_its_column_and_first_row(graded, name):
    quantity, words, kind = SEEDED[name]
    report = graded[name]
    assert not report["ok"]
    (table,) = report["tables"]
    first = table["wrong"][0]
    assert first.quantity == quantity, table["wrong"]
    assert first.column == table["columns"][quantity]
    expected_row = FIRST_WRONG_ROW_MOVING if "moving" in name else FIRST_WRONG_ROW.get(quantity, FIRST)
    assert first.first_row == expected_row
    assert first.formula.startswith("=") and first.hint
    assert math.isfinite(first.expected) and first.expected != first.found  # found: None for an error
    if words:
        assert words in (first.mistake or ""), first
    else:
        assert first.mistake is None
    # Row by row, exactly the columns whose formula is wrong: nothing downstream of them.
    assert {f.quantity for f in table["wrong"]} == WRONG_COLUMNS[name], table["wrong"]
    # Every column the seeding changed, named as its kind: a_h1 for a_h2 in dE/dw3 and dE/dw4 alike.
    assert {f.kind for f in table["wrong"]} == {kind}, table["wrong"]


def test_the_hint_names_the_swap_and_the_solution_writes_the_formula_in_the_sheets_own_cells(graded):
    (table,) = graded["mistake: a_h1 for a_h2"]["tables"]
    first, second = table["wrong"][:2]
    assert (first.quantity, second.quantity) == ("dE/dw3", "dE/dw4")
    assert first.hint == "Z3 uses J3, a_h1, where a_h2 (L3) belongs"
    assert first.solution == "Z3 should be =((R3-A3)*R3*(1-R3)*N3+(T3-B3)*T3*(1-T3)*P3)*L3*(1-L3)*C3"
    assert first.carries.startswith("E_total is") and first.carries.endswith("because of it")
    assert table["drift"]["E_total"] > 0


def test_a_template_copy_beside_the_students_sheet_is_a_table_of_its_own(graded):
    report = graded["template copy beside the student's sheet"]
    assert [(t["sheet"], t["ok"]) for t in report["tables"]] == [("template", True), ("mine", False)]
    assert not report["ok"]


def test_pasted_rounded_values_with_the_last_row_repeated(tmp_path):
    # Values typed in (pasted from another sheet), rounded to 6 decimals, the last row copied 3 more times.
    import openpyxl

    reference = train(Network(), 0.5, 20)
    wb = openpyxl.Workbook()
    handmade.paste(wb.active, {q: [round(float(x), 6) for x in [*v, v[-1], v[-1], v[-1]]]
                               for q, v in reference.items()}, 0.5)
    report, = check([handmade.save(wb, tmp_path / "pasted.xlsx")], TIMEOUT)
    (table,) = report["tables"]
    assert table["kind"] == "pasted" and report["ok"], table["wrong"][:2]
    assert table["last_row"] == FIRST + 20 and any("repeat row" in w for w in table["warnings"])
    assert table["learning_rate"] == pytest.approx(0.5, rel=1e-3)


def test_a_pasted_table_is_compared_at_the_precision_of_its_computed_columns(tmp_path):
    # Full precision but for the inputs and first weights, typed short (0.15), and dE/dw3 computed
    # from a_h1 where a_h2 belongs: a difference of 1e-5, far above the precision of the columns.
    import openpyxl

    reference = train(Network(), 0.5, 10)
    r = reference
    wrong = (r["delta_o1"] * r["w6"] + r["delta_o2"] * r["w8"]) * r["a_h1"] * (1 - r["a_h1"]) * 0.05
    wb = openpyxl.Workbook()
    handmade.paste(wb.active, {**reference, "dE_dw3": wrong}, 0.5)
    report, = check([handmade.save(wb, tmp_path / "pasted-wrong.xlsx")], TIMEOUT)
    (table,) = report["tables"]
    assert table["kind"] == "pasted" and not report["ok"]
    first = table["wrong"][0]
    assert (first.quantity, first.first_row) == ("dE/dw3", FIRST) and "uses a_h1 where a_h2" in first.mistake


@pytest.mark.parametrize("build", [[], ["--biases", "0.35", "0.6", "--targets", "0.01", "0.99", "--lr", "0.5", "3"]])
def test_the_generated_workbook_passes(tmp_path, capsys, build):
    path = tmp_path / "backprop.xlsx"
    assert main(["build", "--iterations", "40", "--out", str(path), *build]) == 0
    capsys.readouterr()
    assert main(["check", str(path), "--json"]) == 0
    (report,) = json.loads(capsys.readouterr().out)["workbooks"]
    assert report["ok"] and len(report["tables"]) == (2 if build else 6)
    for table in report["tables"]:
        assert len(table["columns"]) == 27  # every quantity but the inputs, which sit left of the table
        assert table["learning_rate_cell"] == "B2"


def test_json_has_the_promised_shape(graded, tmp_path, capsys):
    path = handmade.save(handmade.write(mistake="a_h1 for a_h2"), tmp_path / "b.xlsx")
    finding = {"quantity", "column", "first_row", "expected", "found", "formula", "kind", "mistake", "hint",
               "rows_wrong", "carries"}
    for flags, keys in (([], finding), (["--solutions"], finding | {"solution"})):
        assert main(["check", str(path), "--json", *flags]) == 1
        (report,) = json.loads(capsys.readouterr().out)["workbooks"]
        assert set(report) == {"file", "ok", "tables", "removed"}
        (table,) = report["tables"]
        assert set(table) == {"sheet", "kind", "header_row", "first_row", "last_row", "columns", "learning_rate",
                              "learning_rate_cell", "ok", "wrong", "drift", "warnings"}
        # Every finding alike (dE/dw3 and dE/dw4 here), only the first saying how far it carries.
        assert [set(f) for f in table["wrong"]] == [keys, keys], table["wrong"]
        neighbour = ("wrong-neighbour", "uses a_h1 where a_h2 belongs")
        assert [(f["kind"], f["mistake"]) for f in table["wrong"]] == [neighbour, neighbour]
        assert table["wrong"][0]["carries"].startswith("E_total is") and table["wrong"][1]["carries"] is None


def test_an_exercise_gets_hints_and_no_answer_unless_asked(tmp_path, capsys, libreoffice):
    """The exercise workbook with its backward pass left blank: by default check says where and what
    each gradient needs, never its formula; --solutions gives the formulas."""
    path = tmp_path / "exercise.xlsx"
    assert main(["build", "--exercise", "--lr", "1", "--iterations", "3", "--out", str(path)]) == 0
    capsys.readouterr()
    assert main(["check", str(path)]) == 1
    out = capsys.readouterr().out
    assert "is computed from" in out and "should be =" not in out and "*(1-" not in out, out
    assert "from row 7: left empty" in out and "likely mistake: left empty" in out, out  # kind "blank"
    assert main(["check", str(path), "--solutions"]) == 1
    assert "the answer: " in capsys.readouterr().out


def test_a_class_gets_one_line_per_file_and_the_exit_status_says_the_worst(tmp_path, capsys):
    good = handmade.save(handmade.write(), tmp_path / "alice.xlsx")
    wrong = handmade.save(handmade.write(mistake="w6 for w7"), tmp_path / "bob.xlsx")
    assert main(["check", str(good), str(wrong)]) == 1
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0] == f"{good}: OK (1 table)"
    assert lines[1].startswith(f"{wrong}: WRONG: sheet 'Sheet': o2 (column S) from row 3: uses w6 where w7")
    assert main(["check", str(good)]) == 0


def test_no_table_says_how_to_point_at_it_and_the_flags_do(tmp_path, capsys):
    wb = handmade.write()
    ws = wb.active
    for col in range(1, 32):
        ws.cell(HEADER_ROW, col).value = f"column {col}"  # headers nobody can read
    path = handmade.save(wb, tmp_path / "unnamed.xlsx")
    assert main(["check", str(path)]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "--header-row N and --map QUANTITY=COLUMN" in err
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    columns = [*letters, "AA", "AB", "AC", "AD", "AE"]
    mapping = [f"{h}={c}" for h, c in zip(["t1", "t2", "i1", "i2", "w1", "w2", "w3", "w4", "h1", "a_h1", "h2",
                                           "a_h2", "w5", "w6", "w7", "w8", "o1", "a_o1", "o2", "a_o2", "E1", "E2",
                                           "E_total", *[f"dE/dw{k}" for k in range(1, 9)]], columns)]
    assert main(["check", str(path), "--header-row", "2", "--map", *mapping]) == 0, capsys.readouterr()


def test_a_summary_table_is_checked_column_by_column_against_the_training_at_each_rate(tmp_path):
    # One E_total column per learning rate, pasted rounded; the lr 1 column comes from an older
    # version of the table (other initial weights).
    wb = handmade.write(rows=20)
    ws = wb.create_sheet("summary")
    ws.append(["Step", "L.R. 0.1", "n=0.5", "lr 1"])
    older = Network(weights=(0.1, 0.2, 0.25, 0.3, 0.4, 0.45, 0.5, 0.55))
    columns = [train(Network(), 0.1, 20)["E_total"], train(Network(), 0.5, 20)["E_total"],
               train(older, 1.0, 20)["E_total"]]
    for k in range(21):
        ws.append([k, *(round(float(c[k]), 9) for c in columns)])
    report, = check([handmade.save(wb, tmp_path / "with-summary.xlsx")], TIMEOUT)
    table, summary = report["tables"]
    assert table["ok"] and summary["kind"] == "summary" and not report["ok"]
    assert summary["columns"] == {"E_total at lr 0.1": "B", "E_total at lr 0.5": "C", "E_total at lr 1": "D"}
    (wrong,) = summary["wrong"]
    assert (wrong.column, wrong.first_row) == ("D", 2) and "older version" in wrong.mistake


def test_summaries_headed_by_eta_s_stand_ins_or_by_bare_rates_are_checked(tmp_path):
    # One sheet heads its rates as learners type η in a symbol font (ɳ=0.1, h=0.5, η = 2); another has
    # bare rates on a row of their own over the E_total columns, lr 1's from an older version of the table.
    wb = handmade.write(rows=20)
    older = Network(weights=(0.1, 0.2, 0.25, 0.3, 0.4, 0.45, 0.5, 0.55))
    curves = {rate: train(Network(), rate, 20)["E_total"] for rate in (0.1, 0.5, 2)}
    curves[1] = train(older, 1.0, 20)["E_total"]
    symbols, bare = wb.create_sheet("symbols"), wb.create_sheet("bare")
    symbols.append(["Step", "ɳ=0.1", "h=0.5", "η = 2"])
    bare.append([])
    bare.append([None, 0.1, 0.5, 1, 2])
    for k in range(21):
        symbols.append([k, *(float(curves[rate][k]) for rate in (0.1, 0.5, 2))])
        bare.append([None, *(float(curves[rate][k]) for rate in (0.1, 0.5, 1, 2))])
    report, = check([handmade.save(wb, tmp_path / "summaries.xlsx")], TIMEOUT)
    table, named, numbers = report["tables"]
    assert table["ok"] and (named["sheet"], named["kind"], named["ok"]) == ("symbols", "summary", True)
    assert named["columns"] == {"E_total at lr 0.1": "B", "E_total at lr 0.5": "C", "E_total at lr 2": "D"}
    assert (numbers["sheet"], numbers["header_row"], numbers["first_row"], numbers["last_row"]) == ("bare", 2, 3, 23)
    assert numbers["columns"] == {"E_total at lr 0.1": "B", "E_total at lr 0.5": "C", "E_total at lr 1": "D",
                                  "E_total at lr 2": "E"}
    (wrong,) = numbers["wrong"]
    assert (wrong.column, wrong.first_row, wrong.kind) == ("D", 3, "stale-summary") and not report["ok"]


def test_an_exercise_is_handed_out_blank_and_graded_once_filled_in(tmp_path, capsys):
    import openpyxl

    from bp_excel import layout
    from bp_excel.build import start_here

    path = tmp_path / "exercise.xlsx"
    assert main(["build", "--exercise", "--lr", "0.5", "--iterations", "10", "--out", str(path)]) == 0
    wb = openpyxl.load_workbook(path)
    ws = wb["lr 0.5"]
    col = layout.COLUMN_LETTER
    for name in ("delta_o1", "dE_da_h2", "dE_dw1", "dE_dw8"):
        cell = ws[f"{col[name]}{layout.row_of(3)}"]
        assert cell.value is None and cell.fill.fgColor.rgb.endswith("E2EFDA"), name
    assert isinstance(ws[f"{col['a_o1']}{layout.row_of(3)}"].value, str)  # the forward pass is given
    start = wb[start_here.SHEET]
    answers = [row for row in start.iter_rows() if row[0].value == "∂E_total/∂w5"]
    assert answers and answers[0][1].value is None and answers[0][1].fill.fgColor.rgb.endswith("E2EFDA")
    capsys.readouterr()
    assert main(["check", str(path)]) == 1
    assert "dE/dw1 (column AG) from row 7" in capsys.readouterr().out

    # The learner's answers, typed as formulas of the table's own cells.
    answers = {"delta_o1": "=({a_o1}-$D$4)*{a_o1}*(1-{a_o1})", "delta_o2": "=({a_o2}-$E$4)*{a_o2}*(1-{a_o2})",
               "dE_da_h1": "={delta_o1}*{w5}+{delta_o2}*{w7}", "dE_da_h2": "={delta_o1}*{w6}+{delta_o2}*{w8}",
               "dE_dw1": "={dE_da_h1}*{a_h1}*(1-{a_h1})*$B$4", "dE_dw2": "={dE_da_h1}*{a_h1}*(1-{a_h1})*$C$4",
               "dE_dw3": "={dE_da_h2}*{a_h2}*(1-{a_h2})*$B$4", "dE_dw4": "={dE_da_h2}*{a_h2}*(1-{a_h2})*$C$4",
               "dE_dw5": "={delta_o1}*{a_h1}", "dE_dw6": "={delta_o1}*{a_h2}",
               "dE_dw7": "={delta_o2}*{a_h1}", "dE_dw8": "={delta_o2}*{a_h2}"}
    assert [ws[f"{c}3"].value for c in "BCDE"] == ["i1", "i2", "t1", "t2"]  # the cells the answers name
    for row in range(layout.row_of(0), layout.row_of(10) + 1):
        cells = {name: f"{letter}{row}" for name, letter in col.items()}
        for name, formula in answers.items():
            ws[cells[name]] = formula.format_map(cells)
    wb.save(path)
    assert main(["check", str(path)]) == 0, capsys.readouterr().out


def test_a_chart_that_stops_before_the_table_is_a_warning(tmp_path):
    from openpyxl.chart import Reference, ScatterChart, Series

    wb = handmade.write(rows=30)
    ws = wb.active
    chart = ScatterChart()
    rows = {"min_row": FIRST, "max_row": FIRST + 19}  # W3:W22 of a table down to row 32
    chart.series.append(Series(Reference(ws, min_col=23, **rows), Reference(ws, min_col=1, **rows)))
    ws.add_chart(chart, "AH2")
    report, = check([handmade.save(wb, tmp_path / "short-chart.xlsx")], TIMEOUT)
    (table,) = report["tables"]
    assert report["ok"] and "the chart of E_total (column W) stops at row 22, the table at row 32" in table["warnings"]


def test_a_column_that_cannot_be_read_leaves_what_needs_it_unchecked_and_says_so(tmp_path):
    wb = handmade.write(rows=10)
    wb.active["E2"] = "w1 (updated)"  # a header nobody can read: the table has no w1
    report, = check([handmade.save(wb, tmp_path / "no-w1.xlsx")], TIMEOUT)
    (table,) = report["tables"]
    assert "w1" not in table["columns"] and report["ok"]
    assert any(w.startswith("h1 not checked: no column for w1 (give --map w1=COLUMN)") for w in table["warnings"])


@pytest.mark.parametrize("cell, content, first_wrong", [("E5", "oops", ("w1", 5)), ("G1", "fast", ("w1", 4))])
def test_text_inside_the_table_or_in_its_rate_cell_is_wrong_not_the_end_of_it(tmp_path, cell, content, first_wrong):
    wb = handmade.write(rows=6)
    wb.active[cell] = content
    report, = check([handmade.save(wb, tmp_path / "text.xlsx")], TIMEOUT)
    (table,) = report["tables"]
    assert not report["ok"] and table["last_row"] == FIRST + 5
    assert (table["wrong"][0].quantity, table["wrong"][0].first_row) == first_wrong
    assert table["wrong"][0].found is None


def test_an_update_whose_rate_is_a_cell_of_the_table_is_named(tmp_path):
    # The rate in G19 under a label; the updates fixed only in their column, from the first one: $G21,
    # which is the table's w3 of the row above.
    wb = handmade.write(rows=8, header_row=20)
    ws = wb.active
    ws["F1"], ws["G1"], ws["F19"], ws["G19"] = None, None, "lr", 1.0
    for row in range(22, 29):
        for weight, gradient in zip("EFGHMNOP", ["X", "Y", "Z", "AA", "AB", "AC", "AD", "AE"]):
            ws[f"{weight}{row}"] = f"={weight}{row - 1}-$G{row - 1}*{gradient}{row - 1}"
    report, = check([handmade.save(wb, tmp_path / "g21.xlsx")], TIMEOUT)
    (table,) = report["tables"]
    assert (table["learning_rate"], table["learning_rate_cell"]) == (1.0, "G19")
    first = table["wrong"][0]
    assert (first.quantity, first.first_row) == ("w1", 22)
    assert "G21, the table's w3 of row 21, not the rate: write $G$19" in first.mistake


def test_a_learning_rate_copied_into_every_row_is_no_moving_reference(tmp_path):
    wb = handmade.write(rows=8)
    ws = wb.active
    ws["AG2"] = "η"
    for row in range(FIRST, FIRST + 8):
        ws[f"AG{row}"] = 1.0
        if row > FIRST:
            for weight, gradient in zip("EFGHMNOP", ["X", "Y", "Z", "AA", "AB", "AC", "AD", "AE"]):
                ws[f"{weight}{row}"] = f"={weight}{row - 1}-AG{row - 1}*{gradient}{row - 1}"
    report, = check([handmade.save(wb, tmp_path / "rate-column.xlsx")], TIMEOUT)
    (table,) = report["tables"]
    assert report["ok"] and table["warnings"] == [] and table["learning_rate"] == 1.0


def test_fifty_workbooks_in_one_libreoffice_run_within_a_minute(tmp_path):
    import time

    mistakes = [None, *handmade.MISTAKES]
    paths = [handmade.save(handmade.write(rows=40, mistake=mistakes[k % len(mistakes)]), tmp_path / f"s{k:02}.xlsx")
             for k in range(50)]
    started = time.monotonic()
    reports = check(paths, TIMEOUT)
    elapsed = time.monotonic() - started
    assert [r["ok"] for r in reports] == [k % len(mistakes) == 0 for k in range(50)]
    assert elapsed < 60, f"{elapsed:.1f} s"


def test_a_table_with_bias_columns_is_graded_with_its_biases(tmp_path, capsys, libreoffice):
    """b1 and b2 as columns of their own (0.35 and 0.6, the classic example's): h1..o2 add them, and
    check computes the equations with them, not with biases of 0."""
    from openpyxl.utils import get_column_letter

    wb = handmade.write(rows=5)
    ws = wb.active
    column = {ws.cell(2, c).value: get_column_letter(c) for c in range(1, ws.max_column + 1)}
    b1, b2 = get_column_letter(ws.max_column + 1), get_column_letter(ws.max_column + 2)
    ws[f"{b1}2"], ws[f"{b2}2"] = "b1", "b2"
    for row in range(3, 8):
        ws[f"{b1}{row}"], ws[f"{b2}{row}"] = 0.35, 0.6
        for name, bias in (("h1", b1), ("h2", b1), ("o1", b2), ("o2", b2)):
            ws[f"{column[name]}{row}"] = f"{ws[f'{column[name]}{row}'].value}+{bias}{row}"
    path = handmade.save(wb, tmp_path / "biases.xlsx")
    assert main(["check", str(path)]) == 0, capsys.readouterr().out
