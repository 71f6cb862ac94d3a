"""Seed and setting sweeps on Optuna: bad input, and a real tiny sweep whose workers are killed."""
import collections
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import optuna
import pytest
from helpers import call_main
from optuna.trial import TrialState

from mnist_keras import train
from mnist_keras.sweep import cli as sweep
from mnist_keras.sweep import study as sweep_study

ROOT = Path(__file__).parent.parent
TINY = ["--epochs", "1", "--train-images", "2000", "--batch-size", "250"]


def run(argv, capsys):
    code, captured = call_main(sweep.main, argv, capsys)
    return code, captured.err


@pytest.mark.parametrize("argv, fragment", [
    (["--set", "colour=red"], "unknown setting 'colour'"),
    (["--set", "lr="], "setting 'lr' has no values"),
    (["--set", "lr=fast"], "setting lr: 'fast' is not valid"),
    (["--set", "optimizer=adam"], "is not one of"),
    (["--seeds", "a-b"], "seeds are whole numbers"),
    (["--seeds", "5-1"], "names no seed"),
    (["--seed", "3"], "--seed is the sweep's to set"),
    (["--dry-run"], "--dry-run is the sweep's to set"),
    (["--epochs", "0"], "must be > 0"),
    (["--storage", "postgresql://nobody@127.0.0.1:1/none"], "cannot open the study's storage"),
    (["--storage", "sqlite:////nonexistent/folder/study.db"], "cannot open the study's storage"),
])
def test_bad_input_is_one_line_and_exit_2(tmp_path, capsys, argv, fragment):
    code, err = run([*argv, "--out", str(tmp_path)], capsys)
    assert code == 2 and len(err.strip().splitlines()) == 1 and fragment in err, err


def test_combinations_vary_the_seed_fastest():
    assert sweep.combinations([1, 2], [("lr", ["0.05", "0.1"])]) == [
        {"lr": "0.05", "seed": 1}, {"lr": "0.05", "seed": 2}, {"lr": "0.1", "seed": 1}, {"lr": "0.1", "seed": 2}]
    assert train.parse_seeds("1-3,7") == [1, 2, 3, 7]
    assert sweep_study.run_name({"lr": "0.05", "shift": "1", "seed": 3}) == "lr0.05-shift1-seed3"


@pytest.mark.filterwarnings("ignore:Heartbeat of storage is supposed to be used with Study.optimize")
@pytest.mark.slow
def test_a_trial_taken_by_a_worker_killed_before_its_first_heartbeat_is_queued_again(tmp_path):
    (tmp_path / "s").mkdir()
    storage = sweep_study.open_storage(sweep_study.default_storage(tmp_path, "s"), heartbeat=60)
    trials = sweep.combinations([1, 2, 3], [])
    study = sweep_study.create_or_load(storage, "s", trials)
    dead, alive = study.ask(), study.ask()  # taken (running), and no heartbeat ever sent
    alive.set_user_attr("began", alive.number)  # its objective began
    sweep_study.retry_unstarted(study, grace_s=3600)
    assert [t.state for t in study.get_trials()] == [TrialState.RUNNING] * 2 + [TrialState.WAITING]
    sweep_study.retry_unstarted(study, grace_s=0)
    states = [t.state for t in study.get_trials()]
    assert states == [TrialState.FAIL, TrialState.RUNNING, TrialState.WAITING, TrialState.WAITING]
    assert study.get_trials()[3].system_attrs["fixed_params"] == trials[dead.number]


@pytest.mark.filterwarnings("ignore:Heartbeat of storage is supposed to be used with Study.optimize")
def test_a_retry_taken_by_a_worker_killed_before_its_first_heartbeat_is_queued_again(tmp_path):
    # A retry inherits its failed trial's attributes, "began" among them: it must not pass for begun.
    (tmp_path / "s").mkdir()
    study = sweep_study.create_or_load(sweep_study.open_storage(sweep_study.default_storage(tmp_path, "s"), heartbeat=60), "s",
                                 sweep.combinations([1], []))
    first = study.ask()
    first.set_user_attr("began", first.number)  # as its objective marks it
    first.set_user_attr("run", "its run folder")
    study.tell(first, state=TrialState.FAIL)
    sweep_study.retry(study, study.get_trials()[0])
    retry = study.ask()  # taken, and its worker dies before its objective begins
    assert retry.number == 1 and study.get_trials()[1].user_attrs["began"] == 0
    sweep_study.retry_unstarted(study, grace_s=0)
    assert [t.state for t in study.get_trials()] == [TrialState.FAIL, TrialState.FAIL, TrialState.WAITING]


