"""Bad design workbooks, built here from a good one: each is refused by train --design in one line
naming the sheet and cell, exit 2, and nothing is written."""
import zipfile

import numpy as np
import openpyxl
import pytest
from helpers import call_main

from mnist_keras import train
from mnist_keras.architecture import DESIGNS, Layer
from mnist_keras.config import recipe
from mnist_keras.design import sheet
from mnist_keras.design.workbook import write_design

FIRST = sheet.FIRST_LAYER_ROW  # row 6: the standard model's first convolution
DENSE_ROW = FIRST + len(DESIGNS["standard"]) - 1


def edited(folder, cells, sheet_name="Design"):
    """The standard design with {cell: value} written into one of its sheets (as openpyxl saves:
    no computed values, so LibreOffice computes them)."""
    path = folder / "design.xlsx"
    write_design(path, DESIGNS["standard"], recipe(), "1", "standard")
    wb = openpyxl.load_workbook(path)
    for cell, value in cells.items():
        wb[sheet_name][cell] = value
    wb.save(path)
    return path


def with_part(folder, name, data, content_type=None):
    """The standard design with a part added to its package (and declared, where a type is given)."""
    source, path = edited(folder, {}), folder / "hostile.xlsx"
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(path, "w") as new:
        for item in old.infolist():
            content = old.read(item)
            if item.filename == "[Content_Types].xml" and content_type:
                content = content.replace(b"</Types>", f'<Override PartName="/{name}" ContentType="{content_type}"/>'
                                                       f'</Types>'.encode())
            new.writestr(item, content)
        new.writestr(name, data)
    return path


def designed(folder, layers):
    path = folder / "design.xlsx"
    write_design(path, layers, recipe(), "1", "made by the test")
    return path


def written(path, data):
    path.write_bytes(data)
    return path


CONV = [Layer("convolution", 3, 1, 0, 8, 0), Layer("batch normalization"), Layer("ReLU")]
CASES = {
    "unknown kind": (lambda p: edited(p, {f"B{FIRST}": "conv"}), f"Design!B{FIRST}: 'conv' is not a kind of layer"),
    "kernel of 0": (lambda p: edited(p, {f"C{FIRST}": 0}),
                    f"Design!C{FIRST}: the convolution's kernel k must be a whole"),
    "text for a number": (lambda p: edited(p, {f"F{FIRST}": "eight"}), f"Design!F{FIRST}: the convolution's filters"),
    "a fractional stride": (lambda p: edited(p, {f"D{FIRST}": 1.5}), f"Design!D{FIRST}: the convolution's stride"),
    "below 1 x 1": (lambda p: edited(p, {f"C{FIRST}": 27}), "is 0 x 0, smaller than 1 x 1"),
    "no dense layer to 10 classes": (lambda p: edited(p, {f"F{DENSE_ROW}": 12}),
                                     f"Design!B{DENSE_ROW}: the model's output is shaped 12, not a vector of 10"),
    "no dense layer at all": (lambda p: edited(p, {f"B{DENSE_ROW}": None}), "not a vector of 10 classes"),
    "a dense layer on a feature map": (lambda p: designed(p, [*CONV, Layer("dense", filters=10, bias=1)]),
                                       "shaped 26 x 26 x 10, not a vector of 10"),
    "over 200 layers": (lambda p: designed(p, [*CONV, *[Layer("ReLU")] * 200]), "more than 200 layers"),
    "over 5,000,000 parameters": (lambda p: designed(p, [*CONV[:1], Layer("convolution", 3, 1, 0, 4096, 0),
                                                         Layer("convolution", 3, 1, 0, 4096, 0)]),
                                  "passes 5,000,000 parameters"),
    "a formula broken by hand": (lambda p: edited(p, {f"L{FIRST + 3}": 100}),
                                 f"Design!L{FIRST + 3}: the sheet counts 100 parameters for this convolution, "
                                 f"Keras 584"),
    "a recipe value out of range": (lambda p: edited(p, {"B4": "many"}, "Recipe"),
                                    "Recipe!B4: epochs = 'many' is not valid"),
    "no recipe seeds": (lambda p: edited(p, {"B17": "x-y"}, "Recipe"), "Recipe!B17: seeds are whole numbers"),
    "a macro project": (lambda p: with_part(p, "xl/vbaProject.bin", b"\0" * 64), "holds macros"),
    "a link to another workbook": (lambda p: with_part(
        p, "xl/externalLinks/externalLink1.xml", b'<externalLink xmlns="http://schemas.openxmlformats.org/'
        b'spreadsheetml/2006/main"/>', "application/vnd.openxmlformats-officedocument.spreadsheetml.externalLink+xml"),
        "links to another workbook"),
    "not a workbook": (lambda p: written(p / "design.xlsx", b"PK\3\4 not really"), "not an .xlsx workbook"),
}


@pytest.fixture
def tiny_data(tmp_path):
    """Ten images: enough to start training, had a bad design slipped through."""
    rng = np.random.default_rng(0)
    images, labels = rng.integers(0, 256, (10, 28, 28), dtype=np.uint8), np.arange(10) % 10
    path = tmp_path / "tiny.npz"
    np.savez(path, x_train=images, y_train=labels, x_test=images, y_test=labels)
    return path


@pytest.mark.parametrize("case", list(CASES))
def test_a_bad_design_is_refused_in_one_line(tmp_path, capsys, libreoffice, tiny_data, case):
    make, expected = CASES[case]
    path = make(tmp_path)
    before = path.read_bytes()
    code, out = call_main(train.main, ["--design", str(path), "--data", str(tiny_data), "--epochs", "1",
                                       "--out", str(tmp_path / "runs")], capsys)
    assert code == 2, out.err
    assert out.err.startswith("mnist_keras.train: error: ") and out.err.count("\n") == 1, out.err
    assert expected in out.err
    assert not (tmp_path / "runs").exists() and path.read_bytes() == before


def test_model_and_design_together_and_dropout_flags_are_refused(tmp_path, capsys):
    path = tmp_path / "d.xlsx"
    write_design(path, DESIGNS["standard"], recipe(), "1", "standard")
    for argv, expected in [(["--model", "tiny"], "not both"), (["--dropout", "0.1"], "a row of its Design sheet")]:
        code, out = call_main(train.main, ["--design", str(path), *argv, "--dry-run"], capsys)
        assert code == 2 and expected in out.err
