"""The usual mistakes in a hand-made table's formulas, each a Mistake of its kind (findings.KINDS)
with the sentence a learner reads: the formulas they would give (a quantity written where its
sibling belongs, missing brackets, E_total's left-out term, E without its ½), and what a cell that
holds no number holds instead."""
from bp_excel.check.findings import UNRECOGNIZED, Mistake
from bp_excel.check.table_equations import NAME, expanded
from bp_excel.check.tables import GRADIENTS

SIBLINGS = [["i1", "i2"], ["t1", "t2"], ["w1", "w2", "w3", "w4"], ["w5", "w6", "w7", "w8"], ["h1", "h2"],
            ["a_h1", "a_h2"], ["o1", "o2"], ["a_o1", "a_o2"], ["E1", "E2"]]


def alternatives(quantity, equation, have, values):
    """(Mistake, the formula it gives, (used, belongs) or None) of the usual mistakes in this
    quantity's formula: have, the quantities the table holds; values, those with numbers."""
    names = set(NAME.findall(equation))
    for group in SIBLINGS:
        for belongs in group:
            for used in group:
                if belongs != used and belongs in names and used in values:
                    yield (Mistake("wrong-neighbour", f"uses {used} where {belongs} belongs"),
                           equation.replace(f"{{{belongs}}}", f"{{{used}}}"), (used, belongs))
    if quantity in GRADIENTS[:4]:
        yield (Mistake("missing-brackets", "missing brackets: ∂E_total/∂a_h = δ_o1·w + δ_o2·w needs brackets "
                                           "before it is multiplied by a_h·(1 − a_h)·i"),
               expanded(quantity, have, brackets=False), None)
    if quantity == "E_total":
        yield Mistake("leaves-out-term", "E_total leaves out E2: E_total = E1 + E2"), "{E1}", None
        yield Mistake("leaves-out-term", "E_total leaves out E1: E_total = E1 + E2"), "{E2}", None
    if quantity in ("E1", "E2"):
        yield Mistake("missing-half", "missing the ½ of E = ½(t − a)²"), equation.replace("0.5*", ""), None


def no_number(typed, computed):
    """The mistake of a cell that was to hold a number: typed, its content as written (None:
    empty); computed, the value its formula gave. UNRECOGNIZED where it holds a number."""
    if isinstance(computed, (int, float)) and not isinstance(computed, bool):
        return UNRECOGNIZED
    if typed is None:
        return Mistake("blank", "left empty")
    if isinstance(typed, str) and typed.startswith("="):
        return Mistake("no-number", f"its formula gives {computed!r}, not a number" if computed is not None
                       else "its formula gives no number")
    return Mistake("no-number", f"holds {typed!r}, not a number")
