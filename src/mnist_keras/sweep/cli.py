"""python -m mnist_keras.sweep: train every combination of seeds and settings, on Optuna.

Each trial is a full run of `python -m mnist_keras.train` (in the worker's process) that writes
its usual run folder under OUT/STUDY/ (and, with --design D.xlsx, its row in D.xlsx's Runs sheet). The study lives in an Optuna RDB storage (SQLite in the
study's folder by default; any SQLAlchemy URL, e.g. PostgreSQL, for workers on several machines).
Every combination is queued once when the study is created; workers take them one at a time.
A worker that dies stops sending its heartbeat: after the grace period Optuna fails its trial
and queues it again (the sweep does the same for a trial whose worker died before its first
heartbeat), and the run folder's backup resumes the half-run training.
"""
import argparse
import itertools
import multiprocessing
import sys
from pathlib import Path

from labkit.cli import Parser, UsageError, command, positive
from mnist_keras import train
from mnist_keras.sweep.study import create_or_load, default_storage, open_storage, work

DEFAULT_HEARTBEAT_S = 60
SWEEP_ONLY = {"seed", "name", "out", "dry_run"}  # trainer options the sweep sets itself


def _trainer_options():
    """{flag without dashes: argparse action} of every trainer setting a sweep may vary."""
    parser = train.build_parser()
    return {action.option_strings[0][2:]: action for action in parser._actions
            if action.option_strings and action.dest not in SWEEP_ONLY | {"help"}}


def parse_setting(text):
    """'lr=0.05,0.1' -> ('lr', ['0.05', '0.1']), checked against the trainer's own options."""
    key, _, values = text.partition("=")
    options = _trainer_options()
    if key not in options:
        raise argparse.ArgumentTypeError(f"unknown setting {key!r} (known: {', '.join(sorted(options))})")
    values = [v for v in values.split(",") if v]
    if not values:
        raise argparse.ArgumentTypeError(f"setting {key!r} has no values (give {key}=A,B,...)")
    action = options[key]
    if action.nargs == 0:
        raise argparse.ArgumentTypeError(f"setting {key} is a switch, not a value: give --{key} to every trial "
                                         f"instead of sweeping it")
    for value in values:  # the trainer's own types and choices, so that a bad value fails now, not mid-sweep
        try:
            train.check_value(action, value)
        except (ValueError, argparse.ArgumentTypeError) as e:
            raise argparse.ArgumentTypeError(f"setting {key}: {value!r} is not valid ({e})")
    return key, values


def parse_args(argv):
    # No abbreviations: the trainer options pass through, and "--seed" must not mean "--seeds".
    p = Parser(prog="python -m mnist_keras.sweep", description=__doc__.split(": ", 1)[1].split("\n\n")[0],
               allow_abbrev=False)
    p.add_argument("--seeds", type=train.parse_seeds, metavar="RANGE",
                   help="e.g. 1-5 or 1,2,7 (default: a --design workbook's Recipe seeds, else 1)")
    p.add_argument("--set", type=parse_setting, action="append", default=[], metavar="KEY=A,B",
                   help="a trainer setting and its values, e.g. lr=0.05,0.1 (repeatable; keys are the "
                        "trainer's flags without dashes)")
    p.add_argument("--study", default="sweep", help="the study's name and folder under --out (default: sweep)")
    p.add_argument("--out", type=Path, default=Path("runs"), help="folder of the study folders (default: runs)")
    p.add_argument("--storage", help="an SQLAlchemy URL, shared by every worker "
                   "(default: sqlite:///OUT/STUDY/study.db)")
    p.add_argument("--workers", type=positive(int), default=1, help="worker processes on this machine (default 1)")
    p.add_argument("--heartbeat", type=positive(int), default=DEFAULT_HEARTBEAT_S, metavar="SECONDS",
                   help=f"a worker's heartbeat; its trial is retried 2x this after it stops (default "
                        f"{DEFAULT_HEARTBEAT_S})")
    args, fixed = p.parse_known_args(argv)
    return args, fixed


def design_seeds(path):
    """The seeds a design workbook's Recipe sheet names (its bad cells named as the trainer names them)."""
    from mnist_keras.design.workbook import read_design

    cell, text = read_design(path).seeds
    try:
        return train.parse_seeds(text)
    except argparse.ArgumentTypeError as e:
        raise UsageError(f"{cell}: {e}")


def combinations(seeds, settings):
    """Every trial's parameters: {"seed": s, key: value, ...}, seeds varying fastest."""
    keys = [key for key, _ in settings]
    return [{**dict(zip(keys, values)), "seed": seed}
            for values in itertools.product(*(values for _, values in settings)) for seed in seeds]


@command("mnist_keras.sweep")
def main(argv=None):
    args, fixed = parse_args(argv)
    bad = [option for option in fixed
           if option.startswith("--") and option[2:].split("=")[0].replace("-", "_") in SWEEP_ONLY]
    if bad:
        raise UsageError(f"{bad[0]} is the sweep's to set (use --seeds, --out and --study)")
    trainer = train.parse_args(fixed)  # the fixed trainer options: a bad one is reported now, by the trainer's parser
    if args.seeds is None:
        args.seeds = design_seeds(trainer.design) if trainer.design else [1]
    study_dir = args.out / args.study
    study_dir.mkdir(parents=True, exist_ok=True)
    url = args.storage or default_storage(args.out, args.study)
    trials = combinations(args.seeds, args.set)
    space = {**dict(args.set), "seed": args.seeds}
    study = create_or_load(open_storage(url, args.heartbeat), args.study, trials)
    print(f"study {args.study!r} in {url}: {len(trials)} trials, {args.workers} worker(s); "
          f"runs in {study_dir}")
    if args.workers == 1:
        work(url, args.heartbeat, args.study, space, study_dir, fixed)
    else:
        context = multiprocessing.get_context("spawn")  # a fresh interpreter: no shared TensorFlow state
        workers = [context.Process(target=work, args=(url, args.heartbeat, args.study, space, study_dir, fixed))
                   for _ in range(args.workers)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
    done = [t for t in study.get_trials(deepcopy=False) if t.state.name == "COMPLETE"]
    print(f"{len(done)} of {len(trials)} trials complete; the table: python -m mnist_keras.results "
          f"--by-setting {study_dir}/*/")
    return 0 if len(done) >= len(trials) else 1


if __name__ == "__main__":
    sys.exit(main())
