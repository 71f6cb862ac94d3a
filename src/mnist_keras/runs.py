"""The run folder: a fresh run's, or a killed run's to resume with the same settings."""
import csv
import dataclasses
import json

from labkit.cli import UsageError
from labkit.files import write_json
from mnist_keras.architecture import layers_of

SETTINGS = "settings.json"
HISTORY = "history.csv"  # Keras's CSVLogger: the metrics of each epoch
TIMES = "epoch_times.csv"  # each epoch's wall seconds, apart, so that a deterministic run's history is the same file


def prepare(run_dir, hp, train_images, data_path):
    """Make run_dir ready to train in. Returns the best validation accuracy of the epochs a
    killed run already finished, so that its best model is only replaced by a better one
    (None for a fresh run)."""
    # The layer list too: a killed run of an older version's architecture cannot go on in this one.
    settings = json.loads(json.dumps({**dataclasses.asdict(hp), "layers": layers_of(hp),
                                      "train_images": train_images,
                                      "data": str(data_path) if data_path else None}))
    run_dir.mkdir(parents=True, exist_ok=True)
    history = run_dir / HISTORY
    if not (run_dir / "backup").exists():  # a fresh run, not the resumption of a killed one
        history.unlink(missing_ok=True)
        (run_dir / TIMES).unlink(missing_ok=True)
        write_json(run_dir / SETTINGS, settings)
        return None
    if (run_dir / SETTINGS).exists():  # runs from before settings were saved resume unchecked
        try:
            saved = json.loads((run_dir / SETTINGS).read_text())
        except ValueError:
            saved = None
        if not isinstance(saved, dict):
            raise UsageError(f"{run_dir / SETTINGS} is damaged (cut off?): remove {run_dir} to start the run "
                             f"afresh, or give another --name")
        changed = next((key for key in settings if saved.get(key) != settings[key]), None)
        if changed and changed not in saved:
            raise UsageError(f"{run_dir} holds a killed run of an older version of this trainer (it recorded no "
                             f"{changed}): give another --name")
        if changed:
            raise UsageError(f"{run_dir} holds a killed run with {changed} = {saved.get(changed)!r}, not "
                             f"{settings[changed]!r}: resume it with its settings, or give another --name")
    _drop_cut_line(history)
    _drop_cut_line(run_dir / TIMES)
    epochs = read_history(history) if history.exists() else []
    return max((epoch["val_accuracy"] for epoch in epochs), default=None)


def _drop_cut_line(history):
    """A kill while CSVLogger wrote a line leaves it without its newline: drop it."""
    if not history.exists():
        return
    text = history.read_text()
    if text and not text.endswith("\n"):
        history.write_text(text[:text.rfind("\n") + 1])


def read_history(path):
    """The per-epoch rows CSVLogger wrote, as floats (epoch counted from 1)."""
    try:
        with open(path, newline="") as f:
            rows = [{k: float(v) for k, v in row.items()} for row in csv.DictReader(f)]
        for row in rows:
            row["epoch"] = int(row["epoch"]) + 1
    except (ValueError, TypeError, KeyError) as e:  # a line cut or changed by hand
        raise UsageError(f"{path} is damaged ({e}): remove its run folder to start afresh, or give another --name")
    return rows


def read_epochs(run_dir):
    """history.csv's rows, each with its epoch's wall times ("seconds", "elapsed") where recorded."""
    epochs = read_history(run_dir / HISTORY)
    if (run_dir / TIMES).exists():
        times = {row.pop("epoch"): row for row in read_history(run_dir / TIMES)}
        for epoch in epochs:
            epoch.update(times.get(epoch["epoch"], {}))
    return epochs
