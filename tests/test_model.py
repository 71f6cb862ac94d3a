"""The seed's model: its parameter count, layer kinds and outputs."""
import keras
import numpy as np

from mnist_keras.model import build_model, parameter_counts
from mnist_keras.train import main


def test_exactly_the_seeds_trainable_parameters():
    counts = parameter_counts(build_model("seed"))
    assert counts["trainable"] == 14_402
    assert counts["total"] < 20_000
    assert counts["non_trainable"] == 224  # BatchNorm's moving mean and variance


def test_torchsummary_count_by_hand():
    # torchsummary counts conv weights and biases, BatchNorm's gamma and beta, the dense layer.
    model = build_model("seed")
    counted = 0
    for layer in model.layers:
        if isinstance(layer, keras.layers.Conv2D):
            counted += int(np.prod(layer.kernel.shape)) + (layer.filters if layer.use_bias else 0)
        elif isinstance(layer, keras.layers.BatchNormalization):
            counted += 2 * layer.gamma.shape[0]
        elif isinstance(layer, keras.layers.Dense):
            counted += int(np.prod(layer.kernel.shape)) + layer.units
    assert counted == 14_402


def test_layer_kinds():
    kinds = {type(layer).__name__ for layer in build_model("seed").layers}
    assert {"Conv2D", "BatchNormalization", "ReLU", "MaxPooling2D", "Dropout",
            "GlobalAveragePooling2D", "Dense"} <= kinds
    pooled = [layer for layer in build_model("seed").layers if isinstance(layer, keras.layers.GlobalAveragePooling2D)]
    assert pooled[0].output.shape == (None, 32)  # 1x1 per channel, flattened


def test_outputs_are_class_probabilities():
    model = build_model("seed")
    assert model.output_shape == (None, 10)
    probabilities = model.predict(np.random.default_rng(0).normal(size=(5, 28, 28, 1)), verbose=0)
    assert probabilities.shape == (5, 10) and probabilities.dtype == np.float32
    np.testing.assert_allclose(probabilities.sum(axis=1), 1, rtol=1e-5)


def test_dry_run_prints_the_summary_and_counts(capsys):
    assert main(["--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "Trainable params: 14,402" in out and "Conv2D" in out