def test_a_resumed_sweep_queues_again_a_failed_trial_whose_retry_was_never_queued(tmp_path):
    """Failing a stale trial and queueing its retry are two writes: a sweep killed between them
    left the combination failed with nothing queued, and its resume ended one trial short."""
    (tmp_path / "s").mkdir()
    url = sweep_study.default_storage(tmp_path, "s")
    trials = sweep.combinations([1, 2, 3], [])
    study = sweep_study.create_or_load(sweep_study.open_storage(url, heartbeat=60), "s", trials)
    failed, done = study.ask(), study.ask()
    study.tell(failed, state=TrialState.FAIL)  # and the sweep is killed before the retry
    study.tell(done, 0.5)
    again = sweep_study.create_or_load(sweep_study.open_storage(url, heartbeat=60), "s", trials)
    waiting = [t.system_attrs["fixed_params"] for t in again.get_trials() if t.state == TrialState.WAITING]
    assert sorted(waiting, key=lambda p: p["seed"]) == [trials[failed.number], trials[2]]
    assert len(sweep_study.create_or_load(sweep_study.open_storage(url, heartbeat=60), "s", trials).get_trials()) == 4  # once


@pytest.mark.slow
def test_a_trial_whose_run_began_has_a_heartbeat_so_its_dead_worker_is_found(tmp_path):
    """The objective marks a trial begun (the "began" attribute that retry_unstarted then leaves
    alone) only after a heartbeat is written: a worker killed after that, before Optuna's heartbeat thread
    first wrote, left the trial running for ever (a killed sweep's resume never ended)."""
    (tmp_path / "s").mkdir()
    study = sweep_study.create_or_load(sweep_study.open_storage(sweep_study.default_storage(tmp_path, "s"), heartbeat=1), "s",
                                 sweep.combinations([1], []))
    trial = study.ask()  # taken, as study.optimize takes it; no heartbeat thread runs
    (tmp_path / "bad.npz").write_bytes(b"not MNIST")
    with pytest.raises(RuntimeError):  # the run fails at once (unreadable data): its worker is gone
        sweep_study.objective_of({"seed": [1]}, tmp_path / "s", ["--data", str(tmp_path / "bad.npz")])(trial)
    assert "run" in study.get_trials()[0].user_attrs and study.get_trials()[0].user_attrs["began"] == trial.number
    time.sleep(4)  # past the 2 s grace (SQLite counts whole seconds)
    optuna.storages.fail_stale_trials(study)
    assert [t.state for t in study.get_trials()] == [TrialState.FAIL, TrialState.WAITING]


def test_the_internals_the_sweep_leans_on_still_exist(tmp_path):
    """Tripwires, one per internal: an upgrade of Optuna or Python that moves one fails here, not
    in a sweep that silently stops retrying its dead workers' trials."""
    import inspect

    from mnist_keras import train

    # study.open_storage overrides RDBStorage.record_heartbeat(trial_id) and listens on its engine.
    assert list(inspect.signature(optuna.storages.RDBStorage.record_heartbeat).parameters) == ["self", "trial_id"]
    (tmp_path / "s").mkdir()
    storage = sweep_study.open_storage(sweep_study.default_storage(tmp_path, "s"), heartbeat=60)
    assert type(storage).record_heartbeat is not optuna.storages.RDBStorage.record_heartbeat
    assert type(storage.engine).__name__ == "Engine"
    # A queued trial keeps its combination in system_attrs["fixed_params"] (study.params_of).
    queued = sweep_study.create_or_load(storage, "s", [{"lr": "0.1", "seed": 1}]).get_trials()[0]
    assert queued.system_attrs["fixed_params"] == {"lr": "0.1", "seed": 1}
    # cli.parse_setting reads the trainer's options from argparse's parser._actions.
    assert "--lr" in [flag for action in train.build_parser()._actions for flag in action.option_strings]


