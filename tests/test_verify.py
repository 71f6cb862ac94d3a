"""The workbook recalculated by real spreadsheet engines (LibreOffice and Gnumeric), compared
with the NumPy reference."""
import json
import os
import re

import numpy as np
import openpyxl
import pytest

from bp_excel import layout
from bp_excel.build import start_here, summary
from bp_excel.cli import main
from bp_excel.network import Network, central_difference, train
from bp_excel.verify.reference import expected_cells
from labkit import engines

pytestmark = pytest.mark.usefixtures("libreoffice", "gnumeric")
ENGINES = ["libreoffice", "gnumeric"]
E_TOTAL = layout.COLUMN_LETTER["E_total"]
MAZUR = ["--lr", "0.5", "--targets", "0.01", "0.99", "--biases", "0.35", "0.6"]


def verify_json(path, capsys, engine="all"):
    capsys.readouterr()
    code = main(["verify", str(path), "--json", "--engine", engine])
    out, err = capsys.readouterr()
    return code, json.loads(out), err


def start_cell(name):
    return start_here.cells(start_here.lines(Network(), ""))[name].replace("$", "")


def assert_every_cell_equals_numpy(report, network, learning_rates, iterations):
    expected = expected_cells(network, learning_rates, iterations)
    assert [e["engine"] for e in report["engines"]] == ["LibreOffice", "Gnumeric"]
    for engine in report["engines"]:
        assert engine["ok"]
        sheets = {s["sheet"]: s for s in engine["sheets"]}
        assert {name: s["cells_compared"] for name, s in sheets.items()} == \
               {name: len(cells) for name, cells in expected.items()}
        for name, lr in learning_rates.items():
            assert sheets[name]["lr"] == lr
            np.testing.assert_allclose(sheets[name]["e_total"], train(network, lr, iterations)["E_total"],
                                       rtol=1e-12, atol=1e-15)


def test_default_build_equals_numpy_in_both_engines(tmp_path, capsys):
    path = tmp_path / "backprop.xlsx"
    assert main(["build", "--out", str(path)]) == 0
    code, report, err = verify_json(path, capsys)
    assert code == 0, err
    rates = {f"lr {lr:g}": lr for lr in (0.1, 0.2, 0.5, 0.8, 1, 2)}
    assert_every_cell_equals_numpy(report, Network(), rates, 200)


def test_the_classic_worked_example_over_10000_iterations_equals_numpy(tmp_path, capsys):
    path = tmp_path / "mazur.xlsx"
    assert main(["build", *MAZUR, "--iterations", "10000", "--out", str(path)]) == 0
    code, report, err = verify_json(path, capsys)
    assert code == 0, err
    assert_every_cell_equals_numpy(report, Network(targets=(0.01, 0.99), biases=(0.35, 0.6)), {"lr 0.5": 0.5}, 10000)


def test_configured_build_with_other_weights_equals_numpy(tmp_path, capsys):
    config = tmp_path / "run.toml"
    config.write_text('lr = [0.3, 1.5]\niterations = 40\ntargets = [0.01, 0.99]\nbiases = [0.35, 0.6]\n'
                      'inputs = [0.05, 0.1]\nweights = [0.1, -0.2, 0.3, -0.4, 0.5, -0.6, 0.7, -0.8]\n'
                      f'out = "{tmp_path / "configured.xlsx"}"\n')
    assert main(["build", "--config", str(config)]) == 0
    code, report, err = verify_json(tmp_path / "configured.xlsx", capsys)
    assert code == 0, err
    network = Network(targets=(0.01, 0.99), biases=(0.35, 0.6), weights=(0.1, -0.2, 0.3, -0.4, 0.5, -0.6, 0.7, -0.8))
    assert_every_cell_equals_numpy(report, network, {"lr 0.3": 0.3, "lr 1.5": 1.5}, 40)


