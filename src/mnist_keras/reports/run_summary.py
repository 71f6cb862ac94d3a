"""A finished run in numbers: its summary.json record and the closing table the trainer prints."""
import numpy as np

from mnist_keras.config import TARGET_ACCURACY, recipe


def summarize(epochs, hp, counts, made, wall_s):
    """made: provenance.record() of the run (date, commit, device, versions)."""
    accuracy = [e["val_accuracy"] for e in epochs]
    best = int(np.argmax(accuracy))
    reached = [e["epoch"] for e in epochs if e["val_accuracy"] >= TARGET_ACCURACY]
    closing = accuracy[-hp.closing_epochs:]
    return {
        **made,
        "seed": hp.seed,
        "hyperparameters": {**vars(hp)},
        "trainable_params": counts["trainable"],
        "non_trainable_params": counts["non_trainable"],
        "total_params": counts["total"],
        "val_accuracy": accuracy,
        "val_loss": [e["val_loss"] for e in epochs],
        "best_epoch": epochs[best]["epoch"],
        "best_accuracy": accuracy[best],
        "target_accuracy": TARGET_ACCURACY,
        "first_epoch_at_target": reached[0] if reached else None,
        # A resumed run counts from its own start.
        "seconds_to_target": epochs[reached[0] - 1].get("elapsed") if reached else None,
        "epochs_at_target": reached,
        "final_accuracy": accuracy[-1],
        "closing_epochs": hp.closing_epochs,
        "closing_mean_accuracy": float(np.mean(closing)),
        "closing_min_accuracy": float(np.min(closing)),
        "seconds_per_epoch": [e.get("seconds") for e in epochs],
        "wall_seconds": wall_s,
    }


def closing_epochs(s, last=None):
    """How many closing epochs a run is judged on: `last` where given, else its recipe's (for a
    summary from before the recipe held it, its model's recipe today)."""
    if last:
        return last
    return s.get("closing_epochs") or recipe(s.get("hyperparameters", {}).get("model", "standard")).closing_epochs


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
        (f"mean / min of the last {s['closing_epochs']}",
         f"{s['closing_mean_accuracy']:.2%} / {s['closing_min_accuracy']:.2%}"),
        (f"first epoch >= {s['target_accuracy']:.1%}", first_at_target(s)),
        ("wall time", f"{s['wall_seconds'] / 60:.1f} min"),
    ]
    width = max(len(k) for k, _ in rows)
    return "\n".join(f"{k:<{width}}  {v}" for k, v in rows)
