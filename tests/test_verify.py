"""The workbook recalculated by a real LibreOffice, compared with the NumPy reference."""
import json
import os

import numpy as np
import openpyxl
import pytest

from bp_excel import layout
from bp_excel.cli import main
from bp_excel.network import Network, train

pytestmark = pytest.mark.usefixtures("libreoffice")
E_TOTAL = layout.COLUMN_LETTER["E_total"]


def verify_json(path, capsys):
    capsys.readouterr()
    code = main(["verify", str(path), "--json"])
    out, err = capsys.readouterr()
    return code, json.loads(out), err


def assert_sheet_equals_numpy(sheet, network, iterations):
    expected = train(network, sheet["lr"], iterations)
    assert sheet["cells_compared"] == (iterations + 1) * len(layout.COLUMNS)
    np.testing.assert_allclose(sheet["e_total"], expected["E_total"], rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(sheet["weights"], [expected[w][-1] for w in layout.WEIGHTS], rtol=1e-12)


def test_default_build_equals_numpy(tmp_path, capsys):
    path = tmp_path / "backprop.xlsx"
    assert main(["build", "--out", str(path)]) == 0
    code, report, err = verify_json(path, capsys)
    assert code == 0, err
    assert report["engine"] == "LibreOffice"
    assert [s["lr"] for s in report["sheets"]] == [0.1, 0.2, 0.5, 0.8, 1, 2]
    for sheet in report["sheets"]:
        assert_sheet_equals_numpy(sheet, Network(), 200)
    assert report["summary"]["cells_compared"] == 18


def test_configured_build_with_biases_and_other_targets_equals_numpy(tmp_path, capsys):
    config = tmp_path / "run.toml"
    config.write_text('lr = [0.3, 1.5]\niterations = 40\ntargets = [0.01, 0.99]\nbiases = [0.35, 0.6]\n'
                      'inputs = [0.05, 0.1]\nweights = [0.1, -0.2, 0.3, -0.4, 0.5, -0.6, 0.7, -0.8]\n'
                      f'out = "{tmp_path / "configured.xlsx"}"\n')
    assert main(["build", "--config", str(config)]) == 0
    code, report, err = verify_json(tmp_path / "configured.xlsx", capsys)
    assert code == 0, err
    network = Network(targets=(0.01, 0.99), biases=(0.35, 0.6), weights=(0.1, -0.2, 0.3, -0.4, 0.5, -0.6, 0.7, -0.8))
    assert [s["lr"] for s in report["sheets"]] == [0.3, 1.5]
    for sheet in report["sheets"]:
        assert_sheet_equals_numpy(sheet, network, 40)


def test_sheet_is_live_after_changing_an_initial_weight(tmp_path, capsys):
    path = tmp_path / "live.xlsx"
    assert main(["build", "--lr", "0.5", "--iterations", "30", "--out", str(path)]) == 0
    wb = openpyxl.load_workbook(path)
    wb["lr 0.5"][layout.PARAM_CELL["w1"].replace("$", "")] = 0.9
    wb.save(path)
    code, report, err = verify_json(path, capsys)
    assert code == 0, err
    changed = Network(weights=(0.9, 0.2, 0.25, 0.3, 0.4, 0.45, 0.5, 0.55))
    assert_sheet_equals_numpy(report["sheets"][0], changed, 30)
    assert report["sheets"][0]["weights"][0] != pytest.approx(train(Network(), 0.5, 30)["w1"][-1], rel=1e-6)


def test_a_wrong_cell_fails_verification(tmp_path, capsys):
    path = tmp_path / "tampered.xlsx"
    assert main(["build", "--lr", "1", "--iterations", "10", "--out", str(path)]) == 0
    wb = openpyxl.load_workbook(path)
    ws = wb["lr 1"]
    ws[f"{E_TOTAL}{layout.row_of(4)}"] = 0.0123  # a constant where a formula was
    ws[f"{layout.COLUMN_LETTER['a_h1']}{layout.row_of(7)}"] = "=1/0"
    wb.save(path)
    assert main(["verify", str(path)]) == 1
    out, err = capsys.readouterr()
    assert f"lr 1!{E_TOTAL}{layout.row_of(4)}: 0.0123" in err
    assert "#DIV/0!" in err
    assert "FAILED" in out


def test_verify_prints_a_table_per_sheet(tmp_path, capsys):
    path = tmp_path / "t.xlsx"
    assert main(["build", "--lr", "0.5", "2", "--iterations", "10", "--out", str(path)]) == 0
    capsys.readouterr()
    assert main(["verify", str(path)]) == 0
    out = capsys.readouterr().out
    assert "lr 0.5" in out and "lr 2" in out and "max rel error" in out
    assert f"{2 * 11 * len(layout.COLUMNS) + 6:,} computed cells" in out and out.rstrip().endswith("OK")


def test_a_hanging_engine_times_out(tmp_path, capsys, monkeypatch):
    fake = tmp_path / "bin" / "soffice"
    fake.parent.mkdir()
    fake.write_text("#!/bin/sh\nsleep 60\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{fake.parent}{os.pathsep}{os.environ['PATH']}")
    path = tmp_path / "t.xlsx"
    assert main(["build", "--lr", "1", "--iterations", "2", "--out", str(path)]) == 0
    capsys.readouterr()
    assert main(["verify", str(path), "--timeout", "1"]) == 2
    err = capsys.readouterr().err
    assert "did not finish within 1 s" in err and len(err.splitlines()) == 1
