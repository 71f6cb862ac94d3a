"""Grading one hand-made table against the seed's equations (equations.py) and the NumPy
reference (network.py), two ways:

- row by row: each computed column against its own equation, evaluated on the same row's own
  values of the quantities it depends on (and each update on the row above's own weight and
  gradient). A wrong formula shows in its own column only, not in everything downstream.
- the trajectory: the whole table trained by the NumPy reference from the first row's inputs,
  targets and weights, which says how far a mistake carries.

A wrong column is then matched against the usual mistakes (mistakes.py; the update's sign here), to
name the mistake in the equations' vocabulary, and becomes a Finding (findings.py), built whole here.
"""
import math
from decimal import Decimal
from typing import NamedTuple

import numpy as np

from bp_excel.check import mistakes, tables
from bp_excel.check.findings import Finding, Mistake
from bp_excel.check.table_equations import NAME, evaluate, expanded, in_cells
from bp_excel.check.tables import GRADIENTS, NEEDED, display
from bp_excel.equations import E_TOTAL, FORWARD, WEIGHTS
from bp_excel.network import Network, train
from labkit.engines import value

COMPUTED = [q.name for q in FORWARD + [E_TOTAL]] + GRADIENTS  # in the order of the computation
RELATIVE_TOLERANCE = 1e-9  # a spreadsheet's rounding is ~1e-15; any formula mistake is far above this


