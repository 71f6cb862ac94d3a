"""Writes the workbook: the start-here sheet (the shared inputs and iteration 0 worked by hand),
a summary that compares the learning rates, and one live sheet per learning rate."""
import io

from openpyxl import Workbook
from openpyxl.drawing.image import Image
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.formula import ArrayFormula
from openpyxl.worksheet.hyperlink import Hyperlink

from bp_excel import layout
from bp_excel.build import charts, diagram, start_here, styles, summary
from bp_excel.build.styles import BOLD, NOTE, NUMBER_FORMATS, TEXT
from bp_excel.equations import BACKWARD, WEIGHTS
from labkit.sheets import print_one_page_wide

LR_SHEET_NOTES = [
    "How to read the table (right of here):",
    "• row k: the weights after k updates, the forward pass",
    "   with them, then the backward pass (δ, ∂E_total/∂w);",
    "• the next row's weights: w − lr·∂E_total/∂w of this row;",
    "• the chart's axis is logarithmic: each line is 10× less.",
    "Change the shaded learning rate (top left); the inputs and",
    "initial weights are on the sheet 'Start here'.",
]


def _write(ws, cell, value, font=TEXT, number_format=None):
    target = ws[cell]
    target.value, target.font = value, font
    if font in (NOTE, styles.EQUATION) and isinstance(value, str):
        target.data_type = "s"  # text, even where it begins with "=" as an equation does
    if number_format:
        target.number_format = number_format
    return target


def _link(ws, cell, sheet):
    target = _write(ws, cell, sheet, styles.LINK)
    target.hyperlink = Hyperlink(ref=cell, location=f"{layout.reference(sheet, 'A1')}", display=sheet)


def _write_start_here(ws, network, sheet_names, exercise=False):
    lines = start_here.lines(network, sheet_names[0])
    formulas = start_here.formulas(lines, sheet_names[0])
    for row, line in enumerate(lines, start=1):
        if line.kind == "title":
            _write(ws, f"A{row}", line.label, styles.TITLE)
        elif line.kind == "text":
            _write(ws, f"A{row}", line.label)
        elif line.kind == "links":
            _write(ws, f"A{row}", "Go to:", BOLD)
            for col, sheet in enumerate([summary.SHEET, *sheet_names], start=2):
                _link(ws, f"{get_column_letter(col)}{row}", sheet)
        elif line.kind == "heading":
            _write(ws, f"A{row}", line.label, styles.HEADING)
        elif line.kind == "table-header":
            for col, header in enumerate(line.content, start=start_here.MOVED_FIRST_COLUMN):
                _write(ws, f"{get_column_letter(col)}{row}", header, BOLD).alignment = styles.RIGHT
        else:
            _write(ws, f"A{row}", line.label)
            _write(ws, f"C{row}", line.note, NOTE)
            if line.kind == "input":
                styles.mark_input(_write(ws, f"B{row}", line.content))
            for col in range(2, 2 + (len(start_here.MOVES) if line.kind == "moved" else 1)):
                cell = f"{get_column_letter(col)}{row}"
                if cell in formulas:
                    blank = exercise and line.key in start_here.ANSWERS
                    target = _write(ws, cell, None if blank else formulas[cell][0],
                                    number_format=NUMBER_FORMATS[line.number_kind])
                    if blank:
                        target.fill = styles.ANSWER_FILL
    for letter, width in {"A": 32, "B": 14, "C": 14, "D": 14, "E": 14}.items():
        ws.column_dimensions[letter].width = width
    first_input = next(row for row, line in enumerate(lines, start=1) if line.kind == "input")
    ws.add_image(Image(io.BytesIO(diagram.png())), f"{start_here.PICTURE_COLUMN}{first_input}")
    ws.sheet_view.showGridLines = False
    print_one_page_wide(ws)


def _write_learning_rate_sheet(ws, learning_rate, iterations, start_cells, exercise=False):
    _write(ws, f"A{layout.TITLE_ROW}", "Gradient descent, one row per iteration", styles.TITLE)
    _write(ws, f"A{layout.LINKS_ROW}", "Go to:", BOLD)
    _link(ws, f"B{layout.LINKS_ROW}", start_here.SHEET)
    _link(ws, f"D{layout.LINKS_ROW}", summary.SHEET)
    _write(ws, f"A{layout.LR_ROW}", "learning rate", BOLD)
    styles.mark_input(_write(ws, layout.LR_CELL.replace("$", ""), learning_rate))
    _write(ws, f"C{layout.LR_ROW}", "← change it: the table and the chart follow", NOTE)
    _write(ws, f"A{layout.INPUT_LABEL_ROW}", "from 'Start here':", NOTE)
    for name, cell in layout.INPUT_CELLS.items():
        letter = cell.split("$")[1]
        _write(ws, f"{letter}{layout.INPUT_LABEL_ROW}", name, BOLD).alignment = styles.RIGHT
        copied = _write(ws, f"{letter}{layout.INPUT_ROW}", "=" + layout.reference(start_here.SHEET, start_cells[name]))
        copied.fill = styles.COPY_FILL
    results = layout.result_formulas(iterations)
    _write(ws, f"A{layout.FINAL_ROW}", "final E_total", BOLD)
    _write(ws, layout.FINAL_E_CELL, results[layout.FINAL_E_CELL], BOLD, NUMBER_FORMATS["error"])
    _write(ws, f"A{layout.BELOW_ROW}", f"E_total < {layout.BELOW:g} from", BOLD)
    _write(ws, layout.BELOW_FROM_CELL, ArrayFormula(layout.BELOW_FROM_CELL, results[layout.BELOW_FROM_CELL]),
           BOLD, '"iteration "0')
    for row, text in enumerate(LR_SHEET_NOTES, start=layout.NOTES_ROW):
        _write(ws, f"A{row}", text, BOLD if row == layout.NOTES_ROW else TEXT)

    _write_table(ws, iterations, {w: layout.reference(start_here.SHEET, start_cells[w]) for w in WEIGHTS}, exercise)
    for letter, width in {"A": 20, "B": 12, **{c: 9 for c in "CDEFG"}, "H": 2}.items():
        ws.column_dimensions[letter].width = width
    ws.freeze_panes = f"A{layout.FIRST_ROW}"
    chart = charts.e_total_chart("E_total by iteration", iterations)
    chart.append(charts.e_total_series(ws, iterations, ws.title))
    chart.legend = None
    ws.add_chart(chart, layout.CHART_ANCHOR)
    ws.print_title_rows = f"{layout.EQUATION_ROW}:{layout.HEADER_ROW}"
    print_one_page_wide(ws)


