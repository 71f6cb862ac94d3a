"""python -m mnist_keras.bench: steady-state training speed of the seed model under each candidate
configuration, and of the same model in plain PyTorch, interleaved in one run.

Each configuration runs in a fresh process (a Keras backend is fixed at import) that trains on
real MNIST for one untimed window (tracing, compiling, caches) and then --windows timed windows
of --steps steps each; the processes take turns, round after round, so that a noisy machine slows
every configuration alike. A window's time covers model.fit's training steps, no validation.
The figure of merit is the median window, scaled to a 60,000-image epoch.
"""
import argparse
import dataclasses
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

from .config import Hyperparameters
from bp_excel.common import Parser, UsageError, command, positive
from . import device
from .reports import git_commit, write_json

DEFAULTS = Hyperparameters()
EPOCH_IMAGES = 60_000
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
    "keras-tf-element-dropout": Config("tensorflow", "Dropout(0.01) instead of SpatialDropout2D",
                                       hp={"dropout": 0.01, "dropout_kind": "element"}),
    "keras-tf-rotation": Config("tensorflow", "rotation +-6 deg and shift +-1.5 px (the earlier recipe)",
                                hp={"rotation_degrees": 6.0, "shift_pixels": 1.5}),
    "keras-tf-batch-128": Config("tensorflow", "batch 128, learning rate /2 (the earlier recipe)",
                                 hp={"batch_size": 128, "learning_rate": DEFAULTS.learning_rate / 2}),
    "keras-tf-intra-op-1": Config("tensorflow", "one thread per op, ops in parallel", intra_op_threads=1),
    "keras-tf-xla": Config("tensorflow", "jit_compile=True (XLA)", jit_compile=True),
    "keras-tf-xla-element-dropout": Config("tensorflow", "XLA with Dropout instead of SpatialDropout2D",
                                           hp={"dropout": 0.01, "dropout_kind": "element"}, jit_compile=True,
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


def parse_args(argv):
    p = Parser(prog="python -m mnist_keras.bench", description=__doc__.split(": ", 1)[1].split("\n\n")[0])
    p.add_argument("--configs", nargs="+", choices=list(CONFIGS), default=list(CONFIGS), metavar="NAME",
                   help="configurations to compare (default: all): " + ", ".join(CONFIGS))
    p.add_argument("--rounds", type=positive(int), default=2, help="turns each configuration takes")
    p.add_argument("--windows", type=positive(int), default=3, help="timed windows per turn")
    p.add_argument("--steps", type=positive(int), default=100, help="training steps per window")
    p.add_argument("--isa", choices=list(ISA_ENV), default="native",
                   help="avx2: keep oneDNN and PyTorch to AVX2 kernels, as on a CPU without AVX-512 (default: native)")
    p.add_argument("--json", type=Path, metavar="PATH", help="also write the results to this JSON file")
    p.add_argument("--measure", choices=list(CONFIGS), help=argparse.SUPPRESS)  # inside one configuration's process
    return p.parse_args(argv)


# ---- inside one configuration's process ----

def hyperparameters(name):
    return dataclasses.replace(DEFAULTS, **CONFIGS[name].hp)


def keras_training(name, steps):
    """The compiled model and the training batches of a Keras configuration: an epoch of the
    dataset is one window of `steps` steps of real MNIST."""
    import keras

    from . import data, pipeline, training

    config, hp = CONFIGS[name], hyperparameters(name)
    if config.intra_op_threads:
        import tensorflow as tf

        tf.config.threading.set_intra_op_parallelism_threads(config.intra_op_threads)
    (x_train, y_train), _ = data.load(log=lambda message: None)
    images = steps * hp.batch_size
    keras.utils.set_random_seed(hp.seed)
    jit = training.jit_compile(device.describe()) if config.jit_compile is None else config.jit_compile
    model = training.compiled_model(hp, steps, jit, config.fused_batchnorm)
    return model, pipeline.training_set(x_train[:images], y_train[:images], hp, config.autotune)


def _keras_windows(name, steps, windows):
    import keras

    model, batches = keras_training(name, steps)
    times = []
    timer = keras.callbacks.LambdaCallback(
        on_epoch_begin=lambda epoch, logs: times.append(-time.perf_counter()),
        on_epoch_end=lambda epoch, logs: times.__setitem__(-1, times[-1] + time.perf_counter()))
    model.fit(batches, epochs=windows + 1, callbacks=[timer], shuffle=False, verbose=0)
    return times[1:]


def _pytorch_windows(name, hp, steps, windows):
    import torch

    from . import data, pipeline, pytorch_twin

    (x_train, y_train), _ = data.load(log=lambda message: None)
    images = steps * hp.batch_size
    torch.manual_seed(hp.seed)
    x = torch.from_numpy(pipeline.normalize(x_train[:images])).permute(0, 3, 1, 2).contiguous()
    y = torch.from_numpy(y_train[:images].astype("int64"))
    config = CONFIGS[name]
    trainer = pytorch_twin.Trainer(hp, config.channels_last, config.compiled)
    times = []
    for _ in range(windows + 1):
        start = time.perf_counter()
        order = torch.randperm(images)
        for step in range(steps):
            batch = order[step * hp.batch_size:(step + 1) * hp.batch_size]
            loss = trainer.step(x[batch], y[batch])
        loss.item()
        times.append(time.perf_counter() - start)
    return times[1:]


def measure(name, steps, windows):
    """Timed windows of one configuration, in this process; prints them as one JSON line."""
    config, hp = CONFIGS[name], hyperparameters(name)
    steps = max(1, round(steps * config.step_share))
    if config.engine == "pytorch":
        times = _pytorch_windows(name, hp, steps, windows)
    else:
        times = _keras_windows(name, steps, windows)
    print(json.dumps({"config": name, "images_per_window": steps * hp.batch_size, "window_s": times}))


# ---- the driver ----

def installed(engine):
    import importlib.util

    return importlib.util.find_spec(ENGINE_MODULES[engine]) is not None


def _run_one(name, steps, windows, isa):
    config = CONFIGS[name]
    env = {**os.environ, **ISA_ENV[isa], **config.env}
    if config.engine != "pytorch":
        env["KERAS_BACKEND"] = config.engine
    done = subprocess.run([sys.executable, "-m", "mnist_keras.bench", "--measure", name, "--steps", str(steps),
                           "--windows", str(windows)], capture_output=True, text=True, env=env)
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise UsageError(f"configuration {name} failed: {last}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def epoch_flops():
    """Multiply-adds of one forward pass, from the Keras model's layer shapes, times 2 FLOPs,
    times 3 for training (the backward pass costs about twice the forward), per 60,000 images."""
    import keras

    from .model import build_model

    macs = 0
    for layer in build_model().layers:
        if isinstance(layer, keras.layers.Conv2D):
            _, height, width, filters = layer.output.shape
            macs += height * width * filters * int(layer.kernel.shape[0] * layer.kernel.shape[1] * layer.kernel.shape[2])
        elif isinstance(layer, keras.layers.Dense):
            macs += int(layer.kernel.shape[0] * layer.kernel.shape[1])
    return 3 * 2 * macs * EPOCH_IMAGES


def gemm_flops_per_s(size=2048, repeats=5):
    """The machine's float32 matrix-multiply rate (NumPy's BLAS, every core): a practical peak."""
    import numpy as np

    a = np.random.default_rng(0).random((size, size), np.float32)
    b = a.T.copy()
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        a @ b
        best = min(best, time.perf_counter() - start)
    return 2 * size ** 3 / best


def versions():
    import importlib.metadata

    found = {"python": platform.python_version()}
    for package in ("tensorflow", "keras", "torch", "jax", "numpy"):
        try:
            found[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            pass
    return found


def run(names, rounds, windows, steps, isa="native", log=print):
    missing = {name for name in names if not installed(CONFIGS[name].engine)}
    for name in sorted(missing):
        log(f"skipping {name}: {ENGINE_MODULES[CONFIGS[name].engine]} is not installed "
            f"(pip install 'backprop-lab[bench]' or see the README)")
    names = [name for name in names if name not in missing]
    window_s = {name: [] for name in names}
    per_window = {}
    for turn in range(rounds):
        for name in names:
            result = _run_one(name, steps, windows, isa)
            window_s[name] += result["window_s"]
            per_window[name] = result["images_per_window"]
            log(f"round {turn + 1}/{rounds} {name:<30} " + " ".join(f"{t:.2f}" for t in result["window_s"]) + " s")
    flops, gemm = epoch_flops(), gemm_flops_per_s()
    configs = []
    for name in names:
        epoch_s = statistics.median(window_s[name]) * EPOCH_IMAGES / per_window[name]
        configs.append({"name": name, "about": CONFIGS[name].about, "epoch_s": epoch_s,
                        "images_per_s": EPOCH_IMAGES / epoch_s, "floor_fraction": flops / gemm / epoch_s,
                        "window_s": window_s[name], "images_per_window": per_window[name]})
    reference = next((c["epoch_s"] for c in configs if c["name"] == REFERENCE), None)
    pytorch = [c for c in configs if CONFIGS[c["name"]].engine == "pytorch"]
    best_pytorch = min(pytorch, key=lambda c: c["epoch_s"]) if pytorch else None
    keras_ratios = {c["name"]: c["epoch_s"] / best_pytorch["epoch_s"] for c in configs
                    if best_pytorch and CONFIGS[c["name"]].engine != "pytorch"}
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "device": _device(), "isa": isa, "isa_env": ISA_ENV[isa],
        "versions": versions(), "commit": git_commit(),
        "rounds": rounds, "windows": windows, "steps": steps,
        "train_flop_per_epoch": flops, "gemm_flop_per_s": gemm, "floor_epoch_s": flops / gemm,
        "configs": configs,
        "pytorch_epoch_s": reference,
        "best_pytorch": best_pytorch and best_pytorch["name"],
        "best_pytorch_epoch_s": best_pytorch and best_pytorch["epoch_s"],
        # Keras configurations against the fastest PyTorch one.
        "default_ratio": keras_ratios.get("keras-tf"),
        "best_ratio": min(keras_ratios.values()) if keras_ratios else None,
    }


def _device():
    """The driver's device, as the trainer names it, in a process of its own (TensorFlow's
    oneDNN switch and the ISA cap are fixed at import)."""
    done = subprocess.run([sys.executable, "-c", "from mnist_keras import device; print(device.describe())"],
                          capture_output=True, text=True, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    return done.stdout.strip() or f"{platform.machine()}, {os.cpu_count()} cores"


def table(results):
    reference = results["best_pytorch_epoch_s"]
    lines = [f"{'configuration':<30}{'s / epoch':>10}{'images/s':>10}{'vs best PyTorch':>17}{'of floor':>10}  what"]
    for c in results["configs"]:
        ratio = f"{c['epoch_s'] / reference:.2f}x" if reference else "-"
        lines.append(f"{c['name']:<30}{c['epoch_s']:>10.1f}{c['images_per_s']:>10,.0f}{ratio:>17}"
                     f"{c['floor_fraction']:>10.1%}  {c['about']}")
    lines.append(f"epoch: {EPOCH_IMAGES:,} images, median of {results['rounds']} rounds x {results['windows']} "
                 f"windows; floor: {results['train_flop_per_epoch'] / 1e12:.2f} TFLOP per epoch at the "
                 f"machine's float32 GEMM rate, {results['gemm_flop_per_s'] / 1e9:.0f} GFLOP/s = "
                 f"{results['floor_epoch_s']:.1f} s")
    lines.append(f"{results['device']} (--isa {results['isa']}); " + ", ".join(f"{k} {v}" for k, v in results["versions"].items())
                 + f"; commit {results['commit']}; {results['date']}")
    return "\n".join(lines)


@command("mnist_keras.bench")
def main(argv=None):
    args = parse_args(argv)
    device.load_tensorflow()
    if args.measure:
        measure(args.measure, args.steps, args.windows)
        return 0
    results = run(args.configs, args.rounds, args.windows, args.steps, args.isa)
    print(table(results))
    if args.json:
        write_json(args.json, results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
