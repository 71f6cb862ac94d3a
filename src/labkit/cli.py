"""The commands' usage error, one-line argparse parser, number types, and main() wrapper."""
import argparse
import functools
import math
import os
import re
import sys
import warnings
from pathlib import Path

from openpyxl.utils.cell import column_index_from_string

# The extra of pyproject.toml that brings each optional package a command may import.
EXTRA_OF_PACKAGE = {"tensorflow": "mnist", "keras": "mnist", "tensorboard": "mnist", "optuna": "mnist",
                    "psycopg": "mnist", "torch": "bench", "jax": "bench", "xlwings": "excel"}


UNEXPECTED = 3  # the exit status of an error nobody foresaw
CLOSED_PIPE = 128 + 13  # SIGPIPE's, never 1, which check keeps for a wrong table
TRACEBACK_VARIABLE = "BACKPROP_LAB_TRACEBACK"


class UsageError(Exception):
    """Bad input or a missing tool: reported as one line on stderr with exit status 2."""


def shown(text):
    """A stranger's text as one line may show it: no line breaks or control characters, not too long."""
    text = "".join(c if c.isprintable() else "?" for c in str(text))
    return text if len(text) <= 200 else text[:200] + "..."


class Parser(argparse.ArgumentParser):
    def error(self, message):
        # One line, not argparse's usage block: the line says what to fix.
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def finite(text):
    """An argparse type: a float that is a number (not inf or nan, which float() accepts)."""
    value = float(text)
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"must be finite, got {text}")
    return value


finite.__name__ = "float"  # argparse names the kind in "invalid float value"


def positive(kind):
    """An argparse type: a finite number of the given kind that is > 0."""
    def parse(text):
        value = finite(text) if kind is float else kind(text)
        if not value > 0:
            raise argparse.ArgumentTypeError(f"must be > 0, got {text}")
        return value
    parse.__name__ = kind.__name__  # argparse names the kind in "invalid int value"
    return parse


def cell(text):
    """An argparse type: one cell of a sheet, as A1 or $A$1, within Excel's 16,384 columns and
    1,048,576 rows."""
    match = re.fullmatch(r"\$?([A-Za-z]{1,3})\$?([1-9][0-9]{0,6})", text)
    if not match or column_index_from_string(match[1].upper()) > 16_384 or int(match[2]) > 1_048_576:
        raise argparse.ArgumentTypeError(f"must be one cell of the sheet, like G1 or $G$1, got {text!r}")
    return text


cell.__name__ = "cell"


def existing_file(text):
    """An argparse type: the path of a file that exists (checked now, not an hour into a sweep)."""
    path = Path(text)
    if not path.is_file():
        raise argparse.ArgumentTypeError(f"no such file: {text}")
    return path


existing_file.__name__ = "file"


def output_file(*suffixes):
    """An argparse type: a file to write, ending in one of suffixes, in a folder that exists: checked
    before the work, not after it (and a .txt is never overwritten with a workbook)."""
    kinds = " or ".join(suffixes)

    def parse(text):
        path = Path(text)
        if path.suffix.lower() not in suffixes:
            raise argparse.ArgumentTypeError(f"must end in {kinds}, got {text}")
        if path.is_dir() or not path.parent.is_dir():
            raise argparse.ArgumentTypeError(f"{text} is a folder" if path.is_dir() else f"no folder {path.parent}")
        return path
    parse.__name__ = f"{kinds} file"
    return parse


def bounded(kind, low, high):
    """An argparse type: a finite number of the given kind in [low, high] (a timeout of 1e308 s or
    a rotation of 1e308 degrees is a typo, not a setting)."""
    def parse(text):
        value = finite(text) if kind is float else kind(text)
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be between {low:g} and {high:g}, got {text}")
        return value
    parse.__name__ = kind.__name__
    return parse


def command(prog):
    """Decorates main(argv=None) -> exit status: a UsageError, or an optional package that is not
    installed, becomes one line on stderr, status 2; Ctrl-C one line, status 130; any other
    exception one line, status 3; a reader that closed stdout early (`| head`) ends the command
    quietly, status 141 (as a shell reports a command ended by SIGPIPE)."""
    def decorate(main):
        @functools.wraps(main)
        def run(argv=None):
            try:
                with warnings.catch_warnings():
                    if not sys.warnoptions:  # a library's notes say nothing a user can act on
                        warnings.simplefilter("ignore")
                    status = main(argv)
                sys.stdout.flush()  # here, not at exit, so that a closed pipe is caught below
                return status
            except UsageError as e:
                print(f"{prog}: error: {e}", file=sys.stderr)
                return 2
            except BrokenPipeError:
                # Python's documented remedy: point stdout at devnull so that the flush at exit
                # does not raise again.
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
                return CLOSED_PIPE
            except OSError as e:  # a path of the user's: too long, read-only, missing, a folder
                where = f"{e.filename}: " if e.filename else ""
                print(f"{prog}: error: {where}{e.strerror or e}", file=sys.stderr)
                return 2
            except KeyboardInterrupt:
                print(f"{prog}: interrupted", file=sys.stderr)
                return 130
            except Exception as e:
                extra = EXTRA_OF_PACKAGE.get((getattr(e, "name", None) or "").partition(".")[0])
                if isinstance(e, ModuleNotFoundError) and extra:
                    print(f"{prog}: error: {e.name} is not installed; it comes with the {extra} extra: "
                          f"pip install '.[{extra}]' in the project's folder", file=sys.stderr)
                    return 2
                # Never a traceback, and never 1, which check keeps for a wrong table.
                if os.environ.get(TRACEBACK_VARIABLE):
                    raise
                print(f"{prog}: unexpected error: {type(e).__name__}: {e} (please report it; "
                      f"{TRACEBACK_VARIABLE}=1 shows where)", file=sys.stderr)
                return UNEXPECTED
        return run
    return decorate
