import os
import shutil
import tempfile

import pytest

from bp_excel.engines import find_soffice


def pytest_configure(config):
    # A temporary HOME for the whole run, so that no test reads or writes the user's files (Keras's
    # cache, pip's, LibreOffice's profile). MNIST_KERAS_DATA, where the user set it, still names
    # the MNIST cache; elsewhere the tests fetch MNIST into the temporary HOME.
    home = tempfile.mkdtemp(prefix="backprop_lab_home_")
    os.environ["HOME"] = home
    os.environ.pop("XDG_CACHE_HOME", None)
    os.environ.pop("KERAS_HOME", None)


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
