"""The built-in models: their parameter counts, layer kinds and outputs."""
import keras
import numpy as np
import pytest

from mnist_keras.config import recipe
from mnist_keras.model import build_model, parameter_counts
from mnist_keras.train import main


def model(name="standard", **changes):
    return build_model(recipe(name, **changes))


def test_exactly_the_courses_trainable_parameters():
    counts = parameter_counts(model("standard"))
    assert counts["trainable"] == 14_402
    assert counts["total"] < 20_000
    assert counts["non_trainable"] == 2 * (8 + 8 + 16 + 16 + 16 + 24 + 28)  # BatchNorm's moving mean and variance


def test_torchsummary_count_by_hand():
    # torchsummary counts conv weights (k x k x in x out) and biases, BatchNorm's gamma and beta,
    # the dense layer's weights and biases: the standard model's layers, written out.
    convolutions = (3 * 3 * 1 * 8 + 8) + (3 * 3 * 8 * 8 + 8) + 3 * 3 * 8 * 16 + 1 * 1 * 16 * 16 \
        + 3 * 3 * 16 * 16 + 3 * 3 * 16 * 24 + 3 * 3 * 24 * 28
    batchnorm = 2 * (8 + 8 + 16 + 16 + 16 + 24 + 28)
    dense = 28 * 10 + 10
    assert convolutions + batchnorm + dense == 14_402
    assert parameter_counts(model("standard"))["trainable"] == convolutions + batchnorm + dense


def test_layer_kinds():
    kinds = {type(layer).__name__ for layer in model(dropout=0.1).layers}
    assert {"Conv2D", "BatchNormalization", "ReLU", "MaxPooling2D", "SpatialDropout2D",
            "GlobalAveragePooling2D", "Dense"} <= kinds
    element = model(dropout=0.1, dropout_kind="element")
    assert "Dropout" in {type(layer).__name__ for layer in element.layers}
    # A dropout of 0 costs a masking op per layer and per step for nothing: no layer at all.
    assert not any("Dropout" in type(layer).__name__ for layer in model(dropout=0).layers)
    pooled = [layer for layer in model("standard").layers if isinstance(layer, keras.layers.GlobalAveragePooling2D)]
    assert pooled[0].output.shape == (None, 28)  # 1x1 per channel, flattened


def test_the_standard_model_drops_after_every_convolution_and_the_small_ones_not():
    """The assignment's model has dropout: 2% of the feature maps after each of the seven ReLUs
    (issue 37); the compact and tiny recipes were measured without it."""
    layers = model("standard").layers
    kinds = [type(layer).__name__ for layer in layers]
    assert kinds.count("SpatialDropout2D") == 7
    assert all(kinds[i + 1] == "SpatialDropout2D" for i, kind in enumerate(kinds) if kind == "ReLU")
    assert {layer.rate for layer in layers if isinstance(layer, keras.layers.SpatialDropout2D)} == {0.02}
    for name in ("compact", "tiny"):
        assert not any("Dropout" in type(layer).__name__ for layer in model(name).layers)


def test_block_dropout_closes_each_block():
    """--dropout-where block: one layer before the max-pool and one before the global average pool,
    as the assignment's blocks end; no parameter added."""
    closing = model(dropout=0.05, dropout_where="block")
    kinds = [type(layer).__name__ for layer in closing.layers]
    assert kinds.count("SpatialDropout2D") == 2
    assert kinds[kinds.index("MaxPooling2D") - 1] == "SpatialDropout2D"
    assert kinds[kinds.index("GlobalAveragePooling2D") - 1] == "SpatialDropout2D"
    assert parameter_counts(closing)["trainable"] == 14_402
    after_every = model(dropout=0.05, dropout_where="convolution")
    assert [type(layer).__name__ for layer in after_every.layers].count("SpatialDropout2D") == 7


def test_outputs_are_class_probabilities():
    standard = model("standard")
    assert standard.output_shape == (None, 10)
    probabilities = standard.predict(np.random.default_rng(0).normal(size=(5, 28, 28, 1)), verbose=0)
    assert probabilities.shape == (5, 10) and probabilities.dtype == np.float32
    np.testing.assert_allclose(probabilities.sum(axis=1), 1, rtol=1e-5)


