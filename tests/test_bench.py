"""The speed benchmark: a fair PyTorch twin, the FLOP count, and a real (short) interleaved run.
The tests marked bench need the bench extra (make test-bench); the others run in make test."""
import dataclasses
import importlib
import importlib.util
import json

import pytest
from helpers import require

from mnist_keras.bench import cli, measure
from mnist_keras.config import Hyperparameters, recipe
from mnist_keras.model import build_model, parameter_counts


@pytest.fixture
def torch():
    require(importlib.util.find_spec("torch"), "PyTorch (the bench extra: make test-bench)")
    return importlib.import_module("torch")


@pytest.fixture
def pytorch_twin(torch):
    return importlib.import_module("mnist_keras.bench.pytorch_twin")


@pytest.mark.bench
def test_the_pytorch_twin_has_the_same_layers_and_parameters(torch, pytorch_twin):
    twin = pytorch_twin.build(recipe())
    assert pytorch_twin.trainable_parameters(twin) == parameter_counts(build_model(recipe()))["trainable"] == 14_402
    kinds = [type(layer).__name__ for layer in twin]
    assert kinds.count("Conv2d") == kinds.count("BatchNorm2d") == 7 and kinds.count("MaxPool2d") == 1
    assert kinds[-1] == "Linear" and kinds.count("Dropout2d") == 7  # the standard recipe's, after each ReLU
    assert all(kinds[i + 1] == "Dropout2d" for i, kind in enumerate(kinds) if kind == "ReLU")
    without = [type(layer).__name__ for layer in pytorch_twin.build(recipe(dropout=0))]
    assert not any("Dropout" in kind for kind in without)
    closing = recipe(dropout=0.1, dropout_kind="element", dropout_where="block")
    closing_blocks = [type(layer).__name__ for layer in pytorch_twin.build(closing)]
    assert closing_blocks.count("Dropout") == 2 and closing_blocks[closing_blocks.index("MaxPool2d") - 1] == "Dropout"
    assert twin(torch.zeros(3, 1, 28, 28)).shape == (3, 10)
    for name in ("compact", "tiny"):  # the compact model's separable convolutions too
        twin = pytorch_twin.build(recipe(name))
        assert pytorch_twin.trainable_parameters(twin) == parameter_counts(build_model(recipe(name)))["trainable"]
        assert not any("Dropout" in type(layer).__name__ for layer in twin)


@pytest.mark.bench
def test_the_twins_augmentation_moves_pixels_and_fills_with_black(torch, pytorch_twin):
    images = torch.rand(4, 1, 28, 28)
    still = dataclasses.replace(Hyperparameters(), rotation_degrees=0.0, shift_pixels=0.0)
    torch.testing.assert_close(pytorch_twin.augment(images, still), images)
    # White digits with one black pixel, shifted by up to 10 px: where a whole edge row or column
    # comes from beyond the image, it is black (the batch's lowest value), not 0 (grey here).
    torch.manual_seed(0)
    white, black = 1.0, -0.5
    images = torch.full((16, 1, 28, 28), white)
    images[:, :, 14, 14] = black
    moved = pytorch_twin.augment(images, dataclasses.replace(still, shift_pixels=10.0))
    edges = [moved[:, 0, 0, :], moved[:, 0, -1, :], moved[:, 0, :, 0], moved[:, 0, :, -1]]
    filled = torch.stack([(edge - black).abs().max(dim=1).values < 1e-5 for edge in edges]).any(dim=0)
    assert filled.sum() >= 12, filled  # an image moved by under 1 px both ways keeps its edges
    assert moved.min() >= black - 1e-6 and moved.max() <= white + 1e-6


def test_training_flops_counted_from_the_architecture():
    # Multiply-adds per image of each layer of the seed model, by hand: output pixels x filters x kernel.
    macs = (26 * 26 * 8 * 9 * 1 + 24 * 24 * 8 * 9 * 8 + 22 * 22 * 16 * 9 * 8
            + 11 * 11 * 16 * 16 + 9 * 9 * 16 * 9 * 16 + 7 * 7 * 24 * 9 * 16 + 5 * 5 * 28 * 9 * 24 + 28 * 10)
    assert measure.epoch_flops() == 3 * 2 * macs * 60_000


@pytest.mark.bench
def test_a_short_interleaved_run_compares_keras_with_pytorch(tmp_path, capsys, mnist, torch):
    out = tmp_path / "cli.json"
    assert cli.main(["--configs", "keras-tf", "pytorch", "--rounds", "2", "--windows", "1", "--steps", "4",
                       "--json", str(out)]) == 0
    results = json.loads(out.read_text())
    assert [c["name"] for c in results["configs"]] == ["keras-tf", "pytorch"]
    keras_tf, pytorch = results["configs"]
    assert len(keras_tf["window_s"]) == 2 and all(t > 0 for t in keras_tf["window_s"])
    assert keras_tf["images_per_window"] == 4 * 256  # the default batch
    assert results["pytorch_epoch_s"] == results["best_pytorch_epoch_s"] == pytorch["epoch_s"]
    assert results["best_ratio"] == results["default_ratio"] == pytest.approx(keras_tf["epoch_s"] / pytorch["epoch_s"])
    assert "oneDNN kernels" in results["device"] and results["isa"] == "native"
    assert keras_tf["images_per_s"] == pytest.approx(60_000 / keras_tf["epoch_s"])
    assert 0 < keras_tf["floor_fraction"] < 1
    table = capsys.readouterr().out
    assert "keras-tf" in table and "1.00x" in table and results["versions"]["torch"] in table


@pytest.mark.slow
def test_a_configuration_whose_engine_is_missing_is_named_and_left_out(monkeypatch, capsys):
    monkeypatch.setitem(cli.ENGINE_MODULES, "jax", "no_such_engine")
    said = []
    results = cli.run(["keras-jax"], rounds=1, windows=1, steps=1, log=said.append)
    assert results["configs"] == [] and results["best_ratio"] is None
    assert said == ["skipping keras-jax: no_such_engine is not installed (pip install 'backprop-lab[bench]' "
                    "or see the README)"]


@pytest.mark.parametrize("argv, fragment", [
    (["--steps", "0"], "must be > 0"),
    (["--configs", "keras-cuda"], "invalid choice: 'keras-cuda'"),
    (["--rounds", "two"], "invalid int value"),
])
def test_bad_flags(capsys, argv, fragment):
    with pytest.raises(SystemExit) as exit:
        cli.main(argv)
    err = capsys.readouterr().err
    assert exit.value.code == 2 and len(err.strip().splitlines()) == 1 and fragment in err, err


def test_the_profile_names_the_convolution_and_batchnorm_ops(mnist, capsys):
    from mnist_keras.bench import profile

    times = profile.op_times("keras-tf", steps=3)
    assert all(ms >= 0 for ms in times.values()) and list(times.values()) == sorted(times.values(), reverse=True)
    # oneDNN's kernels carry a prefix (_MklNative...) where TensorFlow uses them.
    for op in ["Conv2DBackpropInput", "Conv2DBackpropFilter", "FusedBatchNormGradV3", "ImageProjectiveTransformV3"]:
        assert any(name.endswith(op) for name in times), (op, list(times))
    assert profile.main(["--steps", "2", "--top", "3"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("keras-tf (the trainer's default): 2 training steps") and len(lines) == 2 + 3
