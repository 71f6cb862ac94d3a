"""The Recipe sheet: how a design is trained, one setting per row under the trainer's own flag
name, the values shaded, with units and the ranges a spreadsheet accepts. The trainer reads them as
if they were given on its command line, before the flags that are: a flag overrides its row."""
from openpyxl.styles import Font
from openpyxl.worksheet.datavalidation import DataValidation

from labkit.cli import UsageError
from mnist_keras.design.sheet import INPUT_FILL

BOLD = Font(bold=True)
HEADER_ROW = 3
SEEDS = "seeds"
# flag: (Hyperparameters field, unit, what it is, the data validation's rule). None: any text.
ROWS = {
    "epochs": ("epochs", "epochs", "passes over the 60,000 training images", ("whole", 1, 1000)),
    "batch-size": ("batch_size", "images", "images per step", ("whole", 1, 60000)),
    "optimizer": ("optimizer", "", "sgd: SGD with Nesterov momentum; or adamw", ("list", "sgd,adamw")),
    "lr": ("learning_rate", "", "the peak learning rate", ("decimal", 1e-6, 10)),
    "schedule": ("schedule", "", "onecycle: warm-up, then cosine decay; or constant", ("list", "onecycle,constant")),
    "warmup-epochs": ("warmup_epochs", "epochs", "of linear warm-up to the peak", ("decimal", 0.01, 1000)),
    "momentum": ("momentum", "", "SGD's momentum, AdamW's beta_1", ("decimal", 0, 0.999)),
    "weight-decay": ("weight_decay", "per step", "decoupled weight decay", ("decimal", 0, 0.999)),
    "label-smoothing": ("label_smoothing", "", "share of each target spread over the 10 classes", ("decimal", 0, 0.999)),
    "ema": ("ema", "", "momentum of the weights' moving average (0: off)", ("decimal", 0, 0.9999)),
    "shift": ("shift_pixels", "pixels", "augmentation: random translation, +-", ("decimal", 0, 28)),
    "rotation": ("rotation_degrees", "degrees", "augmentation: random rotation, +-", ("decimal", 0, 180)),
    "zoom": ("zoom", "", "augmentation: random zoom, +- this share of the image", ("decimal", 0, 0.999)),
    SEEDS: (None, "", "the random seeds to run: 1-5 or 1,2,7 (train takes the first; sweep --design, all)", None),
}


def write_recipe_sheet(ws, hp, seeds):
    ws["A1"], ws["A1"].font = "How the design is trained: change the shaded values", BOLD
    ws["A2"] = "A flag given to python -m mnist_keras.train overrides its row here."
    for column, header in enumerate(["setting", "value", "unit", "allowed", "what it is"], start=1):
        ws.cell(HEADER_ROW, column, header).font = BOLD
    for row, (flag, (field, unit, meaning, rule)) in enumerate(ROWS.items(), start=HEADER_ROW + 1):
        value = seeds if field is None else getattr(hp, field)
        ws.cell(row, 1, flag)
        ws.cell(row, 2, value).fill = INPUT_FILL
        ws.cell(row, 3, unit)
        ws.cell(row, 4, _allowed(rule))
        ws.cell(row, 5, meaning)
        if rule:
            kind, *bounds = rule
            validation = (DataValidation(type="list", formula1=f'"{bounds[0]}"') if kind == "list" else
                          DataValidation(type=kind, operator="between", formula1=_plain(bounds[0]),
                                         formula2=_plain(bounds[1])))
            validation.showErrorMessage, validation.error = True, f"Allowed: {_allowed(rule)}"
            validation.add(f"B{row}")
            ws.add_data_validation(validation)
    for column, width in {"A": 16, "B": 12, "C": 10, "D": 18, "E": 70}.items():
        ws.column_dimensions[column].width = width


def _allowed(rule):
    if rule is None:
        return "text"
    kind, *bounds = rule
    return bounds[0].replace(",", " or ") if kind == "list" else f"{_plain(bounds[0])} to {_plain(bounds[1])}"


def _plain(number):
    """0.000001, not 1e-06: as a spreadsheet's validation reads a number."""
    return f"{number:.6f}".rstrip("0").rstrip(".")


def read_recipe(rows, sheet="Recipe"):
    """(trainer arguments, seeds text) of the Recipe sheet's rows (values, as an engine computed
    them); UsageError naming the cell of a setting it does not know or a row it lacks."""
    found = {}
    for number, row in enumerate(rows[HEADER_ROW:], start=HEADER_ROW + 1):
        flag = row[0] if row else None
        if flag is None:
            continue
        if flag not in ROWS:
            raise UsageError(f"{sheet}!A{number}: {flag!r} is not a setting (known: {', '.join(ROWS)})")
        value = row[1] if len(row) > 1 else None
        if value is None or value == "":
            raise UsageError(f"{sheet}!B{number}: {flag} has no value")
        found[flag] = (f"{sheet}!B{number}", _text(value))
    missing = [flag for flag in ROWS if flag not in found]
    if missing:
        raise UsageError(f"the {sheet} sheet has no row for {missing[0]}")
    seeds = found.pop(SEEDS)
    return found, seeds


def _text(value):
    """A cell's value as the command line would give it: 20, not 20.0."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
