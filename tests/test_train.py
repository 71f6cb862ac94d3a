"""The trainer on real MNIST, briefly, and its command line's errors."""
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import keras
import numpy as np
import openpyxl
import pytest
from helpers import audit, call_main, require, schema_errors

from mnist_keras import backend, evaluate, train

ROOT = Path(__file__).parent.parent
QUICK = ["--train-images", "5000", "--epochs", "3", "--batch-size", "32", "--warmup-epochs", "1", "--ema", "0.9"]  # a short average for a short run


def run(module, argv, capsys):
    return call_main(module.main, argv, capsys)


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory, mnist):
    out = tmp_path_factory.mktemp("runs")
    assert train.main([*QUICK, "--out", str(out), "--name", "quick", "--seed", "3", "--tensorboard"]) == 0
    return out / "quick"


def test_a_short_real_training_learns(quick_run):
    summary = json.loads((quick_run / "summary.json").read_text())
    # 3 epochs on 5,000 real training images, judged on all 10,000 test images.
    assert summary["best_accuracy"] >= 0.95
    assert summary["trainable_params"] == 14_402
    assert len(summary["val_accuracy"]) == 3 and summary["seed"] == 3
    assert summary["best_model_test_accuracy"] == pytest.approx(summary["best_accuracy"], abs=1e-4)
    for name in ["history.csv", "best.keras", "curves.png", "confusion.png", "misclassified.png"]:
        assert (quick_run / name).stat().st_size > 0, name
    assert not (quick_run / "backup").exists()


def test_tensorboard_logs_hold_every_epochs_scalars(quick_run):
    """Read with TensorBoard's own reader: each epoch's training and validation accuracy and loss,
    equal to what history.csv holds."""
    import tensorflow as tf
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    from mnist_keras import runs

    history = runs.read_history(quick_run / "history.csv")
    for folder, prefix in [("train", ""), ("validation", "val_")]:
        events = EventAccumulator(str(quick_run / "tensorboard" / folder), size_guidance={"tensors": 0})
        events.Reload()
        for metric in ("accuracy", "loss"):
            logged = [(e.step, float(tf.make_ndarray(e.tensor_proto))) for e in events.Tensors(f"epoch_{metric}")]
            assert [step for step, _ in logged] == [0, 1, 2]
            assert [value for _, value in logged] == pytest.approx([e[prefix + metric] for e in history], rel=1e-6)


def test_the_runs_report_workbook_recalculates_to_the_runs_own_numbers(quick_run, libreoffice):
    """report.xlsx, recalculated by LibreOffice: its formulas give what summary.json and history.csv
    hold and the model's own parameter count, and Open XML's schema check finds no error."""
    from labkit import engines
    from mnist_keras import runs
    from mnist_keras.reports import workbooks

    summary = json.loads((quick_run / "summary.json").read_text())
    history = runs.read_history(quick_run / "history.csv")
    sheets = engines.recalculate_libreoffice(quick_run / "report.xlsx", 120)
    epochs = sheets["Epochs"]
    results = {key: engines.value(epochs, cell) for key, cell in
               workbooks.write_epochs_sheet(openpyxl.Workbook().active, history, summary["closing_epochs"]).items()}
    for key in ("best_accuracy", "best_epoch", "final_accuracy", "closing_mean_accuracy", "closing_min_accuracy"):
        assert results[key] == pytest.approx(summary[key], rel=1e-9), key
    assert results["epochs_at_target"] == len(summary["epochs_at_target"])
    first = workbooks.EPOCH_HEADER_ROW + 1
    assert [engines.value(epochs, f"E{first + i}") for i in range(len(history))] == pytest.approx(
        [e["val_accuracy"] for e in history], rel=1e-12)
    run = {row[0]: row[1] for row in sheets["Run"] if row and len(row) > 1 and row[0]}
    assert run["trainable parameters (the Model sheet's formulas)"] == summary["trainable_params"] == 14_402
    assert run["seed"] == summary["seed"] and run["commit"] == summary["commit"]
    report = audit(quick_run / "report.xlsx")
    assert not schema_errors(report), schema_errors(report)[:3]


