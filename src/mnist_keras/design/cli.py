"""python -m mnist_keras.design NEW.xlsx: write a design workbook, a CNN one layer per row.

Its Design sheet counts parameters and the receptive field as live formulas, with the assignment's
rules as checks; its Recipe sheet says how to train it; `python -m mnist_keras.train --design
NEW.xlsx` trains it and adds each run to its Runs sheet.
"""
import json
import sys
from pathlib import Path

from labkit.cli import Parser, UsageError, command, output_file
from mnist_keras.architecture import DESIGNS, KINDS, Layer, with_dropout
from mnist_keras.config import MODEL_RECIPES, recipe

MAX_SETTINGS_BYTES = 1 << 20


def parse_args(argv):
    p = Parser(prog="python -m mnist_keras.design", description=__doc__.splitlines()[0].split(": ", 1)[1])
    p.add_argument("workbook", type=output_file(".xlsx"), metavar="NEW.xlsx", help="the design workbook to write")
    p.add_argument("--from", dest="source", default="standard", metavar="NAME|RUN_DIR|DESIGN.xlsx",
                   help=f"start from a built-in model ({', '.join(DESIGNS)}), a run folder, or another design "
                        f"workbook (default: standard)")
    p.add_argument("--force", action="store_true", help="replace NEW.xlsx if it exists")
    return p.parse_args(argv)


def from_run(run_dir):
    """(layers, recipe) of a run folder's settings.json."""
    path = Path(run_dir) / "settings.json"
    if not path.is_file():
        raise UsageError(f"{run_dir} is not a run folder (no settings.json)")
    if path.stat().st_size > MAX_SETTINGS_BYTES:
        raise UsageError(f"{path} is over {MAX_SETTINGS_BYTES >> 20} MB: not a run's settings")
    try:
        settings = json.loads(path.read_text())
        rows = settings["layers"]
        layers = [Layer(*row) for row in rows]
        if not all(layer.kind in KINDS for layer in layers):
            raise ValueError("a layer of no known kind")
        fields = {k: v for k, v in settings.items() if k in recipe().__dataclass_fields__ and k != "layers"}
        hp = recipe(**{**fields, "model": fields.get("model", "standard")})
    except (ValueError, KeyError, TypeError) as e:
        raise UsageError(f"{path} holds no design this version can read (a run of an older version?): {e}")
    return layers, hp


def source_design(source):
    """(layers, recipe, seeds, title) of what --from names."""
    if source in DESIGNS:
        hp = recipe(source)
        layers = with_dropout(DESIGNS[source], hp.dropout, hp.dropout_kind, hp.dropout_where)
        return layers, hp, str(hp.seed), f"The {source} model, one layer per row"
    if Path(source).is_dir():
        layers, hp = from_run(source)
        return layers, hp, str(hp.seed), f"The design of the run {Path(source).name}"
    if Path(source).suffix.lower() == ".xlsx" and Path(source).is_file():
        from mnist_keras import train
        from mnist_keras.design.workbook import read_design

        design = read_design(source)
        hp = train.hyperparameters(train.parse_args(["--design", source]), design)
        return design.layers, hp, design.seeds[1], f"A copy of {Path(source).name}"
    raise UsageError(f"--from {source}: not a built-in model ({', '.join(MODEL_RECIPES)}), a run folder or a "
                     f".xlsx design workbook")


@command("mnist_keras.design")
def main(argv=None):
    args = parse_args(argv)
    if args.workbook.exists() and not args.force:
        raise UsageError(f"{args.workbook} exists: give --force to replace it, or another name")
    layers, hp, seeds, title = source_design(args.source)
    from mnist_keras.design.workbook import write_design

    write_design(args.workbook, layers, hp, seeds, title)
    print(f"wrote {args.workbook}: {len(layers)} layers; change the shaded cells, then "
          f"python -m mnist_keras.train --design {args.workbook}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
