"""The Design sheet: a CNN one layer per row, the learner's inputs shaded, and as live formulas each
layer's channels, output size, parameters and receptive field (the course's table), the totals, and
the assignment's rules, green or red.

Every formula refers to the row above by position (INDEX(column, ROW()-1)), never by its address,
so a row inserted anywhere and filled in (its formulas copied down from the row above, as a
spreadsheet user does) joins the chain, and the rows below follow it. The totals sum from the input
row down to the row above themselves, wherever that is.
"""
from openpyxl.formatting.rule import CellIsRule
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from mnist_keras.architecture import (
    BATCHNORM,
    CONVOLUTION,
    DENSE,
    FLATTEN,
    GLOBAL_POOLING,
    INPUT_CHANNELS,
    INPUT_SIZE,
    KINDS,
    POOLING,
    SEPARABLE,
)

BOLD = Font(bold=True)
INPUT_FILL = PatternFill("solid", fgColor="FFF2CC")  # the cells a learner may change
GREEN, RED = PatternFill("solid", fgColor="C6EFCE"), PatternFill("solid", fgColor="FFC7CE")
PARAMETER_LIMIT, DIGIT_BOX = 20_000, 20  # the assignment's limit; MNIST's digits fit a 20 x 20 box
# The columns: the learner's inputs (one per Layer field), then what the formulas compute.
INPUTS = {"kind": "kind", "kernel": "kernel k", "stride": "stride s", "padding": "padding p",
          "filters": "filters / units", "bias": "bias (1/0)", "rate": "dropout rate"}
COMPUTED = ["channels in", "channels out", "output size n", "parameters", "moving statistics",
            "receptive field r", "jump j", "r at the last convolution"]
HEADERS = ["layer", *INPUTS.values(), *COMPUTED]
COL = {name: get_column_letter(k) for k, name in enumerate(["layer", *INPUTS, *COMPUTED], start=1)}
HEADER_ROW = 4
INPUT_ROW = HEADER_ROW + 1  # the image: 28 x 28 pixels, one channel
FIRST_LAYER_ROW = INPUT_ROW + 1
TOTAL_LABEL = "trainable parameters (as the course counts: BatchNorm's gamma and beta)"
RULE_FORMULAS = {  # the rules' formulas, of the total's cell {t} and the row above it
    "trainable parameters under the limit": '=IF({t}<{limit},"yes","no")',
    "the output is a vector of 10 classes":
        '=IF(AND(INDEX({channels}:{channels},ROW({t})-1)=10,INDEX({size}:{size},ROW({t})-1)=1),"yes","no")',
    "no layer's output smaller than 1 x 1": '=IF(MIN({size}{input}:INDEX({size}:{size},ROW({t})-1))>=1,"yes","no")',
    "the last convolution sees a whole digit (r at least the digit's box)":
        '=IF(INDEX({last_r}:{last_r},ROW({t})-1)>={box},"yes","no")',
}


def _above(column):
    return f"INDEX(${COL[column]}:${COL[column]},ROW()-1)"


def row_formulas(row):
    """{column: formula} of a layer row: what its kind computes from its inputs and the row above."""
    c = {name: f"{COL[name]}{row}" for name in COL}
    kind = c["kind"]
    is_ = {name: f'{kind}="{name}"' for name in KINDS}
    convolution = f"OR({is_[CONVOLUTION]},{is_[SEPARABLE]})"
    window = f"OR({convolution},{is_[POOLING]})"  # a k x k window moved by s: the course's formulas
    whole_map = f"OR({is_[GLOBAL_POOLING]},{is_[FLATTEN]})"  # a window as large as its input
    n_in, c_in, r_in, j_in = _above("output size n"), _above("channels out"), _above("receptive field r"), \
        _above("jump j")
    k, s, p, f, b = c["kernel"], c["stride"], c["padding"], c["filters"], c["bias"]
    i, o = c["channels in"], c["channels out"]
    return {
        "layer": f'=IF({kind}="","",COUNTA(${COL["kind"]}${INPUT_ROW}:{kind})-1)',
        "channels in": f"={c_in}",
        "channels out": f"=IF(OR({convolution},{is_[DENSE]}),{f},IF({is_[FLATTEN]},{c_in}*{n_in}^2,{c_in}))",
        # n_out = floor((n_in + 2p - k) / s) + 1
        "output size n": f"=IF({window},INT(({n_in}+2*{p}-{k})/{s})+1,IF({whole_map},1,{n_in}))",
        "parameters": (f"=IF({is_[CONVOLUTION]},{k}*{k}*{i}*{o}+{b}*{o},IF({is_[SEPARABLE]},{k}*{k}*{i}+{i}*{o}+{b}*{o},"
                       f"IF({is_[BATCHNORM]},2*{o},IF({is_[DENSE]},{i}*{o}+{b}*{o},0))))"),
        "moving statistics": f"=IF({is_[BATCHNORM]},2*{o},0)",  # BatchNorm's mean and variance: not trained
        # r_out = r_in + (k - 1) * j_in; j_out = j_in * s
        "receptive field r": f"=IF({window},{r_in}+({k}-1)*{j_in},IF({whole_map},{r_in}+({n_in}-1)*{j_in},{r_in}))",
        "jump j": f"=IF({window},{j_in}*{s},IF({whole_map},{j_in}*{n_in},{j_in}))",
        "r at the last convolution": f"=IF({convolution},{c['receptive field r']},{_above('r at the last convolution')})",
    }


