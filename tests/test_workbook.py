"""The workbook's structure, without a spreadsheet engine: formulas, layout, charts, cached
results, rebuilds."""
import os
import zipfile
from pathlib import Path
from xml.etree import ElementTree

import numpy as np
import openpyxl
import pytest
from openpyxl.utils import column_index_from_string, get_column_letter
from openpyxl.utils.cell import coordinate_from_string, range_boundaries

from bp_excel import layout
from bp_excel.build import start_here, summary
from bp_excel.build.workbook import build
from bp_excel.build.xlsx import save
from bp_excel.cli import main
from bp_excel.formulas.evaluator import evaluate_workbook
from bp_excel.network import Network, train
from bp_excel.settings import BuildSettings
from bp_excel.verify.compare import Comparison
from bp_excel.verify.reference import expected_cells

CHART_NS = {"c": "http://schemas.openxmlformats.org/drawingml/2006/chart"}
COMMITTED = Path(__file__).parent.parent / "workbook" / "backprop.xlsx"
SHEETS = {"lr 0.5": 0.5, "lr 2": 2.0}


@pytest.fixture(scope="module")
def small_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("small") / "small.xlsx"
    assert main(["build", "--lr", "0.5", "2", "--iterations", "5", "--out", str(path)]) == 0
    return path


@pytest.fixture(scope="module")
def small(small_path):
    return openpyxl.load_workbook(small_path)


def formula_cells(ws):
    return {cell.coordinate for row in ws.iter_rows() for cell in row if cell.data_type == "f"}


def test_start_here_comes_first_then_the_summary_then_one_sheet_per_learning_rate(small):
    assert small.sheetnames == [start_here.SHEET, summary.SHEET, "lr 0.5", "lr 2"]
    assert small.active.title == start_here.SHEET


def test_every_formula_has_a_numpy_counterpart_and_every_counterpart_a_formula(small):
    # So that verify, which compares the counterparts, compares every computed cell.
    expected = expected_cells(Network(), SHEETS, 5)
    for ws in small.worksheets:
        assert formula_cells(ws) == set(expected[ws.title]), ws.title


def test_table_rows_are_formulas_except_iteration_zero(small):
    ws = small["lr 0.5"]
    assert ws[f"{layout.COLUMN_LETTER['iteration']}{layout.row_of(0)}"].value == 0
    w5 = ws[f"{layout.COLUMN_LETTER['w5']}{layout.row_of(3)}"].value
    assert w5 == (f"={layout.COLUMN_LETTER['w5']}{layout.row_of(2)}-$B$2*"
                  f"{layout.COLUMN_LETTER['dE_dw5']}{layout.row_of(2)}")
    gradient = ws[f"{layout.COLUMN_LETTER['dE_dw5']}{layout.row_of(3)}"].value
    assert gradient == f"={layout.COLUMN_LETTER['delta_o1']}{layout.row_of(3)}*{layout.COLUMN_LETTER['a_h1']}{layout.row_of(3)}"


def test_the_inputs_are_shaded_and_labelled_in_place(small):
    start = small[start_here.SHEET]
    cells = start_here.cells(start_here.lines(Network(), "lr 0.5"))
    for name, value in Network().named_inputs().items():
        cell = start[cells[name].replace("$", "")]
        assert cell.value == value and cell.fill.fgColor.rgb.endswith("FFF2CC"), name
        label = start.cell(cell.row, cell.column - 1).value
        assert name[1] in label and name[0] in label.lower(), (name, label)
    ws = small["lr 2"]
    lr = ws[layout.LR_CELL.replace("$", "")]
    assert lr.value == 2.0 and lr.fill.fgColor.rgb.endswith("FFF2CC")
    assert ws.cell(lr.row, lr.column - 1).value == "learning rate"
    for name, cell in layout.INPUT_CELLS.items():
        column, row = coordinate_from_string(cell.replace("$", ""))
        assert ws[f"{column}{row - 1}"].value == name  # its label just above it
        assert ws[f"{column}{row}"].value == f"='Start here'!{cells[name]}"