def test_two_runs_of_one_seed_give_the_same_history_and_weights(tmp_path, mnist):
    # Deterministic by default: the same command twice, no flag.
    argv = ["--train-images", "3000", "--epochs", "2", "--batch-size", "100", "--seed", "5", "--out", str(tmp_path)]
    for name in ("a", "b"):
        assert train.main([*argv, "--name", name]) == 0
    a, b = tmp_path / "a", tmp_path / "b"
    assert (a / "history.csv").read_bytes() == (b / "history.csv").read_bytes()
    assert len((a / "history.csv").read_text().splitlines()) == 3  # the header and two epochs
    for model in ("final.keras", "best.keras"):
        weights = [keras.saving.load_model(folder / model).get_weights() for folder in (a, b)]
        assert all(np.array_equal(x, y) for x, y in zip(*weights)), model
    assert json.loads((a / "summary.json").read_text())["hyperparameters"]["deterministic"] is True
    assert (a / "epoch_times.csv").read_bytes() != (b / "epoch_times.csv").read_bytes()  # the clock, apart


def test_no_deterministic_turns_it_off(tmp_path, capsys):
    from mnist_keras.config import recipe

    assert recipe().deterministic is True
    assert train.hyperparameters(train.parse_args(["--no-deterministic"])).deterministic is False
    assert train.hyperparameters(train.parse_args([])).deterministic is True


def test_best_model_round_trips_with_identical_predictions(quick_run, mnist, tmp_path):
    _, (x_test, y_test) = mnist
    model = keras.saving.load_model(quick_run / "best.keras")
    model.save(tmp_path / "again.keras")
    again = keras.saving.load_model(tmp_path / "again.keras")
    np.testing.assert_array_equal(model.predict(x_test[:2000], verbose=0), again.predict(x_test[:2000], verbose=0))


# An interpreter in which this project's packages cannot be imported: what a user who has only
# Keras and TensorFlow has.
WITHOUT_THIS_PACKAGE = """
import importlib.abc, sys
class Absent(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("mnist_keras", "bp_excel"):
            raise ImportError(name + " is not installed here")
sys.meta_path.insert(0, Absent())
"""


@pytest.fixture(scope="module")
def compact_run(tmp_path_factory, mnist):
    """The compact model, whose separable convolutions must load without this package too."""
    out = tmp_path_factory.mktemp("runs")
    assert train.main([*QUICK, "--model", "compact", "--out", str(out), "--name", "compact"]) == 0
    return out / "compact"


