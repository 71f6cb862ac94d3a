"""python -m mnist_keras.bench.profile: where a training step's time goes, per TensorFlow op type,
as TensorFlow's profiler records it (self time on the host, idle time left out)."""
import json
import sys
import tempfile
from pathlib import Path

from labkit.cli import Parser, UsageError, command, positive
from mnist_keras import device
from mnist_keras.bench.configs import CONFIGS, keras_training

TENSORFLOW_CONFIGS = [name for name, config in CONFIGS.items() if config.engine == "tensorflow"]


def parse_args(argv):
    p = Parser(prog="python -m mnist_keras.bench.profile", description=__doc__.split(": ", 1)[1])
    p.add_argument("--config", choices=TENSORFLOW_CONFIGS, default="keras-tf",
                   help="a benchmark configuration on the TensorFlow backend")
    p.add_argument("--steps", type=positive(int), default=60, help="training steps profiled")
    p.add_argument("--top", type=positive(int), default=15, help="op types listed")
    return p.parse_args(argv)


def _op_rows(logdir):
    # TensorFlow ships the converter its profiler's TensorBoard plugin uses; "framework_op_stats"
    # is the per-op table of that plugin.
    from tensorflow.python.profiler.internal import _pywrap_profiler_plugin

    traces = [str(p) for p in Path(logdir).rglob("*.xplane.pb")]
    converted, ok = _pywrap_profiler_plugin.xspace_to_tools_data(traces, "framework_op_stats", {})
    if not ok:
        raise UsageError(f"TensorFlow could not read its profile: {converted.decode(errors='replace')}")
    table = json.loads(converted)[0]
    columns = [c["label"] for c in table["cols"]]
    return [dict(zip(columns, (cell["v"] for cell in row["c"]))) for row in table["rows"]]


def op_times(name, steps):
    """{op type: self milliseconds} for `steps` training steps, after an untimed warm-up."""
    import tensorflow as tf

    model, batches = keras_training(name, steps)
    model.fit(batches, epochs=1, shuffle=False, verbose=0)
    with tempfile.TemporaryDirectory(prefix="mnist_keras_profile_") as logdir:
        tf.profiler.experimental.start(logdir)
        model.fit(batches, epochs=1, shuffle=False, verbose=0)
        tf.profiler.experimental.stop()
        rows = _op_rows(logdir)
    times = {}
    for row in rows:
        if row["Host/device"] == "Host" and row["Operation Type"] != "IDLE":
            times[row["Operation Type"]] = times.get(row["Operation Type"], 0) + row["Total self-time (us)"] / 1000
    return dict(sorted(times.items(), key=lambda item: -item[1]))


@command("mnist_keras.bench.profile")
def main(argv=None):
    args = parse_args(argv)
    device.load_tensorflow()
    times = op_times(args.config, args.steps)
    total = sum(times.values())
    print(f"{args.config} ({CONFIGS[args.config].about}): {args.steps} training steps, "
          f"{total / args.steps:.1f} ms of op time per step (summed over threads)")
    print(f"{'op type':<42}{'ms/step':>9}{'share':>8}")
    for op, ms in list(times.items())[:args.top]:
        print(f"{op:<42}{ms / args.steps:>9.2f}{ms / total:>8.1%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