class _Wrong(NamedTuple):
    """A wrong column as its check saw it, before it is a Finding: its quantity, the values expected and
    found over the data rows, which rows are wrong, the likely mistake, a hint and the solution."""
    quantity: str
    expected: np.ndarray
    found: np.ndarray
    rows: np.ndarray
    mistake: Mistake
    hint: str
    solution: str | None = None


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
        self.warnings = []  # what a learner should know of the grading: a column not checked, ...

    def differs(self, found, expected):
        """Rows (bool array) where found differs from expected beyond the tolerance."""
        scale = np.nanmax(np.abs(expected)) if np.isfinite(expected).any() else 0.0
        error = np.abs(found - expected)
        # Where expected is not a number, an input of this cell is wrong already: its own row is not.
        tolerance = self.absolute + RELATIVE_TOLERANCE * np.maximum(np.abs(expected), scale)
        return np.isfinite(expected) & ~(error <= tolerance)

    def first_row(self, wrong):
        """The first wrong row of a column (wrong: a bool array over the data rows)."""
        return self.table.first_row + int(np.argmax(wrong))

    def finding(self, quantity, expected, found, wrong, mistake, hint, solution=None, carries=None):
        """The Finding of a wrong column, built whole: where it first goes wrong (wrong: a bool
        array over the data rows), the values there, the cell's formula, the likely mistake."""
        row = self.first_row(wrong)
        index, formula = row - self.table.first_row, self.formulas.get(self.table.cell(quantity, row))
        return Finding(quantity=display(quantity), column=self.table.columns[quantity], first_row=row,
                       expected=_finite(expected[index]), found=_finite(found[index]),
                       formula=formula if isinstance(formula, str) and formula.startswith("=") else None,
                       kind=mistake.kind, mistake=mistake.words, hint=hint, rows_wrong=int(wrong.sum()),
                       solution=solution, carries=carries)

    def local(self, rate, carries=None):
        """The Findings of the quantities whose own formula is wrong, row by row and in a row as it is
        computed (the weights, then the forward and backward pass), the updates at the rate
        (learning_rate.LearningRate); carries, the words of how far the first of them carries."""
        found = []
        for quantity in COMPUTED:
            if quantity not in self.have:
                continue
            equation = expanded(quantity, self.have)
            missing = sorted(set(NAME.findall(equation)) - set(self.values))
            if missing:
                self.warnings.append(f"{display(quantity)} not checked: no column for "
                                     f"{', '.join(map(display, missing))} (give --map {missing[0]}=COLUMN)")
                continue
            expected = evaluate(equation, self.values)
            wrong = self.differs(self.values[quantity], expected)
            if self.table.last_row_weights_only:
                wrong[-1] = False  # the weights after the last update: nothing is computed from them
            if wrong.any():
                found.append(self._diagnose(quantity, expected, self.values[quantity], wrong, equation))
        found += self._updates(rate)
        found += self._constant_inputs()
        order = ["i1", "i2", "t1", "t2", *WEIGHTS, *COMPUTED]
        found.sort(key=lambda w: (self.first_row(w.rows), order.index(w.quantity)))
        return [self.finding(*w, carries=carries if k == 0 else None) for k, w in enumerate(found)]

    def no_number(self, quantity, wrong):
        """What the first wrong cell holds where it holds no number (UNRECOGNIZED where it does)."""
        cell = self.table.cell(quantity, self.first_row(wrong))
        return mistakes.no_number(self.formulas.get(cell), value(self.rows, cell))

    def _updates(self, rate):
        lr = rate.value
        if lr is None:
            self.warnings.append("no learning rate found: the updates are checked only for holding numbers "
                                 "(give --lr or --lr-cell)")
        elif lr == 0:
            self.warnings.append("the learning rate is 0: the weights never change")
        found = []
        for w in WEIGHTS:
            gradient = f"dE_d{w}"
            if w not in self.have or gradient not in self.have:
                continue
            weights = self.values[w]
            # A wrong update is named as the table's mistake with its learning rate, where it has one.
            if lr is None:  # still wrong: no number where the weight above and its gradient are numbers
                inputs = np.isfinite(weights[:-1]) & np.isfinite(self.values[gradient][:-1])
                wrong = np.concatenate([[False], inputs & ~np.isfinite(weights[1:])])
                if wrong.any():
                    cell = self.table.cell(w, self.first_row(wrong))
                    found.append(_Wrong(w, np.full_like(weights, math.nan), weights, wrong,
                                        rate.update_mistake or self.no_number(w, wrong),
                                        f"{cell} holds no number: see its learning rate"))
                continue
            expected = weights[:-1] - lr * self.values[gradient][:-1]
            wrong = np.concatenate([[False], self.differs(weights[1:], expected)])
            if wrong.any():
                row, cell = self.first_row(wrong), rate.cell
                written = tables.absolute(cell) if cell else f"{lr:g}"  # the rate, as a formula names it
                climbs = not self.differs(weights[1:], weights[:-1] + lr * self.values[gradient][:-1]).any()
                mistake = (Mistake("wrong-sign", "the update's sign: w + lr·∂E_total/∂w climbs the error") if climbs
                           else rate.update_mistake or self.no_number(w, wrong))
                found.append(_Wrong(
                    w, np.concatenate([[math.nan], expected]), weights, wrong, mistake,
                    f"{self.table.cell(w, row)} is the weight above, moved against its gradient by {written}",
                    f"{self.table.cell(w, row)} should be ={self.table.cell(w, row - 1)}-{written}*"
                    f"{self.table.cell(gradient, row - 1)}"))
        return found

    def _constant_inputs(self):
        found = []
        for name in ("i1", "i2", "t1", "t2"):
            if name in self.table.columns:
                column = self.values[name]
                wrong = self.differs(column, np.full_like(column, column[0]))
                if wrong.any():
                    fixed = f"${self.table.columns[name]}${self.table.first_row}"
                    found.append(_Wrong(name, np.full_like(column, column[0]), column, wrong, Mistake(
                        "input-changes", f"{name} changes down the table: a reference that moves as it is copied "
                                         f"(write {fixed})"), f"{name} is the same on every row"))
        return found

    def _diagnose(self, quantity, expected, found, wrong, equation):
        """A wrong column, with the mistake named where another formula fits the found values."""
        t, row = self.table, self.first_row(wrong)
        needs = [display(n) for n in dict.fromkeys(NAME.findall(equation)) if n in t.columns or n in t.constants]
        hint = f"{display(quantity)} is computed from {', '.join(needs) or 'the inputs'} on its row"
        mistake = self.no_number(quantity, wrong)
        for candidate, alternative, swap in mistakes.alternatives(quantity, equation, self.have, self.values):
            if not self.differs(found, evaluate(alternative, self.values)).any():
                mistake = candidate
                if swap:
                    used, belongs = swap
                    hint = (f"{t.cell(quantity, row)} uses {t.cell(used, row)}, {used}, where {belongs} "
                            f"({t.cell(belongs, row)}) belongs")
                break
        return _Wrong(quantity, expected, found, wrong, mistake, hint,
                      f"{t.cell(quantity, row)} should be {in_cells(equation, t, row)}")

    def trajectory(self, rate):
        """{quantity: largest difference} between the table and the NumPy reference's training
        from the table's first row; None where a needed column is missing."""
        network = self.network()
        if network is None or rate.value is None:
            return None
        reference = train(network, rate.value, self.table.last_row - self.table.first_row)
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
        """How far the first mistake carries, in words: E_total's largest difference and its row
        (None where the table has no E_total or cannot be trained)."""
        if drift is None or "E_total" not in self.have:
            return None
        missing = ~np.isfinite(self.values["E_total"])
        missing[-1] &= not self.table.last_row_weights_only
        if missing.any():
            return f"E_total is no number from row {self.table.first_row + int(missing.argmax())} on because of it"
        difference = np.abs(self.values["E_total"] - self.reference["E_total"])
        index = int(np.nanargmax(difference)) if np.isfinite(difference).any() else 0
        return f"E_total is {difference[index]:.1e} off at row {self.table.first_row + index} because of it"
