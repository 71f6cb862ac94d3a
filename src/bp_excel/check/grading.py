"""Grading one hand-made table against the seed's equations (equations.py) and the NumPy
reference (network.py), two ways:

- row by row: each computed column against its own equation, evaluated on the same row's own
  values of the quantities it depends on (and each update on the row above's own weight and
  gradient). A wrong formula shows in its own column only, not in everything downstream.
- the trajectory: the whole table trained by the NumPy reference from the first row's inputs,
  targets and weights, which says how far a mistake carries.

A wrong column is then matched against the usual mistakes (a quantity written in place of its
sibling, missing brackets, the update's sign), to name the mistake in the equations' vocabulary.
"""
import math
from decimal import Decimal

import numpy as np

from bp_excel.check import tables
from bp_excel.check.table_equations import NAME, evaluate, expanded, in_cells
from bp_excel.check.tables import GRADIENTS, NEEDED, display
from bp_excel.equations import E_TOTAL, FORWARD, WEIGHTS
from bp_excel.network import Network, train
from labkit.engines import value

COMPUTED = [q.name for q in FORWARD + [E_TOTAL]] + GRADIENTS  # in the order of the computation
SIBLINGS = [["i1", "i2"], ["t1", "t2"], ["w1", "w2", "w3", "w4"], ["w5", "w6", "w7", "w8"], ["h1", "h2"],
            ["a_h1", "a_h2"], ["o1", "o2"], ["a_o1", "a_o2"], ["E1", "E2"]]
RELATIVE_TOLERANCE = 1e-9  # a spreadsheet's rounding is ~1e-15; any formula mistake is far above this
def _numbers(table, rows):
    """{quantity: float array over the data rows}, NaN where a cell holds no number."""
    out = {}
    for quantity in table.columns:
        column = []
        for row in range(table.first_row, table.last_row + 1):
            x = value(rows, table.cell(quantity, row))
            column.append(float(x) if tables.is_number(x) else math.nan)
        out[quantity] = np.array(column)
    return out


def _decimals(values):
    """The decimals a pasted table was rounded to (None: full precision): the fewest that any of its
    rounded computed columns goes to, a rounded column being one with no value of 15 significant
    digits (a full-precision column starts with short values too: h1 = 0.0275 of inputs 0.05, 0.1)."""
    fewest = None
    for column in values.values():
        digits = [Decimal(repr(float(x))).as_tuple() for x in column[:20] if math.isfinite(x) and x != 0]
        if digits and all(len(d.digits) < 15 for d in digits):
            places = max(max(0, -d.exponent) for d in digits)
            fewest = places if fewest is None else min(fewest, places)
    return fewest


def _finite(x):
    """A number for the report; None for what the cell did not hold as a number (an error, text)."""
    return float(x) if math.isfinite(x) else None


