"""Design workbooks: the Design sheet's formulas, recalculated by a real LibreOffice, count each
design's parameters as Keras does and its output sizes and receptive field as the course computes
them by hand; bad designs are refused in one line."""
import pytest
from helpers import call_main

from labkit import engines
from mnist_keras.architecture import DESIGNS, Layer, shapes
from mnist_keras.config import recipe
from mnist_keras.design import cli, sheet
from mnist_keras.design.workbook import write_design
from mnist_keras.model import build_design, parameter_counts


def conv(filters, kernel=3, stride=1, padding=0, bias=0, kind="convolution"):
    return [Layer(kind, kernel, stride, padding, filters, bias), Layer("batch normalization"), Layer("ReLU")]


HEAD = [Layer("global average pooling"), Layer("dense", filters=10, bias=1)]
# Designs that the built-in ones do not cover, each with its parameters, its convolutions' and
# poolings' output sizes and receptive fields, all counted by hand (r_out = r_in + (k-1) j_in).
DESIGNS_BY_HAND = {
    # Padding 1 keeps 28; stride 2 halves: floor((28 + 2 - 3) / 2) + 1 = 14, then 7.
    "padding-and-stride": (
        [*conv(8, padding=1), *conv(16, stride=2, padding=1), *conv(16, stride=2, padding=1), *HEAD],
        72 + 16 + 1152 + 32 + 2304 + 32 + 170, [28, 14, 7], [3, 5, 9]),
    # Dropout of both kinds; a 1x1 transition (16 -> 8 channels) after the pooling.
    "dropout-and-transition": (
        [*conv(16, bias=1), Layer("dropout", rate=0.1), Layer("max pooling", 2, 2), *conv(8, kernel=1),
         Layer("spatial dropout", rate=0.05), *conv(16), *HEAD],
        160 + 32 + 128 + 16 + 1152 + 32 + 170, [26, 13, 13, 11], [3, 4, 4, 8]),
    # Flatten (4 x 4 x 8 = 128 values), then dense: 128 x 10 + 10.
    "flatten-then-dense": (
        [*conv(4, stride=2, bias=1), Layer("max pooling", 2, 2), *conv(8), Layer("flatten"),
         Layer("dense", filters=10, bias=1)],
        40 + 8 + 288 + 16 + 1290, [13, 6, 4], [3, 5, 13]),
    # A separable convolution with padding and stride 2 (9 x 8 + 8 x 16), a 3x3 pooling of stride 2.
    "separable-stride-and-pool": (
        [*conv(8, bias=1), *conv(16, stride=2, padding=1, kind="separable convolution"),
         Layer("max pooling", 3, 2), *HEAD],
        80 + 16 + 200 + 32 + 170, [26, 13, 6], [3, 5, 9]),
}
BUILT_IN_BY_HAND = {  # trainable parameters, output sizes, receptive fields of the convolutions and the pool
    "standard": (14_402, [26, 24, 22, 11, 11, 9, 7, 5], [3, 5, 7, 8, 8, 12, 16, 20]),
    "compact": (7_954, [26, 24, 22, 11, 9, 7, 5], [3, 5, 7, 8, 12, 16, 20]),
    "tiny": (4_932, [26, 24, 22, 11, 9, 7, 5], [3, 5, 7, 8, 12, 16, 20]),
}
WINDOWED = ("convolution", "separable convolution", "max pooling")


def all_designs():
    built_in = {name: (DESIGNS[name], *BUILT_IN_BY_HAND[name]) for name in DESIGNS}
    return {**built_in, **DESIGNS_BY_HAND}


@pytest.fixture(scope="module")
def recalculated(tmp_path_factory, libreoffice):
    folder = tmp_path_factory.mktemp("designs")
    paths = []
    for name, (layers, *_) in all_designs().items():
        paths.append(folder / f"{name}.xlsx")
        write_design(paths[-1], layers, recipe(), "1", name)
    values = engines.recalculate_many_with_libreoffice(paths, 180)
    return {name: v["Design"] for name, v in zip(all_designs(), values)}


def column(rows, name, layers):
    first = sheet.FIRST_LAYER_ROW
    return [engines.value(rows, f"{sheet.COL[name]}{row}") for row in range(first, first + len(layers))]


