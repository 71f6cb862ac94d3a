"""The workbook's structure, without a spreadsheet engine: formulas, layout, charts, rebuilds."""
import zipfile
from pathlib import Path
from xml.etree import ElementTree

import openpyxl
import pytest

from bp_excel import layout
from bp_excel.cli import main
from bp_excel.settings import BuildSettings
from bp_excel.workbook import SUMMARY, build, save

CHART_NS = "http://schemas.openxmlformats.org/drawingml/2006/chart"
COMMITTED = Path(__file__).parent.parent / "workbook" / "backprop.xlsx"


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    path = tmp_path_factory.mktemp("small") / "small.xlsx"
    save(build(BuildSettings(learning_rates=(0.5, 2.0), iterations=5, out=path)), path)
    return openpyxl.load_workbook(path)


def test_one_sheet_per_learning_rate_after_the_summary(small):
    assert small.sheetnames == [SUMMARY, "lr 0.5", "lr 2"]


def test_every_computed_cell_is_a_formula(small):
    ws = small["lr 0.5"]
    for iteration in range(6):
        for col, column in enumerate(layout.COLUMNS, start=1):
            value = ws.cell(layout.row_of(iteration), col).value
            if column.name == "iteration" and iteration == 0:
                assert value == 0
            else:
                assert isinstance(value, str) and value.startswith("="), (column.name, iteration, value)
    summary = small[SUMMARY]
    for row in summary.iter_rows(min_row=2, min_col=2, max_col=4, values_only=True):
        assert all(isinstance(v, str) and v.startswith("=") for v in row)


def test_parameter_block_holds_the_inputs_as_numbers(small):
    ws = small["lr 2"]
    labels = [ws.cell(layout.PARAM_LABEL_ROW, c).value for c in range(2, len(layout.PARAMETERS) + 2)]
    values = [ws.cell(layout.PARAM_VALUE_ROW, c).value for c in range(2, len(layout.PARAMETERS) + 2)]
    assert labels == [label for _, label in layout.PARAMETERS]
    assert values == [0.05, 0.1, 0.5, 0.5, 0.0, 0.0, 2.0, 0.15, 0.2, 0.25, 0.3, 0.4, 0.45, 0.5, 0.55]


def test_headers_equations_and_frozen_header(small):
    ws = small["lr 0.5"]
    headers = [ws.cell(layout.HEADER_ROW, c).value for c in range(1, len(layout.COLUMNS) + 1)]
    assert headers[:5] == ["iteration", "t1", "t2", "i1", "i2"]
    assert "∂E/∂w1" in headers and "E_total" in headers
    assert ws.cell(layout.EQUATION_ROW, headers.index("h1") + 1).value == "h1 = w1·i1 + w2·i2 + b1"
    assert ws.freeze_panes == f"B{layout.FIRST_ROW}"


def test_each_sheet_has_an_e_total_chart_with_visible_axes(small):
    for ws in small.worksheets:
        assert len(ws._charts) == 1
    overlay = small[SUMMARY]._charts[0]
    assert len(overlay.series) == 2


def test_chart_axes_are_not_deleted(tmp_path):
    path = tmp_path / "w.xlsx"
    save(build(BuildSettings(learning_rates=(1.0,), iterations=3, out=path)), path)
    with zipfile.ZipFile(path) as z:
        charts = [n for n in z.namelist() if n.startswith("xl/charts/chart")]
        assert len(charts) == 2
        for name in charts:
            deletes = ElementTree.fromstring(z.read(name)).iter(f"{{{CHART_NS}}}delete")
            assert [d.get("val") for d in deletes] == ["0", "0"], name


def test_a_fresh_default_build_matches_the_committed_workbook(tmp_path):
    assert main(["build", "--out", str(tmp_path / "backprop.xlsx")]) == 0
    fresh, committed = openpyxl.load_workbook(tmp_path / "backprop.xlsx"), openpyxl.load_workbook(COMMITTED)
    assert fresh.sheetnames == committed.sheetnames
    assert fresh.properties.created == committed.properties.created
    for a, b in zip(fresh.worksheets, committed.worksheets):
        assert a.dimensions == b.dimensions
        for row_a, row_b in zip(a.iter_rows(), b.iter_rows()):
            for x, y in zip(row_a, row_b):
                assert (x.value, x.number_format) == (y.value, y.number_format), x.coordinate
    for png in ["backprop_all.png", "backprop_lr0.1.png", "backprop_lr2.png"]:
        assert (COMMITTED.parent / png).stat().st_size > 10_000
        assert (tmp_path / png).exists()


def test_a_rebuild_is_the_same_file_byte_for_byte(tmp_path):
    # So that `make run` leaves the committed workbook/ unchanged.
    assert main(["build", "--out", str(tmp_path / "backprop.xlsx")]) == 0
    assert (tmp_path / "backprop.xlsx").read_bytes() == COMMITTED.read_bytes()
    for png in COMMITTED.parent.glob("*.png"):
        assert (tmp_path / png.name).read_bytes() == png.read_bytes(), png.name
