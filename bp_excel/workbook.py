"""Writes the workbook: one live sheet per learning rate, each with its E_total chart, and a
summary sheet that overlays every curve."""
import datetime
from zipfile import ZIP_DEFLATED, ZipFile, ZipInfo

from openpyxl import Workbook
from openpyxl.chart import Reference, ScatterChart, Series
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.writer.excel import ExcelWriter

from . import layout
from .files import write_atomically

SUMMARY = "Summary"
SUMMARY_HEADERS = ["sheet", "learning rate", "iterations", "final E_total"]
# A fixed creation date keeps a rebuild identical to the committed workbook.
BUILD_DATE = datetime.datetime(2026, 1, 1)
BOLD = Font(bold=True)
E_TOTAL_COLUMN = list(layout.COLUMN_LETTER).index("E_total") + 1
ITERATION_COLUMN = 1


def _e_total_series(ws, iterations, title):
    last = layout.row_of(iterations)
    x = Reference(ws, min_col=ITERATION_COLUMN, min_row=layout.FIRST_ROW, max_row=last)
    y = Reference(ws, min_col=E_TOTAL_COLUMN, min_row=layout.FIRST_ROW, max_row=last)
    series = Series(y, x, title=title)
    series.marker.symbol = "none"
    series.smooth = False
    return series


def _chart(title, iterations):
    chart = ScatterChart()
    chart.title = title
    chart.style = 2
    chart.x_axis.title = "iteration"
    chart.y_axis.title = "E_total"
    # openpyxl marks axes deleted by default; Excel then draws none.
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    chart.x_axis.scaling.min = 0
    chart.x_axis.scaling.max = iterations
    chart.y_axis.number_format = "0.0000"
    chart.height, chart.width = 9, 16
    return chart


def _write_parameter_block(ws, network, learning_rate):
    values = {
        "i1": network.inputs[0], "i2": network.inputs[1],
        "t1": network.targets[0], "t2": network.targets[1],
        "b1": network.biases[0], "b2": network.biases[1], "lr": learning_rate,
        **{w: network.weights[k] for k, w in enumerate(layout.WEIGHTS)},
    }
    ws.cell(layout.PARAM_LABEL_ROW, 1, "parameter").font = BOLD
    ws.cell(layout.PARAM_VALUE_ROW, 1, "value").font = BOLD
    for col, (name, label) in enumerate(layout.PARAMETERS, start=2):
        ws.cell(layout.PARAM_LABEL_ROW, col, label).font = BOLD
        ws.cell(layout.PARAM_VALUE_ROW, col, values[name])
    ws.cell(layout.NOTE_ROW, 1, layout.NOTE)


def _write_table(ws, iterations):
    for col, column in enumerate(layout.COLUMNS, start=1):
        letter = get_column_letter(col)
        ws.column_dimensions[letter].width = 20 if column.name.startswith("dE") else 14
        ws.cell(layout.EQUATION_ROW, col, column.equation).alignment = Alignment(wrap_text=True, vertical="top")
        header = ws.cell(layout.HEADER_ROW, col, column.header)
        header.font, header.alignment = BOLD, Alignment(horizontal="right")
    ws.row_dimensions[layout.EQUATION_ROW].height = 96
    formats = [column.number_format for column in layout.COLUMNS]
    for iteration in range(iterations + 1):
        row = layout.row_of(iteration)
        for col, (content, number_format) in enumerate(zip(layout.row_contents(iteration), formats), start=1):
            ws.cell(row, col, content).number_format = number_format
    ws.freeze_panes = ws.cell(layout.FIRST_ROW, 2)
    ws.print_title_rows = f"{layout.EQUATION_ROW}:{layout.HEADER_ROW}"
    ws.page_setup.orientation = "landscape"


def _add_learning_rate_sheet(wb, network, learning_rate, iterations):
    ws = wb.create_sheet(layout.sheet_name(learning_rate))
    _write_parameter_block(ws, network, learning_rate)
    _write_table(ws, iterations)
    chart = _chart(f"E_total, learning rate {learning_rate:g}", iterations)
    chart.append(_e_total_series(ws, iterations, ws.title))
    chart.legend = None
    ws.add_chart(chart, f"{get_column_letter(len(layout.COLUMNS) + 2)}{layout.FIRST_ROW}")
    return ws


def _add_summary(ws, sheets, iterations):
    for col, header in enumerate(SUMMARY_HEADERS, start=1):
        ws.cell(1, col, header).font = BOLD
        ws.column_dimensions[get_column_letter(col)].width = 16
    last = layout.row_of(iterations)
    e_total = layout.COLUMN_LETTER["E_total"]
    for row, sheet in enumerate(sheets, start=2):
        ws.cell(row, 1, sheet.title)
        ws.cell(row, 2, "=" + layout.reference(sheet.title, layout.PARAM_CELL["lr"]))
        ws.cell(row, 3, "=" + layout.reference(sheet.title, f"A{last}"))
        ws.cell(row, 4, "=" + layout.reference(sheet.title, f"{e_total}{last}")).number_format = layout.SMALL
    chart = _chart("E_total for every learning rate", iterations)
    for sheet in sheets:
        chart.append(_e_total_series(sheet, iterations, sheet.title))
    ws.add_chart(chart, "F2")


def build(settings):
    wb = Workbook()
    summary = wb.active
    summary.title = SUMMARY
    sheets = [_add_learning_rate_sheet(wb, settings.network, lr, settings.iterations)
              for lr in settings.learning_rates]
    _add_summary(summary, sheets, settings.iterations)
    wb.properties.creator = "bp_excel"
    wb.properties.title = "Backpropagation, step by step"
    wb.properties.created = wb.properties.modified = BUILD_DATE
    return wb


class _BuildDateZipFile(ZipFile):
    """A zip archive whose members all carry BUILD_DATE, so that a rebuild is the same file, byte
    for byte (a plain ZipFile stamps each member with the current time)."""

    def writestr(self, zinfo_or_arcname, data, *args, **kwargs):
        if isinstance(zinfo_or_arcname, str):
            zinfo_or_arcname = ZipInfo(zinfo_or_arcname, date_time=BUILD_DATE.timetuple()[:6])
            zinfo_or_arcname.compress_type = self.compression
            zinfo_or_arcname.external_attr = 0o600 << 16  # what ZipFile gives a member it names itself
        super().writestr(zinfo_or_arcname, data, *args, **kwargs)

    def write(self, filename, arcname=None, *args, **kwargs):
        # openpyxl writes some worksheets from a temporary file, which would carry its time.
        with open(filename, "rb") as f:
            self.writestr(arcname or str(filename), f.read())


def save(wb, path):
    def write(tmp):
        # ExcelWriter directly, because openpyxl's save_workbook stamps the current time.
        with _BuildDateZipFile(tmp, "w", ZIP_DEFLATED, allowZip64=True) as archive:
            ExcelWriter(wb, archive).save()
    write_atomically(path, write)
