"""Where and with what a result was made: the date, the checkout's commit, the device, the CPU
(its model and the vector extensions that decide its speed) and the versions of the packages that
made it (a run's summary.json, the benchmark's JSON)."""
import datetime
import importlib.metadata
import os
import platform
import subprocess
from pathlib import Path

# /proc/cpuinfo's flags that change which kernels oneDNN and PyTorch pick, by their common names.
EXTENSIONS = {"avx2": "AVX2", "avx512f": "AVX-512", "avx512_vnni": "AVX-512 VNNI", "avx512_bf16": "AVX-512 BF16",
              "amx_tile": "AMX", "amx_bf16": "AMX BF16", "amx_int8": "AMX INT8"}


def cpu_info():
    """{"model name": ..., "flags": [...]} of the first CPU in /proc/cpuinfo; {} where there is none."""
    try:
        with open("/proc/cpuinfo") as f:
            text = f.read().split("\n\n", 1)[0]
    except OSError:
        return {}
    fields = dict(line.split(":", 1) for line in text.splitlines() if ":" in line)
    return {key.strip(): value.strip() for key, value in fields.items()}


def cpu():
    """This machine's CPU: its model ("AMD EPYC", as the kernel names it; None where unknown), the
    cores this process may use, and which of EXTENSIONS it has."""
    info = cpu_info()
    flags = info.get("flags", "").split()
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {"model": info.get("model name") or platform.processor() or None, "cores": cores,
            "extensions": [name for flag, name in EXTENSIONS.items() if flag in flags]}


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
            "commit": git_commit(), "device": device, "cpu": cpu(), "versions": versions(packages)}
