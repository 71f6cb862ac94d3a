"""Bad input to every command, each built here: one line on stderr, exit 2, nothing written, never a
traceback (issue 38's probe found each of these ending in one)."""
import json
import zipfile

import pytest
from helpers import call_main

from bp_excel.cli import main as bp_excel
from mnist_keras import evaluate, results, train
from mnist_keras.bench import cli as bench
from mnist_keras.sweep import cli as sweep

LONG = "w" * 300 + ".xlsx"  # past the 255 bytes a file name may have


def assert_one_line(code, captured, fragment):
    assert code == 2, captured.err
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in captured.err and fragment in lines[0], captured.err


@pytest.mark.parametrize("argv, fragment", [
    (["check", LONG], "File name too long"),
    (["verify", LONG], "File name too long"),
    (["build", "--out", f"/tmp/{LONG}"], "File name too long"),
    (["check", "x.xlsx", "--timeout", "1e308"], "must be between"),
    (["verify", "x.xlsx", "--timeout", "1e308"], "must be between"),
    (["render", "x.xlsx", "--timeout", "1e308"], "must be between"),
    (["check", "x.xlsx", "--lr-cell", "foo"], "must be one cell"),
    (["check", "x.xlsx", "--lr-cell", "ZZZZ1"], "must be one cell"),
    (["check", "x.xlsx", "--lr-cell", "A1:B2"], "must be one cell"),
    (["check", "x.xlsx", "--lr-cell", "Sheet1!A1"], "must be one cell"),
    (["check", "x.xlsx", "--lr-cell", "A1048577"], "must be one cell"),
])
def test_bp_excel_flags_and_paths(tmp_path, capsys, monkeypatch, argv, fragment):
    monkeypatch.chdir(tmp_path)
    assert_one_line(*call_main(bp_excel, argv, capsys), fragment)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("config, fragment", [
    (b"\x00\xff\xfe binary", "is not valid TOML"),
    (b"lr = " + b"[" * 5000 + b"]" * 5000, "too deeply"),
    (b"out = 5", "out must be a file name"),
])
def test_a_bad_build_config(tmp_path, capsys, monkeypatch, config, fragment):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "c.toml"
    path.write_bytes(config)
    assert_one_line(*call_main(bp_excel, ["build", "--config", str(path)], capsys), fragment)
    assert [p.name for p in tmp_path.iterdir()] == ["c.toml"]


GOOD_SUMMARY = {"seed": 1, "val_accuracy": [0.99, 0.995], "best_accuracy": 0.995, "best_epoch": 2,
                "final_accuracy": 0.995, "first_epoch_at_target": 2, "seconds_per_epoch": [1.0, 1.0],
                "wall_seconds": 2.0, "device": "CPU", "commit": "abc", "date": "2026-12-04"}


@pytest.mark.parametrize("text, fragment", [
    ("{}", "seed must be a whole number"),
    ("null", "is not a run's summary"),
    ("[1, 2]", "is not a run's summary"),
    (json.dumps({**GOOD_SUMMARY, "seed": None}), "seed must be a whole number"),
    (json.dumps(GOOD_SUMMARY).replace("0.995]", "NaN]"), "val_accuracy must be a list of accuracies"),
    (json.dumps(GOOD_SUMMARY).replace("0.995]", "Infinity]"), "val_accuracy must be a list of accuracies"),
    (json.dumps({**GOOD_SUMMARY, "final_accuracy": 1e308}), "final_accuracy must be an accuracy"),
    (json.dumps({**GOOD_SUMMARY, "hyperparameters": {"model": ["huge"]}}), "hyperparameters must be settings"),
    ("{\"seed\": 1", "cannot read"),
])
def test_results_on_a_damaged_summary(tmp_path, capsys, text, fragment):
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "summary.json").write_text(text)
    assert_one_line(*call_main(results.main, [str(tmp_path / "run")], capsys), fragment)


