"""The E_total charts (openpyxl scatter charts over the sheets' own columns)."""
from openpyxl.utils import column_index_from_string

from bp_excel import layout
from labkit.sheets import line_series, scatter_chart


def e_total_series(ws, iterations, title):
    return line_series(ws, column_index_from_string(layout.COLUMN_LETTER["iteration"]),
                       column_index_from_string(layout.COLUMN_LETTER["E_total"]),
                       layout.row_of(0), layout.row_of(iterations), title)


def e_total_chart(title, iterations, log_scale=True, width_cm=13.5, height_cm=8):
    chart = scatter_chart(title, "iteration", "E_total (log scale)" if log_scale else "E_total", width_cm, height_cm)
    chart.x_axis.scaling.min = 0
    chart.x_axis.scaling.max = iterations
    if log_scale:
        # E_total falls over many orders of magnitude: on a linear axis every fast curve lies on zero.
        chart.y_axis.scaling.logBase = 10
        chart.y_axis.majorUnit = 10  # a gridline every power of ten
        chart.y_axis.number_format = "0E+00"
    else:
        chart.y_axis.number_format = "0.000"
    return chart
