"""The package installs what a part needs: without extras, the workbook and nothing of TensorFlow."""
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parent.parent


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


def test_the_environment_has_the_locked_versions():
    # make installs with --constraint requirements.lock: every pinned package is at its pin.
    import importlib.metadata

    pins = [line.split("==") for line in (ROOT / "requirements.lock").read_text().splitlines()
            if line and not line.startswith("#")]
    assert len(pins) > 20
    found = {name: importlib.metadata.version(name) for name, _ in pins}
    assert found == dict(pins)
