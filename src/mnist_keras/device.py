"""The device a run trains on and the kernels it computes with, in words, for the first line of
every command that trains."""
import contextlib
import os
import platform
import sys
import tempfile

from labkit import provenance

# TensorFlow's start-up lines that tell a user nothing they can act on (a CUDA build looking for a
# GPU on a CPU machine, its logging set-up, its build notes); every other line passes.
START_UP_NOISE = (
    "All log messages before absl::InitializeLog() is called",
    "cudart_stub.cc", "cuda_platform.cc", "cuda_executor.cc", "cuda_dnn.cc", "cuda_fft.cc", "cuda_blas.cc",
    "oneDNN custom operations are on", "cpu_feature_guard.cc",
    "To enable the following instructions", "computation_placer.cc",
)


@contextlib.contextmanager
def _without_start_up_noise():
    """Lines written to the stderr file descriptor in the block (TensorFlow's C++ logs write
    there directly) are passed on unless they are START_UP_NOISE."""
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as captured:
        os.dup2(captured.fileno(), 2)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            captured.seek(0)
            for line in captured.read().decode(errors="replace").splitlines():
                if not any(noise in line for noise in START_UP_NOISE):
                    print(line, file=sys.stderr)


def load_tensorflow():
    """Import Keras and TensorFlow and find the devices, quietly; each command that trains or
    predicts calls this first."""
    with _without_start_up_noise():
        import keras  # noqa: F401
        import tensorflow as tf

        tf.config.list_physical_devices()


def cpu_isa():
    """The widest vector instructions of this CPU that oneDNN uses, and ONEDNN_MAX_CPU_ISA's cap."""
    extensions = provenance.cpu()["extensions"]
    isa = "AVX-512" if "AVX-512" in extensions else "AVX2" if "AVX2" in extensions else platform.machine()
    cap = os.environ.get("ONEDNN_MAX_CPU_ISA")
    return f"{isa}, oneDNN capped at {cap}" if cap else isa


def tensorflow_cpu_kernels():
    """'oneDNN' or TensorFlow's default Eigen kernels, as TensorFlow decided at import."""
    from tensorflow.python.util import _pywrap_util_port  # the flag has no public API

    if _pywrap_util_port.IsMklEnabled():
        return "oneDNN kernels"
    return "TensorFlow's default kernels (oneDNN off: TF_ENABLE_ONEDNN_OPTS=0)"


def describe():
    """'GPU: name' or 'CPU: x86_64, 2 cores, AVX2, oneDNN kernels', with the Keras backend if not TensorFlow."""
    import keras

    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        gpus = tf.config.list_physical_devices("GPU")
        if gpus:
            return f"GPU: {tf.config.experimental.get_device_details(gpus[0]).get('device_name', gpus[0].name)}"
        return f"CPU: {platform.machine()}, {os.cpu_count()} cores, {cpu_isa()}, {tensorflow_cpu_kernels()}"
    return f"{backend} backend: {_other_backend_device(backend)}"


def _other_backend_device(backend):
    if backend == "jax":
        import jax

        device = jax.devices()[0]
        return f"{device.platform.upper()}: {getattr(device, 'device_kind', device)}"
    import torch

    if torch.cuda.is_available():
        return f"GPU: {torch.cuda.get_device_name(0)}"
    return f"CPU: {platform.machine()}, {os.cpu_count()} cores, {cpu_isa()}"


def on_gpu(description):
    return "GPU:" in description
