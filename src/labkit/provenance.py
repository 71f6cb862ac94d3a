"""Where and with what a result was made: the date, the checkout's commit, the device and the
versions of the packages that made it (a run's summary.json, the benchmark's JSON)."""
import datetime
import importlib.metadata
import platform
import subprocess
from pathlib import Path


def git_commit():
    """The checkout's commit, with "-dirty" if it has uncommitted changes; None outside git."""
    try:
        return subprocess.run(["git", "describe", "--always", "--dirty", "--abbrev=7"], capture_output=True,
                              text=True, cwd=Path(__file__).parent, timeout=10).stdout.strip() or None
    except (OSError, subprocess.TimeoutExpired):
        return None


def versions(packages):
    """{"python": version, package: version} of the packages that are installed."""
    found = {"python": platform.python_version()}
    for package in packages:
        try:
            found[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            pass
    return found


def record(device, packages):
    return {"date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "commit": git_commit(), "device": device, "versions": versions(packages)}
