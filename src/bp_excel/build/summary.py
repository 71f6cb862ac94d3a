"""Where everything sits on the Summary sheet: one row per learning-rate sheet, and the chart
that overlays their E_total curves."""
from bp_excel import layout

SHEET = "Summary"
TITLE_ROW, NOTE_ROW, HEADER_ROW, FIRST_ROW = 1, 2, 4, 5
HEADERS = ["sheet", "learning rate", "final E_total", f"E_total < {layout.BELOW:g} from iteration"]
# Right of the table, the log-scale chart above the linear one.
LOG_CHART_ANCHOR, LINEAR_CHART_ANCHOR = "F1", "F20"
# What each column (B, C, D) copies from a learning-rate sheet.
COPIED = {"B": layout.LR_CELL, "C": layout.FINAL_E_CELL, "D": layout.BELOW_FROM_CELL}


def formulas(sheet_names):
    """{cell: (formula, sheet, copied cell)} of every computed cell."""
    return {f"{letter}{row}": ("=" + layout.reference(sheet, cell), sheet, cell)
            for row, sheet in enumerate(sheet_names, start=FIRST_ROW) for letter, cell in COPIED.items()}