def test_no_label_sits_over_a_table_column(small):
    ws = small["lr 0.5"]
    for row in range(1, layout.HEADER_ROW):
        for col in range(layout.FIRST_TABLE_COLUMN - 1, layout.LAST_TABLE_COLUMN + 1):
            value = ws.cell(row, col).value
            column = layout.COLUMNS[col - layout.FIRST_TABLE_COLUMN] if col >= layout.FIRST_TABLE_COLUMN else None
            if row == layout.GROUP_ROW:
                assert value == (column.group or None if column else None), (row, col)
            elif row == layout.EQUATION_ROW:
                assert value == (column.quantity.equation if column else None), (row, col)
            else:
                assert value is None, (row, col, value)


def test_one_number_format_per_kind_of_quantity(small):
    ws = small["lr 0.5"]
    formats = {}
    for column in layout.COLUMNS:
        cells = [ws[f"{layout.COLUMN_LETTER[column.name]}{layout.row_of(k)}"] for k in range(6)]
        formats.setdefault(column.quantity.kind, set()).update(c.number_format for c in cells)
    assert formats == {"count": {"0"}, "value": {"0.000000"}, "error": {"0.000E+00"}}


def test_one_font_everywhere(small):
    fonts = {cell.font.name for ws in small.worksheets for row in ws.iter_rows() for cell in row
             if cell.value is not None}
    assert fonts == {"Calibri"}


def column_cm(characters):
    # Excel's column width: characters of Calibri 11's 7-pixel digit plus 5 pixels, at 96 pixels an inch.
    return (characters * 7 + 5) * 2.54 / 96


def test_the_chart_is_on_the_first_screen_beside_the_table(small):
    for name in SHEETS:
        ws = small[name]
        (chart,) = ws._charts
        anchor = chart.anchor._from
        assert anchor.col < 15 and anchor.row < 30
        # Left of the table: it hides no number. Its width is in cm, the columns' in characters.
        left_of_table = sum(column_cm(ws.column_dimensions[get_column_letter(col)].width)
                            for col in range(anchor.col + 1, layout.FIRST_TABLE_COLUMN))
        assert chart.width <= left_of_table
        assert ws.freeze_panes == f"A{layout.FIRST_ROW}"


def test_charts_plot_e_total_on_a_log_axis(small_path):
    with zipfile.ZipFile(small_path) as z:
        charts = sorted(n for n in z.namelist() if n.startswith("xl/charts/chart"))
        assert len(charts) == 4  # one per learning-rate sheet, a log and a linear overlay
        log_axes = 0
        for name in charts:
            tree = ElementTree.fromstring(z.read(name))
            assert [d.get("val") for d in tree.iterfind(".//c:delete", CHART_NS)] == ["0", "0"], name
            log_axes += len(tree.findall(".//c:valAx/c:scaling/c:logBase", CHART_NS)) > 0
            for ref in tree.iterfind(".//c:yVal//c:f", CHART_NS):
                sheet, cells = ref.text.rsplit("!", 1)
                min_col, min_row, _, max_row = range_boundaries(cells.replace("$", ""))
                assert min_col == column_index_from_string(layout.COLUMN_LETTER["E_total"])
                assert (min_row, max_row) == (layout.row_of(0), layout.row_of(5))
        assert log_axes == 3


def test_summary_links_to_every_sheet(small):
    ws = small[summary.SHEET]
    links = [ws[f"A{row}"].hyperlink.location for row in range(summary.FIRST_ROW, summary.FIRST_ROW + 2)]
    assert links == ["'lr 0.5'!A1", "'lr 2'!A1"]
    start_links = {c.hyperlink.location for row in small[start_here.SHEET].iter_rows() for c in row if c.hyperlink}
    assert start_links == {layout.reference(sheet, "A1") for sheet in [summary.SHEET, *SHEETS]}


def test_the_network_picture_is_on_the_start_here_sheet(small):
    (picture,) = small[start_here.SHEET]._images
    assert picture.width > 400 and picture.height > 200


def test_every_formula_caches_a_value_within_verifys_tolerance_of_numpy(small_path):
    # The cached values come from the formulas themselves (bp_excel.formula), the expected ones
    # from the independent matrix-form reference.
    cached = openpyxl.load_workbook(small_path, data_only=True)
    for sheet, cells in expected_cells(Network(), SHEETS, 5).items():
        result = Comparison(sheet)
        for cell, want in cells.items():
            result.compare(cell, cached[sheet][cell].value, want)
        assert result.cells_compared == len(cells) and not result.failures, result.failures[:3]
    with zipfile.ZipFile(small_path) as z:
        assert b'fullCalcOnLoad="1"' in z.read("xl/workbook.xml")


