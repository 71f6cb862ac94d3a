"""The build's settings: defaults, the TOML config file, and the checks every value passes."""
import math
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from bp_excel.network import Network
from labkit.cli import UsageError

DEFAULT_LEARNING_RATES = (0.1, 0.2, 0.5, 0.8, 1.0, 2.0)
DEFAULT_ITERATIONS = 200  # enough for the slowest default rate (0.1) to show its curve
MAX_ITERATIONS = 50_000  # ~2 million formulas a sheet; beyond that spreadsheets crawl
DEFAULT_OUT = Path("workbook/backprop.xlsx")
DEFAULT_EXERCISE_OUT = Path("workbook/backprop-exercise.xlsx")
# key: how many numbers it takes (None: one or more)
NUMBER_LISTS = {"lr": None, "inputs": 2, "targets": 2, "weights": 8, "biases": 2}
KEYS = ("lr", "iterations", "inputs", "targets", "weights", "biases", "out", "exercise")


@dataclass(frozen=True)
class BuildSettings:
    learning_rates: tuple[float, ...] = DEFAULT_LEARNING_RATES
    iterations: int = DEFAULT_ITERATIONS
    network: Network = field(default_factory=Network)
    out: Path = DEFAULT_OUT
    exercise: bool = False  # the backward pass left blank and shaded, for the learner to fill in


def _numbers(key, values):
    if not isinstance(values, (list, tuple)) or not all(
            isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
        raise UsageError(f"{key} must be a list of numbers, got {values!r}")
    count = NUMBER_LISTS[key]
    if count is not None and len(values) != count:
        raise UsageError(f"{key} takes {count} values, got {len(values)}")
    if not values:
        raise UsageError(f"{key} needs at least one value")
    if not all(math.isfinite(v) for v in values):
        raise UsageError(f"{key} must be finite numbers, got {list(values)}")
    return tuple(float(v) for v in values)


def _learning_rates(values):
    rates = _numbers("lr", values)
    if any(lr <= 0 for lr in rates):
        raise UsageError(f"learning rates must be > 0, got {list(rates)}")
    if len({f"{lr:.15g}" for lr in rates}) != len(rates):
        raise UsageError(f"learning rates must differ, got {list(rates)}")
    return rates


def _iterations(value):
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= MAX_ITERATIONS:
        raise UsageError(f"iterations must be a whole number from 1 to {MAX_ITERATIONS}, got {value!r}")
    return value


def _out(value):
    if not isinstance(value, (str, Path)):
        raise UsageError(f"out must be a file name ending in .xlsx, got {value!r}")
    path = Path(value)
    if path.is_dir():
        raise UsageError(f"output {path} is a directory; give a file name ending in .xlsx")
    if path.suffix.lower() != ".xlsx":
        raise UsageError(f"output {path} must end in .xlsx")
    return path


def load_config(path):
    """The settings a TOML file gives, under the same keys as the flags."""
    try:
        with open(path, "rb") as f:
            config = tomllib.load(f)
    except OSError as e:
        raise UsageError(f"cannot read config {path}: {e.strerror}")
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise UsageError(f"config {path} is not valid TOML: {e}")
    except RecursionError:
        raise UsageError(f"config {path} nests arrays or tables too deeply")
    unknown = sorted(set(config) - set(KEYS))
    if unknown:
        raise UsageError(f"config {path}: unknown key {unknown[0]!r} (known: {', '.join(KEYS)})")
    return config


def resolve(given):
    """BuildSettings from {key: value} (flags over config; None: not given), every value checked."""
    given = {key: value for key, value in given.items() if value is not None}
    if isinstance(given.get("lr"), (int, float)):
        given["lr"] = [given["lr"]]
    network = Network(**{key: _numbers(key, given[key])
                         for key in ("inputs", "targets", "weights", "biases") if key in given})
    settings = {"network": network}
    if "lr" in given:
        settings["learning_rates"] = _learning_rates(given["lr"])
    if "iterations" in given:
        settings["iterations"] = _iterations(given["iterations"])
    if "exercise" in given:
        if not isinstance(given["exercise"], bool):
            raise UsageError(f"exercise must be true or false, got {given['exercise']!r}")
        settings["exercise"] = given["exercise"]
    if "out" in given:
        settings["out"] = _out(given["out"])
    elif settings.get("exercise"):
        settings["out"] = DEFAULT_EXERCISE_OUT
    return BuildSettings(**settings)
