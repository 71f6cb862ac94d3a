"""What both packages' openpyxl workbooks share: line and bar charts as Excel draws them, over
columns of their sheets, and sheets printed one page wide."""
from openpyxl.chart import BarChart, Reference, ScatterChart, Series


def scatter_chart(title, x_title, y_title, width_cm, height_cm):
    chart = ScatterChart(scatterStyle="lineMarker")  # Excel requires the element; openpyxl omits it by default
    return _titled(chart, title, x_title, y_title, width_cm, height_cm)


def bar_chart(title, x_title, y_title, width_cm, height_cm):
    """Horizontal bars, the first category at the top (where a reader starts), as in the table."""
    chart = BarChart()
    chart.type = "bar"  # not a keyword of BarChart(), which would drop it silently
    chart.x_axis.scaling.orientation = "maxMin"
    chart.y_axis.crosses = "max"  # the values' axis at the bottom, below the last bar
    chart.y_axis.scaling.min = 0  # a bar's length is its value: from zero, never from the smallest bar
    return _titled(chart, title, x_title, y_title, width_cm, height_cm)


def _titled(chart, title, x_title, y_title, width_cm, height_cm):
    chart.title = title
    chart.style = 2
    chart.x_axis.title = x_title
    chart.y_axis.title = y_title
    # openpyxl marks axes deleted by default; Excel then draws none.
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    chart.width, chart.height = width_cm, height_cm
    return chart


def line(x, y, title):
    """A line without markers through the cells of Reference y against those of Reference x."""
    series = Series(y, x, title=title)
    series.marker.symbol = "none"
    series.smooth = False
    return series


def line_series(ws, x_column, y_column, first_row, last_row, title):
    """A line through ws's column y_column against x_column (1-based), rows first..last."""
    rows = {"min_row": first_row, "max_row": last_row}
    return line(Reference(ws, min_col=x_column, **rows), Reference(ws, min_col=y_column, **rows), title)


def print_one_page_wide(ws):
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
