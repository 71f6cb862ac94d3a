"""What several test modules call: a command in-process, the Open XML schema check, and a skip that
CI turns into a failure. Fixtures live in conftest.py; these are plain functions."""
import json
import os
import re
import subprocess
import sys

import pytest


def call_main(main, argv, capsys):
    """A command's main(argv), in-process: its exit status (argparse's SystemExit included) and
    what it wrote (capsys.readouterr())."""
    try:
        code = main(argv)
    except SystemExit as e:
        code = e.code
    return code, capsys.readouterr()


# openxml-audit reads CT_Font as a sequence, but the schema makes it an unbounded choice (any
# order), and Excel opens openpyxl's order: these findings are not errors.
FONT_ORDER = re.compile(r"Unexpected element '\w+' found")


def audit(path):
    """openxml-audit's report on an .xlsx: Open XML's schema, checked as Excel would (no Excel runs here)."""
    done = subprocess.run([sys.executable, "-m", "openxml_audit", "--output", "json", "--max-errors", "0",
                           str(path)], capture_output=True, text=True, timeout=300)
    (report,) = json.loads(done.stdout)
    return report


def schema_errors(report):
    """The report's errors, less the font-order false positive."""
    return [e for e in report["errors"] if e["severity"] == "error"
            and not (e["part_uri"] == "/xl/styles.xml" and FONT_ORDER.match(e["description"])
                     and "/fonts[1]/font[" in e["path"])]


def require(available, what):
    """Skip a test whose real dependency is missing, except in CI, where a skip would hide it."""
    if available:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"{what} is required in CI but is not available")
    pytest.skip(f"{what} is not available")
