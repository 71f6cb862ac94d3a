"""Bad input: one line on stderr, exit status 2, and no file written."""
import os
import time

import openpyxl
import pytest
from helpers import call_main

from bp_excel.cli import main
from bp_excel.settings import MAX_ITERATIONS


def run(argv, capsys):
    code, captured = call_main(main, argv, capsys)
    return code, captured.err


def assert_one_line_error(code, err, *fragments):
    assert code == 2
    assert len(err.strip().splitlines()) == 1, err
    assert "Traceback" not in err
    for fragment in fragments:
        assert fragment in err


@pytest.mark.parametrize("argv, message", [
    (["--lr", "0"], "learning rates must be > 0"),
    (["--lr", "0.5", "-1"], "learning rates must be > 0"),
    (["--lr", "nan"], "must be finite"),
    (["--lr", "inf"], "must be finite"),
    (["--lr", "fast"], "invalid float value: 'fast'"),
    (["--lr", "0.5", "0.50"], "learning rates must differ"),
    (["--iterations", "0"], "iterations must be a whole number from 1"),
    (["--iterations", str(MAX_ITERATIONS + 1)], f"from 1 to {MAX_ITERATIONS}"),
    (["--iterations", "2.5"], "invalid int value"),
    (["--weights", "0.1", "0.2"], "weights takes 8 values, got 2"),
    (["--inputs", "1", "2", "3"], "inputs takes 2 values, got 3"),
    (["--targets", "0.5"], "targets takes 2 values, got 1"),
    (["--biases", "1", "2", "3"], "biases takes 2 values, got 3"),
    (["--weights", *["0.1"] * 7, "inf"], "argument --weights: must be finite"),
    (["--bogus"], "unrecognized arguments: --bogus"),
    (["--lr", "1e308"], "use a smaller learning rate"),
    (["--weights", *["0.1"] * 4, "-8000", *["0.1"] * 3, "--inputs", "1", "1"], "use smaller initial weights"),
])
def test_bad_build_flags(tmp_path, capsys, argv, message):
    out = tmp_path / "w.xlsx"
    code, err = run(["build", "--out", str(out), *argv], capsys)
    assert_one_line_error(code, err, message)
    assert list(tmp_path.iterdir()) == []


def test_output_that_is_a_directory(tmp_path, capsys):
    assert_one_line_error(*run(["build", "--out", str(tmp_path)], capsys), "is a directory")


