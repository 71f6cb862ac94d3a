"""tf.data input pipelines: scaling, light augmentation of the training images, batching."""
import keras
import numpy as np
import tensorflow as tf

from mnist_keras.config import EVALUATION_BATCH

# MNIST's training-set pixel mean and standard deviation, on the 0..1 scale.
PIXEL_MEAN, PIXEL_STD = 0.1307, 0.3081
PARALLEL_BATCHES = 2  # batches augmented ahead of the training step


def normalize(images):
    """uint8 images (N, 28, 28) -> float32 (N, 28, 28, 1), zero mean and unit variance."""
    return ((np.asarray(images, np.float32) / 255.0 - PIXEL_MEAN) / PIXEL_STD)[..., None]


def one_hot(labels):
    """Digits (N,) -> float32 (N, 10), the form a label-smoothed cross-entropy takes."""
    return np.eye(10, dtype=np.float32)[labels]


def _augmenter(hp):
    """Random rotation, zoom and translation of a batch, each where its setting is not 0.
    Keras's preprocessing layers run inside tf.data on any backend when called one by one
    (not in a keras.Sequential)."""
    fill = {"fill_mode": "constant", "fill_value": -PIXEL_MEAN / PIXEL_STD}  # black beyond the edges
    shift = hp.shift_pixels / 28
    steps = [
        (hp.rotation_degrees, lambda: keras.layers.RandomRotation(hp.rotation_degrees / 360, seed=hp.seed, **fill)),
        (hp.zoom, lambda: keras.layers.RandomZoom(hp.zoom, seed=hp.seed + 1, **fill)),
        (hp.shift_pixels, lambda: keras.layers.RandomTranslation(shift, shift, seed=hp.seed + 2, **fill)),
    ]
    layers = [make() for setting, make in steps if setting]

    def augment(images):
        for layer in layers:
            images = layer(images, training=True)
        return images
    return augment if layers else None


def _without_autotune(dataset):
    # tf.data's autotuning thread stalled about one new iterator in three (each epoch makes
    # one for training and one for validation) for ~2.4 s on 2 cores: fixed parallelism instead.
    options = tf.data.Options()
    options.autotune.enabled = False
    return dataset.with_options(options)


def training_set(images, labels, hp, autotune=False):
    """Shuffled, augmented batches; autotune=True is tf.data's default tuning, for the benchmark."""
    parallel = tf.data.AUTOTUNE if autotune else PARALLEL_BATCHES
    dataset = (tf.data.Dataset.from_tensor_slices((normalize(images), one_hot(labels)))
               .cache()
               .shuffle(len(images), seed=hp.seed, reshuffle_each_iteration=True)
               .batch(hp.batch_size))
    augment = _augmenter(hp)
    if augment:
        dataset = dataset.map(lambda x, y: (augment(x), y), num_parallel_calls=parallel)
    dataset = dataset.prefetch(parallel)
    return dataset if autotune else _without_autotune(dataset)


def evaluation_set(images, labels, batch_size=EVALUATION_BATCH):
    return _without_autotune(tf.data.Dataset.from_tensor_slices((normalize(images), one_hot(labels)))
                             .batch(batch_size).cache().prefetch(1))
