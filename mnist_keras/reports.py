"""What a run leaves behind: summary.json, the closing table, and PNGs of the curves, the
confusion matrix and the misclassified digits."""
import csv
import datetime
import json
import subprocess
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402
import numpy as np  # noqa: E402

from bp_excel.common import write_atomically  # noqa: E402


def read_history(path):
    """The per-epoch rows CSVLogger wrote, as floats (epoch counted from 1)."""
    with open(path, newline="") as f:
        rows = [{k: float(v) for k, v in row.items()} for row in csv.DictReader(f)]
    for row in rows:
        row["epoch"] = int(row["epoch"]) + 1
    return rows


def git_commit():
    """The checkout's commit, with "-dirty" if it has uncommitted changes; None outside git."""
    try:
        return subprocess.run(["git", "describe", "--always", "--dirty", "--abbrev=7"], capture_output=True,
                              text=True, cwd=Path(__file__).parent, timeout=10).stdout.strip() or None
    except (OSError, subprocess.TimeoutExpired):
        return None


def summarize(epochs, hp, counts, device, wall_s, versions, commit, target):
    accuracy = [e["val_accuracy"] for e in epochs]
    best = int(np.argmax(accuracy))
    reached = [e["epoch"] for e in epochs if e["val_accuracy"] >= target]
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "commit": commit,
        "device": device,
        "versions": versions,
        "seed": hp.seed,
        "hyperparameters": {**vars(hp)},
        "trainable_params": counts["trainable"],
        "non_trainable_params": counts["non_trainable"],
        "total_params": counts["total"],
        "val_accuracy": accuracy,
        "val_loss": [e["val_loss"] for e in epochs],
        "best_epoch": epochs[best]["epoch"],
        "best_accuracy": accuracy[best],
        "target_accuracy": target,
        "first_epoch_at_target": reached[0] if reached else None,
        # A resumed run counts from its own start.
        "seconds_to_target": epochs[reached[0] - 1].get("elapsed") if reached else None,
        "epochs_at_target": reached,
        "final_accuracy": accuracy[-1],
        "mean_last_5_accuracy": float(np.mean(accuracy[-5:])),
        "min_last_5_accuracy": float(np.min(accuracy[-5:])),
        "seconds_per_epoch": [e.get("seconds") for e in epochs],
        "wall_seconds": wall_s,
    }


def first_at_target(s):
    """"12 (2.8 min)": the first epoch at the target accuracy and the run's wall time to it;
    "never". Summaries written before the wall time was recorded give the epoch alone."""
    first, seconds = s["first_epoch_at_target"], s.get("seconds_to_target")
    if not first:
        return "never"
    return f"{first} ({seconds / 60:.1f} min)" if seconds is not None else str(first)


def table(s):
    rows = [
        ("trainable parameters", f"{s['trainable_params']:,}"),
        ("best validation accuracy", f"{s['best_accuracy']:.2%} (epoch {s['best_epoch']})"),
        ("final validation accuracy", f"{s['final_accuracy']:.2%}"),
        ("mean / min of the last 5", f"{s['mean_last_5_accuracy']:.2%} / {s['min_last_5_accuracy']:.2%}"),
        (f"first epoch >= {s['target_accuracy']:.1%}", first_at_target(s)),
        ("wall time", f"{s['wall_seconds'] / 60:.1f} min"),
    ]
    width = max(len(k) for k, _ in rows)
    return "\n".join(f"{k:<{width}}  {v}" for k, v in rows)


def write_json(path, obj):
    def write(tmp):
        with open(tmp, "w") as f:
            json.dump(obj, f, indent=2)
    write_atomically(path, write)


def confusion_matrix(labels, predictions, classes=10):
    matrix = np.zeros((classes, classes), int)
    np.add.at(matrix, (labels, predictions), 1)
    return matrix


def plot_curves(epochs, path, target):
    n = [e["epoch"] for e in epochs]
    fig, (acc, loss) = plt.subplots(1, 2, figsize=(11, 4))
    acc.plot(n, [e["accuracy"] for e in epochs], label="training (augmented)")
    acc.plot(n, [e["val_accuracy"] for e in epochs], label="validation (test set)")
    acc.axhline(target, color="grey", lw=0.8, ls="--")
    acc.set(xlabel="epoch", ylabel="accuracy", ylim=(0.97, 1.0), title="accuracy")
    loss.plot(n, [e["loss"] for e in epochs], label="training (augmented)")
    loss.plot(n, [e["val_loss"] for e in epochs], label="validation (test set)")
    loss.set(xlabel="epoch", ylabel="cross-entropy", yscale="log", title="loss")
    for ax in (acc, loss):
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(alpha=0.3)
        ax.legend()
    _save(fig, path)


def plot_confusion(matrix, path):
    fig, ax = plt.subplots(figsize=(6, 5.5))
    ax.imshow(np.log1p(matrix), cmap="Blues")
    for (true, predicted), count in np.ndenumerate(matrix):
        if count:
            ax.text(predicted, true, count, ha="center", va="center", fontsize=7,
                    color="white" if true == predicted else "black")
    ax.set(xticks=range(10), yticks=range(10), xlabel="predicted", ylabel="true",
           title=f"confusion matrix ({matrix.trace() / matrix.sum():.2%} correct)")
    _save(fig, path)


def plot_misclassified(images, labels, predictions, path, limit=48):
    wrong = np.flatnonzero(labels != predictions)[:limit]
    columns = 12
    rows = max(1, -(-len(wrong) // columns))
    fig, axes = plt.subplots(rows, columns, figsize=(columns, rows * 1.2), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for ax, i in zip(axes.flat, wrong):
        ax.imshow(images[i], cmap="gray_r")
        ax.set_title(f"{labels[i]}→{predictions[i]}", fontsize=8)
    fig.suptitle(f"{int((labels != predictions).sum())} misclassified test digits (true→predicted)")
    _save(fig, path)


def _save(fig, path):
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
