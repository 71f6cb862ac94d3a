"""Runs as live Excel workbooks: a run's report.xlsx (its settings, its epochs with charts, and its
model layer by layer as a design workbook lays it out: parameters and receptive field as formulas), and a set of runs side by side
(`python -m mnist_keras.results --xlsx`)."""
from openpyxl import Workbook
from openpyxl.chart import Reference
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.utils.cell import absolute_coordinate as absolute

from labkit.files import write_atomically
from labkit.sheets import line, line_series, print_one_page_wide, scatter_chart
from mnist_keras.architecture import fingerprint
from mnist_keras.config import TARGET_ACCURACY
from mnist_keras.design.sheet import INPUT_FILL, write_design_sheet
from mnist_keras.reports.run_summary import closing_epochs

BOLD = Font(bold=True)
RIGHT = Alignment(horizontal="right")  # headers over numbers


EPOCH_COLUMNS = ["epoch", "loss", "accuracy", "val_loss", "val_accuracy", "seconds", "target"]
EPOCH_LETTER = {name: get_column_letter(col) for col, name in enumerate(EPOCH_COLUMNS, start=1)}
EPOCH_HEADER_ROW = 3
TARGET_CELL = "B1"  # the target accuracy, beside its label in A1
# The run's results, a column apart from the epochs (a label, then a formula), and the charts beyond.
RESULT_LABEL, RESULT = (get_column_letter(len(EPOCH_COLUMNS) + gap) for gap in (2, 3))
CHARTS = get_column_letter(len(EPOCH_COLUMNS) + 5)
PERCENT = "0.00%"
EPOCH_FORMATS = {"epoch": "0", "loss": "0.0000", "accuracy": PERCENT, "val_loss": "0.0000",
                 "val_accuracy": PERCENT, "seconds": "0.0", "target": "0.0%"}


def write_epochs_sheet(ws, epochs, closing_epochs):
    """history.csv's rows, the target as a cell, the run's results as formulas of the rows, and
    charts of accuracy (with the target line) and loss. Returns {result: cell}."""
    ws["A1"], ws[TARGET_CELL] = "target accuracy", TARGET_ACCURACY
    ws["A1"].font, ws[TARGET_CELL].fill = BOLD, INPUT_FILL
    target = absolute(TARGET_CELL)
    for col, header in enumerate(EPOCH_COLUMNS, start=1):
        cell = ws.cell(EPOCH_HEADER_ROW, col, header)
        cell.font, cell.alignment = BOLD, RIGHT
    first, last = EPOCH_HEADER_ROW + 1, EPOCH_HEADER_ROW + len(epochs)
    for row, epoch in enumerate(epochs, start=first):
        for col, name in enumerate(EPOCH_COLUMNS[:-1], start=1):
            ws.cell(row, col, epoch.get(name)).number_format = EPOCH_FORMATS[name]
        ws.cell(row, len(EPOCH_COLUMNS), f"={target}").number_format = EPOCH_FORMATS["target"]

    def rows_of(name, top=first):
        return f"${EPOCH_LETTER[name]}${top}:${EPOCH_LETTER[name]}${last}"
    accuracy = rows_of("val_accuracy")
    closing = rows_of("val_accuracy", max(first, last - closing_epochs + 1))
    results = {
        "best_accuracy": f"=MAX({accuracy})",
        "best_epoch": f"=INDEX({rows_of('epoch')},MATCH(MAX({accuracy}),{accuracy},0))",
        "final_accuracy": f"=${EPOCH_LETTER['val_accuracy']}${last}",
        "closing_mean_accuracy": f"=AVERAGE({closing})",
        "closing_min_accuracy": f"=MIN({closing})",
        "epochs_at_target": f'=COUNTIF({accuracy},">="&{target})',
    }
    labels = {"best_accuracy": "best validation accuracy", "best_epoch": "its epoch",
              "final_accuracy": "final validation accuracy",
              "closing_mean_accuracy": f"mean of the last {closing_epochs}",
              "closing_min_accuracy": f"lowest of the last {closing_epochs}",
              "epochs_at_target": "epochs at the target or above"}
    cells = {}
    for row, (key, formula) in enumerate(results.items(), start=EPOCH_HEADER_ROW):
        ws[f"{RESULT_LABEL}{row}"], ws[f"{RESULT}{row}"] = labels[key], formula
        ws[f"{RESULT}{row}"].number_format = PERCENT if key.endswith("accuracy") else "0"
        cells[key] = f"{RESULT}{row}"
    ws[TARGET_CELL].number_format = EPOCH_FORMATS["target"]
    for letter in EPOCH_LETTER.values():
        ws.column_dimensions[letter].width = 12
    ws.column_dimensions["A"].width = 16
    ws.column_dimensions[RESULT_LABEL].width = 28
    accuracy_chart = scatter_chart("accuracy per epoch", "epoch", "accuracy", 16, 8)
    for name, title in [("accuracy", "training (augmented)"), ("val_accuracy", "validation (test set)"),
                        ("target", "target")]:
        accuracy_chart.append(line_series(ws, 1, EPOCH_COLUMNS.index(name) + 1, first, last, title))
    accuracy_chart.y_axis.scaling.min, accuracy_chart.y_axis.scaling.max = 0.97, 1.0
    accuracy_chart.y_axis.number_format = "0.0%"
    loss_chart = scatter_chart("loss per epoch", "epoch", "cross-entropy (log scale)", 16, 8)
    for name, title in [("loss", "training (augmented)"), ("val_loss", "validation (test set)")]:
        loss_chart.append(line_series(ws, 1, EPOCH_COLUMNS.index(name) + 1, first, last, title))
    loss_chart.y_axis.scaling.logBase = 10
    for chart in (accuracy_chart, loss_chart):
        chart.x_axis.scaling.min, chart.x_axis.scaling.max = 1, len(epochs)
    ws.add_chart(accuracy_chart, f"{CHARTS}3")
    ws.add_chart(loss_chart, f"{CHARTS}20")
    return cells