@pytest.mark.slow
def test_output_that_cannot_be_written(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    assert_one_line_error(*run(["build", "--out", str(blocker / "w.xlsx")], capsys), "cannot write")
    assert_one_line_error(*run(["build", "--out", str(tmp_path / "w.csv")], capsys), "must end in .xlsx")


@pytest.mark.parametrize("text, message", [
    ("lr = [0.1,", "is not valid TOML"),
    ("learning_rate = 0.1", "unknown key 'learning_rate'"),
    ('lr = ["fast"]', "lr must be a list of numbers"),
    ("iterations = -3", "iterations must be a whole number"),
    ("weights = [1, 2]", "weights takes 8 values"),
])
def test_bad_config(tmp_path, capsys, text, message):
    config = tmp_path / "c.toml"
    config.write_text(text)
    code, err = run(["build", "--config", str(config), "--out", str(tmp_path / "w.xlsx")], capsys)
    assert_one_line_error(code, err, message)
    assert not (tmp_path / "w.xlsx").exists()


def test_missing_config(tmp_path, capsys):
    assert_one_line_error(*run(["build", "--config", str(tmp_path / "none.toml")], capsys), "cannot read config")


def test_flags_override_the_config(tmp_path, capsys):
    config = tmp_path / "c.toml"
    config.write_text(f'lr = [0.1]\niterations = 3\nout = "{tmp_path / "from_config.xlsx"}"\n')
    assert main(["build", "--config", str(config), "--lr", "0.7", "--out", str(tmp_path / "flag.xlsx")]) == 0
    assert openpyxl.load_workbook(tmp_path / "flag.xlsx").sheetnames == ["Start here", "Summary", "lr 0.7"]
    assert not (tmp_path / "from_config.xlsx").exists()


@pytest.mark.slow
def test_an_interrupted_build_leaves_the_old_file(tmp_path, capsys, monkeypatch):
    out = tmp_path / "w.xlsx"
    out.write_bytes(b"old")

    def crash(*args):
        raise KeyboardInterrupt

    monkeypatch.setattr("bp_excel.build.xlsx.ExcelWriter.save", crash)
    assert main(["build", "--out", str(out)]) == 130
    assert capsys.readouterr().err == "bp_excel build: interrupted\n"  # one line, no traceback
    assert out.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["w.xlsx"]


def test_pngs_that_cannot_be_written_are_named_as_such(tmp_path, capsys):
    (tmp_path / "w_all.png").mkdir()  # a folder where the overlay PNG goes
    code, err = run(["build", "--lr", "1", "--iterations", "2", "--out", str(tmp_path / "w.xlsx")], capsys)
    assert_one_line_error(code, err, "wrote", "cannot write its PNGs")
    assert (tmp_path / "w.xlsx").stat().st_size > 0


@pytest.mark.slow
def test_a_hanging_engine_is_killed_without_process_groups(tmp_path, capsys, monkeypatch):
    # As on Windows, where os.killpg does not exist.
    fake = tmp_path / "bin" / "soffice"
    fake.parent.mkdir()
    pid_file = tmp_path / "pid"
    fake.write_text(f"#!/bin/sh\necho $$ > {pid_file}\nexec /bin/sleep 60\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", str(fake.parent))
    monkeypatch.delattr("os.killpg")
    path = tmp_path / "w.xlsx"
    assert main(["build", "--lr", "1", "--iterations", "2", "--out", str(path)]) == 0
    capsys.readouterr()
    started = time.monotonic()
    assert_one_line_error(*run(["verify", str(path), "--engine", "libreoffice", "--timeout", "1"], capsys),
                          "did not finish within 1 s")
    assert time.monotonic() - started < 30  # not the fake's 60 s
    with pytest.raises(ProcessLookupError):  # killed and reaped, not left sleeping
        os.kill(int(pid_file.read_text()), 0)


def test_verify_a_missing_file(tmp_path, capsys):
    assert_one_line_error(*run(["verify", str(tmp_path / "none.xlsx")], capsys), "no such file")


def test_verify_a_file_that_is_not_xlsx(tmp_path, capsys):
    fake = tmp_path / "fake.xlsx"
    fake.write_text("iteration,E_total\n0,0.1\n")
    assert_one_line_error(*run(["verify", str(fake)], capsys), "is not an .xlsx workbook")


def test_verify_without_any_engine(tmp_path, capsys, monkeypatch):
    path = tmp_path / "w.xlsx"
    assert main(["build", "--lr", "1", "--iterations", "2", "--out", str(path)]) == 0
    monkeypatch.setenv("PATH", str(tmp_path))
    assert_one_line_error(*run(["verify", str(path)], capsys), "no spreadsheet engine found", "apt-get install")
    assert_one_line_error(*run(["verify", str(path), "--engine", "all"], capsys), "no spreadsheet engine found")
    assert_one_line_error(*run(["verify", str(path), "--engine", "gnumeric"], capsys), "apt-get install gnumeric")


def test_verify_a_foreign_workbook(tmp_path, capsys, libreoffice):
    foreign = tmp_path / "budget.xlsx"
    wb = openpyxl.Workbook()
    wb.active.append(["rent", 1200])
    wb.create_sheet("Summary").append(["month", "total"])
    wb.save(foreign)
    assert_one_line_error(*run(["verify", str(foreign)], capsys), "not a bp_excel workbook")


@pytest.mark.slow
def test_open_without_any_spreadsheet_program(tmp_path, capsys, monkeypatch):
    path = tmp_path / "w.xlsx"
    assert main(["build", "--lr", "1", "--iterations", "2", "--out", str(path)]) == 0
    monkeypatch.setenv("PATH", str(tmp_path))
    assert_one_line_error(*run(["open", str(path)], capsys), "no spreadsheet program found")


def test_open_without_a_display(tmp_path, capsys, monkeypatch, libreoffice):
    path = tmp_path / "w.xlsx"
    assert main(["build", "--lr", "1", "--iterations", "2", "--out", str(path)]) == 0
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    assert_one_line_error(*run(["open", str(path)], capsys), "no display", "bp_excel render")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["w.xlsx", "w_all.png", "w_lr1.png"]  # no lock file


def test_open_with_a_libreoffice_that_cannot_show_windows(tmp_path, capsys, monkeypatch):
    program = tmp_path / "program"
    program.mkdir()
    (program / "soffice").write_text("#!/bin/sh\nexit 0\n")
    (program / "soffice").chmod(0o755)
    (program / "libvcllo.so").write_text("")  # LibreOffice itself, but no window backend (libvclplug_*)
    monkeypatch.setenv("PATH", str(program))
    monkeypatch.setenv("DISPLAY", ":0")
    path = tmp_path / "w.xlsx"
    assert main(["build", "--lr", "1", "--iterations", "2", "--out", str(path)]) == 0
    assert_one_line_error(*run(["open", str(path)], capsys), "build without windows", "libreoffice-calc")


@pytest.mark.parametrize("command", ["verify", "render"])
@pytest.mark.parametrize("timeout, message", [("0", "must be between 0.1 and 86400"), ("inf", "must be finite"), ("nan", "must be finite")])
def test_a_bad_timeout(tmp_path, capsys, command, timeout, message):
    assert_one_line_error(*run([command, str(tmp_path / "w.xlsx"), "--timeout", timeout], capsys),
                          f"argument --timeout: {message}")


@pytest.mark.parametrize("flag", ["--lr", "--warmup-epochs", "--momentum", "--weight-decay", "--label-smoothing",
                                  "--ema", "--dropout", "--rotation", "--zoom", "--shift"])
@pytest.mark.parametrize("value", ["inf", "nan", "-inf"])
def test_every_float_flag_of_the_trainer_refuses_non_finite_numbers(capsys, flag, value):
    from mnist_keras.train import main as train

    try:
        code = train([f"{flag}={value}", "--dry-run"])
    except SystemExit as e:
        code = e.code
    assert_one_line_error(code, capsys.readouterr().err, f"argument {flag}:", "must be")


def test_a_hanging_excel_is_killed_after_the_timeout(tmp_path, monkeypatch):
    # xlwings drives Excel on Windows and macOS only: a stand-in module whose Excel hangs on open.
    import sys
    import time
    import types

    from labkit import engines
    from labkit.cli import UsageError

    killed, closed = [], []

    class Books:
        def open(self, *args, **kwargs):
            time.sleep(30)

    class App:
        pid = 424242

        def __init__(self, **kwargs):
            self.books = Books()

        def quit(self):
            closed.append(True)

    monkeypatch.setitem(sys.modules, "xlwings", types.SimpleNamespace(App=App))
    monkeypatch.setattr(engines.os, "kill", lambda pid, sig: killed.append(pid))
    monkeypatch.setattr(engines.platform, "system", lambda: "Darwin")
    started = time.monotonic()
    with pytest.raises(UsageError, match="Excel did not finish within 0.5 s"):
        engines.recalculate_excel(tmp_path / "w.xlsx", 0.5)
    assert time.monotonic() - started < 5 and killed == [424242]


def test_an_unforeseen_error_or_ctrl_c_is_one_line_never_exit_1(capsys, monkeypatch):
    from labkit.cli import TRACEBACK_VARIABLE, command

    def failing(error):
        @command("demo")
        def main(argv=None):
            raise error
        return main

    monkeypatch.delenv(TRACEBACK_VARIABLE, raising=False)
    assert failing(KeyError("w9"))() == 3
    assert capsys.readouterr().err == (f"demo: unexpected error: KeyError: 'w9' (please report it; "
                                       f"{TRACEBACK_VARIABLE}=1 shows where)\n")
    assert failing(KeyboardInterrupt())() == 130
    assert capsys.readouterr().err == "demo: interrupted\n"
    monkeypatch.setenv(TRACEBACK_VARIABLE, "1")
    with pytest.raises(KeyError):
        failing(KeyError("w9"))()


def test_check_without_libreoffice_is_bad_usage_not_an_ungraded_class(tmp_path, capsys, monkeypatch):
    path = tmp_path / "w.xlsx"
    assert main(["build", "--lr", "1", "--iterations", "2", "--out", str(path)]) == 0
    capsys.readouterr()
    monkeypatch.setenv("PATH", str(tmp_path))
    assert_one_line_error(*run(["check", str(path), str(path)], capsys), "LibreOffice not found", "apt-get install")