@pytest.mark.parametrize("engine", ENGINES)
def test_editing_a_weight_and_a_learning_rate_moves_every_number(tmp_path, engine):
    path = tmp_path / "live.xlsx"
    assert main(["build", "--lr", "0.5", "2", "--iterations", "30", "--out", str(path)]) == 0
    wb = openpyxl.load_workbook(path)
    wb[start_here.SHEET][start_cell("w5")] = 0.9
    wb["lr 2"][layout.LR_CELL.replace("$", "")] = 1.25
    wb.save(path)
    values = engines.recalculate(path, engine, 120)

    changed = Network(weights=(0.15, 0.2, 0.25, 0.3, 0.9, 0.45, 0.5, 0.55))
    cells = start_here.cells(start_here.lines(changed, "lr 0.5"))
    rows = values[start_here.SHEET]

    def start_value(key):
        row, col = openpyxl.utils.cell.coordinate_to_tuple(cells[key].replace("$", ""))
        return rows[row - 1][col - 1]

    # The start-here worked example: the chain rule's product, the finite difference and the update.
    dE_dw5 = train(changed, 0.5, 1)["dE_dw5"][0]
    assert start_value("dE_dw5") == pytest.approx(dE_dw5, rel=1e-12)
    assert dE_dw5 != pytest.approx(train(Network(), 0.5, 1)["dE_dw5"][0], rel=1e-3)
    assert start_value("fd_w5") == pytest.approx(central_difference(changed, 5, 1e-4), rel=1e-9)
    assert start_value("updated_w5") == pytest.approx(0.9 - 0.5 * dE_dw5, rel=1e-12)

    # The tables' error signals and the charts' E_total column, on both sheets.
    for sheet, lr in (("lr 0.5", 0.5), ("lr 2", 1.25)):
        table = train(changed, lr, 30)
        for name in ("delta_o1", "dE_da_h2", "E_total"):
            column = layout.COLUMN_LETTER[name]
            got = [values[sheet][layout.row_of(k) - 1][openpyxl.utils.column_index_from_string(column) - 1]
                   for k in range(31)]
            np.testing.assert_allclose(got, table[name], rtol=1e-12, atol=1e-15, err_msg=f"{sheet} {name}")
    summary_rows = values[summary.SHEET]
    assert summary_rows[summary.FIRST_ROW][1] == 1.25  # the Summary's copy of the edited rate
    # verify agrees: it reads the edited inputs and compares every cell.
    assert main(["verify", str(path), "--engine", engine]) == 0


@pytest.mark.parametrize("engine", ENGINES)
def test_a_wrong_formula_fails_verification(tmp_path, capsys, engine):
    path = tmp_path / "tampered.xlsx"
    assert main(["build", "--lr", "1", "--iterations", "10", "--out", str(path)]) == 0
    wb = openpyxl.load_workbook(path)
    ws = wb["lr 1"]
    ws[f"{E_TOTAL}{layout.row_of(4)}"] = 0.0123  # a constant where a formula was
    ws[f"{layout.COLUMN_LETTER['E1']}{layout.row_of(10)}"] = "=1/0"  # the last row: few cells follow it
    wb[start_here.SHEET][start_cell("delta_o1")] = "=0.5"
    wb.save(path)
    assert main(["verify", str(path), "--engine", engine]) == 1
    out, err = capsys.readouterr()
    assert f"lr 1!{E_TOTAL}{layout.row_of(4)}: 0.0123" in err
    assert "DIV/0" in err
    assert f"{start_here.SHEET}!{start_cell('delta_o1')}: 0.5" in err
    assert "FAILED" in out


def test_wrong_cached_values_with_right_formulas_still_verify(tmp_path, capsys):
    path = tmp_path / "stale.xlsx"
    assert main(["build", "--lr", "1", "--iterations", "10", "--out", str(path)]) == 0
    stale = tmp_path / "stale-cache.xlsx"
    import zipfile

    with zipfile.ZipFile(path) as source, zipfile.ZipFile(stale, "w") as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename.startswith("xl/worksheets/"):
                data = re.sub(rb"</f><v>[^<]*</v>", b"</f><v>42</v>", data)
            target.writestr(item, data)
    assert openpyxl.load_workbook(stale, data_only=True)["lr 1"][f"{E_TOTAL}{layout.row_of(3)}"].value == 42
    code, report, err = verify_json(stale, capsys)
    assert code == 0, err


def test_verify_prints_a_table_per_engine(tmp_path, capsys):
    path = tmp_path / "t.xlsx"
    assert main(["build", "--lr", "0.5", "2", "--iterations", "10", "--out", str(path)]) == 0
    capsys.readouterr()
    assert main(["verify", str(path), "--engine", "all"]) == 0
    out = capsys.readouterr().out
    total = sum(len(cells) for cells in expected_cells(Network(), {"lr 0.5": 0.5, "lr 2": 2.0}, 10).values())
    assert "recalculated by LibreOffice" in out and "recalculated by Gnumeric" in out
    assert out.count(f"{total:,} computed cells") == 2 and out.count(": OK") == 2


@pytest.mark.parametrize("engine, fake", [("libreoffice", "soffice"), ("gnumeric", "ssconvert")])
def test_a_hanging_engine_times_out(tmp_path, capsys, monkeypatch, engine, fake):
    program = tmp_path / "bin" / fake
    program.parent.mkdir()
    program.write_text("#!/bin/sh\nsleep 60\n")
    program.chmod(0o755)
    monkeypatch.setenv("PATH", f"{program.parent}{os.pathsep}{os.environ['PATH']}")
    path = tmp_path / "t.xlsx"
    assert main(["build", "--lr", "1", "--iterations", "2", "--out", str(path)]) == 0
    capsys.readouterr()
    assert main(["verify", str(path), "--engine", engine, "--timeout", "1"]) == 2
    err = capsys.readouterr().err
    assert "did not finish within 1 s" in err and len(err.splitlines()) == 1
