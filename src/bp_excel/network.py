"""The float64 NumPy reference: the 2-2-2 sigmoid network and its training loop.

Written with weight matrices rather than the sheet's scalar formulas, so that the two are
independent derivations of the same equations and each checks the other:

    W_hidden = [[w1, w2],      W_output = [[w5, w6],
                [w3, w4]]                  [w7, w8]]
"""
from dataclasses import dataclass

import numpy as np

CLASSIC_WEIGHTS = (0.15, 0.2, 0.25, 0.3, 0.4, 0.45, 0.5, 0.55)


@dataclass(frozen=True)
class Network:
    """Everything but the learning rate that fixes a training run (the classic course values)."""

    inputs: tuple[float, float] = (0.05, 0.1)  # i1, i2
    targets: tuple[float, float] = (0.5, 0.5)  # t1, t2
    weights: tuple[float, ...] = CLASSIC_WEIGHTS  # w1..w8 before the first update
    biases: tuple[float, float] = (0.0, 0.0)  # b1 (hidden layer), b2 (output layer); never trained

    def named_inputs(self):
        """{i1, i2, t1, t2, b1, b2, w1..w8: value}"""
        names = ["i1", "i2", "t1", "t2", "b1", "b2"] + [f"w{k}" for k in range(1, 9)]
        return dict(zip(names, (*self.inputs, *self.targets, *self.biases, *self.weights)))


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def _layers(weights):
    weights = np.asarray(weights, float)
    return np.reshape(weights[:4], (2, 2)), np.reshape(weights[4:], (2, 2))


def forward(weights, network):
    """The forward pass: every named quantity of one row of the sheet."""
    w_hidden, w_output = _layers(weights)
    i, t = np.asarray(network.inputs, float), np.asarray(network.targets, float)
    h = w_hidden @ i + network.biases[0]
    a_h = sigmoid(h)
    o = w_output @ a_h + network.biases[1]
    a_o = sigmoid(o)
    e = 0.5 * (t - a_o) ** 2
    return {
        "h1": h[0], "a_h1": a_h[0], "h2": h[1], "a_h2": a_h[1],
        "o1": o[0], "a_o1": a_o[0], "o2": o[1], "a_o2": a_o[1],
        "E1": e[0], "E2": e[1], "E_total": e.sum(),
    }


def backward(weights, network):
    """The backward pass by the chain rule: the error signals and dE_total/dw1..dw8."""
    q = forward(weights, network)
    _, w_output = _layers(weights)
    i, t = np.asarray(network.inputs, float), np.asarray(network.targets, float)
    a_h = np.array([q["a_h1"], q["a_h2"]])
    a_o = np.array([q["a_o1"], q["a_o2"]])
    delta_output = (a_o - t) * a_o * (1 - a_o)  # dE_total/do
    error_hidden = w_output.T @ delta_output  # dE_total/da_h
    delta_hidden = error_hidden * a_h * (1 - a_h)  # dE_total/dh
    grads = np.concatenate([np.outer(delta_hidden, i).ravel(), np.outer(delta_output, a_h).ravel()])
    return {"delta_o1": delta_output[0], "delta_o2": delta_output[1],
            "dE_da_h1": error_hidden[0], "dE_da_h2": error_hidden[1],
            **{f"dE_dw{k + 1}": grads[k] for k in range(8)}}


def gradients(weights, network):
    """dE_total/dw1..dw8, in the order w1..w8."""
    g = backward(weights, network)
    return np.array([g[f"dE_dw{k}"] for k in range(1, 9)])


def train(network, learning_rate, iterations):
    """Rows 0..iterations of the sheet: row k holds the weights after k updates, the forward
    pass and the backward pass computed with them. Returns {column name: float64 array}."""
    weights = np.array(network.weights, float)
    rows = []
    # A rate too large overflows; the build reports that in words (reference.check_computable).
    with np.errstate(over="ignore", invalid="ignore"):
        for _ in range(iterations + 1):
            errors = backward(weights, network)
            rows.append({"iteration": len(rows), **{f"w{k + 1}": weights[k] for k in range(8)},
                         **forward(weights, network), **errors})
            weights = weights - learning_rate * np.array([errors[f"dE_dw{k}"] for k in range(1, 9)])
    return {name: np.array([row[name] for row in rows]) for name in rows[0]}


def moved(network, weight, step):
    """The network with one initial weight (1..8) moved by step."""
    weights = list(network.weights)
    weights[weight - 1] += step
    return Network(network.inputs, network.targets, tuple(weights), network.biases)


def central_difference(network, weight, step):
    """dE_total/dw by (E_total(w + h) - E_total(w - h)) / 2h, without the chain rule."""
    def e_total(n):
        return forward(n.weights, n)["E_total"]
    return (e_total(moved(network, weight, step)) - e_total(moved(network, weight, -step))) / (2 * step)
