"""tf.data input pipelines: scaling, light augmentation of the training images, batching."""
import keras
import numpy as np
import tensorflow as tf

# MNIST's training-set pixel mean and standard deviation, on the 0..1 scale.
PIXEL_MEAN, PIXEL_STD = 0.1307, 0.3081


def normalize(images):
    """uint8 images (N, 28, 28) -> float32 (N, 28, 28, 1), zero mean and unit variance."""
    return ((np.asarray(images, np.float32) / 255.0 - PIXEL_MEAN) / PIXEL_STD)[..., None]


def _augmenter(hp):
    # Pixels outside the image are the normalized value of black.
    black = -PIXEL_MEAN / PIXEL_STD
    shift = hp.shift_pixels / 28
    return keras.Sequential([
        keras.layers.RandomRotation(hp.rotation_degrees / 360, fill_mode="constant", fill_value=black,
                                    seed=hp.seed),
        keras.layers.RandomTranslation(shift, shift, fill_mode="constant", fill_value=black, seed=hp.seed + 1),
    ], name="augmentation")


def training_set(images, labels, hp):
    augment = _augmenter(hp)
    return (tf.data.Dataset.from_tensor_slices((normalize(images), labels.astype(np.int32)))
            .cache()
            .shuffle(len(images), seed=hp.seed, reshuffle_each_iteration=True)
            .batch(hp.batch_size)
            .map(lambda x, y: (augment(x, training=True), y), num_parallel_calls=tf.data.AUTOTUNE)
            .prefetch(tf.data.AUTOTUNE))


def evaluation_set(images, labels, batch_size=1000):
    return (tf.data.Dataset.from_tensor_slices((normalize(images), labels.astype(np.int32)))
            .batch(batch_size).cache().prefetch(tf.data.AUTOTUNE))
