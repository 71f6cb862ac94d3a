"""The benchmark's configurations: each a way to train the standard model (a Keras backend and its
settings, or the plain PyTorch twin), and the compiled Keras model and batches of one."""
import dataclasses

from mnist_keras.config import Hyperparameters

DEFAULTS = Hyperparameters()
BARE = {"ema": 0.0, "rotation_degrees": 0.0, "zoom": 0.0, "shift_pixels": 0.0}  # the model and optimizer only


@dataclasses.dataclass(frozen=True)
class Config:
    engine: str  # "tensorflow", "torch" or "jax": Keras on that backend; "pytorch": plain PyTorch
    about: str
    hp: dict = dataclasses.field(default_factory=dict)  # changes to the default hyperparameters
    fused_batchnorm: bool = True
    autotune: bool = False
    jit_compile: bool | None = None  # None: as the trainer decides for the backend and device
    intra_op_threads: int = 0  # TensorFlow's threads within one op; 0: its default (one per core)
    step_share: float = 1.0  # fraction of --steps per window, for configurations too slow for all
    env: dict = dataclasses.field(default_factory=dict)  # environment of its process
    channels_last: bool = False  # PyTorch: NHWC tensors
    compiled: bool = False  # PyTorch: torch.compile


CONFIGS = {
    "keras-tf": Config("tensorflow", "the trainer's default"),
    "keras-tf-keras-bn": Config("tensorflow", "Keras's own BatchNormalization (not fused)", fused_batchnorm=False),
    "keras-tf-onednn-off": Config("tensorflow", "TensorFlow's default kernels on a CPU without AVX-512 VNNI",
                                  env={"TF_ENABLE_ONEDNN_OPTS": "0"}),
    "keras-tf-autotune": Config("tensorflow", "tf.data autotuning on", autotune=True),
    "keras-tf-spatial-dropout": Config("tensorflow", "SpatialDropout2D(0.01), the earlier recipe",
                                       hp={"dropout": 0.01}),
    "keras-tf-no-dropout": Config("tensorflow", "no dropout, the recipe before issue 37", hp={"dropout": 0.0}),
    "keras-tf-element-dropout": Config("tensorflow", "Dropout instead of SpatialDropout2D",
                                       hp={"dropout_kind": "element"}),
    "keras-tf-rotation": Config("tensorflow", "rotation +-6 deg and shift +-1.5 px",
                                hp={"rotation_degrees": 6.0, "shift_pixels": 1.5}),
    "keras-tf-batch-128": Config("tensorflow", "batch 128, learning rate /2",
                                 hp={"batch_size": 128, "learning_rate": DEFAULTS.learning_rate / 2}),
    "keras-tf-intra-op-1": Config("tensorflow", "one thread per op, ops in parallel", intra_op_threads=1),
    "keras-tf-xla": Config("tensorflow", "jit_compile=True (XLA)", jit_compile=True),
    "keras-tf-xla-element-dropout": Config("tensorflow", "XLA with Dropout instead of SpatialDropout2D",
                                           hp={"dropout_kind": "element"}, jit_compile=True,
                                           step_share=0.1),
    "keras-torch": Config("torch", "Keras on the PyTorch backend"),
    "keras-jax": Config("jax", "Keras on the JAX backend (jax.jit)", step_share=0.5),
    "keras-tf-bare": Config("tensorflow", "no augmentation, no weight averaging", hp=BARE),
    "pytorch": Config("pytorch", "PyTorch eager, same recipe"),
    "pytorch-channels-last": Config("pytorch", "PyTorch eager, NHWC tensors", channels_last=True),
    "pytorch-compile": Config("pytorch", "torch.compile (inductor), NHWC tensors", channels_last=True,
                              compiled=True),
    "pytorch-bare": Config("pytorch", "PyTorch eager, no augmentation, no weight averaging", hp=BARE),
}
REFERENCE = "pytorch"  # what the table's ratios compare with
# --isa avx2: an AVX2 CPU on a newer one. oneDNN (TensorFlow's and PyTorch's) and PyTorch's own
# kernels keep to AVX2; TensorFlow's oneDNN switch is the trainer's (on), or a configuration's.
ISA_ENV = {"native": {}, "avx2": {"ONEDNN_MAX_CPU_ISA": "AVX2", "ATEN_CPU_CAPABILITY": "avx2"}}
ENGINE_MODULES = {"tensorflow": "tensorflow", "torch": "torch", "jax": "jax", "pytorch": "torch"}


def installed(engine):
    import importlib.util

    return importlib.util.find_spec(ENGINE_MODULES[engine]) is not None


def hyperparameters(name):
    return dataclasses.replace(DEFAULTS, **CONFIGS[name].hp)


def keras_training(name, steps):
    """The compiled model and the training batches of a Keras configuration: an epoch of the
    dataset is one window of `steps` steps of real MNIST."""
    import keras

    from mnist_keras import backend, data, device, pipeline, training_loop

    config, hp = CONFIGS[name], hyperparameters(name)
    if config.intra_op_threads:
        import tensorflow as tf

        tf.config.threading.set_intra_op_parallelism_threads(config.intra_op_threads)
    (x_train, y_train), _ = data.load(log=lambda message: None)
    images = steps * hp.batch_size
    keras.utils.set_random_seed(hp.seed)
    jit = backend.jit_compile(device.describe()) if config.jit_compile is None else config.jit_compile
    model = training_loop.compiled_model(hp, steps, jit, config.fused_batchnorm)
    return model, pipeline.training_set(x_train[:images], y_train[:images], hp, config.autotune)


