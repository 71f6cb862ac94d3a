"""Every quantity of the network as a spreadsheet formula template, defined once.

A template names other quantities in braces: `{a_h1}`. Each sheet says which cell a name stands
for (a table row's cell, a fixed input cell, a perturbed weight), so the learning-rate table,
the start-here worked example and its gradient check all compute with the same formulas.
The NumPy reference (network.py) computes the same quantities under the same names; the worked
example's factors of the chain rule carry their NumPy counterpart beside them.
"""
from dataclasses import dataclass
from typing import Callable

WEIGHTS = [f"w{k}" for k in range(1, 9)]
INPUTS = ["i1", "i2", "t1", "t2", "b1", "b2"]


@dataclass(frozen=True)
class Quantity:
    name: str
    header: str  # as a learner reads it
    formula: str
    equation: str
    kind: str  # "value", "error" or "count": decides the number format


def _sigmoid(name, net):
    return Quantity(name, name, f"=1/(1+EXP(-{{{net}}}))", f"σ({net}) = 1/(1+e^−{net})", "value")


def _output_delta(k):
    return Quantity(f"delta_o{k}", f"δ_o{k}", f"=({{a_o{k}}}-{{t{k}}})*{{a_o{k}}}*(1-{{a_o{k}}})",
                    f"(a_o{k}−t{k})·a_o{k}·(1−a_o{k})", "error")


def _hidden_error(k, via):
    """∂E_total/∂a_hk: both outputs' deltas, carried back through a_hk's two outgoing weights."""
    wa, wb = via
    return Quantity(f"dE_da_h{k}", f"∂E_total/∂a_h{k}", f"={{delta_o1}}*{{{wa}}}+{{delta_o2}}*{{{wb}}}",
                    f"δ_o1·{wa} + δ_o2·{wb}", "error")


def _hidden_gradient(w, hidden, i):
    return Quantity(f"dE_dw{w}", f"∂E_total/∂w{w}",
                    f"={{dE_da_h{hidden}}}*{{a_h{hidden}}}*(1-{{a_h{hidden}}})*{{{i}}}",
                    f"∂E_total/∂a_h{hidden}·a_h{hidden}·(1−a_h{hidden})·{i}", "error")


def _output_gradient(w, k, hidden):
    return Quantity(f"dE_dw{w}", f"∂E_total/∂w{w}", f"={{delta_o{k}}}*{{{hidden}}}",
                    f"δ_o{k}·{hidden}", "error")


FORWARD = [
    Quantity("h1", "h1", "={w1}*{i1}+{w2}*{i2}+{b1}", "w1·i1 + w2·i2 + b1", "value"),
    _sigmoid("a_h1", "h1"),
    Quantity("h2", "h2", "={w3}*{i1}+{w4}*{i2}+{b1}", "w3·i1 + w4·i2 + b1", "value"),
    _sigmoid("a_h2", "h2"),
    Quantity("o1", "o1", "={w5}*{a_h1}+{w6}*{a_h2}+{b2}", "w5·a_h1 + w6·a_h2 + b2", "value"),
    _sigmoid("a_o1", "o1"),
    Quantity("o2", "o2", "={w7}*{a_h1}+{w8}*{a_h2}+{b2}", "w7·a_h1 + w8·a_h2 + b2", "value"),
    _sigmoid("a_o2", "o2"),
    Quantity("E1", "E1", "=0.5*({t1}-{a_o1})^2", "½(t1 − a_o1)²", "error"),
    Quantity("E2", "E2", "=0.5*({t2}-{a_o2})^2", "½(t2 − a_o2)²", "error"),
]
E_TOTAL = Quantity("E_total", "E_total", "={E1}+{E2}", "E1 + E2", "error")

BACKWARD = [
    _output_delta(1),
    _output_delta(2),
    _hidden_error(1, ("w5", "w7")),
    _hidden_error(2, ("w6", "w8")),
    _hidden_gradient(1, 1, "i1"),
    _hidden_gradient(2, 1, "i2"),
    _hidden_gradient(3, 2, "i1"),
    _hidden_gradient(4, 2, "i2"),
    _output_gradient(5, 1, "a_h1"),
    _output_gradient(6, 1, "a_h2"),
    _output_gradient(7, 2, "a_h1"),
    _output_gradient(8, 2, "a_h2"),
]


@dataclass(frozen=True)
class Factor:
    """A factor of the chain rule in the start-here sheet's worked example: its formula, and its
    value from the NumPy reference's named quantities q (reference.worked_example)."""
    quantity: Quantity
    numpy: Callable[[dict], float]


def _factor(name, header, formula, equation, kind, numpy):
    return Factor(Quantity(name, header, formula, equation, kind), numpy)


# ∂E_total/∂w5 and ∂E_total/∂w1, factor by factor; each formula beside its NumPy counterpart.
FACTORS = {f.quantity.name: f for f in [
    _factor("dE_da_o1", "∂E_total/∂a_o1", "={a_o1}-{t1}", "a_o1 − t1", "error", lambda q: q["a_o1"] - q["t1"]),
    _factor("da_o1_do1", "∂a_o1/∂o1", "={a_o1}*(1-{a_o1})", "a_o1·(1 − a_o1)", "error",
            lambda q: q["a_o1"] * (1 - q["a_o1"])),
    _factor("do1_dw5", "∂o1/∂w5", "={a_h1}", "a_h1", "value", lambda q: q["a_h1"]),
    _factor("da_h1_dh1", "∂a_h1/∂h1", "={a_h1}*(1-{a_h1})", "a_h1·(1 − a_h1)", "error",
            lambda q: q["a_h1"] * (1 - q["a_h1"])),
    _factor("dh1_dw1", "∂h1/∂w1", "={i1}", "i1", "value", lambda q: q["i1"]),
]}
# The factors' products: the NumPy counterparts are the matrix-form backward pass's (network.backward).
PRODUCTS = {q.name: q for q in [
    Quantity("delta_o1", "δ_o1 = ∂E_total/∂o1", "={dE_da_o1}*{da_o1_do1}", "∂E_total/∂a_o1 · ∂a_o1/∂o1", "error"),
    Quantity("dE_dw5", "∂E_total/∂w5", "={delta_o1}*{do1_dw5}", "δ_o1 · ∂o1/∂w5", "error"),
    Quantity("dE_dw1", "∂E_total/∂w1", "={dE_da_h1}*{da_h1_dh1}*{dh1_dw1}",
             "∂E_total/∂a_h1 · ∂a_h1/∂h1 · ∂h1/∂w1", "error"),
]}


def update(w):
    """Gradient descent: the weight after one step, from the row above."""
    return Quantity(w, w, f"={{prev_{w}}}-{{lr}}*{{prev_dE_d{w}}}", f"{w} − lr·∂E_total/∂{w}, row above", "value")


def fill(template, cells):
    """The formula with each {name} replaced by the cell it stands for."""
    return template.format_map(cells)
