"""Runs as live Excel workbooks: a run's report.xlsx (its settings, its epochs with charts, and its
model layer by layer, parameters and receptive field as formulas), and a set of runs side by side
(`python -m mnist_keras.results --xlsx`)."""
from openpyxl import Workbook
from openpyxl.chart import Reference
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from labkit.files import write_atomically
from labkit.sheets import line, line_series, print_one_page_wide, scatter_chart
from mnist_keras.config import TARGET_ACCURACY
from mnist_keras.model import INPUT_SHAPE, MODELS, convolution
from mnist_keras.reports.run_summary import closing_epochs

BOLD = Font(bold=True)
RIGHT = Alignment(horizontal="right")  # headers over numbers
INPUT_FILL = PatternFill("solid", fgColor="FFF2CC")  # the cells a learner may change
# The Model sheet's columns, in order: what each row of a layer holds.
MODEL_COLUMNS = ["layer", "kind", "kernel k", "stride s", "channels in", "channels out", "bias",
                 "output size", "parameters", "receptive field r", "jump j"]
COL = {name: get_column_letter(i) for i, name in enumerate(MODEL_COLUMNS, start=1)}
MODEL_HEADER_ROW = 3
# Each kind's parameters, as a formula of its row's cells ({k}: kernel, {i}/{o}: channels in/out, {b}: bias).
PARAMETERS = {
    "convolution": "={k}*{k}*{i}*{o}+{b}*{o}",  # a k x k filter per input and output channel, a bias per output
    "separable convolution": "={k}*{k}*{i}+{i}*{o}+{b}*{o}",  # a k x k filter per channel, then 1 x 1 across
    "batch normalization": "=2*{o}",  # gamma and beta per channel (the moving statistics are not trained)
    "dense": "={i}*{o}+{b}*{o}",
}


def layers(name):
    """The model's layers as the Keras model has them: (kind, kernel, stride, channels out, bias);
    channels out None where a layer keeps its input's."""
    out = []
    for spec in MODELS[name]:
        if spec == "pool":
            out.append(("max pooling", 2, 2, None, 0))
            continue
        conv = convolution(spec)
        out += [("separable convolution" if conv.separable else "convolution", conv.kernel, 1, conv.filters,
                 int(conv.bias)),
                ("batch normalization", 1, 1, None, 0), ("ReLU", 1, 1, None, 0)]
    return out + [("global average pooling", None, 1, None, 0), ("dense", 1, 1, 10, 1), ("softmax", 1, 1, None, 0)]


def _model_row(ws, row, number, layer):
    kind, kernel, stride, channels, bias = layer
    c = {name: f"{COL[name]}{row}" for name in MODEL_COLUMNS}
    above = {name: f"{COL[name]}{row - 1}" for name in MODEL_COLUMNS}
    ws[c["layer"]], ws[c["kind"]] = number, kind
    # Global average pooling's window is the whole map it pools.
    ws[c["kernel k"]] = kernel if kernel is not None else f"={above['output size']}"
    ws[c["stride s"]], ws[c["bias"]] = stride, bias
    ws[c["channels in"]] = f"={above['channels out']}"
    ws[c["channels out"]] = channels if channels is not None else f"={c['channels in']}"
    if channels is not None and kind != "dense":
        ws[c["channels out"]].fill = INPUT_FILL
    ws[c["output size"]] = f"=INT(({above['output size']}-{c['kernel k']})/{c['stride s']})+1"
    parameters = PARAMETERS.get(kind)
    ws[c["parameters"]] = parameters.format(k=c["kernel k"], i=c["channels in"], o=c["channels out"],
                                            b=c["bias"]) if parameters else 0
    # r_out = r_in + (k - 1) * j_in; j_out = j_in * s: how many input pixels one output sees, and
    # how far apart, in input pixels, neighbouring outputs are.
    ws[c["receptive field r"]] = f"={above['receptive field r']}+({c['kernel k']}-1)*{above['jump j']}"
    ws[c["jump j"]] = f"={above['jump j']}*{c['stride s']}"