@pytest.mark.parametrize("name", list(all_designs()))
def test_the_sheets_totals_are_keras_count_and_the_hand_count(recalculated, name):
    layers, by_hand, *_ = all_designs()[name]
    rows = recalculated[name]
    total_row = sheet.FIRST_LAYER_ROW + len(layers)
    keras_count = parameter_counts(build_design(layers, name))
    assert engines.value(rows, f"{sheet.COL['parameters']}{total_row}") == by_hand == keras_count["trainable"]
    assert engines.value(rows, f"{sheet.COL['parameters']}{total_row + 1}") == keras_count["total"]
    assert sum(shape.trainable for shape in shapes(layers)) == by_hand
    rules = [engines.value(rows, f"{sheet.COL['parameters']}{row}") for row in range(total_row + 6, total_row + 10)]
    assert rules[:3] == ["yes", "yes", "yes"]  # under 20,000; 10 classes; no output under 1 x 1


@pytest.mark.parametrize("name", list(all_designs()))
def test_output_sizes_and_receptive_fields_are_the_hand_computed_ones(recalculated, name):
    layers, _, sizes, fields = all_designs()[name]
    rows = recalculated[name]
    windowed = [k for k, layer in enumerate(layers) if layer.kind in WINDOWED]
    assert [column(rows, "output size n", layers)[k] for k in windowed] == sizes
    assert [column(rows, "receptive field r", layers)[k] for k in windowed] == fields
    assert column(rows, "output size n", layers)[-1] == 1 and column(rows, "channels out", layers)[-1] == 10


def test_the_digit_rule_turns_red_for_a_design_that_sees_too_little(tmp_path, libreoffice):
    path = tmp_path / "short-sighted.xlsx"
    write_design(path, [*conv(8), *HEAD], recipe(), "1", "short-sighted")  # r = 3
    rows = engines.recalculate_libreoffice(path, 120)["Design"]
    total_row = sheet.FIRST_LAYER_ROW + 5
    assert engines.value(rows, f"{sheet.COL['parameters']}{total_row + 9}") == "no"
    assert engines.value(rows, f"{sheet.COL['parameters']}{total_row + 6}") == "yes"


def test_design_from_each_built_in_model_and_refuses_to_overwrite(tmp_path, capsys):
    for name in DESIGNS:
        code, out = call_main(cli.main, [str(tmp_path / f"{name}.xlsx"), "--from", name], capsys)
        assert code == 0, out.err
    code, out = call_main(cli.main, [str(tmp_path / "standard.xlsx")], capsys)
    assert code == 2 and "exists" in out.err and "--force" in out.err
    code, out = call_main(cli.main, [str(tmp_path / "x.xlsx"), "--from", "huge"], capsys)
    assert code == 2 and "not a built-in model" in out.err and not (tmp_path / "x.xlsx").exists()


def test_a_row_inserted_and_a_width_changed_in_libreoffice_train_as_the_sheet_counts(tmp_path, capsys, libreoffice):
    """The learner, in LibreOffice: inserts three rows after the pooling, copies the pooling's row
    into them (Ctrl+D) and makes them a 1x1 convolution 16 -> 24 with its BatchNorm and ReLU, and
    widens the last convolution from 28 to 32 filters."""
    from libreoffice_edit import edit_with_libreoffice

    from mnist_keras import train

    path, edited = tmp_path / "standard.xlsx", tmp_path / "edited.xlsx"
    write_design(path, DESIGNS["standard"], recipe(), "1", "standard")
    pool = sheet.FIRST_LAYER_ROW + 9
    last_convolution = sheet.FIRST_LAYER_ROW + 19 + 3
    edit_with_libreoffice(path, edited, [
        ("insert_rows", "Design", pool + 1, 3), ("fill_down", "Design", f"A{pool}:P{pool + 3}"),
        ("set", "Design", f"B{pool + 1}", "convolution"), ("set", "Design", f"C{pool + 1}", 1),
        ("set", "Design", f"D{pool + 1}", 1), ("set", "Design", f"F{pool + 1}", 24),
        ("set", "Design", f"G{pool + 1}", 0),
        ("set", "Design", f"B{pool + 2}", "batch normalization"), ("set", "Design", f"B{pool + 3}", "ReLU"),
        ("set", "Design", f"F{last_convolution}", 32)])
    # By hand: the new 1x1 convolution (16 x 24) and its BatchNorm (2 x 24); the old 1x1 now takes
    # 24 channels (+8 x 16); the last convolution's 4 more filters (9 x 24 x 4), their BatchNorm
    # (2 x 4) and their dense weights (4 x 10).
    by_hand = 14_402 + 16 * 24 + 2 * 24 + 8 * 16 + 9 * 24 * 4 + 2 * 4 + 4 * 10
    total_row = sheet.FIRST_LAYER_ROW + len(DESIGNS["standard"]) + 3
    rows = engines.recalculate_libreoffice(edited, 120)["Design"]
    assert engines.value(rows, f"L{total_row}") == by_hand
    code, out = call_main(train.main, ["--design", str(edited), "--dry-run"], capsys)
    assert code == 0, out.err
    assert f"Trainable params: {by_hand:,}" in out.out
    assert f"the Design sheet's total (L{total_row}) is {by_hand:,}, as Keras counts it" in out.out