# A worker's look for stale trials: it waits at the start line (a file), then looks once.
STALE_LOOK = """
import sys, time
from pathlib import Path
import optuna
from mnist_keras.sweep import study as sweep_study
optuna.logging.set_verbosity(optuna.logging.ERROR)
study = optuna.load_study(study_name="s", storage=sweep_study.open_storage(sys.argv[1], heartbeat=1))
Path(sys.argv[2] + ".ready." + sys.argv[3]).touch()
while not Path(sys.argv[2]).exists():
    pass
optuna.storages.fail_stale_trials(study)
"""


@pytest.mark.slow
def test_workers_that_find_the_same_stale_trials_at_once_queue_one_retry_each(tmp_path):
    """Six workers look for stale trials at the same moment. Each stale trial is failed and queued
    again once: before the sweep made SQLite's transactions take their lock at the start, two
    workers could both fail a trial and both queue it (10 stale trials gave 11-15 retries)."""
    (tmp_path / "s").mkdir()
    url = sweep_study.default_storage(tmp_path, "s")
    study = sweep_study.create_or_load(sweep_study.open_storage(url, heartbeat=1), "s", sweep.combinations(list(range(10)), []))
    for trial in [study.ask() for _ in range(10)]:
        study._storage.record_heartbeat(trial._trial_id)
    beat = time.monotonic()
    go = tmp_path / "go"
    workers = [subprocess.Popen([sys.executable, "-c", STALE_LOOK, url, str(go), str(k)], cwd=ROOT) for k in range(6)]
    deadline = time.monotonic() + 120
    while len(list(tmp_path.glob("go.ready.*"))) < len(workers):
        assert time.monotonic() < deadline and all(w.poll() is None for w in workers), "a worker did not start"
        time.sleep(0.1)
    time.sleep(max(0.0, beat + 4 - time.monotonic()))  # every heartbeat past its 2 s grace (SQLite counts whole seconds)
    go.touch()
    assert [w.wait(timeout=120) for w in workers] == [0] * 6
    trials = study.get_trials(deepcopy=False)
    assert [t.state for t in trials[:10]] == [TrialState.FAIL] * 10
    retried = collections.Counter(t.system_attrs["failed_trial"] for t in trials if "failed_trial" in t.system_attrs)
    assert retried == {n: 1 for n in range(10)}


def _study_exists(db):
    """Read-only: the sweep has finished making the database's tables and the study in them.
    Opening it with Optuna before then would create the tables too, racing the sweep."""
    if not db.exists():
        return False
    connection = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return connection.execute("SELECT count(*) FROM studies WHERE study_name = 'tiny'").fetchone()[0] > 0
    except sqlite3.OperationalError:  # no such table yet
        return False
    finally:
        connection.close()


def _trials(url):
    return optuna.load_study(study_name="tiny", storage=url).get_trials(deepcopy=False)


def _wait_for(condition, process, what, log, timeout=600):
    deadline = time.monotonic() + timeout
    while not condition():
        assert process.poll() is None, f"the sweep ended (status {process.returncode}) before {what}:\n" \
                                       f"{log.read_text()[-4000:]}"
        assert time.monotonic() < deadline, f"no {what} within {timeout} s:\n{log.read_text()[-4000:]}"
        time.sleep(0.5)


def _workers(pid):
    found = subprocess.run(["pgrep", "-P", str(pid), "-f", "spawn_main"], capture_output=True, text=True)
    return [int(p) for p in found.stdout.split()]


@pytest.fixture
def busy_machine():
    """Two processes that keep both cores busy while the test runs, as other work on a shared
    machine does: the sweep must not depend on getting the CPU when it asks."""
    hogs = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(2)]
    yield
    for hog in hogs:
        hog.kill()
        hog.wait()


