"""The E_total charts (openpyxl scatter charts over the sheets' own columns)."""
from openpyxl.chart import Reference, ScatterChart, Series
from openpyxl.utils import column_index_from_string

from . import layout


def e_total_series(ws, iterations, title):
    rows = {"min_row": layout.row_of(0), "max_row": layout.row_of(iterations)}
    x = Reference(ws, min_col=column_index_from_string(layout.COLUMN_LETTER["iteration"]), **rows)
    y = Reference(ws, min_col=column_index_from_string(layout.COLUMN_LETTER["E_total"]), **rows)
    series = Series(y, x, title=title)
    series.marker.symbol = "none"
    series.smooth = False
    return series


def e_total_chart(title, iterations, log_scale=True, width_cm=13.5, height_cm=8):
    chart = ScatterChart(scatterStyle="lineMarker")  # Excel requires the element; openpyxl omits it by default
    chart.title = title
    chart.style = 2
    chart.x_axis.title = "iteration"
    chart.y_axis.title = "E_total (log scale)" if log_scale else "E_total"
    # openpyxl marks axes deleted by default; Excel then draws none.
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    chart.x_axis.scaling.min = 0
    chart.x_axis.scaling.max = iterations
    if log_scale:
        # E_total falls over many orders of magnitude: on a linear axis every fast curve lies on zero.
        chart.y_axis.scaling.logBase = 10
        chart.y_axis.majorUnit = 10  # a gridline every power of ten
        chart.y_axis.number_format = "0E+00"
    else:
        chart.y_axis.number_format = "0.000"
    chart.width, chart.height = width_cm, height_cm
    return chart
