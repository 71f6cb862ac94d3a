"""python -m mnist_keras.sweep: train every combination of seeds and settings, on Optuna.

Each trial is a full run of `python -m mnist_keras.train` (in the worker's process) that writes
its usual run folder under OUT/STUDY/. The study lives in an Optuna RDB storage (SQLite in the
study's folder by default; any SQLAlchemy URL, e.g. PostgreSQL, for workers on several machines).
Every combination is queued once when the study is created; workers take them one at a time.
A worker that dies stops sending its heartbeat: after the grace period Optuna fails its trial
and queues it again (the sweep does the same for a trial whose worker died before its first
heartbeat), and the run folder's backup resumes the half-run training.
"""
import argparse
import datetime
import itertools
import json
import multiprocessing
import re
import sys
import time
import warnings
from pathlib import Path

from labkit.cli import Parser, UsageError, command, positive
from mnist_keras import device, train

DEFAULT_HEARTBEAT_S = 60
SWEEP_ONLY = {"seed", "name", "out", "dry_run"}  # trainer options the sweep sets itself
SQLITE_LOCK_TIMEOUT_S = 120
HEARTBEAT_ATTEMPTS = 30  # a second apart


def _trainer_options():
    """{flag without dashes: argparse action} of every trainer setting a sweep may vary."""
    parser = train.build_parser()
    return {action.option_strings[0][2:]: action for action in parser._actions
            if action.option_strings and action.dest not in SWEEP_ONLY | {"help"}}


def parse_seeds(text):
    """'1-5' or '1,2,7' -> [1, 2, 3, 4, 5] or [1, 2, 7]."""
    seeds = []
    for part in text.split(","):
        low, _, high = part.partition("-")
        try:
            seeds += list(range(int(low), int(high or low) + 1))
        except ValueError:
            raise argparse.ArgumentTypeError(f"seeds are whole numbers like 1-5 or 1,2,7, got {text!r}")
    if not seeds:
        raise argparse.ArgumentTypeError(f"{text!r} names no seed")
    return seeds


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
            parsed = action.type(value) if action.type else value
        except (ValueError, argparse.ArgumentTypeError) as e:
            raise argparse.ArgumentTypeError(f"setting {key}: {value!r} is not valid ({e})")
        if action.choices and parsed not in action.choices:
            raise argparse.ArgumentTypeError(f"setting {key}: {value!r} is not one of {list(action.choices)}")
    return key, values


def parse_args(argv):
    # No abbreviations: the trainer options pass through, and "--seed" must not mean "--seeds".
    p = Parser(prog="python -m mnist_keras.sweep", description=__doc__.split(": ", 1)[1].split("\n\n")[0],
               allow_abbrev=False)
    p.add_argument("--seeds", type=parse_seeds, default=[1], metavar="RANGE", help="e.g. 1-5 or 1,2,7 (default: 1)")
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


def combinations(seeds, settings):
    """Every trial's parameters: {"seed": s, key: value, ...}, seeds varying fastest."""
    keys = [key for key, _ in settings]
    return [{**dict(zip(keys, values)), "seed": seed}
            for values in itertools.product(*(values for _, values in settings)) for seed in seeds]


def run_name(params):
    """A trial's run folder: 'lr0.05-shift1-seed3'."""
    name = "-".join([f"{key}{value}" for key, value in params.items() if key != "seed"] + [f"seed{params['seed']}"])
    return re.sub(r"[^\w.+-]", "_", name)  # a value such as a path names one folder, not a tree of them


def _retry(study, failed_trial):
    """Queue a failed trial again, with the same parameters."""
    import optuna

    with warnings.catch_warnings():  # "experimental" since Optuna 2.8
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        optuna.storages.RetryHeartbeatStaleTrialCallback()(study, failed_trial)


def _storage(url, heartbeat):
    import optuna

    class Storage(optuna.storages.RDBStorage):
        """Optuna's RDB storage, with a heartbeat that outlasts a busy database. Optuna records
        the heartbeat in a thread that ends at its first error: on a busy machine one locked write
        left a trial with no heartbeat, which no worker ever deemed stale, and the sweep waited for
        it for ever."""

        def record_heartbeat(self, trial_id):
            for attempt in range(HEARTBEAT_ATTEMPTS):
                try:
                    return super().record_heartbeat(trial_id)
                except optuna.exceptions.StorageInternalError:
                    if attempt == HEARTBEAT_ATTEMPTS - 1:
                        raise
                    time.sleep(1)

    sqlite = url.startswith("sqlite")
    # SQLite makes a writer wait 5 s for another's lock, then fails it; on a busy machine several
    # workers' writes take longer than that. isolation_level None: see _begin_immediately.
    engine = {"connect_args": {"timeout": SQLITE_LOCK_TIMEOUT_S, "isolation_level": None}} if sqlite else None
    try:
        with warnings.catch_warnings():  # the heartbeat is "experimental" since Optuna 2.8
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            storage = Storage(url, engine_kwargs=engine, heartbeat_interval=heartbeat, grace_period=2 * heartbeat,
                              heartbeat_stale_trial_callback=_retry)
    except Exception as e:  # SQLAlchemy's errors for a bad URL or an unreachable server have no common base
        raise UsageError(f"cannot open the study's storage {url}: {str(e).splitlines()[0]}")
    if sqlite:
        _begin_immediately(storage.engine)
    return storage


def _begin_immediately(engine):
    """Make each of the engine's SQLite transactions take the write lock when it begins.
    Python's sqlite3 begins a transaction only at the first write, so Optuna's read-check-write of a
    trial's state was not atomic: two workers both failed the same stale trial and both queued a
    retry, and the trial ran twice. With this, the second sees the trial failed and leaves it
    (SQLAlchemy's recipe for pysqlite; PostgreSQL's row locks need none of it)."""
    from sqlalchemy import event

    event.listen(engine, "begin", lambda connection: connection.exec_driver_sql("BEGIN IMMEDIATE"))