def test_rows_deleted_in_libreoffice_leave_the_totals_right(tmp_path, libreoffice):
    """The learner deletes the 1x1 convolution after the pooling, with its BatchNorm and ReLU."""
    from libreoffice_edit import edit_with_libreoffice

    path, edited = tmp_path / "standard.xlsx", tmp_path / "edited.xlsx"
    write_design(path, DESIGNS["standard"], recipe(), "1", "standard")
    transition = sheet.FIRST_LAYER_ROW + 10
    edit_with_libreoffice(path, edited, [("delete_rows", "Design", transition, 3)])
    rows = engines.recalculate_libreoffice(edited, 120)["Design"]
    total_row = sheet.FIRST_LAYER_ROW + len(DESIGNS["standard"]) - 3
    assert engines.value(rows, f"B{transition}") == "convolution"
    assert engines.value(rows, f"L{total_row}") == 14_402 - 16 * 16 - 2 * 16  # its weights and BatchNorm


def test_design_from_a_run_folder_and_from_another_design(tmp_path, capsys, libreoffice):
    import json

    import openpyxl

    from mnist_keras import runs
    from mnist_keras.architecture import layers_of

    hp = recipe("compact", dropout=0.05, dropout_where="block", epochs=12)
    runs.prepare(tmp_path / "run", hp, None, None)  # the settings.json a run starts with
    code, out = call_main(cli.main, [str(tmp_path / "from-run.xlsx"), "--from", str(tmp_path / "run")], capsys)
    assert code == 0, out.err
    book = openpyxl.load_workbook(tmp_path / "from-run.xlsx")
    kinds = [book["Design"][f"B{row}"].value for row in range(sheet.FIRST_LAYER_ROW, sheet.FIRST_LAYER_ROW + 30)]
    assert kinds[:len(layers_of(hp))] == [layer.kind for layer in layers_of(hp)]
    assert kinds.count("spatial dropout") == 2  # closing each block
    assert book["Recipe"]["B4"].value == 12 and book["Recipe"]["B5"].value == 128  # epochs, compact's batch

    code, out = call_main(cli.main, [str(tmp_path / "copy.xlsx"), "--from", str(tmp_path / "from-run.xlsx")], capsys)
    assert code == 0, out.err
    copy = openpyxl.load_workbook(tmp_path / "copy.xlsx")
    assert [copy["Design"][f"B{row}"].value for row in range(sheet.FIRST_LAYER_ROW, sheet.FIRST_LAYER_ROW + 30)] == kinds
    assert copy["Recipe"]["B4"].value == 12

    older = {**json.loads((tmp_path / "run" / "settings.json").read_text()), "layers": [[8, 3, True], "pool"]}
    (tmp_path / "run" / "settings.json").write_text(json.dumps(older))
    code, out = call_main(cli.main, [str(tmp_path / "old.xlsx"), "--from", str(tmp_path / "run")], capsys)
    assert code == 2 and "older version" in out.err and not (tmp_path / "old.xlsx").exists()
