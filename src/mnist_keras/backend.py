"""How the trainer computes on each Keras backend and device: which backend it refuses, when it
compiles the training step, and when it trains in mixed precision."""
import keras

from labkit.cli import UsageError
from mnist_keras import device

# A default epoch on other Keras backends, against TensorFlow's (python -m mnist_keras.bench,
# 2026-11-30, 2 AVX2 cores, JAX with jax.jit; docs/speed.md). Over 1.5x the trainer refuses the
# backend rather than leave a user waiting.
BACKEND_SLOWDOWN = {"torch": 2.4, "jax": 2.8}
MAX_SLOWDOWN = 1.5


def check_backend():
    backend = keras.backend.backend()
    slowdown = BACKEND_SLOWDOWN.get(backend, 1.0)
    if slowdown > MAX_SLOWDOWN:
        raise UsageError(f"KERAS_BACKEND={backend} trains this model {slowdown:g}x slower than TensorFlow "
                         f"(docs/speed.md): unset KERAS_BACKEND to train on TensorFlow")


def jit_compile(where):
    """Whether to compile the training step, per backend and device: JAX runs op by op without
    jax.jit (45x slower); XLA helps TensorFlow on a GPU but was 1.5-1.6x slower on a CPU (docs/speed.md)."""
    backend = keras.backend.backend()
    return backend == "jax" or (backend == "tensorflow" and device.on_gpu(where))


def set_precision(where):
    """Mixed precision on a GPU (the model's softmax stays float32); float32 on a CPU."""
    if device.on_gpu(where):
        keras.mixed_precision.set_global_policy("mixed_float16")
