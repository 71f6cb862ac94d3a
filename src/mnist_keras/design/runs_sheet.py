"""The Runs sheet of a design workbook: a row per run of the design (what ran, how it went, a link
to its report.xlsx) with its validation accuracy per epoch, and a chart of every run against the
target line, above the table so that it is on the first screen."""
import statistics

from openpyxl.chart import Reference
from openpyxl.formatting.rule import CellIsRule
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from labkit.sheets import line, scatter_chart
from mnist_keras.config import TARGET_ACCURACY
from mnist_keras.design.sheet import GREEN, INPUT_FILL, RED

RUNS = "Runs"
BOLD = Font(bold=True)
PERCENT = "0.00%"
TARGET_ROW = 22  # below the chart
HEADER_ROW = TARGET_ROW + 1
COLUMNS = ["date", "seed", "trainable parameters", "design", "final", "lowest of the closing epochs",
           "holds the target", "first epoch at the target", "s/epoch (median)", "device", "report"]
FIRST_EPOCH_COLUMN = len(COLUMNS) + 1
COL = {name: get_column_letter(k) for k, name in enumerate(COLUMNS, start=1)}


def write_empty(ws):
    ws["A1"], ws["A1"].font = "Runs of this design: python -m mnist_keras.train --design THIS.xlsx adds a row", BOLD
    ws["A2"] = "design: a fingerprint of the layer rows, which changes with any of them"
    ws[f"A{TARGET_ROW}"], ws[f"B{TARGET_ROW}"] = "target accuracy", TARGET_ACCURACY
    ws[f"B{TARGET_ROW}"].fill, ws[f"B{TARGET_ROW}"].number_format = INPUT_FILL, "0.0%"
    for column, header in enumerate(COLUMNS, start=1):
        ws.cell(HEADER_ROW, column, header).font = BOLD
    for name, width in {"date": 18, "trainable parameters": 11, "design": 10, "device": 40, "report": 30}.items():
        ws.column_dimensions[COL[name]].width = width


def append_run(ws, summary, fingerprint, report):
    """The run's row under the others, and the chart of them all drawn again. report: the link
    (a path relative to the workbook) to the run's report.xlsx."""
    row = next(r for r in range(HEADER_ROW + 1, ws.max_row + 2) if ws[f"A{r}"].value in (None, ""))
    accuracy = summary["val_accuracy"]
    first, last = (get_column_letter(FIRST_EPOCH_COLUMN + k) for k in (0, len(accuracy) - 1))
    opening = FIRST_EPOCH_COLUMN + max(0, len(accuracy) - summary["closing_epochs"])
    closing = f"{get_column_letter(opening)}{row}:{last}{row}"
    target = f"$B${TARGET_ROW}"
    values = {
        "date": summary["date"][:16].replace("T", " "), "seed": summary["seed"],
        "trainable parameters": summary["trainable_params"], "design": fingerprint,
        "final": f"={last}{row}", "lowest of the closing epochs": f"=MIN({closing})",
        "holds the target": f'=IF({COL["lowest of the closing epochs"]}{row}>={target},"yes","no")',
        "first epoch at the target": summary["first_epoch_at_target"] or "never",
        "s/epoch (median)": round(statistics.median(summary["seconds_per_epoch"]), 1),
        "device": summary["device"], "report": str(report),
    }
    for name, value in values.items():
        ws[f"{COL[name]}{row}"] = value
    ws[f"{COL['report']}{row}"].hyperlink = str(report)
    ws[f"{COL['trainable parameters']}{row}"].number_format = "#,##0"
    holds = f"{COL['holds the target']}{row}"
    ws.conditional_formatting.add(holds, CellIsRule(operator="equal", formula=['"yes"'], fill=GREEN))
    ws.conditional_formatting.add(holds, CellIsRule(operator="equal", formula=['"no"'], fill=RED))
    for name in ("final", "lowest of the closing epochs"):
        ws[f"{COL[name]}{row}"].number_format = PERCENT
    for k, value in enumerate(accuracy):
        ws.cell(row, FIRST_EPOCH_COLUMN + k, value).number_format = PERCENT
    epochs = max(len(accuracy), _epochs(ws))
    for k in range(epochs):
        ws.cell(HEADER_ROW, FIRST_EPOCH_COLUMN + k, k + 1).font = BOLD
        ws.cell(TARGET_ROW, FIRST_EPOCH_COLUMN + k, f"={target}").number_format = "0.0%"
    _draw_chart(ws, row, epochs)


def _epochs(ws):
    column = FIRST_EPOCH_COLUMN
    while isinstance(ws.cell(HEADER_ROW, column).value, int):
        column += 1
    return column - FIRST_EPOCH_COLUMN


def _draw_chart(ws, last_row, epochs):
    """Every run's validation accuracy per epoch, and the target; drawn again on each append (openpyxl
    reads the old chart back in, so it is removed first)."""
    ws._charts = []
    chart = scatter_chart("validation accuracy per epoch, every run", "epoch", "accuracy", 24, 10)
    columns = {"min_col": FIRST_EPOCH_COLUMN, "max_col": FIRST_EPOCH_COLUMN + epochs - 1}
    epoch_numbers = Reference(ws, min_row=HEADER_ROW, **columns)
    for row in range(HEADER_ROW + 1, last_row + 1):
        chart.append(line(epoch_numbers, Reference(ws, min_row=row, **columns),
                          f"seed {ws[f'B{row}'].value}, {ws[f'D{row}'].value}"))
    target = line(epoch_numbers, Reference(ws, min_row=TARGET_ROW, **columns), "target")
    target.graphicalProperties.line.dashStyle = "dash"
    chart.append(target)
    # 98.5% to 100%: the band around the target where runs are told apart (a first epoch below it
    # leaves the chart at its bottom edge).
    chart.y_axis.scaling.min, chart.y_axis.major_unit = 0.985, 0.0025
    chart.y_axis.scaling.max = 1.0
    chart.x_axis.scaling.min, chart.x_axis.scaling.max = 1, epochs
    chart.y_axis.number_format = "0.0%"
    ws.add_chart(chart, "A3")