def write_model_sheet(ws, name, trainable):
    """The model layer by layer; trainable: the Keras model's own count, beside the formulas' sum.
    Returns the cell of the sum."""
    ws["A1"] = f"The {name} model, layer by layer: change a shaded channel count and the parameters follow"
    ws["A1"].font = BOLD
    for col, header in enumerate(MODEL_COLUMNS, start=1):
        cell = ws.cell(MODEL_HEADER_ROW, col, header)
        cell.font = BOLD
        if col > 2:
            cell.alignment = RIGHT
    first = MODEL_HEADER_ROW + 1
    size, _, channels = INPUT_SHAPE
    for header, value in {"layer": 0, "kind": "input image", "channels out": channels, "output size": size,
                          "parameters": 0, "receptive field r": 1, "jump j": 1}.items():
        ws[f"{COL[header]}{first}"] = value
    model = layers(name)
    for number, layer in enumerate(model, start=1):
        _model_row(ws, first + number, number, layer)
    last = first + len(model)
    total = f"{COL['parameters']}{last + 2}"
    ws[f"{COL['kind']}{last + 2}"] = "trainable parameters"
    ws[total] = f"=SUM({COL['parameters']}{first}:{COL['parameters']}{last})"
    ws[f"{COL['kind']}{last + 3}"] = "the Keras model's own count"
    ws[f"{COL['parameters']}{last + 3}"] = trainable
    for cell in (f"{COL['kind']}{last + 2}", total):
        ws[cell].font = BOLD
    for row in range(first, last + 4):
        ws[f"{COL['parameters']}{row}"].number_format = "#,##0"
    ws.column_dimensions["B"].width = 24
    for name in MODEL_COLUMNS[2:]:
        ws.column_dimensions[COL[name]].width = 16
    return total


EPOCH_COLUMNS = ["epoch", "loss", "accuracy", "val_loss", "val_accuracy", "seconds", "target"]
EPOCH_HEADER_ROW = 3
PERCENT = "0.00%"
EPOCH_FORMATS = {"epoch": "0", "loss": "0.0000", "accuracy": PERCENT, "val_loss": "0.0000",
                 "val_accuracy": PERCENT, "seconds": "0.0", "target": "0.0%"}


def write_epochs_sheet(ws, epochs, closing_epochs):
    """history.csv's rows, the target as a cell, the run's results as formulas of the rows, and
    charts of accuracy (with the target line) and loss. Returns {result: cell}."""
    ws["A1"], ws["B1"] = "target accuracy", TARGET_ACCURACY
    ws["A1"].font, ws["B1"].fill = BOLD, INPUT_FILL
    for col, header in enumerate(EPOCH_COLUMNS, start=1):
        cell = ws.cell(EPOCH_HEADER_ROW, col, header)
        cell.font, cell.alignment = BOLD, RIGHT
    first, last = EPOCH_HEADER_ROW + 1, EPOCH_HEADER_ROW + len(epochs)
    for row, epoch in enumerate(epochs, start=first):
        for col, name in enumerate(EPOCH_COLUMNS[:-1], start=1):
            ws.cell(row, col, epoch.get(name)).number_format = EPOCH_FORMATS[name]
        ws.cell(row, len(EPOCH_COLUMNS), "=$B$1").number_format = EPOCH_FORMATS["target"]
    accuracy = f"$E${first}:$E${last}"
    closing = f"$E${max(first, last - closing_epochs + 1)}:$E${last}"
    results = {
        "best_accuracy": f"=MAX({accuracy})",
        "best_epoch": f"=INDEX($A${first}:$A${last},MATCH(MAX({accuracy}),{accuracy},0))",
        "final_accuracy": f"=$E${last}",
        "closing_mean_accuracy": f"=AVERAGE({closing})",
        "closing_min_accuracy": f"=MIN({closing})",
        "epochs_at_target": f'=COUNTIF({accuracy},">="&$B$1)',
    }
    labels = {"best_accuracy": "best validation accuracy", "best_epoch": "its epoch",
              "final_accuracy": "final validation accuracy",
              "closing_mean_accuracy": f"mean of the last {closing_epochs}",
              "closing_min_accuracy": f"lowest of the last {closing_epochs}",
              "epochs_at_target": "epochs at the target or above"}
    cells = {}
    for row, (key, formula) in enumerate(results.items(), start=EPOCH_HEADER_ROW):
        ws[f"I{row}"], ws[f"J{row}"] = labels[key], formula
        ws[f"J{row}"].number_format = PERCENT if key.endswith("accuracy") else "0"
        cells[key] = f"J{row}"
    ws["B1"].number_format = EPOCH_FORMATS["target"]
    for letter in "ABCDEFG":
        ws.column_dimensions[letter].width = 12
    ws.column_dimensions["A"].width = 16
    ws.column_dimensions["I"].width = 28
    accuracy_chart = scatter_chart("accuracy per epoch", "epoch", "accuracy", 16, 8)
    for col, title in [(3, "training (augmented)"), (5, "validation (test set)"), (7, "target")]:
        accuracy_chart.append(line_series(ws, 1, col, first, last, title))
    accuracy_chart.y_axis.scaling.min, accuracy_chart.y_axis.scaling.max = 0.97, 1.0
    accuracy_chart.y_axis.number_format = "0.0%"
    loss_chart = scatter_chart("loss per epoch", "epoch", "cross-entropy (log scale)", 16, 8)
    for col, title in [(2, "training (augmented)"), (4, "validation (test set)")]:
        loss_chart.append(line_series(ws, 1, col, first, last, title))
    loss_chart.y_axis.scaling.logBase = 10
    for chart in (accuracy_chart, loss_chart):
        chart.x_axis.scaling.min, chart.x_axis.scaling.max = 1, len(epochs)
    ws.add_chart(accuracy_chart, "L3")
    ws.add_chart(loss_chart, "L20")
    return cells


