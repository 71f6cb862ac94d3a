"""The runs' workbooks: the Model sheet's formulas, recalculated by a real LibreOffice, count each
model's parameters and the receptive field as the course computes them by hand, and follow an edit."""
import openpyxl
import pytest
from openpyxl import Workbook

from labkit import engines
from mnist_keras.model import build_model, parameter_counts
from mnist_keras.reports import workbooks

# The seed model's receptive field, by hand: r grows by (k - 1) * j at each layer, j doubles at the pool.
# 3x3, 3x3, 3x3: 1 + 2 + 2 + 2 = 7; pool 2x2: 7 + 1 = 8, j = 2; 1x1: 8; 3x3 x3: 8 + 4 + 4 + 4 = 20.
SEED_LAST_CONVOLUTION_FIELD = 20


def model_book(path, name):
    wb = Workbook()
    ws = wb.active
    ws.title = "Model"
    total = workbooks.write_model_sheet(ws, name, parameter_counts(build_model(name))["trainable"])
    wb.save(path)
    return total


def column(rows, header):
    index = workbooks.MODEL_COLUMNS.index(header)
    return [row[index] if index < len(row) else None for row in rows[workbooks.MODEL_HEADER_ROW:]]


@pytest.fixture(scope="module")
def recalculated(tmp_path_factory, libreoffice):
    folder = tmp_path_factory.mktemp("models")
    totals = {name: model_book(folder / f"{name}.xlsx", name) for name in ("seed", "compact", "tiny")}
    edited = openpyxl.load_workbook(folder / "seed.xlsx")
    ws = edited["Model"]
    last_conv = max(row for row in range(1, ws.max_row + 1) if ws[f"B{row}"].value == "convolution")
    assert ws[f"F{last_conv}"].value == 28
    ws[f"F{last_conv}"] = 30  # the learner widens the last convolution
    edited.save(folder / "seed-edited.xlsx")
    names = ["seed", "compact", "tiny", "seed-edited"]
    values = engines.recalculate_many_with_libreoffice([folder / f"{name}.xlsx" for name in names], 120)
    return {name: v["Model"] for name, v in zip(names, values)}, totals, last_conv


@pytest.mark.parametrize("name, trainable", [("seed", 14_402), ("compact", 7_954), ("tiny", 4_932)])
def test_the_model_sheets_formulas_sum_to_the_models_own_parameter_count(recalculated, name, trainable):
    sheets, totals, _ = recalculated
    assert engines.value(sheets[name], totals[name]) == trainable == parameter_counts(build_model(name))["trainable"]
    kinds = column(sheets[name], "kind")
    assert kinds[0] == "input image"
    layer_kinds = kinds[1:kinds.index(None)]  # above the sums
    keras_layers = [layer for layer in build_model(name).layers if type(layer).__name__ != "InputLayer"]
    assert len(layer_kinds) == len(keras_layers)


def test_the_receptive_field_of_the_last_convolution_is_the_hand_computed_one(recalculated):
    sheets, _, last_conv = recalculated
    rows = sheets["seed"]
    assert engines.value(rows, f"{workbooks.COL['receptive field r']}{last_conv}") == SEED_LAST_CONVOLUTION_FIELD
    assert engines.value(rows, f"{workbooks.COL['jump j']}{last_conv}") == 2
    assert engines.value(rows, f"{workbooks.COL['output size']}{last_conv}") == 5  # 5x5 before the average


def test_a_wider_last_convolution_moves_the_sum_as_the_formulas_say(recalculated):
    sheets, totals, last_conv = recalculated
    # 28 -> 30 channels: its 3x3x24 filters, BatchNorm's gamma and beta, and the dense layer's inputs.
    more = 2 * (3 * 3 * 24) + 2 * 2 + 2 * 10
    assert engines.value(sheets["seed-edited"], totals["seed"]) == 14_402 + more
    assert engines.value(sheets["seed-edited"], f"{workbooks.COL['channels in']}{last_conv + 1}") == 30