class Grader:
    def __init__(self, table, rows, formulas):
        self.table, self.rows, self.formulas = table, rows, formulas
        numbers = _numbers(table, rows)
        self.values = {"b1": 0.0, "b2": 0.0, **numbers}
        length = table.last_row - table.first_row + 1
        for name, cell in table.constants.items():
            self.values[name] = np.full(length, float(value(rows, cell)))
        computed = {q: column for q, column in numbers.items() if q not in NEEDED}
        decimals = _decimals(computed) if table.kind in ("pasted", "summary") else None
        self.absolute = 2 * 10.0 ** -decimals if decimals is not None else 1e-15
        self.have = set(table.columns) | set(table.constants)

    def _wrong(self, found, expected):
        """Rows (bool array) where found differs from expected beyond the tolerance."""
        scale = np.nanmax(np.abs(expected)) if np.isfinite(expected).any() else 0.0
        error = np.abs(found - expected)
        # Where expected is not a number, an input of this cell is wrong already: its own row is not.
        tolerance = self.absolute + RELATIVE_TOLERANCE * np.maximum(np.abs(expected), scale)
        return np.isfinite(expected) & ~(error <= tolerance)

    def _finding(self, quantity, expected, found, wrong, mistake=None):
        t, index = self.table, int(np.argmax(wrong))
        row = t.first_row + index
        cell = t.cell(quantity, row)
        formula = self.formulas.get(cell)
        return {"quantity": display(quantity), "column": t.columns[quantity], "first_row": row,
                "expected": _finite(expected[index]), "found": _finite(found[index]),
                "formula": formula if isinstance(formula, str) and formula.startswith("=") else None,
                "mistake": mistake, "hint": "", "solution": None, "rows_wrong": int(wrong.sum())}

    def local(self):
        """The quantities whose own formula is wrong, in the order of the computation."""
        findings = []
        for quantity in COMPUTED:
            if quantity not in self.have:
                continue
            equation = expanded(quantity, self.have)
            missing = sorted(set(NAME.findall(equation)) - set(self.values))
            if missing:
                self.table.warnings.append(f"{display(quantity)} not checked: no column for "
                                           f"{', '.join(map(display, missing))} (give --map {missing[0]}=COLUMN)")
                continue
            expected = evaluate(equation, self.values)
            found = self.values[quantity]
            wrong = self._wrong(found, expected)
            if self.table.last_row_weights_only:
                wrong[-1] = False  # the weights after the last update: nothing is computed from them
            if wrong.any():
                findings.append(self._diagnose(quantity, expected, found, wrong, equation))
        findings += self._updates()
        findings += self._constant_inputs()
        # Row by row, and in a row as it is computed: the weights, then the forward and backward pass.
        order = ["i1", "i2", "t1", "t2", *WEIGHTS, *COMPUTED]
        return sorted(findings, key=lambda f: (f["first_row"], order.index(tables.internal(f["quantity"]))))

    def _updates(self):
        lr = self.table.learning_rate
        if lr is None:
            self.table.warnings.append("no learning rate found: the updates are checked only for holding numbers "
                                       "(give --lr or --lr-cell)")
        elif lr == 0:
            self.table.warnings.append("the learning rate is 0: the weights never change")
        findings = []
        for w in WEIGHTS:
            gradient = f"dE_d{w}"
            if w not in self.have or gradient not in self.have:
                continue
            found = self.values[w][1:]
            if lr is None:  # still wrong: no number where the weight above and its gradient are numbers
                inputs = np.isfinite(self.values[w][:-1]) & np.isfinite(self.values[gradient][:-1])
                wrong = np.concatenate([[False], inputs & ~np.isfinite(found)])
                if wrong.any():
                    finding = self._finding(w, np.full_like(self.values[w], math.nan), self.values[w], wrong)
                    cell = self.table.cell(w, finding["first_row"])
                    finding["hint"] = f"{cell} holds no number: see its learning rate"
                    findings.append(finding)
                continue
            expected = self.values[w][:-1] - lr * self.values[gradient][:-1]
            wrong = np.concatenate([[False], self._wrong(found, expected)])
            if wrong.any():
                full = np.concatenate([[math.nan], expected])
                finding = self._finding(w, full, self.values[w], wrong)
                row, cell = finding["first_row"], self.table.learning_rate_cell
                rate = tables.absolute(cell) if cell else f"{lr:g}"
                finding["hint"] = f"{self.table.cell(w, row)} is the weight above, moved against its gradient by {rate}"
                finding["solution"] = (f"{self.table.cell(w, row)} should be ={self.table.cell(w, row - 1)}-{rate}*"
                                       f"{self.table.cell(gradient, row - 1)}")
                sign = self.values[w][:-1] + lr * self.values[gradient][:-1]
                if not self._wrong(found, sign).any():
                    finding["mistake"] = "the update's sign: w + lr·∂E_total/∂w climbs the error"
                findings.append(finding)
        return findings

    def _constant_inputs(self):
        findings = []
        for name in ("i1", "i2", "t1", "t2"):
            if name in self.table.columns:
                column = self.values[name]
                wrong = self._wrong(column, np.full_like(column, column[0]))
                if wrong.any():
                    fixed = f"${self.table.columns[name]}${self.table.first_row}"
                    findings.append(self._finding(name, np.full_like(column, column[0]), column, wrong,
                                                  f"{name} changes down the table: a reference that moves as it "
                                                  f"is copied (write {fixed})"))
        return findings

    def _diagnose(self, quantity, expected, found, wrong, equation):
        """A finding, with the mistake named where another formula fits the found values."""
        finding = self._finding(quantity, expected, found, wrong)
        t, row = self.table, finding["first_row"]
        correct = in_cells(equation, t, row)
        needs = [display(n) for n in dict.fromkeys(NAME.findall(equation)) if n in t.columns or n in t.constants]
        finding["hint"] = f"{display(quantity)} is computed from {', '.join(needs) or 'the inputs'} on its row"
        finding["solution"] = f"{t.cell(quantity, row)} should be {correct}"
        for mistake, alternative, swap in self._alternatives(quantity, equation):
            if not self._wrong(found, evaluate(alternative, self.values)).any():
                finding["mistake"] = mistake
                if swap:
                    used, belongs = swap
                    finding["hint"] = (f"{t.cell(quantity, row)} uses {t.cell(used, row)}, {used}, where {belongs} "
                                       f"({t.cell(belongs, row)}) belongs")
                break
        return finding

    def _alternatives(self, quantity, equation):
        """(the mistake in words, its formula, (used, belongs) or None) of the usual mistakes in
        this quantity's formula."""
        names = set(NAME.findall(equation))
        for group in SIBLINGS:
            for belongs in group:
                for used in group:
                    if belongs != used and belongs in names and used in self.values:
                        yield (f"uses {used} where {belongs} belongs",
                               equation.replace(f"{{{belongs}}}", f"{{{used}}}"), (used, belongs))
        if quantity in GRADIENTS[:4]:
            yield ("missing brackets: ∂E_total/∂a_h = δ_o1·w + δ_o2·w needs brackets before it is multiplied "
                   "by a_h·(1 − a_h)·i", expanded(quantity, self.have, brackets=False), None)
        if quantity == "E_total":
            yield "E_total leaves out E2: E_total = E1 + E2", "{E1}", None
            yield "E_total leaves out E1: E_total = E1 + E2", "{E2}", None
        if quantity in ("E1", "E2"):
            yield "missing the ½ of E = ½(t − a)²", equation.replace("0.5*", ""), None

    def trajectory(self):
        """{quantity: largest difference} between the table and the NumPy reference's training
        from the table's first row; None where a needed column is missing."""
        network = self.network()
        if network is None or self.table.learning_rate is None:
            return None
        reference = train(network, self.table.learning_rate, self.table.last_row - self.table.first_row)
        drift = {}
        for quantity in COMPUTED + WEIGHTS:
            if quantity in self.have:
                with np.errstate(invalid="ignore"):
                    difference = np.abs(self.values[quantity] - reference[quantity])
                drift[display(quantity)] = float(np.nanmax(difference)) if np.isfinite(difference).any() else None
        self.reference = reference
        return drift

    def network(self):
        """The network of the table's first row (None where a column it needs is missing)."""
        if any(q not in self.have for q in NEEDED):
            return None
        first = {q: float(np.asarray(self.values[q]).flat[0]) for q in [*NEEDED, "b1", "b2"]}
        return Network(inputs=(first["i1"], first["i2"]), targets=(first["t1"], first["t2"]),
                       weights=tuple(first[w] for w in WEIGHTS), biases=(first["b1"], first["b2"]))

    def carried(self, drift):
        """How far the first mistake carries, in words: E_total's largest difference and its row."""
        if drift is None or "E_total" not in self.have:
            return ""
        missing = ~np.isfinite(self.values["E_total"])
        missing[-1] &= not self.table.last_row_weights_only
        if missing.any():
            return f"E_total is no number from row {self.table.first_row + int(missing.argmax())} on because of it"
        difference = np.abs(self.values["E_total"] - self.reference["E_total"])
        index = int(np.nanargmax(difference)) if np.isfinite(difference).any() else 0
        return f"E_total is {difference[index]:.1e} off at row {self.table.first_row + index} because of it"
