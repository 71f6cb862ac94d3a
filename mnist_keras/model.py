"""The seed's CNN: 14,402 trainable parameters, counted as torchsummary counts them.

    conv 1->8 (initial) | block 1: conv 8->8, conv 8->16, max-pool | block 2: conv 1x1 16->16,
    conv 16->16, conv 16->24, conv 24->28 | global average pool over 5x5 | dense 28->10

Every convolution is followed by BatchNorm and ReLU (and Dropout where the recipe asks for it).
The first two convolutions keep a bias; the later ones drop it, BatchNorm's beta doing the same
job; the widths are the ones that land exactly on the seed's 14,402 (BatchNorm's moving
statistics, 232 values, are not trainable).

Why this shape: an earlier layout (block 2: 16->16, 1x1 16->32, 32->32, a second max-pool) held
99.4% on only one of three new seeds; three 3x3 convolutions after the pool see the whole digit
(a receptive field of 20 pixels instead of 16), and the parameters sit at 9x9 to 5x5, where they
cost less compute than the wider layer at 7x7 did (docs/recipe-search.md).
"""
from typing import NamedTuple

import keras
from keras import layers

from .config import Hyperparameters

INPUT_SHAPE = (28, 28, 1)
CLASSES = 10
# (filters, kernel size, bias) of each unpadded convolution; ("separable", filters) of each unpadded
# depthwise-separable 3x3 one (SeparableConv2D: a 3x3 filter per channel, then a 1x1 convolution
# across channels, no bias); "pool" after each block.
SEED_LAYERS = [(8, 3, True), (8, 3, True), (16, 3, False), "pool",
               (16, 1, False), (16, 3, False), (24, 3, False), (28, 3, False)]
# --model compact: at most 8,000 trainable parameters (7,954). Separable convolutions buy it widths
# of 24-40 where plain ones allowed 8-20: the same receptive field (20 pixels) and about the same
# arithmetic, more features; its training accuracy rose from 99.6% to 99.7% (docs/recipe-search.md).
COMPACT_LAYERS = [(16, 3, True), ("separable", 24), ("separable", 32), "pool",
                  ("separable", 40), ("separable", 40), ("separable", 40)]
# --model tiny: at most 5,000 (4,932): the compact model's shape, narrowed.
TINY_LAYERS = [(10, 3, True), ("separable", 16), ("separable", 24), "pool",
               ("separable", 32), ("separable", 32), ("separable", 28)]
MODELS = {"seed": SEED_LAYERS, "compact": COMPACT_LAYERS, "tiny": TINY_LAYERS}


class Convolution(NamedTuple):
    filters: int
    kernel: int
    bias: bool
    separable: bool


def convolution(spec):
    """A layer list's entry other than "pool", read once for every framework that builds it."""
    if spec[0] == "separable":
        return Convolution(spec[1], 3, False, True)
    return Convolution(*spec, separable=False)


@keras.saving.register_keras_serializable(package="mnist_keras")
class BatchNormalization(layers.BatchNormalization):
    """Keras's BatchNormalization, trained through TensorFlow's fused kernel.

    Keras 3 normalizes with about ten separate ops on the TensorFlow backend; the fused kernel
    does it in one op forward and one backward, which cut a CPU epoch by about a quarter
    (python -m mnist_keras.bench). Same variables, same results; inference is Keras's own path.
    """

    def call(self, inputs, training=None, mask=None):
        if not (training and self.trainable and mask is None and keras.backend.backend() == "tensorflow"
                and len(inputs.shape) == 4 and self.axis in (-1, 3)):
            return super().call(inputs, training=training, mask=mask)
        import tensorflow as tf

        outputs, mean, variance = tf.compat.v1.nn.fused_batch_norm(
            inputs, self.gamma, self.beta, epsilon=self.epsilon, is_training=True)
        # The kernel returns the unbiased variance; Keras keeps the biased one.
        count = tf.cast(tf.size(inputs) // tf.shape(inputs)[-1], variance.dtype)
        variance = variance * (count - 1) / count
        self.moving_mean.assign(self.moving_mean * self.momentum + mean * (1 - self.momentum))
        self.moving_variance.assign(self.moving_variance * self.momentum + variance * (1 - self.momentum))
        return tf.cast(outputs, self.compute_dtype)


DROPOUT_KINDS = {"spatial": layers.SpatialDropout2D, "element": layers.Dropout}


def build_model(name="seed", dropout=Hyperparameters.dropout, dropout_kind=Hyperparameters.dropout_kind,
                fused_batchnorm=True):
    """dropout_kind: "element" drops single activations, "spatial" whole feature maps (one random
    number per channel instead of per pixel); dropout 0: no dropout layers.
    fused_batchnorm=False: Keras's own BatchNormalization."""
    inputs = keras.Input(INPUT_SHAPE, name="image")
    x = inputs
    for spec in MODELS[name]:
        if spec == "pool":
            x = layers.MaxPooling2D(2)(x)
            continue
        conv = convolution(spec)
        kind = layers.SeparableConv2D if conv.separable else layers.Conv2D
        x = kind(conv.filters, conv.kernel, use_bias=conv.bias)(x)
        x = (BatchNormalization if fused_batchnorm else layers.BatchNormalization)()(x)
        x = layers.ReLU()(x)
        if dropout:
            x = DROPOUT_KINDS[dropout_kind](dropout)(x)
    x = layers.GlobalAveragePooling2D()(x)
    x = layers.Dense(CLASSES)(x)
    # float32 softmax even under mixed precision, for a numerically sound loss.
    outputs = layers.Activation("softmax", dtype="float32", name="probabilities")(x)
    return keras.Model(inputs, outputs, name=f"mnist_{name}")


def parameter_counts(model):
    trainable = sum(int(keras.ops.size(w)) for w in model.trainable_weights)
    non_trainable = sum(int(keras.ops.size(w)) for w in model.non_trainable_weights)
    return {"trainable": trainable, "non_trainable": non_trainable, "total": trainable + non_trainable}
