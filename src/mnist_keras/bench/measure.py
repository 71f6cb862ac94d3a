"""Inside one configuration's process: timed windows of training steps, and the arithmetic floor
that the benchmark's table measures them against."""
import json
import time

from mnist_keras.bench.configs import CONFIGS, hyperparameters, keras_training

EPOCH_IMAGES = 60_000


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

    from mnist_keras import data, pipeline
    from mnist_keras.bench import pytorch_twin

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


def epoch_flops():
    """Multiply-adds of one forward pass, from the Keras model's layer shapes, times 2 FLOPs,
    times 3 for training (the backward pass costs about twice the forward), per 60,000 images."""
    import keras

    from mnist_keras.config import Hyperparameters
    from mnist_keras.model import build_model

    macs = 0
    for layer in build_model(Hyperparameters()).layers:
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


