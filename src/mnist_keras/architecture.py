"""A CNN as the rows of a design: one Layer per row, as the Design sheet and the Keras builder both
read it. The built-in models are designs too: standard (14,402 trainable parameters, counted as
torchsummary counts them), compact (7,954) and tiny (4,932).

    standard: conv 1->8 | block 1: conv 8->8, conv 8->16, max-pool | block 2: conv 1x1 16->16,
    conv 16->16, conv 16->24, conv 24->28 | global average pool over 5x5 | dense 28->10

Every convolution is followed by BatchNorm and ReLU. The standard model's first two convolutions
keep a bias; the later ones drop it, BatchNorm's beta doing the same job; the widths are the ones
that land exactly on the course's 14,402 (BatchNorm's moving statistics, 232 values, are not
trainable). Why these shapes: docs/recipe-search.md.
"""
import hashlib
import json
from typing import NamedTuple

INPUT_SIZE, INPUT_CHANNELS = 28, 1  # MNIST's images: 28 x 28 pixels, one channel
CLASSES = 10

CONVOLUTION, SEPARABLE = "convolution", "separable convolution"
POOLING, BATCHNORM, RELU = "max pooling", "batch normalization", "ReLU"
DROPOUT, SPATIAL_DROPOUT = "dropout", "spatial dropout"
GLOBAL_POOLING, FLATTEN, DENSE = "global average pooling", "flatten", "dense"
# Each kind and the inputs of its row that it reads; the others are left blank.
KINDS = {
    CONVOLUTION: ("kernel", "stride", "padding", "filters", "bias"),
    SEPARABLE: ("kernel", "stride", "padding", "filters", "bias"),  # k x k per channel, then 1 x 1 across
    POOLING: ("kernel", "stride", "padding"),
    BATCHNORM: (),
    RELU: (),
    DROPOUT: ("rate",),  # single activations
    SPATIAL_DROPOUT: ("rate",),  # whole feature maps: one random number per channel
    GLOBAL_POOLING: (),
    FLATTEN: (),
    DENSE: ("filters", "bias"),
}


class Layer(NamedTuple):
    """One row of a design: its kind and the inputs that kind reads (the others stay at these
    defaults). filters: a convolution's output channels, a dense layer's units; bias: 1 or 0."""
    kind: str
    kernel: int = 0
    stride: int = 0
    padding: int = 0
    filters: int = 0
    bias: int = 0
    rate: float = 0.0


def convolution(filters, kernel=3, bias=False, separable=False):
    """A convolution with its BatchNorm and ReLU: three rows."""
    return [Layer(SEPARABLE if separable else CONVOLUTION, kernel, 1, 0, filters, int(bias)),
            Layer(BATCHNORM), Layer(RELU)]


def separable(filters):
    return convolution(filters, separable=True)


POOL = Layer(POOLING, 2, 2)
HEAD = [Layer(GLOBAL_POOLING), Layer(DENSE, filters=CLASSES, bias=1)]

DESIGNS = {
    "standard": [*convolution(8, bias=True), *convolution(8, bias=True), *convolution(16), POOL,
                 *convolution(16, kernel=1), *convolution(16), *convolution(24), *convolution(28), *HEAD],
    # At most 8,000 trainable parameters: separable convolutions buy widths of 24-40 where plain ones
    # allowed 8-20, at the same receptive field (20 pixels).
    "compact": [*convolution(16, bias=True), *separable(24), *separable(32), POOL,
                *separable(40), *separable(40), *separable(40), *HEAD],
    # At most 5,000: the compact model's shape, narrowed.
    "tiny": [*convolution(10, bias=True), *separable(16), *separable(24), POOL,
             *separable(32), *separable(32), *separable(28), *HEAD],
}
DROPOUT_PLACES = ("convolution", "block")


def with_dropout(design, rate, kind="spatial", where="convolution"):
    """The design with dropout rows where a recipe puts them: after every ReLU ("convolution"), or
    closing every block, before each max pooling and before the global average pooling ("block").
    A rate of 0 adds none: a masking op per step for nothing."""
    if not rate:
        return list(design)
    dropout = Layer(SPATIAL_DROPOUT if kind == "spatial" else DROPOUT, rate=rate)
    rows = []
    for layer in design:
        if where == "block" and layer.kind in (POOLING, GLOBAL_POOLING):
            rows.append(dropout)
        rows.append(layer)
        if where == "convolution" and layer.kind == RELU:
            rows.append(dropout)
    return rows


def layers_of(hp):
    """The rows a recipe trains: its design's own, or a built-in model's with the recipe's dropout."""
    if hp.layers:
        return [Layer(*row) for row in hp.layers]
    return with_dropout(DESIGNS[hp.model], hp.dropout, hp.dropout_kind, hp.dropout_where)


class Shape(NamedTuple):
    """A row's output (channels, and size: n x n) and its weights: trainable, and BatchNorm's
    moving statistics."""
    channels: int
    size: int
    trainable: int
    moving: int


def shapes(design):
    """Each row's Shape: the Design sheet's formulas, in Python. The trainer checks a design with it
    before Keras allocates any weight (a typo of 10,000 filters must not fill the memory)."""
    channels, size, out = INPUT_CHANNELS, INPUT_SIZE, []
    for layer in design:
        k, c_in = layer.kernel, channels
        if layer.kind in (CONVOLUTION, SEPARABLE, POOLING):
            size = (size + 2 * layer.padding - k) // layer.stride + 1  # n_out = floor((n_in + 2p - k) / s) + 1
        elif layer.kind in (GLOBAL_POOLING, FLATTEN):
            channels, size = channels * (size * size if layer.kind == FLATTEN else 1), 1
        if layer.kind in (CONVOLUTION, SEPARABLE, DENSE):
            channels = layer.filters
        bias = layer.bias * channels
        trainable = {CONVOLUTION: k * k * c_in * channels + bias, SEPARABLE: k * k * c_in + c_in * channels + bias,
                     BATCHNORM: 2 * channels, DENSE: c_in * channels + bias}.get(layer.kind, 0)
        out.append(Shape(channels, size, trainable, 2 * channels if layer.kind == BATCHNORM else 0))
    return out


def fingerprint(design):
    """Eight hex digits that change with any layer row: which version of a design ran."""
    text = json.dumps([list(Layer(*row)) for row in design])
    return hashlib.sha256(text.encode()).hexdigest()[:8]