def write_run_sheet(ws, summary, parameter_sum, layers):
    """What the run was: its provenance, every setting, and its parameter counts."""
    cpu = summary["cpu"]
    rows = [("date", summary["date"]), ("commit", summary["commit"]), ("device", summary["device"]),
            ("CPU", f"{cpu['model']}, {cpu['cores']} cores, {', '.join(cpu['extensions']) or 'no AVX2'}"),
            *((f"version of {package}", version) for package, version in summary["versions"].items()),
            *((key, value) for key, value in summary["hyperparameters"].items() if key != "layers"),
            ("design: a fingerprint of the Model sheet's rows", fingerprint(layers)),
            ("trainable parameters (the Keras model)", summary["trainable_params"]),
            ("trainable parameters (the Model sheet's formulas)", f"=Model!{parameter_sum}"),
            ("non-trainable parameters (BatchNorm's moving statistics)", summary["non_trainable_params"]),
            ("wall time (s)", summary["wall_seconds"])]
    ws["A1"] = f"Run of the {summary['hyperparameters']['model']} model, seed {summary['seed']}"
    ws["A1"].font = BOLD
    for row, (key, value) in enumerate(rows, start=3):
        ws[f"A{row}"], ws[f"B{row}"] = key, value
    ws.column_dimensions["A"].width = 52
    ws.column_dimensions["B"].width = 48


def write_report(path, summary, epochs, layers):
    """report.xlsx of one run: Run, Epochs and Model sheets, written atomically. layers: the design
    the run trained, which the Model sheet lays out as a design workbook's Design sheet does."""
    wb = Workbook()
    run, epochs_sheet, model = wb.active, wb.create_sheet("Epochs"), wb.create_sheet("Model")
    run.title = "Run"
    title = f"The {summary['hyperparameters']['model']} model, layer by layer: change a shaded cell and the rest follows"
    parameter_sum = write_design_sheet(model, layers, title)["total"]
    write_epochs_sheet(epochs_sheet, epochs, closing_epochs(summary))
    write_run_sheet(run, summary, parameter_sum, layers)
    for ws in wb.worksheets:
        print_one_page_wide(ws)
    wb.calculation.fullCalcOnLoad = True  # no cached values: a spreadsheet computes them on opening
    write_atomically(path, wb.save)


