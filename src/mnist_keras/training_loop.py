"""The training run behind `python -m mnist_keras.train`: data, model and optimizer, model.fit with
Keras's callbacks, then the run's files (models, plots, summary.json) and the closing table."""
import csv
import sys
import time

import keras
import numpy as np

from labkit import provenance
from labkit.files import write_json
from mnist_keras import backend, data, device, optimizers, pipeline, portable, runs
from mnist_keras.architecture import layers_of
from mnist_keras.model import build_model, parameter_counts
from mnist_keras.reports import plots, run_summary, workbooks

PACKAGES = ("tensorflow", "keras", "numpy")  # whose versions a run's summary records


def compiled_model(hp, steps_per_epoch, jit_compile, fused_batchnorm=True):
    model = build_model(hp, fused_batchnorm=fused_batchnorm)
    model.compile(optimizer=optimizers.optimizer(hp, steps_per_epoch),
                  loss=keras.losses.CategoricalCrossentropy(label_smoothing=hp.label_smoothing),
                  metrics=["accuracy"], jit_compile=jit_compile)
    return model


class EpochTimer(keras.callbacks.Callback):
    """Wall seconds of each epoch, training and validation together ("seconds"), and since the
    run started ("elapsed": data loading and model building included), appended to path."""

    def __init__(self, started, path):
        super().__init__()
        self.started, self.path = started, path

    def on_epoch_begin(self, epoch, logs=None):
        self.start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        now = time.perf_counter()
        new = not self.path.exists()
        with open(self.path, "a", newline="") as f:
            writer = csv.writer(f)
            if new:
                writer.writerow(["epoch", "seconds", "elapsed"])
            writer.writerow([epoch, now - self.start, now - self.started])


def callbacks(hp, run_dir, best_so_far, started, tensorboard=False):
    return [
        EpochTimer(started, run_dir / runs.TIMES),
        keras.callbacks.TerminateOnNaN(),
        # Before the swap below, so that the backup holds the weights being trained, and a
        # resumed run goes on from them.
        keras.callbacks.BackupAndRestore(str(run_dir / "backup")),
        # Validation and the saved models see the weights' moving average, when there is one.
        *([keras.callbacks.SwapEMAWeights(swap_on_epoch=True)] if hp.ema else []),
        portable.SaveModels(run_dir, hp, best_so_far),
        # Scalars per epoch only: no graph, no histograms, no profiling.
        *([keras.callbacks.TensorBoard(str(run_dir / "tensorboard"), write_graph=False, profile_batch=0)]
          if tensorboard else []),
        keras.callbacks.CSVLogger(str(run_dir / runs.HISTORY), append=True),
    ]


def train(hp, data_path, run_dir, train_images=None, tensorboard=False):
    """Trains into run_dir; returns the run's summary, or None when the loss stopped being a number.
    tensorboard: also write Keras's TensorBoard logs into run_dir/tensorboard."""
    backend.check_backend()
    started = time.perf_counter()
    keras.utils.set_random_seed(hp.seed)
    if hp.deterministic:
        import tensorflow as tf

        tf.config.experimental.enable_op_determinism()
    where = device.describe()
    backend.set_precision(where)
    print(f"device: {where}")
    best_so_far = runs.prepare(run_dir, hp, train_images, data_path)
    if best_so_far is not None:
        print(f"resuming the killed run in {run_dir} (best validation accuracy so far {best_so_far:.2%})")
    (x_train, y_train), (x_test, y_test) = data.load(data_path)
    if train_images:
        x_train, y_train = x_train[:train_images], y_train[:train_images]
    print(f"training on {len(x_train):,} images; validating after every epoch on the {len(x_test):,} "
          f"MNIST test images")
    model = compiled_model(hp, -(-len(x_train) // hp.batch_size), backend.jit_compile(where))
    model.summary()
    counts = parameter_counts(model)
    print(f"Trainable params: {counts['trainable']:,}; non-trainable: {counts['non_trainable']:,}")

    model.fit(pipeline.training_set(x_train, y_train, hp), epochs=hp.epochs,
              validation_data=pipeline.evaluation_set(x_test, y_test),
              callbacks=callbacks(hp, run_dir, best_so_far, started, tensorboard),
              shuffle=False,  # the dataset shuffles itself
              verbose=1 if sys.stdout.isatty() else 2)  # a progress bar on a terminal, a line per epoch in a log
    epochs = runs.read_epochs(run_dir)
    if not epochs or any(not np.isfinite(e["loss"]) for e in epochs):
        print("training stopped: the loss is not a number")
        return None
    summary = finish(run_dir, hp, epochs, counts, provenance.record(where, PACKAGES),
                     time.perf_counter() - started, x_test, y_test)
    print(run_summary.table(summary))
    print(f"run files in {run_dir}")
    return summary


def finish(run_dir, hp, epochs, counts, made, wall_s, x_test, y_test):
    """The run's files beside its models: the best model's predictions plotted and exported for
    serving, summary.json, the curves, and report.xlsx."""
    best = keras.saving.load_model(run_dir / "best.keras")
    predictions = portable.predict(best, x_test)
    plots.plot_predictions(x_test, y_test, predictions, run_dir)
    best.export(str(run_dir / "best_savedmodel"), verbose=False)  # TensorFlow SavedModel, for serving
    summary = run_summary.summarize(epochs, hp, counts, made, wall_s)
    summary["best_model_test_accuracy"] = float((predictions == y_test).mean())
    write_json(run_dir / "summary.json", summary)
    plots.plot_curves(epochs, run_dir / "curves.png")
    workbooks.write_report(run_dir / "report.xlsx", summary, epochs, layers_of(hp))
    return summary