@pytest.mark.parametrize("flag, target, fragment", [
    ("--plot", "missing/spread.png", "no folder"),
    ("--xlsx", "missing/runs.xlsx", "no folder"),
    ("--xlsx", "notes.txt", "must end in .xlsx"),
    ("--plot", "notes.txt", "must end in .png"),
])
def test_results_outputs_are_checked_before_any_work(tmp_path, capsys, flag, target, fragment):
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "summary.json").write_text(json.dumps(GOOD_SUMMARY))
    (tmp_path / "notes.txt").write_text("mine")
    assert_one_line(*call_main(results.main, [str(tmp_path / "run"), "--by-setting", flag, str(tmp_path / target)],
                               capsys), fragment)
    assert (tmp_path / "notes.txt").read_text() == "mine"


def test_bench_json_into_a_missing_folder_fails_before_the_benchmark(tmp_path, capsys):
    assert_one_line(*call_main(bench.main, ["--json", str(tmp_path / "missing" / "b.json")], capsys), "no folder")


@pytest.mark.parametrize("argv, fragment", [
    (["--rotation", "1e308"], "must be between 0 and 180"),
    (["--shift", "-1"], "must be between 0 and 28"),
    (["--data", "/nonexistent.npz"], "no such file"),
])
def test_train_settings_out_of_range(capsys, argv, fragment):
    assert_one_line(*call_main(train.main, [*argv, "--dry-run"], capsys), fragment)


def test_sweep_bad_outputs_and_settings(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "afile").write_text("")
    assert_one_line(*call_main(sweep.main, ["--out", str(tmp_path / "afile"), "--seeds", "1", "--epochs", "1"],
                               capsys), "afile")
    assert_one_line(*call_main(sweep.main, ["--set", "data=/nonexistent.npz"], capsys), "no such file")
    assert_one_line(*call_main(sweep.main, ["--set", "tensorboard=1"], capsys), "is a switch")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["afile"]


def test_evaluate_a_model_that_unpacks_to_a_gigabyte(tmp_path, capsys):
    bomb = tmp_path / "bomb.keras"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as z:
        with z.open("config.json", "w", force_zip64=True) as member:
            for _ in range(128):
                member.write(b" " * 2**20)
    assert bomb.stat().st_size < 2**20
    assert_one_line(*call_main(evaluate.main, [str(bomb)], capsys), "a zip bomb?")


@pytest.mark.parametrize("data", [b"PK\x03\x04 broken", b"\x93NUMPY not an archive"])
def test_evaluate_with_corrupt_data(tmp_path, capsys, data):
    import keras

    model = tmp_path / "m.keras"
    keras.Sequential([keras.Input((28, 28)), keras.layers.Flatten(), keras.layers.Dense(10)]).save(model)
    corrupt = tmp_path / "d.npz"
    corrupt.write_bytes(data)
    assert_one_line(*call_main(evaluate.main, [str(model), "--data", str(corrupt)], capsys), "cannot read")


def test_resuming_a_run_whose_settings_were_cut_off(tmp_path, capsys):
    run = tmp_path / "cut"
    (run / "backup").mkdir(parents=True)
    (run / "settings.json").write_text('{"model": "se')
    assert_one_line(*call_main(train.main, ["--out", str(tmp_path), "--name", "cut", "--epochs", "1"], capsys),
                    "settings.json is damaged")


def test_resuming_a_run_whose_history_was_damaged(tmp_path, capsys):
    run = tmp_path / "cut"
    (run / "backup").mkdir(parents=True)  # a killed run, from before runs recorded their settings
    (run / "history.csv").write_text("epoch,accuracy,loss,val_accuracy,val_loss\n0,0.9,0.3,0.95\nzz,1,2,3,4\n")
    assert_one_line(*call_main(train.main, ["--out", str(tmp_path), "--name", "cut"], capsys), "history.csv is damaged")
