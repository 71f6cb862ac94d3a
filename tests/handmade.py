"""Hand-made backpropagation workbooks, written cell by cell with openpyxl the way students of
the seed's course write them (formulas typed as text, in their own layout), correct or with one
mistake seeded. Independent of bp_excel: the formulas are spelled out here."""
import openpyxl
from openpyxl.utils import get_column_letter

HEADERS = ["t1", "t2", "i1", "i2", "w1", "w2", "w3", "w4", "h1", "a_h1", "h2", "a_h2", "w5", "w6", "w7", "w8",
           "o1", "a_o1", "o2", "a_o2", "E1", "E2", "E_tot", *[f"∂E/∂w{k}" for k in range(1, 9)]]
GREEK = {"E_tot": "E_total", **{f"∂E/∂w{k}": f"δE_tot/δw{k}" for k in range(1, 9)}, "a_o1": "a_01", "a_h2": "act_h2"}
START = {"t1": 0.5, "t2": 0.5, "i1": 0.05, "i2": 0.1, "w1": 0.15, "w2": 0.2, "w3": 0.25, "w4": 0.3,
         "w5": 0.4, "w6": 0.45, "w7": 0.5, "w8": 0.55}
# Each computed column's formula, {name} standing for that column's cell on the same row.
FORMULAS = {
    "h1": "={w1}*{i1}+{w2}*{i2}", "a_h1": "=1/(1+EXP(-{h1}))", "h2": "={w3}*{i1}+{w4}*{i2}",
    "a_h2": "=1/(1+EXP(-{h2}))", "o1": "={w5}*{a_h1}+{w6}*{a_h2}", "a_o1": "=1/(1+EXP(-{o1}))",
    "o2": "={w7}*{a_h1}+{w8}*{a_h2}", "a_o2": "=1/(1+EXP(-{o2}))",
    "E1": "=0.5*({t1}-{a_o1})^2", "E2": "=0.5*({t2}-{a_o2})^2", "E_tot": "={E1}+{E2}",
    "∂E/∂w1": "=(({a_o1}-{t1})*{a_o1}*(1-{a_o1})*{w5}+({a_o2}-{t2})*{a_o2}*(1-{a_o2})*{w7})*{a_h1}*(1-{a_h1})*{i1}",
    "∂E/∂w2": "=(({a_o1}-{t1})*{a_o1}*(1-{a_o1})*{w5}+({a_o2}-{t2})*{a_o2}*(1-{a_o2})*{w7})*{a_h1}*(1-{a_h1})*{i2}",
    "∂E/∂w3": "=(({a_o1}-{t1})*{a_o1}*(1-{a_o1})*{w6}+({a_o2}-{t2})*{a_o2}*(1-{a_o2})*{w8})*{a_h2}*(1-{a_h2})*{i1}",
    "∂E/∂w4": "=(({a_o1}-{t1})*{a_o1}*(1-{a_o1})*{w6}+({a_o2}-{t2})*{a_o2}*(1-{a_o2})*{w8})*{a_h2}*(1-{a_h2})*{i2}",
    "∂E/∂w5": "=({a_o1}-{t1})*{a_o1}*(1-{a_o1})*{a_h1}", "∂E/∂w6": "=({a_o1}-{t1})*{a_o1}*(1-{a_o1})*{a_h2}",
    "∂E/∂w7": "=({a_o2}-{t2})*{a_o2}*(1-{a_o2})*{a_h1}", "∂E/∂w8": "=({a_o2}-{t2})*{a_o2}*(1-{a_o2})*{a_h2}",
}
GRADIENT_OF = {f"w{k}": f"∂E/∂w{k}" for k in range(1, 9)}
# Each seeded mistake: (the quantity check must name, what changes in FORMULAS, the words of its mistake).
MISTAKES = {
    "a_h1 for a_h2": ("dE/dw3", {"∂E/∂w3": FORMULAS["∂E/∂w3"].replace("{a_h2}", "{a_h1}"),
                                 "∂E/∂w4": FORMULAS["∂E/∂w4"].replace("{a_h2}", "{a_h1}")}, "uses a_h1 where a_h2"),
    "missing brackets": ("dE/dw1", {"∂E/∂w1": "=({a_o1}-{t1})*{a_o1}*(1-{a_o1})*{w5}+({a_o2}-{t2})*{a_o2}*(1-{a_o2})"
                                               "*{w7}*{a_h1}*(1-{a_h1})*{i1}"}, "missing brackets"),
    "w6 for w7": ("o2", {"o2": "={w6}*{a_h1}+{w8}*{a_h2}"}, "uses w6 where w7"),
    "no half": ("E1", {"E1": "=({t1}-{a_o1})^2"}, "missing the ½"),
    "sigmoid sign": ("a_h1", {"a_h1": "=1/(1+EXP({h1}))"}, None),
    "E_total is E1": ("E_total", {"E_tot": "={E1}"}, "leaves out E2"),
    "a_o1 for a_o2 in w7": ("dE/dw7", {"∂E/∂w7": "=({a_o1}-{t2})*{a_o1}*(1-{a_o1})*{a_h1}"}, "uses a_o1 where a_o2"),
    "i1 for i2": ("dE/dw2", {"∂E/∂w2": FORMULAS["∂E/∂w1"]}, "uses i1 where i2"),
    "w6 for w7 in dE/dw1": ("dE/dw1", {f"∂E/∂w{k}": FORMULAS[f"∂E/∂w{k}"].replace("{w7}", "{w6}") for k in (1, 2)},
                            "uses w6 where w7"),
}


