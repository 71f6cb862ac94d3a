"""How cells look: one font, one number format per kind of quantity, and a shade for inputs."""
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side

FONT_NAME = "Calibri"
TEXT = Font(name=FONT_NAME, size=11)
BOLD = Font(name=FONT_NAME, size=11, bold=True)
TITLE = Font(name=FONT_NAME, size=16, bold=True)
HEADING = Font(name=FONT_NAME, size=12, bold=True, color="1F4E79")
NOTE = Font(name=FONT_NAME, size=10, italic=True, color="595959")
EQUATION = Font(name=FONT_NAME, size=9, color="595959")
LINK = Font(name=FONT_NAME, size=11, color="0563C1", underline="single")

INPUT_FILL = PatternFill("solid", fgColor="FFF2CC")  # the cells a learner may change
COPY_FILL = PatternFill("solid", fgColor="EDEDED")  # computed from another sheet's inputs
ANSWER_FILL = PatternFill("solid", fgColor="E2EFDA")  # an exercise's blank, for the learner to fill in
_EDGE = Side(style="thin", color="BF9000")
INPUT_BORDER = Border(left=_EDGE, right=_EDGE, top=_EDGE, bottom=_EDGE)

NUMBER_FORMATS = {"value": "0.000000", "error": "0.000E+00", "count": "0",
                  "precise": "0.0000000000"}  # the gradient check's moved passes differ in the 7th decimal
WRAP = Alignment(wrap_text=True, vertical="top")
RIGHT = Alignment(horizontal="right")


def mark_input(cell):
    cell.fill, cell.border, cell.font = INPUT_FILL, INPUT_BORDER, BOLD
