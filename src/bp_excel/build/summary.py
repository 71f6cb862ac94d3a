"""Where everything sits on the Summary sheet: one row per learning-rate sheet, and the chart
that overlays their E_total curves."""
import numpy as np

from bp_excel import layout
from bp_excel.network import train

SHEET = "Summary"
TITLE_ROW, NOTE_ROW, HEADER_ROW, FIRST_ROW = 1, 2, 4, 5
HEADERS = ["sheet", "learning rate", "final E_total", f"E_total < {layout.BELOW:g} from iteration"]
# Right of the table, the log-scale chart above the linear one.
LOG_CHART_ANCHOR, LINEAR_CHART_ANCHOR = "F1", "F20"
# What each column (B, C, D) copies from a learning-rate sheet.
COPIED = {"B": layout.LR_CELL, "C": layout.FINAL_E_CELL, "D": layout.BELOW_FROM_CELL}


# Under the table, where every rate of a build with targets 0.5 brings E_total under BELOW.
CONVERGING_NOTES = [
    "Why every rate converges with targets 0.5: the outputs can reach",
    "them exactly (σ(0) = 0.5), so E_total keeps falling towards 0, and",
    "a larger rate only gets there sooner.",
    "With targets 0.01 and 0.99 (build with --targets 0.01 0.99, the",
    "classic worked example) the sigmoid can only approach them: E_total",
    "falls ever more slowly (at lr 2, 2.4× per 100 iterations instead",
    "of 600,000×) and no rate here brings it under 0.001 in 200 iterations.",
]


def notes(network, learning_rates, iterations):
    """The notes under the Summary's table, true of this build's settings: the NumPy reference says
    at which rates E_total keeps falling, and which bring it under BELOW."""
    curves = {f"{rate:g}": train(network, rate, iterations)["E_total"] for rate in learning_rates}
    falling = {rate for rate, e in curves.items() if np.all(np.isfinite(e)) and np.all(np.diff(e) <= 0)}
    if tuple(network.targets) == (0.5, 0.5) and len(falling) == len(curves):
        return CONVERGING_NOTES
    under = [rate for rate, e in curves.items() if e[-1] < layout.BELOW]
    above = [rate for rate in curves if rate in falling and rate not in under]
    rising = [rate for rate in curves if rate not in falling]
    t1, t2 = network.targets
    lines = [f"With targets {t1:g} and {t2:g}, over {iterations:,} iterations E_total"]
    lines += [f"falls under {layout.BELOW:g} at learning rate {', '.join(under)};"] if under else []
    lines += [f"falls but stays above {layout.BELOW:g} at {', '.join(above)};"] if above else []
    lines += [f"does not keep falling at {', '.join(rising)} (too large a step)."] if rising else []
    lines[-1] = lines[-1].rstrip(";") + "."
    if tuple(network.targets) != (0.5, 0.5):
        lines += ["With targets 0.5 the outputs can reach them exactly (σ(0) = 0.5):",
                  "build with the defaults to see every rate converge."]
    return lines


def formulas(sheet_names):
    """{cell: (formula, sheet, copied cell)} of every computed cell."""
    return {f"{letter}{row}": ("=" + layout.reference(sheet, cell), sheet, cell)
            for row, sheet in enumerate(sheet_names, start=FIRST_ROW) for letter, cell in COPIED.items()}
