"""The lock that make installs from, resolved as a user's pip resolves it: from PyPI alone.

    python tools/lock.py            # rewrite requirements.lock, keeping the pins that still fit (make lock)
    python tools/lock.py --upgrade  # resolve afresh: the newest versions that pyproject's ranges allow

tests/test_lock.py calls resolve() to check that every make target still resolves against the lock on
each Python and platform that the lock's header promises.
"""
import json
import os
import platform
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOCK = ROOT / "requirements.lock"
# What pip reads on a user's machine: no configuration file, no local wheel folder, no site constraints.
PYPI_ONLY = {"PIP_CONFIG_FILE": os.devnull, "PIP_FIND_LINKS": "", "PIP_CONSTRAINT": ""}
# Every extra that a make target installs, resolved together into the one lock (see the Makefile).
LOCKED = ".[test,bench]"
PYTHONS = ("3.11", "3.12", "3.13")
# pip expands a macOS tag to the older macOS versions and manylinux2014 to manylinux2010 and 1, but a
# manylinux_2_X tag to itself alone: a glibc 2.28 machine (Debian 10, Ubuntu 18.10 and later) takes these.
MANYLINUX_X86_64 = tuple(f"manylinux_2_{minor}_x86_64" for minor in range(28, 16, -1)) + ("manylinux2014_x86_64",)
PLATFORMS = {"linux-x86_64": MANYLINUX_X86_64, "macos-arm64": ("macosx_14_0_arm64",), "windows-x86_64": ("win_amd64",)}
HEADER = f"""\
# What make installs (pip install --constraint requirements.lock '.[EXTRA]'), resolved by pip from PyPI
# alone for {LOCKED} on CPython {sys.version_info.major}.{sys.version_info.minor}, {platform.system()} \
{platform.machine()}; tests/test_lock.py checks that every make target
# also resolves against it on CPython {', '.join(PYTHONS)} (manylinux_2_28 and older), and the core
# dependencies on macOS arm64 and Windows x86-64. pyproject.toml keeps the ranges. Remake: make lock
"""


def resolve(requirement, python=None, platform=None, constraints=None):
    """pip's installation report for requirement (e.g. ".[mnist]"), from PyPI alone, installing
    nothing; for another Python or platform, from wheels only. Raises CalledProcessError with pip's
    own message when it does not resolve."""
    with tempfile.TemporaryDirectory() as scratch:
        report = Path(scratch) / "report.json"
        command = [sys.executable, "-m", "pip", "install", "--dry-run", "--ignore-installed", "--quiet",
                   "--report", str(report), requirement]
        if constraints:
            command += ["--constraint", str(constraints)]
        if python or platform:
            # pip takes another interpreter's or platform's tags only for a --target install (never written).
            command += ["--only-binary=:all:", "--target", str(Path(scratch) / "target"),
                        "--python-version", python or f"{sys.version_info.major}.{sys.version_info.minor}"]
            for tag in PLATFORMS[platform or "linux-x86_64"]:
                command += ["--platform", tag]
        subprocess.run(command, cwd=ROOT, env={**os.environ, **PYPI_ONLY}, check=True, capture_output=True,
                       text=True, timeout=900)
        return json.loads(report.read_text())


def pins(report):
    """name==version of every package the report installs, but this project."""
    found = {item["metadata"]["name"]: item["metadata"]["version"] for item in report["install"]}
    found.pop("backprop-lab", None)
    return [f"{name}=={version}" for name, version in sorted(found.items(), key=lambda kv: kv[0].lower())]


def main(argv=None):
    upgrade = "--upgrade" in (sys.argv[1:] if argv is None else argv)
    with tempfile.NamedTemporaryFile("w", suffix=".txt") as kept:
        # Today's pins as constraints, as pip-compile keeps them: a change to one dependency moves no other.
        kept.write("" if upgrade else LOCK.read_text())
        kept.flush()
        lines = pins(resolve(LOCKED, constraints=kept.name))
    LOCK.write_text(HEADER + "\n".join(lines) + "\n")
    print(f"wrote {LOCK.name}: {len(lines)} pins")


if __name__ == "__main__":
    main()