def test_a_killed_sweep_resumes_and_runs_every_trial_exactly_once(tmp_path, mnist, busy_machine):
    argv = [sys.executable, "-m", "mnist_keras.sweep", "--seeds", "1-2", "--set", "lr=0.05,0.1", "--workers", "2",
            "--heartbeat", "5", "--study", "tiny", "--out", str(tmp_path), *TINY]
    url = sweep_study.default_storage(tmp_path, "tiny")
    log = tmp_path / "first-sweep.log"
    with open(log, "w") as output:
        first = subprocess.Popen(argv, cwd=ROOT, stdout=output, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        _wait_for(lambda: _study_exists(tmp_path / "tiny" / "study.db")
                  and sum(t.state == TrialState.RUNNING for t in _trials(url)) == 2, first, "two running trials", log)
        os.kill(_workers(first.pid)[0], signal.SIGKILL)  # one worker dies mid-trial
        _wait_for(lambda: any(t.state == TrialState.COMPLETE for t in _trials(url)), first, "a finished trial", log)
    finally:
        os.killpg(first.pid, signal.SIGKILL)  # then the whole sweep
        first.wait()
    assert sum(t.state == TrialState.COMPLETE for t in _trials(url)) < 4

    again = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert again.returncode == 0, again.stderr[-3000:]
    trials = _trials(url)
    done = collections.Counter(json.dumps(t.params, sort_keys=True) for t in trials if t.state == TrialState.COMPLETE)
    expected = [json.dumps(p, sort_keys=True) for p in sweep.combinations([1, 2], [("lr", ["0.05", "0.1"])])]
    assert sorted(done) == sorted(expected) and set(done.values()) == {1}  # each exactly once
    assert any(t.state == TrialState.FAIL for t in trials)  # the killed ones, retried
    for t in trials:
        if t.state == TrialState.COMPLETE:
            summary = json.loads((Path(t.user_attrs["run"]) / "summary.json").read_text())
            assert summary["final_accuracy"] == t.value
            assert summary["hyperparameters"]["learning_rate"] == float(t.params["lr"])
            assert summary["seed"] == t.params["seed"]


def test_two_machines_share_one_study_on_postgresql(tmp_path, mnist, postgres):
    # Two sweep commands, each with its own run folder as on its own machine, on one study: every
    # combination completes exactly once, and the trial of the one killed mid-trial is retried by the other.
    common = ["--seeds", "1-3", "--set", "lr=0.05,0.1", "--heartbeat", "5", "--storage", postgres,
              "--study", "shared", *TINY]
    trials = lambda: optuna.load_study(study_name="shared", storage=postgres).get_trials(deepcopy=False)  # noqa: E731

    def machine(name):
        log = tmp_path / f"{name}.log"
        with open(log, "w") as output:
            process = subprocess.Popen([sys.executable, "-m", "mnist_keras.sweep", *common, "--out", str(tmp_path / name)],
                                       cwd=ROOT, stdout=output, stderr=subprocess.STDOUT, start_new_session=True)
        return process, log

    started = []  # every sweep this test starts is killed at its end, passed or failed: none outlives it
    try:
        first, first_log = machine("first")
        started.append(first)
        _wait_for(lambda: _postgres_study_exists(postgres) and len(trials()) == 6, first, "the queued study", first_log)
        second, second_log = machine("second")
        started.append(second)
        running_on_first = lambda: [t for t in trials() if t.state == TrialState.RUNNING  # noqa: E731
                                    and str(tmp_path / "first") in t.user_attrs.get("run", "")]
        _wait_for(lambda: running_on_first(), first, "a trial running on the first machine", first_log)
        killed = running_on_first()[0].number
        os.killpg(first.pid, signal.SIGKILL)  # the first machine goes away mid-trial
        first.wait()
        assert second.wait(timeout=900) == 0, second_log.read_text()[-4000:]
    finally:
        for process in started:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
    done = collections.Counter(json.dumps(t.params, sort_keys=True) for t in trials() if t.state == TrialState.COMPLETE)
    expected = [json.dumps(p, sort_keys=True) for p in sweep.combinations([1, 2, 3], [("lr", ["0.05", "0.1"])])]
    assert sorted(done) == sorted(expected) and set(done.values()) == {1}
    by_number = {t.number: t for t in trials()}
    assert by_number[killed].state == TrialState.FAIL
    retried = [t for t in trials() if t.system_attrs.get("failed_trial") == killed]
    assert [t.state for t in retried] == [TrialState.COMPLETE]
    assert str(tmp_path / "second") in retried[0].user_attrs["run"]


def _postgres_study_exists(url):
    try:
        return "shared" in optuna.get_all_study_names(storage=url)
    except Exception:  # the first machine is still creating the tables
        return False
