"""python -m mnist_keras.results RUN_DIR...: a Markdown table of finished runs, from their
summary.json files, with the spread over runs (the README's results table comes from here)."""
import json
import statistics
import sys
from pathlib import Path

from bp_excel.common import Parser, UsageError, command, positive
from .config import TARGET_ACCURACY
from .reports import first_at_target


def load(run_dirs):
    summaries = []
    for run in run_dirs:
        path = Path(run) / "summary.json"
        try:
            summaries.append(json.loads(path.read_text()))
        except (OSError, json.JSONDecodeError) as e:
            raise UsageError(f"cannot read {path}: {e}")
    return summaries


def _pct(x):
    return f"{100 * x:.2f}"


def markdown(summaries, last=5):
    lines = [f"| seed | best (epoch) | final | min / mean of last {last} | first epoch >= {TARGET_ACCURACY:.1%} (wall time) "
             "| s/epoch (median) | wall | device | commit | date |",
             "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for s in summaries:
        tail = s["val_accuracy"][-last:]
        lines.append(
            f"| {s['seed']} | {_pct(s['best_accuracy'])} ({s['best_epoch']}) | {_pct(s['final_accuracy'])} "
            f"| {_pct(min(tail))} / {_pct(statistics.mean(tail))} "
            f"| {first_at_target(s)} | {statistics.median(s['seconds_per_epoch']):.1f} "
            f"| {s['wall_seconds'] / 60:.1f} min | {s['device']} | {s['commit']} | {s['date'][:10]} |")
    lines.append("\n" + headline(summaries, last))
    lines.append("\nValidation accuracy (%) per epoch:\n")
    epochs = max(len(s["val_accuracy"]) for s in summaries)
    lines.append("| seed | " + " | ".join(str(e) for e in range(1, epochs + 1)) + " |")
    lines.append("| --- " * (epochs + 1) + "|")
    for s in summaries:
        lines.append(f"| {s['seed']} | " + " | ".join(_pct(a) for a in s["val_accuracy"]) + " |")
    return "\n".join(lines)


def headline(summaries, last=5):
    """What the runs say together: the final epoch's accuracy over runs, and how many runs held
    the target through every one of their closing epochs (never the best epoch: that one is
    picked on the test images)."""
    finals = [s["final_accuracy"] for s in summaries]
    held = sum(min(s["val_accuracy"][-last:]) >= TARGET_ACCURACY for s in summaries)
    spread = (f"mean {_pct(statistics.mean(finals))}% ± {_pct(statistics.stdev(finals))} (std), "
              f"range {_pct(min(finals))}-{_pct(max(finals))}%" if len(finals) > 1 else f"{_pct(finals[0])}%")
    return (f"Final accuracy over {len(finals)} run{'s' * (len(finals) > 1)}: {spread}. Runs whose last {last} "
            f"epochs all reach {TARGET_ACCURACY:.1%}: {held} of {len(summaries)}.")


@command("mnist_keras.results")
def main(argv=None):
    parser = Parser(prog="python -m mnist_keras.results", description=__doc__.split(": ", 1)[1])
    parser.add_argument("runs", nargs="+", help="run folders, e.g. runs/seed-seed1")
    parser.add_argument("--last", type=positive(int), default=5, help="the closing epochs to summarize")
    args = parser.parse_args(argv)
    print(markdown(load(args.runs), args.last))
    return 0


if __name__ == "__main__":
    sys.exit(main())
