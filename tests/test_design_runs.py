"""Training a design workbook: the same run as the built-in model it came from, and every run
written back into the workbook's Runs sheet without losing what the learner wrote."""
import json

import openpyxl
import pytest
from helpers import audit, call_main, schema_errors
from openpyxl.chart import BarChart, Reference

from labkit import engines
from mnist_keras import train
from mnist_keras.architecture import DESIGNS
from mnist_keras.config import recipe
from mnist_keras.design import cli, runs_sheet
from mnist_keras.design.record import record_run
from mnist_keras.design.workbook import write_design

SHORT = ["--train-images", "1000", "--epochs", "2", "--batch-size", "100", "--warmup-epochs", "1"]


def summary(seed, accuracy, closing=2):
    """A finished run's summary, as far as the Runs sheet reads it."""
    return {"date": "2026-12-04T10:00:00+00:00", "seed": seed, "trainable_params": 14_402, "val_accuracy": accuracy,
            "closing_epochs": closing, "first_epoch_at_target": None, "seconds_per_epoch": [3.0, 5.0],
            "device": "CPU: the test's"}


def run_folder(folder, name):
    (folder / "runs" / name).mkdir(parents=True)
    return folder / "runs" / name


def design(folder, name="design.xlsx"):
    path = folder / name
    write_design(path, DESIGNS["standard"], recipe(), "1-3", "standard")
    return path


def test_runs_are_appended_under_each_other_with_live_formulas(tmp_path, libreoffice):
    path = design(tmp_path)
    book = openpyxl.load_workbook(path)
    book["Design"]["A3"] = "my note: widen the last block next"  # a learner's edit, before any run
    book.save(path)
    for seed, accuracy in [(1, [0.9941, 0.9950]), (2, [0.991, 0.9930, 0.9970])]:
        written, why = record_run(path, summary(seed, accuracy), run_folder(tmp_path, f"s{seed}"), "abcd1234")
        assert written == path and why is None
    rows = engines.recalculate_libreoffice(path, 120)["Runs"]
    first = runs_sheet.HEADER_ROW + 1
    value = {name: (lambda row, name=name: engines.value(rows, f"{runs_sheet.COL[name]}{row}"))
             for name in runs_sheet.COLUMNS}
    assert [value["seed"](first), value["seed"](first + 1)] == [1, 2]
    assert value["final"](first) == 0.9950 and value["final"](first + 1) == 0.9970
    assert value["lowest of the closing epochs"](first + 1) == 0.9930  # its last 2 of 3
    assert [value["holds the target"](first), value["holds the target"](first + 1)] == ["yes", "no"]
    assert value["report"](first) == "runs/s1/report.xlsx"
    epochs = [engines.value(rows, f"{chr(ord('A') + runs_sheet.FIRST_EPOCH_COLUMN - 1 + k)}{runs_sheet.HEADER_ROW}")
              for k in range(3)]
    assert epochs == [1, 2, 3]  # widened for the longer run
    book = openpyxl.load_workbook(path)
    assert book["Design"]["A3"].value == "my note: widen the last block next"
    assert len(book["Runs"]._charts) == 1  # drawn again, not twice
    assert len(book["Runs"]._charts[0].series) == 3  # two runs and the target line
    assert not schema_errors(audit(path))


def test_an_open_workbook_or_a_chart_of_the_learners_gets_a_copy_beside_it(tmp_path):
    path = design(tmp_path)
    before = path.read_bytes()
    (tmp_path / ".~lock.design.xlsx#").write_text("someone,host,...")  # LibreOffice has it open
    written, why = record_run(path, summary(1, [0.99, 0.995]), run_folder(tmp_path, "s1"), "abcd1234")
    assert written == tmp_path / "design-s1.xlsx" and "open" in why and path.read_bytes() == before
    (tmp_path / ".~lock.design.xlsx#").unlink()

    book = openpyxl.load_workbook(path)
    chart = BarChart()
    chart.add_data(Reference(book["Design"], min_col=12, min_row=6, max_row=10))
    book["Design"].add_chart(chart, "R2")  # the learner's own chart of the parameters
    book.save(path)
    before = path.read_bytes()
    written, why = record_run(path, summary(2, [0.99, 0.995]), run_folder(tmp_path, "s2"), "abcd1234")
    assert written == tmp_path / "design-s2.xlsx" and "1 chart(s) or picture(s) on the Design sheet" in why
    assert path.read_bytes() == before
    assert openpyxl.load_workbook(written)["Runs"][f"B{runs_sheet.HEADER_ROW + 1}"].value == 2


@pytest.mark.parametrize("name", list(DESIGNS))
def test_training_a_built_in_design_is_training_the_built_in_model(tmp_path, capsys, mnist, libreoffice, name):
    path = tmp_path / f"{name}.xlsx"
    assert cli.main([str(path), "--from", name]) == 0
    book = openpyxl.load_workbook(path)
    book["Recipe"]["F4"] = "my note: try 15 epochs next"  # the learner's, before the run
    book.save(path)
    for argv, folder in [(["--model", name], "model"), (["--design", str(path)], "design")]:
        code, out = call_main(train.main, [*argv, *SHORT, "--out", str(tmp_path), "--name", folder], capsys)
        assert code == 0, out.err
    assert (tmp_path / "model" / "history.csv").read_bytes() == (tmp_path / "design" / "history.csv").read_bytes()
    assert "the run's row is in" in out.out
    settings = [json.loads((tmp_path / folder / "settings.json").read_text()) for folder in ("model", "design")]
    assert settings[0]["layers"] == settings[1]["layers"]
    book = openpyxl.load_workbook(path)
    runs = book["Runs"]
    assert runs[f"B{runs_sheet.HEADER_ROW + 1}"].value == 1  # the Recipe sheet's first seed
    assert runs[f"A{runs_sheet.HEADER_ROW + 2}"].value is None
    assert book["Recipe"]["F4"].value == "my note: try 15 epochs next"
    assert not schema_errors(audit(path))
    final = json.loads((tmp_path / "design" / "summary.json").read_text())["final_accuracy"]
    recalculated = engines.recalculate_libreoffice(path, 120)
    assert engines.value(recalculated["Runs"], f"{runs_sheet.COL['final']}{runs_sheet.HEADER_ROW + 1}") == pytest.approx(
        final, rel=1e-14)  # LibreOffice keeps 15 digits


def test_a_sweep_of_a_design_adds_a_row_per_recipe_seed(tmp_path, capsys, mnist, libreoffice):
    from mnist_keras.sweep import cli as sweep

    path = tmp_path / "design.xlsx"
    write_design(path, DESIGNS["tiny"], recipe("tiny"), "4-5", "tiny")
    code, out = call_main(sweep.main, ["--design", str(path), *SHORT, "--epochs", "1", "--out", str(tmp_path)], capsys)
    assert code == 0, out.err
    runs = openpyxl.load_workbook(path)["Runs"]
    first = runs_sheet.HEADER_ROW + 1
    assert sorted(runs[f"B{row}"].value for row in (first, first + 1)) == [4, 5]
    assert runs[f"C{first}"].value == 4_932