@pytest.mark.parametrize("run_fixture", ["quick_run", "compact_run"])
def test_saved_models_load_without_this_package_and_take_raw_pixels(run_fixture, request, mnist, tmp_path):
    run_dir = request.getfixturevalue(run_fixture)
    _, (x_test, y_test) = mnist
    np.save(tmp_path / "pixels.npy", x_test)  # raw uint8, (10000, 28, 28)
    script = WITHOUT_THIS_PACKAGE + f"""
import numpy as np, keras
pixels = np.load({str(tmp_path / "pixels.npy")!r})
for name in ("best.keras", "final.keras"):
    model = keras.models.load_model({str(run_dir)!r} + "/" + name)
    digits = model.predict(pixels, batch_size=1000, verbose=0).argmax(axis=1)
    np.save({str(tmp_path)!r} + "/" + name + ".npy", digits)
"""
    done = subprocess.run([sys.executable, "-I", "-c", script], cwd=tmp_path, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    summary = json.loads((run_dir / "summary.json").read_text())
    best = np.load(tmp_path / "best.keras.npy")
    assert (best == y_test).mean() == pytest.approx(summary["best_model_test_accuracy"], abs=2e-4)
    final = np.load(tmp_path / "final.keras.npy")
    assert (final == y_test).mean() == pytest.approx(summary["final_accuracy"], abs=2e-4)


def test_the_exported_savedmodel_predicts_the_same_digits(quick_run, mnist):
    import tensorflow as tf

    _, (x_test, _) = mnist
    pixels = x_test[:2000].astype(np.float32)
    exported = tf.saved_model.load(str(quick_run / "best_savedmodel"))  # kept: its variables live in it
    served = exported.serve(tf.constant(pixels)).numpy()
    model = keras.saving.load_model(quick_run / "best.keras")
    np.testing.assert_array_equal(served.argmax(axis=1), model.predict(pixels, verbose=0).argmax(axis=1))


def test_evaluate_reads_a_model_saved_before_the_scaling_moved_into_it(tmp_path, capsys, mnist):
    from mnist_keras.config import recipe
    from mnist_keras.model import build_model

    old = build_model(recipe())  # the fused BatchNorm subclass, normalized input: what runs saved before
    old.compile(loss="categorical_crossentropy")
    old.save(tmp_path / "old.keras")
    code, out = run(evaluate, [str(tmp_path / "old.keras"), "--out", str(tmp_path / "eval")], capsys)
    assert code == 0 and "test accuracy" in out.out
    assert (tmp_path / "eval" / "confusion.png").stat().st_size > 0


def test_evaluate_reports_the_best_models_accuracy(quick_run, capsys):
    code, out = run(evaluate, [str(quick_run / "best.keras"), "--out", str(quick_run / "eval")], capsys)
    assert code == 0
    summary = json.loads((quick_run / "summary.json").read_text())
    assert f"test accuracy: {summary['best_model_test_accuracy']:.2%}" in out.out
    assert (quick_run / "eval" / "confusion.png").exists()


def test_a_killed_run_resumes_where_it_stopped(tmp_path, mnist):
    argv = [sys.executable, "-m", "mnist_keras.train", *QUICK, "--epochs", "3", "--lr", "0.1", "--out", str(tmp_path),
            "--name", "killed"]
    history = tmp_path / "killed" / "history.csv"
    first = subprocess.Popen(argv, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 300
    while not (history.exists() and len(history.read_text().splitlines()) >= 2):  # header + epoch 1
        assert first.poll() is None and time.monotonic() < deadline, "the first run ended before epoch 1"
        time.sleep(0.2)
    os.kill(first.pid, signal.SIGKILL)
    first.wait()
    assert (tmp_path / "killed" / "backup").exists()
    best = tmp_path / "killed" / "best.keras"
    best_bytes = best.read_bytes()
    # Make the killed run's epoch the best one there will be, and cut a line short as a kill
    # during CSVLogger's write would.
    header, epoch0 = history.read_text().splitlines()[:2]
    fields = epoch0.split(",")
    fields[header.split(",").index("val_accuracy")] = "0.9999"
    history.write_text(f"{header}\n{','.join(fields)}\n1,0.98,12.")

    changed = subprocess.run([*argv, "--lr", "0.05"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert changed.returncode == 2 and "learning_rate = 0.1, not 0.05" in changed.stderr.strip().splitlines()[-1]

    resumed = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    epochs = [line.split(",")[0] for line in history.read_text().splitlines()[1:]]
    assert epochs == ["0", "1", "2"]  # epoch 0 from the killed run, 1 and 2 from the resumed one
    assert "Epoch 1/3" not in resumed.stdout and "Epoch 2/3" in resumed.stdout
    assert best.read_bytes() == best_bytes  # no later epoch beat the killed run's best


def test_a_killed_run_of_another_architecture_is_not_resumed(tmp_path):
    from labkit.cli import UsageError
    from mnist_keras import runs
    from mnist_keras.config import recipe

    hp = recipe()
    assert runs.prepare(tmp_path, hp, None, None) is None  # fresh: writes settings.json
    settings = json.loads((tmp_path / runs.SETTINGS).read_text())
    (tmp_path / "backup").mkdir()  # as a killed run leaves it
    assert runs.prepare(tmp_path, hp, None, None) is None  # same settings: resumes (no epoch finished)
    for older in ({**settings, "layers": [[8, 3, True], "pool"]},
                  {key: value for key, value in settings.items() if key != "layers"}):
        (tmp_path / runs.SETTINGS).write_text(json.dumps(older))
        with pytest.raises(UsageError, match="layers|older version"):
            runs.prepare(tmp_path, hp, None, None)


def assert_one_line_error(code, err, fragment):
    assert code == 2, err
    assert len(err.strip().splitlines()) == 1 and fragment in err, err


@pytest.mark.parametrize("argv, fragment", [
    (["--epochs", "0"], "must be > 0"),
    (["--batch-size", "-8"], "must be > 0"),
    (["--epochs", "many"], "invalid int value"),
    (["--lr", "nan"], "must be finite"),
    (["--dropout", "1.5"], "must be in [0, 1)"),
    (["--colour"], "unrecognized arguments: --colour"),
    (["--model", "huge"], "invalid choice: 'huge'"),
    (["--tensorboard=yes"], "ignored explicit argument 'yes'"),
    (["--deterministic=no"], "ignored explicit argument 'no'"),
])
def test_bad_flags(capsys, argv, fragment):
    code, out = run(train, argv, capsys)
    assert_one_line_error(code, out.err, fragment)


def test_unreadable_data_file(tmp_path, capsys):
    bad = tmp_path / "mnist.npz"
    bad.write_text("not a zip")
    code, out = run(train, ["--data", str(bad), "--out", str(tmp_path / "runs")], capsys)
    assert_one_line_error(code, out.err, "cannot read")
    code, out = run(train, ["--data", str(tmp_path / "missing.npz")], capsys)
    assert_one_line_error(code, out.err, "no such file")


def test_data_file_with_wrong_dtype(tmp_path, capsys, mnist):
    (x_train, y_train), (x_test, y_test) = mnist
    path = tmp_path / "float.npz"
    np.savez(path, x_train=x_train / 255.0, y_train=y_train, x_test=x_test, y_test=y_test)
    code, out = run(train, ["--data", str(path), "--out", str(tmp_path / "runs")], capsys)
    assert_one_line_error(code, out.err, "x_train is float64[60000, 28, 28], expected uint8")


def test_evaluate_a_missing_model(tmp_path, capsys):
    code, out = run(evaluate, [str(tmp_path / "best.keras")], capsys)
    assert_one_line_error(code, out.err, "no such file")


@pytest.mark.parametrize("given, enabled", [(None, "True"), ("0", "False")])
@pytest.mark.slow
def test_importing_the_trainer_turns_onednn_on_unless_the_user_turned_it_off(given, enabled):
    env = {key: value for key, value in os.environ.items() if key != "TF_ENABLE_ONEDNN_OPTS"}
    if given is not None:
        env["TF_ENABLE_ONEDNN_OPTS"] = given
    done = subprocess.run([sys.executable, "-c", "import os, mnist_keras.training_loop\n"
                           "from tensorflow.python.util import _pywrap_util_port\n"
                           "print(os.environ['TF_ENABLE_ONEDNN_OPTS'], _pywrap_util_port.IsMklEnabled())"],
                          capture_output=True, text=True, env=env)
    # The variable as the package leaves it (on a CPU where TensorFlow turns oneDNN on by itself, the
    # kernels alone would not show that the package's line is there), then the kernels TensorFlow took.
    assert done.stdout.split() == [given or "1", enabled], done.stderr[-2000:]


@pytest.mark.slow
def test_tensorflow_start_up_noise_is_kept_off_the_screen():
    done = subprocess.run([sys.executable, "-m", "mnist_keras.train", "--dry-run"], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stderr == ""  # no CUDA stub, absl or build-note lines on a CPU machine
    assert "Trainable params: 14,402" in done.stdout


@pytest.mark.bench
@pytest.mark.parametrize("name", ["torch", "jax"])
def test_a_backend_much_slower_than_tensorflow_is_refused_in_one_line(name, tmp_path):
    import importlib.util

    require(importlib.util.find_spec(name), f"{name} (the bench extra)")
    done = subprocess.run([sys.executable, "-m", "mnist_keras.train", "--epochs", "1", "--out", str(tmp_path)],
                          cwd=ROOT, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "KERAS_BACKEND": name})
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        f"mnist_keras.train: error: KERAS_BACKEND={name} trains this model "
        f"{backend.BACKEND_SLOWDOWN[name]:g}x slower than TensorFlow (docs/speed.md): unset KERAS_BACKEND "
        f"to train on TensorFlow"]
    assert list(tmp_path.iterdir()) == []
