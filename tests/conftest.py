import os
import shutil

import pytest

from bp_excel.engines import find_soffice


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