def write_design_sheet(ws, design, title):
    """The design's rows, totals and rules on ws. Returns {"total": cell, "rules": {rule: cell},
    "first": first layer row}."""
    ws["A1"], ws["A1"].font = title, BOLD
    ws["A2"] = ("Change the shaded cells. To add a layer, insert a row among the layers and copy the row "
                "above into it (Ctrl+D); the kinds are in the drop-down list.")
    for column, header in enumerate(HEADERS, start=1):
        cell = ws.cell(HEADER_ROW, column, header)
        cell.font, cell.alignment = BOLD, Alignment(wrap_text=True, vertical="bottom")
    ws.row_dimensions[HEADER_ROW].height = 30
    for name, value in {"layer": 0, "kind": "input image", "channels out": INPUT_CHANNELS,
                        "output size n": INPUT_SIZE, "parameters": 0, "moving statistics": 0,
                        "receptive field r": 1, "jump j": 1, "r at the last convolution": 1}.items():
        ws[f"{COL[name]}{INPUT_ROW}"] = value
    for row, layer in enumerate(design, start=FIRST_LAYER_ROW):
        used = {"kind", *KINDS[layer.kind]}
        for field in INPUTS:
            cell = ws[f"{COL[field]}{row}"]
            cell.value = getattr(layer, field) if field in used else None
            cell.fill = INPUT_FILL
        for name, formula in row_formulas(row).items():
            ws[f"{COL[name]}{row}"] = formula
    last = FIRST_LAYER_ROW + len(design) - 1
    _validations(ws, FIRST_LAYER_ROW, last)
    return _totals_and_rules(ws, last + 1)


def _totals_and_rules(ws, row):
    parameters, moving = COL["parameters"], COL["moving statistics"]
    total = f"{parameters}{row}"
    ws[f"B{row}"] = TOTAL_LABEL
    ws[total] = f"=SUM({parameters}${INPUT_ROW}:INDEX({parameters}:{parameters},ROW()-1))"
    ws[f"B{row + 1}"] = "all parameters, with BatchNorm's moving statistics (Keras's total)"
    ws[f"{parameters}{row + 1}"] = f"={total}+SUM({moving}${INPUT_ROW}:INDEX({moving}:{moving},ROW({total})-1))"
    for cell in (f"B{row}", total):
        ws[cell].font = BOLD
    limit, box = f"{parameters}{row + 3}", f"{parameters}{row + 4}"
    ws[f"B{row + 3}"], ws[limit] = "the limit on trainable parameters", PARAMETER_LIMIT
    ws[f"B{row + 4}"], ws[box] = "the digit's box, in pixels (of the 28-pixel image)", DIGIT_BOX
    ws[limit].fill = ws[box].fill = INPUT_FILL
    rules = {}
    for k, (rule, formula) in enumerate(RULE_FORMULAS.items(), start=row + 6):
        ws[f"B{k}"], ws[f"{parameters}{k}"] = rule, formula.format(
            t=total, limit=limit, box=box, channels=COL["channels out"], size=COL["output size n"],
            last_r=COL["r at the last convolution"], input=INPUT_ROW)
        rules[rule] = f"{parameters}{k}"
    checks = f"{parameters}{row + 6}:{parameters}{row + 5 + len(RULE_FORMULAS)}"
    ws.conditional_formatting.add(checks, CellIsRule(operator="equal", formula=['"yes"'], fill=GREEN))
    ws.conditional_formatting.add(checks, CellIsRule(operator="equal", formula=['"no"'], fill=RED))
    for k in range(row, row + 5):
        ws[f"{parameters}{k}"].number_format = "#,##0"
    ws.column_dimensions["B"].width = 24
    for name in [*list(INPUTS)[1:], *COMPUTED]:
        ws.column_dimensions[COL[name]].width = 11
    ws.column_dimensions["A"].width = 6
    ws.freeze_panes = f"C{FIRST_LAYER_ROW}"
    return {"total": total, "rules": rules, "first": FIRST_LAYER_ROW}


def _validations(ws, first, last):
    """Drop-down kinds and bounded numbers on the layer rows (Excel and LibreOffice extend them to
    rows inserted among these)."""
    rows = f"{first}:{last}"

    def add(column, **rule):
        validation = DataValidation(allow_blank=True, showErrorMessage=True, **rule)
        validation.add(f"{COL[column]}{rows.split(':')[0]}:{COL[column]}{rows.split(':')[1]}")
        ws.add_data_validation(validation)
    add("kind", type="list", formula1='"' + ",".join(KINDS) + '"', error="Choose a kind from the list")
    for column, low in {"kernel": 1, "stride": 1, "padding": 0, "filters": 1}.items():
        add(column, type="whole", operator="greaterThanOrEqual", formula1=str(low),
            error=f"A whole number, {low} or more")
    add("bias", type="list", formula1='"0,1"', error="1: a bias per output; 0: none")
    add("rate", type="decimal", operator="between", formula1="0", formula2="0.99", error="A share from 0 to 0.99")
