"""python -m mnist_keras.results RUN_DIR...: a Markdown table of finished runs, from their
summary.json files, with the spread over runs (the README's results table comes from here)."""
import json
import math
import statistics
import sys
from pathlib import Path

from labkit.cli import Parser, UsageError, command, output_file, positive
from labkit.files import save_figure
from mnist_keras.config import FORMER_NAMES, TARGET_ACCURACY
from mnist_keras.reports.run_summary import closing_epochs, first_at_target


def _accuracy(x):
    return _number(x) and 0 <= x <= 1


def _number(x):
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def _whole(x):
    return isinstance(x, int) and not isinstance(x, bool)


# What this command reads of a summary.json, and what each must be: a run folder is a stranger's file.
FIELDS = {
    "seed": (_whole, "a whole number"),
    "val_accuracy": (lambda x: isinstance(x, list) and x and all(map(_accuracy, x)), "a list of accuracies in [0, 1]"),
    "best_accuracy": (_accuracy, "an accuracy in [0, 1]"),
    "best_epoch": (_whole, "a whole number"),
    "final_accuracy": (_accuracy, "an accuracy in [0, 1]"),
    "first_epoch_at_target": (lambda x: x is None or _whole(x), "an epoch or null"),
    "seconds_per_epoch": (lambda x: isinstance(x, list) and x and all(_number(t) and t >= 0 for t in x),
                          "a list of seconds"),
    "wall_seconds": (lambda x: _number(x) and x >= 0, "seconds"),
    "device": (lambda x: isinstance(x, str), "text"),
    "commit": (lambda x: isinstance(x, str), "text"),
    "date": (lambda x: isinstance(x, str), "text"),
    # Optional: summaries from before it was recorded have none.
    "hyperparameters": (lambda x: x is None or isinstance(x, dict) and isinstance(x.get("model", ""), str),
                        "settings, the model's name among them"),
}


def load(run_dirs):
    summaries = []
    for run in run_dirs:
        path = Path(run) / "summary.json"
        try:
            summary = json.loads(path.read_text(), parse_constant=lambda name: None)  # NaN, Infinity: not numbers
        except (OSError, ValueError) as e:
            raise UsageError(f"cannot read {path}: {e}")
        if not isinstance(summary, dict):
            raise UsageError(f"{path} is not a run's summary (a JSON object)")
        for field, (valid, what) in FIELDS.items():
            if not valid(summary.get(field)):
                raise UsageError(f"{path}: {field} must be {what}, found {summary.get(field)!r}")
        settings = summary.get("hyperparameters")
        if settings and settings.get("model") in FORMER_NAMES:
            settings["model"] = FORMER_NAMES[settings["model"]]
        summaries.append(summary)
    return summaries


def closing(s, last=None):
    """The run's validation accuracy over its closing epochs."""
    return s["val_accuracy"][-closing_epochs(s, last):]


def held(s, last=None):
    return min(closing(s, last)) >= TARGET_ACCURACY


def window(summaries, last=None):
    """'last 5', or 'last 3 or 5' where the runs' closing windows differ."""
    return "last " + " or ".join(str(n) for n in sorted({closing_epochs(s, last) for s in summaries}))


def _pct(x):
    return f"{100 * x:.2f}"