def _write_table(ws, iterations, initial_weights, exercise=False):
    formats = [NUMBER_FORMATS[column.quantity.kind] for column in layout.COLUMNS]
    blank = [exercise and column.quantity in BACKWARD for column in layout.COLUMNS]
    for col, column in enumerate(layout.COLUMNS, start=layout.FIRST_TABLE_COLUMN):
        letter = get_column_letter(col)
        ws.column_dimensions[letter].width = 11 if column.quantity.kind == "error" else 10
        if column.group:
            _write(ws, f"{letter}{layout.GROUP_ROW}", column.group, styles.HEADING)
        _write(ws, f"{letter}{layout.EQUATION_ROW}", column.quantity.equation, styles.EQUATION).alignment = styles.WRAP
        _write(ws, f"{letter}{layout.HEADER_ROW}", column.quantity.header, BOLD).alignment = styles.RIGHT
    ws.row_dimensions[layout.EQUATION_ROW].height = 36
    for iteration in range(iterations + 1):
        row = layout.row_of(iteration)
        contents = layout.row_contents(iteration, initial_weights)
        for col, (content, number_format, answer) in enumerate(zip(contents, formats, blank),
                                                              start=layout.FIRST_TABLE_COLUMN):
            # The default font (openpyxl's Calibri 11, styles.TEXT): setting it per cell costs a third of a build.
            cell = ws.cell(row, col, None if answer else content)
            cell.number_format = number_format
            if answer:
                cell.fill = styles.ANSWER_FILL


def _write_summary(ws, sheets, settings):
    iterations = settings.iterations
    _write(ws, f"A{summary.TITLE_ROW}", "Summary: one network, every learning rate", styles.TITLE)
    _write(ws, f"A{summary.NOTE_ROW}", "Each sheet's final E_total, and the iteration from which its E_total")
    _write(ws, f"A{summary.NOTE_ROW + 1}", "stays below 0.001. The charts overlay every sheet's E_total.")
    for col, header in enumerate(summary.HEADERS, start=1):
        header_cell = _write(ws, f"{get_column_letter(col)}{summary.HEADER_ROW}", header, BOLD)
        if col > 1:  # over numbers
            header_cell.alignment = styles.RIGHT
    formats = {"B": "General", "C": NUMBER_FORMATS["error"], "D": "0"}
    for row, sheet in enumerate(sheets, start=summary.FIRST_ROW):
        _link(ws, f"A{row}", sheet.title)
    for cell, (formula, _, _) in summary.formulas([s.title for s in sheets]).items():
        _write(ws, cell, formula, number_format=formats[cell[0]]).alignment = styles.RIGHT
    notes_row = summary.FIRST_ROW + len(sheets) + 1
    for row, text in enumerate(summary.notes(settings.network, settings.learning_rates, iterations), start=notes_row):
        _write(ws, f"A{row}", text, NOTE)
    for letter, width in {"A": 12, "B": 14, "C": 14, "D": 28}.items():
        ws.column_dimensions[letter].width = width
    log = charts.e_total_chart("E_total for every learning rate", iterations, width_cm=16, height_cm=9)
    linear = charts.e_total_chart("the same on a linear axis", iterations, log_scale=False, width_cm=16, height_cm=7)
    for chart in (log, linear):
        for sheet in sheets:
            chart.append(charts.e_total_series(sheet, iterations, sheet.title))
    ws.add_chart(log, summary.LOG_CHART_ANCHOR)
    ws.add_chart(linear, summary.LINEAR_CHART_ANCHOR)
    print_one_page_wide(ws)


def build(settings):
    wb = Workbook()
    start = wb.active
    start.title = start_here.SHEET
    summary_sheet = wb.create_sheet(summary.SHEET)
    names = [layout.sheet_name(lr) for lr in settings.learning_rates]
    start_cells = start_here.cells(start_here.lines(settings.network, names[0]))
    sheets = []
    for learning_rate, name in zip(settings.learning_rates, names):
        ws = wb.create_sheet(name)
        _write_learning_rate_sheet(ws, learning_rate, settings.iterations, start_cells, settings.exercise)
        sheets.append(ws)
    _write_start_here(start, settings.network, names, settings.exercise)
    _write_summary(summary_sheet, sheets, settings)
    wb.properties.creator = "bp_excel"
    wb.properties.title = "Backpropagation, step by step" + (": exercise" if settings.exercise else "")
    if settings.exercise:
        start["A1"].value += " — exercise: fill in the green cells, then run python -m bp_excel check"
    return wb
