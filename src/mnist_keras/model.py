"""The three CNNs, as layer lists: the seed's (14,402 trainable parameters, counted as
torchsummary counts them), compact (7,954) and tiny (4,932); the Keras model of a list, and its
parameter counts.

    seed: conv 1->8 | block 1: conv 8->8, conv 8->16, max-pool | block 2: conv 1x1 16->16,
    conv 16->16, conv 16->24, conv 24->28 | global average pool over 5x5 | dense 28->10

Every convolution is followed by BatchNorm and ReLU; Dropout, where the recipe asks for it, follows
every convolution or closes every block (before each max-pool and before the global average pool).
The seed model's first two convolutions keep a bias; the later ones drop it, BatchNorm's beta
doing the same job; the widths are the ones that land exactly on the seed's 14,402 (BatchNorm's
moving statistics, 232 values, are not trainable). Why these shapes: docs/recipe-search.md.
"""
from typing import NamedTuple

import keras
from keras import layers

from mnist_keras.batchnorm import BatchNormalization
from mnist_keras.config import Hyperparameters

INPUT_SHAPE = (28, 28, 1)
CLASSES = 10
# (filters, kernel size, bias) of each unpadded convolution; ("separable", filters) of each unpadded
# depthwise-separable 3x3 one (SeparableConv2D: a 3x3 filter per channel, then a 1x1 convolution
# across channels, no bias); "pool" after each block.
SEED_LAYERS = [(8, 3, True), (8, 3, True), (16, 3, False), "pool",
               (16, 1, False), (16, 3, False), (24, 3, False), (28, 3, False)]
# --model compact: at most 8,000 trainable parameters (7,954). Separable convolutions buy it widths
# of 24-40 where plain ones allowed 8-20, at the same receptive field (20 pixels).
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


DROPOUT_KINDS = {"spatial": layers.SpatialDropout2D, "element": layers.Dropout}
DROPOUT_PLACES = ("convolution", "block")


def dropout_of(hp):
    """The recipe's dropout, as build_model and the PyTorch twin take it."""
    return {"dropout": hp.dropout, "dropout_kind": hp.dropout_kind, "dropout_where": hp.dropout_where}


def with_dropout(layer_list, dropout, where):
    """The layer list with "dropout" entries where the recipe puts them: after every convolution
    ("convolution"), or closing every block, before each pool and before the global average pool
    ("block"). A rate of 0 adds none: a masking op per step for nothing."""
    if not dropout:
        return list(layer_list)
    if where == "convolution":
        return [entry for spec in layer_list for entry in ([spec] if spec == "pool" else [spec, "dropout"])]
    return [entry for spec in layer_list for entry in (["dropout", spec] if spec == "pool" else [spec])] + ["dropout"]


def build_model(name="seed", dropout=Hyperparameters.dropout, dropout_kind=Hyperparameters.dropout_kind,
                dropout_where=Hyperparameters.dropout_where, fused_batchnorm=True):
    """dropout_kind: "element" drops single activations, "spatial" whole feature maps (one random
    number per channel instead of per pixel); dropout_where: see with_dropout.
    fused_batchnorm=False: Keras's own BatchNormalization."""
    inputs = keras.Input(INPUT_SHAPE, name="image")
    x = inputs
    for spec in with_dropout(MODELS[name], dropout, dropout_where):
        if spec == "pool":
            x = layers.MaxPooling2D(2)(x)
            continue
        if spec == "dropout":
            x = DROPOUT_KINDS[dropout_kind](dropout)(x)
            continue
        conv = convolution(spec)
        kind = layers.SeparableConv2D if conv.separable else layers.Conv2D
        x = kind(conv.filters, conv.kernel, use_bias=conv.bias)(x)
        x = (BatchNormalization if fused_batchnorm else layers.BatchNormalization)()(x)
        x = layers.ReLU()(x)
    x = layers.GlobalAveragePooling2D()(x)
    x = layers.Dense(CLASSES)(x)
    # float32 softmax even under mixed precision, for a numerically sound loss.
    outputs = layers.Activation("softmax", dtype="float32", name="probabilities")(x)
    return keras.Model(inputs, outputs, name=f"mnist_{name}")


def parameter_counts(model):
    trainable = sum(int(keras.ops.size(w)) for w in model.trainable_weights)
    non_trainable = sum(int(keras.ops.size(w)) for w in model.non_trainable_weights)
    return {"trainable": trainable, "non_trainable": non_trainable, "total": trainable + non_trainable}
