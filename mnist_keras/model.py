"""The seed's CNN: 14,402 trainable parameters, counted as torchsummary counts them.

    conv 1->8 (initial) | block 1: conv 8->8, conv 8->16, max-pool | block 2: conv 16->16,
    conv 1x1 16->32, conv 32->32, max-pool | global average pool | dense 32->10

Every convolution is followed by BatchNorm, ReLU and Dropout. The first two convolutions keep a
bias; the later ones drop it, BatchNorm's beta doing the same job. That, with the 1x1 transition
to 32 channels, lands exactly on the seed's 14,402 (BatchNorm's moving statistics, 224 values,
are not trainable).
"""
import keras
from keras import layers

INPUT_SHAPE = (28, 28, 1)
CLASSES = 10
# (filters, kernel size, bias) of each unpadded convolution; "pool" after each block.
SEED_LAYERS = [(8, 3, True), (8, 3, True), (16, 3, False), "pool",
               (16, 3, False), (32, 1, False), (32, 3, False), "pool"]
MODELS = {"seed": SEED_LAYERS}


def build_model(name="seed", dropout=0.05):
    inputs = keras.Input(INPUT_SHAPE, name="image")
    x = inputs
    for spec in MODELS[name]:
        if spec == "pool":
            x = layers.MaxPooling2D(2)(x)
            continue
        filters, kernel, bias = spec
        x = layers.Conv2D(filters, kernel, use_bias=bias)(x)
        x = layers.BatchNormalization()(x)
        x = layers.ReLU()(x)
        x = layers.Dropout(dropout)(x)
    x = layers.GlobalAveragePooling2D()(x)
    x = layers.Dense(CLASSES)(x)
    # float32 softmax even under mixed precision, for a numerically sound loss.
    outputs = layers.Activation("softmax", dtype="float32", name="probabilities")(x)
    return keras.Model(inputs, outputs, name=f"mnist_{name}")


def parameter_counts(model):
    trainable = sum(int(keras.ops.size(w)) for w in model.trainable_weights)
    non_trainable = sum(int(keras.ops.size(w)) for w in model.non_trainable_weights)
    return {"trainable": trainable, "non_trainable": non_trainable, "total": trainable + non_trainable}
