"""The training run: device, model, optimizer and schedule, model.fit with Keras's callbacks,
then the run's files and the closing table."""
import platform
import sys
import time

import keras
import numpy as np
import tensorflow as tf

from bp_excel.common import UsageError

from . import data, device, pipeline, portable, reports, runs
from .config import EMA_WARMUP, TARGET_ACCURACY
from .evaluate import predict_and_plot
from .model import build_model, parameter_counts



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
    jax.jit (45x slower); XLA helps TensorFlow on a GPU but measured about twice as slow on a CPU."""
    backend = keras.backend.backend()
    return backend == "jax" or (backend == "tensorflow" and device.on_gpu(where))


def learning_rate(hp, steps_per_epoch):
    if hp.schedule == "constant":
        return hp.learning_rate
    warmup = int(hp.warmup_epochs * steps_per_epoch)
    total = hp.epochs * steps_per_epoch
    return keras.optimizers.schedules.CosineDecay(
        initial_learning_rate=hp.learning_rate / 25, warmup_target=hp.learning_rate,
        warmup_steps=warmup, decay_steps=max(total - warmup, 1), alpha=0.0)


class WarmUpEMA:
    """Optimizer mixin: the weights' moving average has momentum min(ema, (1 + t) / (EMA_WARMUP + t)) at
    step t, as TensorFlow's ExponentialMovingAverage with num_updates. Keras's fixed momentum keeps
    the first step's barely trained weights in the average for thousands of steps (0.999: a third
    of them after 1,000), so validation, which sees the average, lagged the training by 4-5 epochs."""

    def _update_model_variables_moving_average(self, trainable_variables):
        if not self.use_ema:
            return
        step = keras.ops.cast(self.iterations, "float32")
        momentum = keras.ops.minimum(self.ema_momentum, (1 + step) / (EMA_WARMUP + step))
        for variable, average in zip(trainable_variables, self._model_variables_moving_average):
            if average is not None:
                m = keras.ops.cast(momentum, variable.dtype)
                average.assign(m * average + (1 - m) * variable)


class DecayAtOneRate:
    """Optimizer mixin: the decoupled weight decay reads the learning rate once per step. Keras
    reads it once per variable, and evaluating a schedule (CosineDecay builds a conditional each
    time) for each of the model's 25 variables made up most of the first training step's 7.4 s of
    tracing, and ran 25 times in every step (2 AVX2 cores)."""

    def _apply_weight_decay(self, variables):
        if self.weight_decay is None:
            return
        decay = keras.ops.cast(self.learning_rate, "float32") * self.weight_decay
        for variable in variables:
            if self._use_weight_decay(variable):
                variable.assign(variable - variable * keras.ops.cast(decay, variable.dtype))


class SGD(WarmUpEMA, DecayAtOneRate, keras.optimizers.SGD):
    pass


class AdamW(WarmUpEMA, DecayAtOneRate, keras.optimizers.AdamW):
    pass


def compiled_model(hp, steps_per_epoch, jit_compile, fused_batchnorm=True):
    model = build_model(hp.model, hp.dropout, hp.dropout_kind, fused_batchnorm)
    schedule = learning_rate(hp, steps_per_epoch)
    ema = {"use_ema": hp.ema > 0, "ema_momentum": hp.ema or 0.99}
    if hp.optimizer == "adamw":
        optimizer = AdamW(schedule, beta_1=hp.momentum, weight_decay=hp.weight_decay, **ema)
    else:
        optimizer = SGD(schedule, momentum=hp.momentum, nesterov=True, weight_decay=hp.weight_decay or None, **ema)
    model.compile(optimizer=optimizer, loss=keras.losses.CategoricalCrossentropy(label_smoothing=hp.label_smoothing),
                  metrics=["accuracy"], jit_compile=jit_compile)
    return model


def dry_run(hp):
    model = build_model(hp.model, hp.dropout, hp.dropout_kind)
    model.summary()
    counts = parameter_counts(model)
    print(f"Trainable params: {counts['trainable']:,}")
    print(f"Non-trainable params: {counts['non_trainable']:,} (BatchNorm moving statistics)")
    print(f"Total params: {counts['total']:,}")


class EpochTimer(keras.callbacks.Callback):
    """Wall seconds of each epoch, training and validation together ("seconds"), and since the
    run started ("elapsed": data loading and model building included)."""

    def __init__(self, started):
        super().__init__()
        self.started = started

    def on_epoch_begin(self, epoch, logs=None):
        self.start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        now = time.perf_counter()
        logs["seconds"], logs["elapsed"] = now - self.start, now - self.started


def train(hp, data_path, run_dir, train_images=None):
    check_backend()
    started = time.perf_counter()
    keras.utils.set_random_seed(hp.seed)
    where = device.describe()
    if device.on_gpu(where):
        keras.mixed_precision.set_global_policy("mixed_float16")  # the softmax stays float32
    print(f"device: {where}")
    best_so_far = runs.prepare(run_dir, hp, train_images, data_path)
    if best_so_far is not None:
        print(f"resuming the killed run in {run_dir} (best validation accuracy so far {best_so_far:.2%})")
    (x_train, y_train), (x_test, y_test) = data.load(data_path)
    if train_images:
        x_train, y_train = x_train[:train_images], y_train[:train_images]
    print(f"training on {len(x_train):,} images; validating after every epoch on the {len(x_test):,} "
          f"MNIST test images")
    steps = -(-len(x_train) // hp.batch_size)
    model = compiled_model(hp, steps, jit_compile(where))
    model.summary()
    counts = parameter_counts(model)
    print(f"Trainable params: {counts['trainable']:,}; non-trainable: {counts['non_trainable']:,}")

    model.fit(
        pipeline.training_set(x_train, y_train, hp), epochs=hp.epochs,
        validation_data=pipeline.evaluation_set(x_test, y_test),
        callbacks=[
            EpochTimer(started),
            keras.callbacks.TerminateOnNaN(),
            # Before the swap below, so that the backup holds the weights being trained, and a
            # resumed run goes on from them.
            keras.callbacks.BackupAndRestore(str(run_dir / "backup")),
            # Validation and the saved models see the weights' moving average, when there is one.
            *([keras.callbacks.SwapEMAWeights(swap_on_epoch=True)] if hp.ema else []),
            portable.SaveModels(run_dir, hp, best_so_far),
            keras.callbacks.CSVLogger(str(run_dir / "history.csv"), append=True),
        ], shuffle=False,  # the dataset shuffles itself
        verbose=1 if sys.stdout.isatty() else 2)  # a progress bar on a terminal, a line per epoch in a log
    epochs = reports.read_history(run_dir / "history.csv")
    if not epochs or any(not np.isfinite(e["loss"]) for e in epochs):
        print("training stopped: the loss is not a number")
        return None

    best = keras.saving.load_model(run_dir / "best.keras")
    predictions = predict_and_plot(best, x_test, y_test, run_dir)
    best.export(str(run_dir / "best_savedmodel"), verbose=False)  # TensorFlow SavedModel, for serving
    summary = reports.summarize(epochs, hp, counts, where, time.perf_counter() - started,
                                {"tensorflow": tf.__version__, "keras": keras.__version__,
                                 "numpy": np.__version__, "python": platform.python_version()},
                                reports.git_commit(), TARGET_ACCURACY)
    summary["best_model_test_accuracy"] = float((predictions == y_test).mean())
    reports.write_json(run_dir / "summary.json", summary)
    reports.plot_curves(epochs, run_dir / "curves.png", TARGET_ACCURACY)
    print(reports.table(summary))
    print(f"run files in {run_dir}")
    return summary