# The kind check names each seeded mistake by (a finding's "kind" in check --json).
KIND = {"a_h1 for a_h2": "wrong-neighbour", "missing brackets": "missing-brackets", "w6 for w7": "wrong-neighbour",
        "no half": "missing-half", "sigmoid sign": "unrecognized", "E_total is E1": "leaves-out-term",
        "a_o1 for a_o2 in w7": "wrong-neighbour", "i1 for i2": "wrong-neighbour",
        "w6 for w7 in dE/dw1": "wrong-neighbour"}


def write(rows=30, learning_rate=1.0, mistake=None, first_column=1, header_row=2, step=False, greek=False,
          prose=False, constants_as_formulas=False, update=None, moving_rate=False, sheet=None, wb=None, rate_row=1,
          spelling=None):
    """Write a table (header at header_row, iteration 0 below it) and return the workbook.
    greek, spelling ({header: as written}): headers spelled otherwise than HEADERS.
    update: the weights' update formula instead of w − lr·∂E/∂w; moving_rate: the learning-rate
    reference fixed only in its column ($G3), as some students write it; rate_row: the row of
    "η =" and the rate, over the table's sixth and seventh columns. With wb and no sheet, the
    table goes on the active sheet, beside or under what is there."""
    wb = wb or openpyxl.Workbook()
    ws = wb.active if sheet is None else wb.create_sheet(sheet)
    formulas = {**FORMULAS, **(MISTAKES[mistake][1] if mistake else {})}
    headers = (["Step"] if step else []) + HEADERS
    letter = {h: get_column_letter(first_column + k) for k, h in enumerate(headers)}
    rate_column = get_column_letter(first_column + 6)
    ws[f"{get_column_letter(first_column + 5)}{rate_row}"] = "η ="
    ws[f"{rate_column}{rate_row}"] = learning_rate
    if prose:
        for k, text in enumerate(["h1 = w1*i1 + w2*i2", "a_h1 = σ(h1) = 1/(1+exp(-h1))", "E_total = E1 + E2",
                                  "∂E/∂w5 = (a_o1 - t1)*a_o1*(1-a_o1)*a_h1"]):
            ws[f"{get_column_letter(first_column + 12)}{k + 2}"] = text
    for k, header in enumerate(headers):
        ws[f"{letter[header]}{header_row}"] = {**(GREEK if greek else {}), **(spelling or {})}.get(header, header)
    for iteration in range(rows):
        row = header_row + 1 + iteration
        cells = {h: f"{letter[h]}{row}" for h in headers}
        above = {h: f"{letter[h]}{row - 1}" for h in headers}
        if step:
            ws[cells["Step"]] = iteration
        for name in ("t1", "t2", "i1", "i2"):
            ws[cells[name]] = f"={START[name]}" if constants_as_formulas else START[name]
        for w, gradient in GRADIENT_OF.items():
            if iteration == 0:
                ws[cells[w]] = START[w]
            else:
                rate = f"${rate_column}{rate_row + iteration - 1}" if moving_rate else f"${rate_column}${rate_row}"
                template = update or "={w}-{rate}*{gradient}"
                ws[cells[w]] = template.format(w=above[w], rate=rate, gradient=above[gradient])
        for name, formula in formulas.items():
            ws[cells[name]] = formula.format_map(cells)
    return wb


# Each header's quantity under the names the NumPy reference gives its columns (network.train).
REFERENCE_NAME = {h: {"E_tot": "E_total"}.get(h, h.replace("∂E/∂", "dE_d")) for h in HEADERS}


def paste(ws, columns, learning_rate, header_row=2, first_column=1):
    """Write a table of typed values, as pasted from another sheet: columns ({reference name: values
    by iteration}) under handmade's headers, the inputs and targets of START, and "η" with the rate
    on the row above the header, over the table's sixth and seventh columns."""
    ws.cell(header_row - 1, first_column + 5, "η")
    ws.cell(header_row - 1, first_column + 6, learning_rate)
    length = len(columns["w1"])
    for k, header in enumerate(HEADERS):
        ws.cell(header_row, first_column + k, header)
        for row in range(length):
            name = REFERENCE_NAME[header]
            typed = START[name] if name in ("t1", "t2", "i1", "i2") else float(columns[name][row])
            ws.cell(header_row + 1 + row, first_column + k, typed)
    return ws


def save(wb, path):
    wb.save(path)
    return path
