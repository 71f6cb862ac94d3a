"""The results table is made from the summary files runs wrote."""
import json
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import audit, schema_errors

from mnist_keras import results

ROOT = Path(__file__).parent.parent


def summary(seed, accuracies):
    return {"seed": seed, "val_accuracy": accuracies, "best_accuracy": max(accuracies),
            "best_epoch": accuracies.index(max(accuracies)) + 1, "final_accuracy": accuracies[-1],
            "closing_epochs": 5,
            "first_epoch_at_target": 3, "seconds_to_target": 90.0, "seconds_per_epoch": [20.0, 22.0, 30.0],
            "wall_seconds": 600,
            "device": "CPU: x86_64", "commit": "abc1234", "date": "2026-11-25T04:00:00+00:00"}


def test_markdown_rows_and_per_epoch_table(tmp_path, capsys):
    for seed, accuracies in [(1, [0.99, 0.993, 0.9941]), (2, [0.98, 0.994, 0.9952])]:
        (tmp_path / f"s{seed}").mkdir()
        (tmp_path / f"s{seed}" / "summary.json").write_text(json.dumps(summary(seed, accuracies)))
    assert results.main([str(tmp_path / "s1"), str(tmp_path / "s2")]) == 0
    out = capsys.readouterr().out
    assert "| 1 | 99.41 (3) | 99.41 | 99.00 / 99.24 | 3 (1.5 min) | 22.0 | 10.0 min | CPU: x86_64 | abc1234 | 2026-11-25 |" in out
    assert "Final accuracy over 2 runs: mean 99.47% ± 0.08 (std), range 99.41-99.52%." in out
    assert "Runs whose last 5 epochs all reach 99.4%: 0 of 2." in out  # 99.00% and 98.00% among them
    assert "The lowest of each run's last 5: 98.00-99.00%, median 98.50%." in out
    assert "| 2 | 98.00 | 99.40 | 99.52 |" in out


def test_the_closing_window_is_a_choice(tmp_path, capsys):
    (tmp_path / "s1").mkdir()
    (tmp_path / "s1" / "summary.json").write_text(json.dumps(summary(1, [0.99, 0.993, 0.9942])))
    assert results.main([str(tmp_path / "s1"), "--last", "2"]) == 0
    out = capsys.readouterr().out
    assert "| min / mean of last 2 |" in out and "| 99.30 / 99.36 |" in out
    assert "Final accuracy over 1 run: 99.42%. Runs whose last 2 epochs all reach 99.4%: 0 of 1." in out


def test_runs_that_hold_the_target_are_counted(tmp_path, capsys):
    for seed, accuracies in [(1, [0.99, 0.9940, 0.9945]), (2, [0.99, 0.9939, 0.9950]), (3, [0.99, 0.9941, 0.9942])]:
        (tmp_path / f"s{seed}").mkdir()
        (tmp_path / f"s{seed}" / "summary.json").write_text(json.dumps(summary(seed, accuracies)))
    assert results.main([str(tmp_path / f"s{seed}") for seed in (1, 2, 3)] + ["--last", "2"]) == 0
    assert "Runs whose last 2 epochs all reach 99.4%: 2 of 3." in capsys.readouterr().out


def test_a_missing_run(tmp_path, capsys):
    assert results.main([str(tmp_path / "nothing")]) == 2
    assert "cannot read" in capsys.readouterr().err


def test_a_summary_from_before_the_wall_time_was_recorded(tmp_path, capsys):
    old = summary(1, [0.99, 0.993, 0.9941])
    del old["seconds_to_target"]
    (tmp_path / "s1").mkdir()
    (tmp_path / "s1" / "summary.json").write_text(json.dumps(old))
    assert results.main([str(tmp_path / "s1")]) == 0
    assert "| 99.00 / 99.24 | 3 | 22.0 |" in capsys.readouterr().out


def test_a_reader_that_stops_early_gets_no_traceback(tmp_path):
    """`python -m mnist_keras.results ... | head -1`: the pipe closes before the table is written."""
    (tmp_path / "s1").mkdir()
    (tmp_path / "s1" / "summary.json").write_text(json.dumps(summary(1, [0.99, 0.993, 0.9941])))
    process = subprocess.Popen([sys.executable, "-m", "mnist_keras.results", str(tmp_path / "s1")],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    process.stdout.close()  # before the interpreter has even imported the module
    stderr = process.stderr.read().decode()
    assert process.wait(timeout=60) == 141  # as a shell reports SIGPIPE; never check's 1 (a wrong table)
    assert stderr == ""


def test_the_readmes_results_table_is_what_the_command_prints_today(capsys):
    """The README's table comes from the run summaries in results/: its marker names the
    arguments, and the command run with them prints the table between the markers."""
    readme = (ROOT / "README.md").read_text()
    found = re.search(r"<!-- results: (.+?) -->\n(.*?)\n<!-- /results -->", readme, re.S)
    assert found, "the README has no results table between markers"
    arguments = [path for pattern in shlex.split(found[1]) for path in
                 (sorted(str(p) for p in ROOT.glob(pattern)) if "*" in pattern else
                  [str(ROOT / pattern) if pattern.startswith("results/") else pattern])]
    assert results.main(arguments) == 0
    assert capsys.readouterr().out.strip() == found[2].strip()


def test_the_runs_workbook_recalculates_to_the_runs_numbers(tmp_path, capsys, libreoffice):
    """results --xlsx on real summaries (two models, two closing windows), recalculated by LibreOffice:
    each run's final and closing epochs, and the spread over runs, as Python computes them."""
    import statistics

    from labkit import engines
    from mnist_keras.reports import workbooks
    from mnist_keras.reports.run_summary import closing_epochs

    runs = [ROOT / "results" / name for name in ("s20-seed13", "s20-seed84199", "cLr2-s405")]
    path = tmp_path / "runs.xlsx"
    assert results.main([*map(str, runs), "--xlsx", str(path)]) == 0
    summaries = results.load(runs)
    rows = engines.recalculate_libreoffice(path, 120)["Runs"]
    first = workbooks.RUNS_HEADER_ROW + 1
    for row, s in enumerate(summaries, start=first):
        closing = s["val_accuracy"][-closing_epochs(s):]
        assert engines.value(rows, f"C{row}") == pytest.approx(s["final_accuracy"], rel=1e-12)
        assert engines.value(rows, f"D{row}") == pytest.approx(statistics.mean(closing), rel=1e-12)
        assert engines.value(rows, f"E{row}") == pytest.approx(min(closing), rel=1e-12)
    assert [engines.value(rows, f"F{row}") for row in range(first, first + 3)] == [5, 5, 3]
    spread = [engines.value(rows, f"C{first + len(summaries) + 1 + k}") for k in range(4)]
    finals = [s["final_accuracy"] for s in summaries]
    assert spread[:2] == pytest.approx([statistics.mean(finals), statistics.stdev(finals)], rel=1e-9)
    assert spread[2] == pytest.approx(min(min(s["val_accuracy"][-closing_epochs(s):]) for s in summaries))
    assert spread[3] == sum(results.held(s) for s in summaries) == 3
    report = audit(path)
    assert not schema_errors(report), schema_errors(report)[:3]