def test_pandas_reads_the_numbers(small_path):
    import pandas

    table = pandas.read_excel(small_path, sheet_name="lr 2", header=layout.HEADER_ROW - 1,
                              usecols=f"{layout.COLUMN_LETTER['iteration']}:{layout.COLUMN_LETTER['E_total']}")
    np.testing.assert_allclose(table["E_total"].to_numpy()[:6], train(Network(), 2.0, 5)["E_total"], rtol=1e-12)


@pytest.mark.slow
def test_a_fresh_default_build_is_the_committed_workbook(tmp_path):
    # So that `make run` leaves workbook/ unchanged: the same sheets, cells, formats and
    # cached results, and PNGs with the same pixels.
    assert main(["build", "--out", str(tmp_path / "backprop.xlsx")]) == 0
    with zipfile.ZipFile(tmp_path / "backprop.xlsx") as fresh, zipfile.ZipFile(COMMITTED) as committed:
        assert fresh.namelist() == committed.namelist()
        for name in committed.namelist():
            assert fresh.read(name) == committed.read(name), name
    from PIL import Image

    for png in COMMITTED.parent.glob("*.png"):
        with Image.open(png) as old, Image.open(tmp_path / png.name) as new:
            assert np.array_equal(np.asarray(old), np.asarray(new)), png.name


def numpy_and_openblas_kernel_settings():
    """Environments that make NumPy and OpenBLAS take other kernels on this CPU, as other CPUs do:
    each SIMD level NumPy dispatches to here switched off, and OpenBLAS held to Haswell's kernels."""
    from numpy._core._multiarray_umath import __cpu_dispatch__, __cpu_features__

    found = [feature for feature in __cpu_dispatch__ if __cpu_features__.get(feature)]
    settings = [{"NPY_DISABLE_CPU_FEATURES": feature} for feature in found]
    settings.append({"OPENBLAS_CORETYPE": "Haswell"})
    if found:
        settings.append({"OPENBLAS_CORETYPE": "Haswell", "NPY_DISABLE_CPU_FEATURES": " ".join(found)})
    return settings


@pytest.mark.slow
def test_the_build_is_the_same_whichever_kernels_numpy_and_openblas_take(tmp_path):
    # The committed workbook must not depend on the CPU it was built on (a last bit of a cached
    # value would make `make run` rewrite it, and the test above fail, on another CPU).
    import subprocess
    import sys

    def build_with(env, folder):
        out = tmp_path / folder / "backprop.xlsx"
        subprocess.run([sys.executable, "-m", "bp_excel", "build", "--out", str(out)], check=True,
                       env={**os.environ, **env}, stdout=subprocess.DEVNULL)
        return out

    native = build_with({}, "native")
    for k, env in enumerate(numpy_and_openblas_kernel_settings()):
        other = build_with(env, f"env{k}")
        assert other.read_bytes() == native.read_bytes(), env
        for png in native.parent.glob("*.png"):
            assert (other.parent / png.name).read_bytes() == png.read_bytes(), (env, png.name)


def test_a_rebuild_is_the_same_file_byte_for_byte(tmp_path):
    settings = BuildSettings(learning_rates=(1.0,), iterations=3)
    for name in ("a.xlsx", "b.xlsx"):
        wb = build(settings)
        save(wb, tmp_path / name, evaluate_workbook(wb))
    assert (tmp_path / "a.xlsx").read_bytes() == (tmp_path / "b.xlsx").read_bytes()


def test_the_summarys_notes_follow_the_builds_settings(tmp_path):
    """With targets 0.01 and 0.99 no rate brings E_total under 0.001 in 200 iterations (the NumPy
    reference, row by row): the notes say so, not that every rate converges as with targets 0.5."""

    network = Network(targets=(0.01, 0.99))
    assert all(train(network, rate, 200)["E_total"][-1] > 0.001 for rate in (0.5, 2))
    path = tmp_path / "w.xlsx"
    assert main(["build", "--targets", "0.01", "0.99", "--lr", "0.5", "2", "--out", str(path)]) == 0
    ws = openpyxl.load_workbook(path)["Summary"]
    notes = " ".join(str(c.value) for row in ws.iter_rows(min_row=5, max_col=1) for c in row if c.value)
    assert "Why every rate converges" not in notes
    assert "With targets 0.01 and 0.99, over 200 iterations E_total falls but stays above 0.001 at 0.5, 2." in notes