def markdown(summaries, last=None):
    lines = [f"| seed | best (epoch) | final | min / mean of {window(summaries, last)} | first epoch >= {TARGET_ACCURACY:.1%} (wall time) "
             "| s/epoch (median) | wall | device | commit | date |",
             "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for s in summaries:
        tail = closing(s, last)
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


def headline(summaries, last=None):
    """What the runs say together: the final epoch's accuracy over runs, and how many runs held
    the target through every one of their closing epochs (never the best epoch: that one is
    picked on the test images)."""
    finals = [s["final_accuracy"] for s in summaries]
    holding = sum(held(s, last) for s in summaries)
    spread = (f"mean {_pct(statistics.mean(finals))}% ± {_pct(statistics.stdev(finals))} (std), "
              f"range {_pct(min(finals))}-{_pct(max(finals))}%" if len(finals) > 1 else f"{_pct(finals[0])}%")
    text = (f"Final accuracy over {len(finals)} run{'s' * (len(finals) > 1)}: {spread}. Runs whose "
            f"{window(summaries, last)} epochs all reach {TARGET_ACCURACY:.1%}: "
            f"{holding} of {len(summaries)}.")
    if len(summaries) > 1:
        low = lowest(summaries, last)
        text += (f" The lowest of each run's {window(summaries, last)}: {_pct(min(low))}-{_pct(max(low))}%, "
                 f"median {_pct(statistics.median(low))}%.")
    return text


def lowest(summaries, last=None):
    """Each run's lowest accuracy over its closing epochs: how near the target its worst epoch came."""
    return [min(closing(s, last)) for s in summaries]


def by_setting(summaries):
    """{setting label: summaries} of runs grouped by every hyperparameter but the seed; the
    label names what differs between the groups. Settings that some summaries did not record yet
    are left out of the comparison."""
    recorded = set.intersection(*(set(s.get("hyperparameters", {})) for s in summaries)) - {"seed"}

    def setting(s):  # a design's layers, a list: compared as its text
        return tuple(sorted((k, json.dumps(s["hyperparameters"][k]) if k == "layers" else s["hyperparameters"][k])
                            for k in recorded))
    groups = {}
    for s in summaries:
        groups.setdefault(setting(s), []).append(s)
    varying = sorted({k for key in groups for k, v in key if len({dict(other)[k] for other in groups}) > 1})
    return {", ".join(f"{k}={dict(key)[k]}" for k in varying) or "all runs": runs for key, runs in groups.items()}


def setting_table(summaries, last=None):
    lines = [f"| setting | runs | final: mean ± std | lowest of {window(summaries, last)}: min (median over runs) "
             f"| runs holding {TARGET_ACCURACY:.1%} "
             "| s/epoch (median) | device |", "| --- | --- | --- | --- | --- | --- | --- |"]
    for label, runs in by_setting(summaries).items():
        finals = [s["final_accuracy"] for s in runs]
        std = f" ± {_pct(statistics.stdev(finals))}" if len(finals) > 1 else ""
        holding = sum(held(s, last) for s in runs)
        low = lowest(runs, last)
        lines.append(f"| {label} | {len(runs)} | {_pct(statistics.mean(finals))}{std} "
                     f"| {_pct(min(low))} ({_pct(statistics.median(low))}) "
                     f"| {holding} of {len(runs)} "
                     f"| {statistics.median(t for s in runs for t in s['seconds_per_epoch']):.1f} "
                     f"| {'; '.join(sorted({s['device'] for s in runs}))} |")
    return "\n".join(lines)


def plot_spread(summaries, path, last=None):
    """Each setting's final accuracy per seed (dots) and lowest of the last epochs (crosses)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    groups = by_setting(summaries)
    fig, ax = plt.subplots(figsize=(max(5, 1.6 * len(groups)), 4))
    for x, runs in enumerate(groups.values()):
        ax.scatter([x] * len(runs), [100 * s["final_accuracy"] for s in runs], color="C0",
                   label="final epoch" if x == 0 else None)
        ax.scatter([x] * len(runs), [100 * low for low in lowest(runs, last)], color="C1", marker="x",
                   label=f"lowest of {window(summaries, last)}" if x == 0 else None)
    ax.axhline(100 * TARGET_ACCURACY, color="0.5", linestyle="--", linewidth=1)
    ax.set(xticks=range(len(groups)), ylabel="validation accuracy (%)", title="accuracy spread per setting")
    ax.set_xticklabels(list(groups), rotation=15, ha="right", fontsize=8)
    ax.legend(fontsize=8)
    fig.tight_layout()
    save_figure(fig, path)


@command("mnist_keras.results")
def main(argv=None):
    parser = Parser(prog="python -m mnist_keras.results", description=__doc__.split(": ", 1)[1])
    parser.add_argument("runs", nargs="+", help="run folders, e.g. runs/standard-seed1")
    parser.add_argument("--last", type=positive(int),
                        help="the closing epochs to judge runs on (default: each run's recipe's: 5 for the standard "
                             "model, 3 for compact and tiny)")
    parser.add_argument("--by-setting", action="store_true",
                        help="one row per setting (every hyperparameter but the seed), over its seeds")
    parser.add_argument("--plot", type=output_file(".png"), metavar="PNG", help="with --by-setting: the accuracy spread per setting")
    parser.add_argument("--xlsx", type=output_file(".xlsx"), metavar="FILE",
                        help="also write the runs as a live workbook: one row per run, the spread as formulas, "
                             "a chart of every run's validation accuracy")
    args = parser.parse_args(argv)
    summaries = load(args.runs)
    if args.by_setting:
        print(setting_table(summaries, args.last))
        if args.plot:
            plot_spread(summaries, args.plot, args.last)
    else:
        print(markdown(summaries, args.last))
    if args.xlsx:
        from mnist_keras.reports.workbooks import write_runs

        write_runs(args.xlsx, summaries)
    return 0


if __name__ == "__main__":
    sys.exit(main())
