"""The sweep's study on Optuna: its storage, its queue of trials, the objective that trains one, and
the workers that take them. Every use of Optuna's internals is here, each with a tripwire test in
tests/test_sweep.py: RDBStorage.record_heartbeat (overridden), a queued trial's
system_attrs["fixed_params"], and RDBStorage.engine (each SQLite transaction begun IMMEDIATE).
"""
import datetime
import json
import re
import time
import warnings

from labkit.cli import UsageError
from mnist_keras import device, train

SQLITE_LOCK_TIMEOUT_S = 120
HEARTBEAT_ATTEMPTS = 30  # a second apart


def run_name(params):
    """A trial's run folder: 'lr0.05-shift1-seed3'."""
    name = "-".join([f"{key}{value}" for key, value in params.items() if key != "seed"] + [f"seed{params['seed']}"])
    return re.sub(r"[^\w.+-]", "_", name)  # a value such as a path names one folder, not a tree of them


def retry(study, failed_trial):
    """Queue a failed trial again, with the same parameters."""
    import optuna

    with warnings.catch_warnings():  # "experimental" since Optuna 2.8
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        optuna.storages.RetryHeartbeatStaleTrialCallback()(study, failed_trial)


def open_storage(url, heartbeat):
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
                              heartbeat_stale_trial_callback=retry)
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


def params_of(trial):
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
        if known and not any(params_of(t) in trials for t in known):
            raise UsageError(f"study {name!r} exists with other trials; give another --study or the same settings")
        # Queued again: combinations a creator was killed before queueing, and failed ones with no
        # retry (failing a stale trial and queueing its retry are two writes, and a sweep killed
        # between them left the combination failed for good: its resume ended one trial short).
        live = [params_of(t) for t in known if t.state in (TrialState.WAITING, TrialState.RUNNING, TrialState.COMPLETE)]
        for params in trials:
            if params not in live:
                study.enqueue_trial(params)
        return study
    for params in trials:
        study.enqueue_trial(params)
    return study


def objective_of(space, study_dir, fixed):
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
        retry(study, next(t for t in study.get_trials(deepcopy=False) if t.number == trial.number))


def work(url, heartbeat, name, space, study_dir, fixed):
    """Take queued trials until none is queued or running; retry trials whose worker died."""
    import optuna
    from optuna.trial import TrialState

    # Loading TensorFlow holds the GIL for seconds, which would starve the heartbeat thread of a
    # trial already taken: another worker would then deem it stale and run its retry alongside it.
    device.load_tensorflow()

    study = optuna.load_study(study_name=name, storage=open_storage(url, heartbeat))
    objective = objective_of(space, study_dir, fixed)
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