def test_dry_run_prints_the_summary_and_counts(capsys):
    assert main(["--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "Trainable params: 14,402" in out and "Conv2D" in out


def test_fused_batchnorm_trains_like_keras_batchnorm():
    import tensorflow as tf

    from mnist_keras.batchnorm import BatchNormalization

    x = tf.constant(np.random.default_rng(0).normal(2, 3, (16, 9, 9, 5)), tf.float32)
    results = []
    for layer in (BatchNormalization(), keras.layers.BatchNormalization()):
        layer.build(x.shape)
        layer.gamma.assign(np.linspace(0.5, 2, 5))
        layer.beta.assign(np.linspace(-1, 1, 5))
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = layer(x, training=True)
            loss = tf.reduce_sum(y * tf.sin(y))
        gradients = tape.gradient(loss, [x, layer.gamma, layer.beta])
        results.append([y, layer.moving_mean, layer.moving_variance, *gradients])
    ours, keras_own = results
    names = ["output", "moving mean", "moving variance", "d/dx", "d/dgamma", "d/dbeta"]
    for name, a, b in zip(names, ours, keras_own):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-5, atol=1e-5 * float(np.abs(b).max()),
                                   err_msg=name)
    # Inference is Keras's own path: the same numbers exactly.
    np.testing.assert_array_equal(BatchNormalization()(x, training=False), keras.layers.BatchNormalization()(x, training=False))


def test_spatial_dropout_drops_whole_feature_maps():
    spatial = model(dropout=0.5, dropout_kind="spatial")
    dropout = next(layer for layer in spatial.layers if isinstance(layer, keras.layers.SpatialDropout2D))
    maps = dropout(np.ones((4, 6, 6, 8), np.float32), training=True).numpy()
    per_map = maps.reshape(4, 36, 8)
    assert (per_map.min(axis=1) == per_map.max(axis=1)).all()  # each map kept or dropped whole
    assert 0 < (per_map[:, 0, :] == 0).mean() < 1


@pytest.mark.slow
def test_the_trainers_gpu_path_trains_on_the_cpu_mixed_precision_xla_float32_softmax():
    # What the trainer runs on a GPU, on the CPU: its precision policy, its compiled model (the
    # recipe's optimizer, XLA) and its training pipeline.
    from mnist_keras import backend, pipeline, training_loop

    gpu = "GPU: as device.describe() names one"
    assert backend.jit_compile(gpu) is True
    backend.set_precision(gpu)
    try:
        hp = recipe(batch_size=32, epochs=1)
        model = training_loop.compiled_model(hp, steps_per_epoch=2, jit_compile=backend.jit_compile(gpu))
        rng = np.random.default_rng(0)
        images, labels = rng.integers(0, 256, (64, 28, 28), dtype=np.uint8), rng.integers(0, 10, 64)
        history = model.fit(pipeline.training_set(images, labels, hp), epochs=1, shuffle=False, verbose=0)
    finally:
        keras.mixed_precision.set_global_policy("float32")
    assert np.isfinite(history.history["loss"][0])
    assert model.layers[1].compute_dtype == "float16" and model.output.dtype == "float32"


def test_every_model_has_a_recipe_and_the_compact_one_is_small():
    from mnist_keras.architecture import DESIGNS
    from mnist_keras.config import MODEL_RECIPES

    assert set(MODEL_RECIPES) == set(DESIGNS)
    assert parameter_counts(model("compact"))["trainable"] <= 8_000
    # Counted by hand: a 3x3 convolution 1->16 with bias; separable 3x3 16->24, 24->32, 32->40,
    # 40->40, 40->40 (9 per input channel, then inputs x outputs); BatchNorm's gamma and beta on
    # each; the dense layer 40->10.
    convolutions = (9 * 16 + 16) + sum(9 * i + i * o for i, o in [(16, 24), (24, 32), (32, 40), (40, 40), (40, 40)])
    batchnorm = 2 * (16 + 24 + 32 + 40 + 40 + 40)
    assert parameter_counts(model("compact"))["trainable"] == convolutions + batchnorm + 40 * 10 + 10
    assert parameter_counts(model("tiny"))["trainable"] <= 5_000
    assert recipe("compact").epochs <= 15 and recipe("tiny").epochs <= 15 and recipe("compact", epochs=3).epochs == 3