def _params(trial):
    """A trial's combination, whether or not its objective has suggested it yet."""
    return trial.params or trial.system_attrs.get("fixed_params")


def create_or_load(storage, name, trials):
    """The study, created with every trial queued, or as a previous run of the sweep left it."""
    import optuna
    from optuna.trial import TrialState

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    try:
        study = optuna.create_study(study_name=name, storage=storage, direction="maximize")
    except optuna.exceptions.DuplicatedStudyError:
        study = optuna.load_study(study_name=name, storage=storage)
        known = study.get_trials(deepcopy=False)
        if known and not any(_params(t) in trials for t in known):
            raise UsageError(f"study {name!r} exists with other trials; give another --study or the same settings")
        # Queued again: combinations a creator was killed before queueing, and failed ones with no
        # retry (failing a stale trial and queueing its retry are two writes, and a sweep killed
        # between them left the combination failed for good: its resume ended one trial short).
        live = [_params(t) for t in known if t.state in (TrialState.WAITING, TrialState.RUNNING, TrialState.COMPLETE)]
        for params in trials:
            if params not in live:
                study.enqueue_trial(params)
        return study
    for params in trials:
        study.enqueue_trial(params)
    return study


def _objective(space, study_dir, fixed):
    def objective(trial):
        import keras
        import optuna
        from optuna.trial import TrialState

        frozen = next(t for t in trial.study.get_trials(deepcopy=False, states=(TrialState.RUNNING,))
                      if t.number == trial.number)
        fixed_params = frozen.system_attrs.get("fixed_params")
        if not fixed_params:  # the queue emptied between a worker's look and its ask
            trial.study.stop()
            raise optuna.TrialPruned("no queued trial left")
        # Every trial declares the whole space (Optuna keeps one distribution per name); the
        # queued values are what the suggestions return.
        params = {key: trial.suggest_categorical(key, space[key]) for key in fixed_params}
        name = run_name(params)
        # Optuna's heartbeat thread may not have written yet (seconds, on a busy machine): a trial
        # marked begun has a heartbeat, so that Optuna finds it stale if this worker dies from here on
        # (retry_unstarted covers the time before).
        trial.study._storage.record_heartbeat(trial._trial_id)
        trial.set_user_attr("began", trial.number)  # a number, since a retry inherits its failed trial's attributes
        trial.set_user_attr("run", str(study_dir / name))
        argv = [*fixed, "--seed", str(params["seed"]), "--out", str(study_dir), "--name", name]
        for key, value in params.items():
            if key != "seed":
                argv += [f"--{key}", str(value)]
        keras.backend.clear_session()
        if train.main(argv) != 0:
            raise RuntimeError(f"training {name} failed")
        return json.loads((study_dir / name / "summary.json").read_text())["final_accuracy"]
    return objective


def retry_unstarted(study, grace_s):
    """Fail and queue again the running trials whose objective has not begun (no "began" attribute
    of their own) grace_s after a worker took them. Optuna's heartbeat fails only trials that sent
    one: a worker killed between taking a trial and its first heartbeat left it running for ever."""
    from optuna.trial import TrialState

    now = datetime.datetime.now()  # Optuna's own clock for datetime_start
    for trial in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        if trial.user_attrs.get("began") == trial.number or (now - trial.datetime_start).total_seconds() < grace_s:
            continue
        try:
            study.tell(trial.number, state=TrialState.FAIL)
        except (ValueError, RuntimeError):  # another worker failed or finished it first
            continue
        _retry(study, next(t for t in study.get_trials(deepcopy=False) if t.number == trial.number))


def work(url, heartbeat, name, space, study_dir, fixed):
    """Take queued trials until none is queued or running; retry trials whose worker died."""
    import optuna
    from optuna.trial import TrialState

    # Loading TensorFlow holds the GIL for seconds, which would starve the heartbeat thread of a
    # trial already taken: another worker would then deem it stale and run its retry alongside it.
    device.load_tensorflow()

    study = optuna.load_study(study_name=name, storage=_storage(url, heartbeat))
    objective = _objective(space, study_dir, fixed)
    while True:
        states = [t.state for t in study.get_trials(deepcopy=False)]
        if TrialState.WAITING in states:
            # Takes a queued trial (failing stale ones first); a training that fails is recorded as failed.
            study.optimize(objective, n_trials=1, catch=(RuntimeError,))
        elif TrialState.RUNNING in states:  # another worker's, or a dead worker's not yet stale
            time.sleep(heartbeat / 2)
            optuna.storages.fail_stale_trials(study)
            retry_unstarted(study, grace_s=2 * heartbeat)
        else:
            return


def default_storage(out, study):
    return f"sqlite:///{(out / study / 'study.db').resolve()}"


@command("mnist_keras.sweep")
def main(argv=None):
    args, fixed = parse_args(argv)
    bad = [option for option in fixed
           if option.startswith("--") and option[2:].split("=")[0].replace("-", "_") in SWEEP_ONLY]
    if bad:
        raise UsageError(f"{bad[0]} is the sweep's to set (use --seeds, --out and --study)")
    train.parse_args(fixed)  # the fixed trainer options: a bad one is reported now, by the trainer's parser
    study_dir = args.out / args.study
    study_dir.mkdir(parents=True, exist_ok=True)
    url = args.storage or default_storage(args.out, args.study)
    trials = combinations(args.seeds, args.set)
    space = {**dict(args.set), "seed": args.seeds}
    study = create_or_load(_storage(url, args.heartbeat), args.study, trials)
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
