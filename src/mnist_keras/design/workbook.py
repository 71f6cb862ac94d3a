"""A design workbook (Design, Recipe and Runs sheets): written for a learner, and read back from one,
as a stranger's file: inspected as check inspects a student's workbook (no macros, no links),
recalculated by LibreOffice in its sandbox, then read cell by cell with every bad cell named."""
import numbers
import tempfile
from dataclasses import dataclass
from pathlib import Path

from openpyxl import Workbook

from labkit import engines, untrusted
from labkit.cli import UsageError
from labkit.files import write_atomically
from labkit.sheets import print_one_page_wide
from mnist_keras.architecture import KINDS, Layer, shapes
from mnist_keras.design import recipe, runs_sheet, sheet

DESIGN, RECIPE = "Design", "Recipe"
MAX_LAYERS, MAX_PARAMETERS = 200, 5_000_000  # a laptop's limits
RECALCULATION_TIMEOUT_S = 120
# Each input's bounds, beyond which no MNIST model of a laptop's size goes.
BOUNDS = {"kernel": (1, 28), "stride": (1, 28), "padding": (0, 14), "filters": (1, 4096), "bias": (0, 1)}


@dataclass(frozen=True)
class Design:
    path: Path
    layers: list  # of Layer, the blank rows left out
    rows: list  # each layer's row on the Design sheet
    sheet_parameters: list  # each layer's parameters, as the sheet computes them
    total_cell: str
    sheet_total: float
    recipe: dict  # {trainer flag: (cell, text)}
    seeds: tuple  # (cell, text)

    @property
    def name(self):
        return self.path.stem


def write_design(path, design, hp, seeds, title):
    """A new design workbook at path, written atomically."""
    wb = Workbook()
    design_sheet = wb.active
    design_sheet.title = DESIGN
    sheet.write_design_sheet(design_sheet, design, title)
    recipe.write_recipe_sheet(wb.create_sheet(RECIPE), hp, seeds)
    runs_sheet.write_empty(wb.create_sheet(runs_sheet.RUNS))
    for ws in wb.worksheets:
        print_one_page_wide(ws)
    wb.calculation.fullCalcOnLoad = True  # no cached values: a spreadsheet computes them on opening
    write_atomically(path, wb.save)


def read_design(path, timeout=RECALCULATION_TIMEOUT_S):
    """The Design of a workbook; UsageError (naming the sheet and cell) where it is refused."""
    path = Path(path)
    inspection = untrusted.inspect(path)
    with tempfile.TemporaryDirectory(prefix="mnist_design_") as private:
        values = _computed_values(untrusted.private_copy(inspection, Path(private, "design.xlsx")), path, timeout)
    for name in (DESIGN, RECIPE):
        if name not in values:
            raise UsageError(f"{path} has no {name} sheet: make one with python -m mnist_keras.design NEW.xlsx")
    layers, rows, parameters, total_row = _layers(values[DESIGN])
    settings, seeds = recipe.read_recipe(values[RECIPE])
    total = _cell(values[DESIGN], total_row, sheet.COL["parameters"])
    if not isinstance(total, numbers.Number):
        raise UsageError(f"{DESIGN}!{sheet.COL['parameters']}{total_row}: the total is {total!r}, not a number")
    return Design(path, layers, rows, parameters, f"{sheet.COL['parameters']}{total_row}", total, settings, seeds)


def _computed_values(copy, path, timeout):
    """{sheet: rows of values} as LibreOffice computes them; without LibreOffice, the values a
    spreadsheet saved in the file."""
    if engines.find_soffice():
        return engines.recalculate_libreoffice(copy, timeout)
    values = engines.saved_values(copy)
    computed = len(sheet.INPUTS) + 1  # the first computed column, past the layer number and the inputs
    if DESIGN in values and not any(isinstance(v, numbers.Number) for row in values[DESIGN] for v in row[computed:]):
        raise UsageError(f"{path} holds no computed values (no spreadsheet has saved it) and LibreOffice, which "
                         f"would compute them, is not installed: save it in a spreadsheet, or install LibreOffice")
    return values


