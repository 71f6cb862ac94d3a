"""python -m mnist_keras.bench: steady-state training speed of the standard model under each candidate
configuration, and of the same model in plain PyTorch, interleaved in one run.

Each configuration runs in a fresh process (a Keras backend is fixed at import) that trains on
real MNIST for one untimed window (tracing, compiling, caches) and then --windows timed windows
of --steps steps each; the processes take turns, round after round, so that a noisy machine slows
every configuration alike. A window's time covers model.fit's training steps, no validation.
The figure of merit is the median window, scaled to a 60,000-image epoch.
"""
import argparse
import json
import os
import platform
import statistics
import subprocess
import sys

from labkit import provenance
from labkit.cli import Parser, UsageError, command, output_file, positive
from labkit.files import write_json
from mnist_keras import device
from mnist_keras.bench import measure
from mnist_keras.bench.configs import CONFIGS, ENGINE_MODULES, ISA_ENV, REFERENCE, installed
from mnist_keras.bench.measure import EPOCH_IMAGES

PACKAGES = ("tensorflow", "keras", "torch", "jax", "numpy")  # whose versions the results record


def parse_args(argv):
    p = Parser(prog="python -m mnist_keras.bench", description=__doc__.split(": ", 1)[1].split("\n\n")[0])
    p.add_argument("--configs", nargs="+", choices=list(CONFIGS), default=list(CONFIGS), metavar="NAME",
                   help="configurations to compare (default: all): " + ", ".join(CONFIGS))
    p.add_argument("--rounds", type=positive(int), default=2, help="turns each configuration takes")
    p.add_argument("--windows", type=positive(int), default=3, help="timed windows per turn")
    p.add_argument("--steps", type=positive(int), default=100, help="training steps per window")
    p.add_argument("--isa", choices=list(ISA_ENV), default="native",
                   help="avx2: keep oneDNN and PyTorch to AVX2 kernels, as on a CPU without AVX-512 (default: native)")
    p.add_argument("--json", type=output_file(".json"), metavar="PATH", help="also write the results to this JSON file")
    p.add_argument("--measure", choices=list(CONFIGS), help=argparse.SUPPRESS)  # inside one configuration's process
    return p.parse_args(argv)


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
    flops, gemm = measure.epoch_flops(), measure.gemm_flops_per_s()
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
        **provenance.record(_device(), PACKAGES), "isa": isa, "isa_env": ISA_ENV[isa],
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
        measure.measure(args.measure, args.steps, args.windows)
        return 0
    results = run(args.configs, args.rounds, args.windows, args.steps, args.isa)
    print(table(results))
    if args.json:
        write_json(args.json, results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