RUNS_HEADERS = ["seed", "model", "final", "closing mean", "closing lowest", "closing epochs"]
RUNS_LETTER = {name: get_column_letter(col) for col, name in enumerate(RUNS_HEADERS, start=1)}
RUNS_PERCENT = ("final", "closing mean", "closing lowest")
RUNS_HEADER_ROW, RUNS_FIRST_EPOCH_COLUMN = 4, len(RUNS_HEADERS) + 1  # then each epoch's validation accuracy
RUNS_TARGET_CELL = "B2"


def _run_row(ws, row, summary):
    accuracy = summary["val_accuracy"]
    first = RUNS_FIRST_EPOCH_COLUMN
    last = get_column_letter(first + len(accuracy) - 1)
    closing = f"{get_column_letter(first + len(accuracy) - closing_epochs(summary))}{row}:{last}{row}"
    values = [summary["seed"], summary["hyperparameters"]["model"], f"={last}{row}", f"=AVERAGE({closing})",
              f"=MIN({closing})", closing_epochs(summary), *accuracy]
    for col, value in enumerate(values, start=1):
        cell = ws.cell(row, col, value)
        if col >= first or RUNS_HEADERS[col - 1] in RUNS_PERCENT:
            cell.number_format = PERCENT


def write_runs(path, summaries):
    """One row per run (its validation accuracy per epoch; final, closing mean and lowest as formulas),
    the spread over runs as formulas, and a chart of every run's validation accuracy."""
    wb = Workbook()
    ws = wb.active
    ws.title = "Runs"
    ws["A1"] = f"{len(summaries)} runs: validation accuracy per epoch"
    ws["A1"].font = BOLD
    ws["A2"], ws[RUNS_TARGET_CELL] = "target accuracy", TARGET_ACCURACY
    ws[RUNS_TARGET_CELL].fill, ws[RUNS_TARGET_CELL].number_format = INPUT_FILL, EPOCH_FORMATS["target"]
    epochs = max(len(s["val_accuracy"]) for s in summaries)
    for col, header in enumerate(RUNS_HEADERS + list(range(1, epochs + 1)), start=1):
        ws.cell(RUNS_HEADER_ROW, col, header).font = BOLD
    first, last = RUNS_HEADER_ROW + 1, RUNS_HEADER_ROW + len(summaries)
    for row, summary in enumerate(summaries, start=first):
        _run_row(ws, row, summary)
    finals = f"{RUNS_LETTER['final']}{first}:{RUNS_LETTER['final']}{last}"
    lowest = f"{RUNS_LETTER['closing lowest']}{first}:{RUNS_LETTER['closing lowest']}{last}"
    spread = {"mean of the finals": f"=AVERAGE({finals})",
              "their standard deviation": f"=STDEV({finals})" if len(summaries) > 1 else "=0",
              "lowest of any closing epoch": f"=MIN({lowest})",
              "runs holding the target": f'=COUNTIF({lowest},">="&{absolute(RUNS_TARGET_CELL)})'}
    for row, (label, formula) in enumerate(spread.items(), start=last + 2):
        ws[f"A{row}"], ws[f"{RUNS_LETTER['final']}{row}"] = label, formula
        ws[f"{RUNS_LETTER['final']}{row}"].number_format = "0" if label.startswith("runs") else PERCENT
    chart = scatter_chart("validation accuracy per epoch", "epoch", "accuracy", 24, 12)
    for row, summary in enumerate(summaries, start=first):
        end = RUNS_FIRST_EPOCH_COLUMN + len(summary["val_accuracy"]) - 1
        columns = {"min_col": RUNS_FIRST_EPOCH_COLUMN, "max_col": end}
        series = line(Reference(ws, min_row=RUNS_HEADER_ROW, **columns), Reference(ws, min_row=row, **columns),
                      f"seed {summary['seed']}")
        chart.append(series)
    chart.y_axis.scaling.min, chart.y_axis.scaling.max = 0.99, 1.0
    chart.x_axis.scaling.min, chart.x_axis.scaling.max = 1, epochs
    chart.y_axis.number_format = "0.0%"
    for name, width in zip(RUNS_HEADERS, [26, 10, 9, 12, 12, 9]):
        ws.column_dimensions[RUNS_LETTER[name]].width = width
    ws.add_chart(chart, f"A{last + 8}")
    print_one_page_wide(ws)
    wb.calculation.fullCalcOnLoad = True
    write_atomically(path, wb.save)