def _cell(rows, row, column):
    return engines.value(rows, f"{column}{row}")


def _layers(rows):
    """(layers, their rows, the sheet's parameters per layer, the totals' row) of the Design sheet's
    values: every row between the input image and the totals, the blank ones left out."""
    header = next((k for k, row in enumerate(rows[:50], start=1) if row[:2] == ["layer", "kind"]), None)
    if header is None:
        raise UsageError(f"{DESIGN}: no header row starting 'layer', 'kind' in the first 50 rows")
    layers, numbers_of_rows, parameters = [], [], []
    for number in range(header + 2, len(rows) + 1):
        kind = _cell(rows, number, sheet.COL["kind"])
        if kind == sheet.TOTAL_LABEL:
            _check_size(layers, numbers_of_rows)
            return layers, numbers_of_rows, parameters, number
        if kind is None or kind == "":
            continue
        if kind not in KINDS:
            raise UsageError(f"{DESIGN}!B{number}: {untrusted.shown(kind)!r} is not a kind of layer (one of: "
                             f"{', '.join(KINDS)})")
        layers.append(Layer(kind, **{field: _input(rows, number, kind, field) for field in KINDS[kind]}))
        numbers_of_rows.append(number)
        parameters.append(_cell(rows, number, sheet.COL["parameters"]))
        if len(layers) > MAX_LAYERS:
            raise UsageError(f"{DESIGN}!B{number}: more than {MAX_LAYERS} layers, a laptop's limit")
    raise UsageError(f"{DESIGN}: no row {sheet.TOTAL_LABEL!r} in column B closes the layers")


def _input(rows, number, kind, field):
    column = sheet.COL[field]
    value = _cell(rows, number, column)
    where = f"{DESIGN}!{column}{number}: the {kind}'s {sheet.INPUTS[field]}"
    if not isinstance(value, numbers.Number) or isinstance(value, bool):
        raise UsageError(f"{where} must be a number, not {untrusted.shown(value)!r}")
    if field == "rate":
        if not 0 <= value < 1:
            raise UsageError(f"{where} must be at least 0 and under 1, not {value:g}")
        return float(value)
    low, high = BOUNDS[field]
    if value != int(value) or not low <= value <= high:
        raise UsageError(f"{where} must be a whole number from {low} to {high}, not {value:g}")
    return int(value)


def _check_size(layers, rows):
    """No row's output under 1 x 1, and not more weights than a laptop trains: before Keras allocates any."""
    if not layers:
        raise UsageError(f"{DESIGN}: the design has no layers")
    weights = 0
    for layer, row, shape in zip(layers, rows, shapes(layers)):
        if shape.size < 1:
            raise UsageError(f"{DESIGN}!B{row}: the {layer.kind}'s output is {shape.size} x {shape.size}, "
                             f"smaller than 1 x 1")
        weights += shape.trainable + shape.moving
        if weights > MAX_PARAMETERS:
            raise UsageError(f"{DESIGN}!B{row}: the design passes {MAX_PARAMETERS:,} parameters here, "
                             f"a laptop's limit")


def check_against_keras(design, trainable, per_row):
    """UsageError unless the Design sheet's total, as the spreadsheet computed it, is Keras's count
    of the model built from it; where a row's own count differs, the error names that row."""
    if design.sheet_total == trainable:
        return
    column = sheet.COL["parameters"]
    for layer, row, counted, built in zip(design.layers, design.rows, design.sheet_parameters, per_row):
        if counted != built:
            raise UsageError(f"{DESIGN}!{column}{row}: the sheet counts {untrusted.shown(counted)} parameters for "
                             f"this {layer.kind}, Keras {built:,}: the row's formula is broken (copy a formula of "
                             f"the row above into it)")
    raise UsageError(f"{DESIGN}!{design.total_cell}: the sheet's total, {design.sheet_total:,}, is not Keras's "
                     f"{trainable:,}: its formula is broken, or a row between the layers counts parameters")
