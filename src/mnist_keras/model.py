"""The Keras model of a design (architecture.py): one Keras layer per row, in the rows' order,
then a float32 softmax; and its parameter counts, in all and row by row."""
import keras
from keras import layers

from mnist_keras.architecture import (
    BATCHNORM,
    CLASSES,
    CONVOLUTION,
    DENSE,
    DROPOUT,
    FLATTEN,
    GLOBAL_POOLING,
    INPUT_CHANNELS,
    INPUT_SIZE,
    POOLING,
    RELU,
    SEPARABLE,
    SPATIAL_DROPOUT,
    layers_of,
)
from mnist_keras.batchnorm import BatchNormalization

INPUT_SHAPE = (INPUT_SIZE, INPUT_SIZE, INPUT_CHANNELS)


class DesignError(ValueError):
    """A design Keras cannot build as a classifier of MNIST; the message names the row."""


def keras_layers(layer, fused_batchnorm=True):
    """The Keras layers of one row. A padding p is p rows and columns of zeros on every side, as the
    course's n_out = floor((n_in + 2p - k) / s) + 1 counts it (Keras's own "same" covers fewer cases)."""
    padding = [layers.ZeroPadding2D(layer.padding)] if layer.padding else []
    if layer.kind == CONVOLUTION:
        return [*padding, layers.Conv2D(layer.filters, layer.kernel, strides=layer.stride, use_bias=bool(layer.bias))]
    if layer.kind == SEPARABLE:
        return [*padding, layers.SeparableConv2D(layer.filters, layer.kernel, strides=layer.stride,
                                                 use_bias=bool(layer.bias))]
    if layer.kind == POOLING:
        return [*padding, layers.MaxPooling2D(layer.kernel, strides=layer.stride)]
    return [{
        BATCHNORM: BatchNormalization if fused_batchnorm else layers.BatchNormalization,
        RELU: layers.ReLU,
        DROPOUT: lambda: layers.Dropout(layer.rate),
        SPATIAL_DROPOUT: lambda: layers.SpatialDropout2D(layer.rate),
        GLOBAL_POOLING: layers.GlobalAveragePooling2D,
        FLATTEN: layers.Flatten,
        DENSE: lambda: layers.Dense(layer.filters, use_bias=bool(layer.bias)),
    }[layer.kind]()]


def build_design(design, name, fused_batchnorm=True, row_names=None):
    """The Keras model of the rows of a design. row_names: how an error names each row (default
    "layer 1", "layer 2", ...). DesignError where a row's output is smaller than 1 x 1 or the model
    does not end in a vector of 10 classes. fused_batchnorm=False: Keras's own BatchNormalization."""
    row_names = row_names or [f"layer {k}" for k in range(1, len(design) + 1)]
    inputs = keras.Input(INPUT_SHAPE, name="image")
    x = inputs
    for layer, row in zip(design, row_names):
        shape = x.shape
        try:
            for keras_layer in keras_layers(layer, fused_batchnorm):
                x = keras_layer(x)
        except ValueError as e:  # Keras refuses a window larger than its input, a 2-D layer on a vector...
            raise DesignError(f"{row}: a {layer.kind} cannot take an input shaped {_shape(shape)} "
                              f"({str(e).splitlines()[0][:120]})") from None
        if any(size is not None and size < 1 for size in x.shape[1:]):
            raise DesignError(f"{row}: the {layer.kind}'s output, {_shape(x.shape)}, is smaller than 1 x 1")
    if tuple(x.shape[1:]) != (CLASSES,):
        raise DesignError(f"{row_names[len(design) - 1]}: the model's output is shaped {_shape(x.shape)}, not a vector of "
                          f"{CLASSES} classes: end with global average pooling (or flatten) and a dense layer of {CLASSES}")
    # float32 softmax even under mixed precision, for a numerically sound loss.
    outputs = layers.Activation("softmax", dtype="float32", name="probabilities")(x)
    return keras.Model(inputs, outputs, name=f"mnist_{name}")


def _shape(shape):
    return " x ".join(str(size) for size in shape[1:])


def build_model(hp, fused_batchnorm=True):
    """The Keras model a recipe trains (its design, or a built-in model with its dropout)."""
    return build_design(layers_of(hp), hp.model, fused_batchnorm)


def parameter_counts(model):
    trainable = sum(int(keras.ops.size(w)) for w in model.trainable_weights)
    non_trainable = sum(int(keras.ops.size(w)) for w in model.non_trainable_weights)
    return {"trainable": trainable, "non_trainable": non_trainable, "total": trainable + non_trainable}


def trainable_per_row(model, design):
    """Each row's trainable parameters, in the model build_design made of design (the padding
    layers it adds train nothing)."""
    built = [layer for layer in model.layers[1:-1] if not isinstance(layer, layers.ZeroPadding2D)]
    return [sum(int(keras.ops.size(w)) for w in layer.trainable_weights) for layer in built[:len(design)]]