def write_run_sheet(ws, summary, parameter_sum):
    """What the run was: its provenance, every setting, and its parameter counts."""
    rows = [("date", summary["date"]), ("commit", summary["commit"]), ("device", summary["device"]),
            *((f"version of {package}", version) for package, version in summary["versions"].items()),
            *summary["hyperparameters"].items(),
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


def write_report(path, summary, epochs):
    """report.xlsx of one run: Run, Epochs and Model sheets, written atomically."""
    wb = Workbook()
    run, epochs_sheet, model = wb.active, wb.create_sheet("Epochs"), wb.create_sheet("Model")
    run.title = "Run"
    parameter_sum = write_model_sheet(model, summary["hyperparameters"]["model"], summary["trainable_params"])
    write_epochs_sheet(epochs_sheet, epochs, closing_epochs(summary))
    write_run_sheet(run, summary, parameter_sum)
    for ws in wb.worksheets:
        print_one_page_wide(ws)
    wb.calculation.fullCalcOnLoad = True  # no cached values: a spreadsheet computes them on opening
    write_atomically(path, wb.save)


RUNS_HEADER_ROW, RUNS_FIRST_EPOCH_COLUMN = 4, 7  # G: the first epoch's validation accuracy
RUNS_HEADERS = ["seed", "model", "final", "closing mean", "closing lowest", "closing epochs"]


def _run_row(ws, row, summary):
    accuracy = summary["val_accuracy"]
    first = RUNS_FIRST_EPOCH_COLUMN
    last = get_column_letter(first + len(accuracy) - 1)
    closing = f"{get_column_letter(first + len(accuracy) - closing_epochs(summary))}{row}:{last}{row}"
    values = [summary["seed"], summary["hyperparameters"]["model"], f"={last}{row}", f"=AVERAGE({closing})",
              f"=MIN({closing})", closing_epochs(summary), *accuracy]
    for col, value in enumerate(values, start=1):
        cell = ws.cell(row, col, value)
        if col in (3, 4, 5) or col >= first:
            cell.number_format = PERCENT


def write_runs(path, summaries):
    """One row per run (its validation accuracy per epoch; final, closing mean and lowest as formulas),
    the spread over runs as formulas, and a chart of every run's validation accuracy."""
    wb = Workbook()
    ws = wb.active
    ws.title = "Runs"
    ws["A1"] = f"{len(summaries)} runs: validation accuracy per epoch"
    ws["A1"].font = BOLD
    ws["A2"], ws["B2"] = "target accuracy", TARGET_ACCURACY
    ws["B2"].fill, ws["B2"].number_format = INPUT_FILL, EPOCH_FORMATS["target"]
    epochs = max(len(s["val_accuracy"]) for s in summaries)
    for col, header in enumerate(RUNS_HEADERS + list(range(1, epochs + 1)), start=1):
        ws.cell(RUNS_HEADER_ROW, col, header).font = BOLD
    first, last = RUNS_HEADER_ROW + 1, RUNS_HEADER_ROW + len(summaries)
    for row, summary in enumerate(summaries, start=first):
        _run_row(ws, row, summary)
    spread = {"mean of the finals": f"=AVERAGE(C{first}:C{last})",
              "their standard deviation": f"=STDEV(C{first}:C{last})" if len(summaries) > 1 else "=0",
              "lowest of any closing epoch": f"=MIN(E{first}:E{last})",
              "runs holding the target": f'=COUNTIF(E{first}:E{last},">="&$B$2)'}
    for row, (label, formula) in enumerate(spread.items(), start=last + 2):
        ws[f"A{row}"], ws[f"C{row}"] = label, formula
        ws[f"C{row}"].number_format = "0" if label.startswith("runs") else PERCENT
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
    for letter, width in {"A": 26, "B": 10, "C": 9, "D": 12, "E": 12, "F": 9}.items():
        ws.column_dimensions[letter].width = width
    ws.add_chart(chart, f"A{last + 8}")
    print_one_page_wide(ws)
    wb.calculation.fullCalcOnLoad = True
    write_atomically(path, wb.save)
