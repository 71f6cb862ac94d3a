"""What a run saves: standard Keras models that take raw pixels, so that `keras.models.load_model`
works anywhere Keras is installed, without this package.

Training uses the fused BatchNormalization subclass and normalized images; the saved model is the
same layers with Keras's own BatchNormalization and the trained weights, behind a Rescaling layer
from 0-255 pixels to the normalization training used. It takes images shaped (N, 28, 28), as
keras.datasets.mnist gives them (Keras 3.15's predict() adds no missing channel axis and drops
none, so the model declares the common layout and adds the axis itself).
"""
import math

import keras

from labkit.files import write_atomically
from mnist_keras.config import EVALUATION_BATCH
from mnist_keras.model import INPUT_SHAPE, build_model
from mnist_keras.pipeline import PIXEL_MEAN, PIXEL_STD, normalize


def portable_model(trained, hp):
    """A standard-Keras copy of a trained model (built by build_model from hp) that takes raw pixels."""
    core = build_model(hp, fused_batchnorm=False)
    core.set_weights(trained.get_weights())
    pixels = keras.Input(INPUT_SHAPE[:2], name="pixels")
    channel = keras.layers.Reshape(INPUT_SHAPE, name="add_channel_axis")(pixels)
    # (x / 255 - mean) / std, the normalization the model was trained on.
    normalized = keras.layers.Rescaling(1 / (255 * PIXEL_STD), offset=-PIXEL_MEAN / PIXEL_STD,
                                        name="normalize")(channel)
    return keras.Model(pixels, core(normalized), name=f"{core.name}_pixels")


def takes_raw_pixels(model):
    """True for models saved by this module; False for runs saved before it (normalized input)."""
    return any(isinstance(layer, keras.layers.Rescaling) for layer in model.layers)


def predict(model, images):
    """The model's predicted digits for raw images (N, 28, 28); a model saved before the scaling
    moved into it is given normalized ones."""
    inputs = images if takes_raw_pixels(model) else normalize(images)
    return model.predict(inputs, batch_size=EVALUATION_BATCH, verbose=0).argmax(axis=1)


def save(model, path):
    write_atomically(path, model.save)


class SaveModels(keras.callbacks.Callback):
    """Saves the validated model of every epoch as final.keras, and of every epoch better than all
    before it (val_accuracy, above best_so_far) as best.keras, both portable. Placed after
    SwapEMAWeights, it saves the weights that validation saw."""

    def __init__(self, run_dir, hp, best_so_far=None):
        super().__init__()
        self.run_dir, self.hp = run_dir, hp
        self.best = -math.inf if best_so_far is None else best_so_far

    def on_train_begin(self, logs=None):
        self.portable = portable_model(self.model, self.hp)

    def on_epoch_end(self, epoch, logs=None):
        # The preprocessing layers hold no weights: the portable model's list is the trained one's.
        self.portable.set_weights(self.model.get_weights())
        save(self.portable, self.run_dir / "final.keras")
        if logs["val_accuracy"] > self.best:
            self.best = logs["val_accuracy"]
            save(self.portable, self.run_dir / "best.keras")
