"""The NumPy reference against published hand calculations and against TensorFlow's autodiff."""
import numpy as np
import pytest
import tensorflow as tf

from bp_excel.network import Network, forward, gradients, train


def test_matches_the_published_worked_example():
    # Matt Mazur, "A Step by Step Backpropagation Example" (2015): biases 0.35 / 0.6, targets
    # 0.01 / 0.99, learning rate 0.5; his numbers are printed to 9 significant digits.
    network = Network(targets=(0.01, 0.99), biases=(0.35, 0.6))
    rows = train(network, 0.5, 1)
    assert rows["a_h1"][0] == pytest.approx(0.593269992, abs=1e-9)
    assert rows["a_o1"][0] == pytest.approx(0.75136507, abs=1e-8)
    assert rows["E_total"][0] == pytest.approx(0.298371109, abs=1e-9)
    updated = {"w1": 0.149780716, "w2": 0.19956143, "w3": 0.24975114, "w4": 0.29950229,
               "w5": 0.35891648, "w6": 0.408666186, "w7": 0.511301270, "w8": 0.561370121}
    for w, value in updated.items():
        assert rows[w][1] == pytest.approx(value, abs=1e-8), w


def test_row_k_holds_the_weights_after_k_updates():
    network, lr = Network(), 0.8
    rows = train(network, lr, 3)
    for k in range(3):
        before = np.array([rows[f"w{j}"][k] for j in range(1, 9)])
        after = np.array([rows[f"w{j}"][k + 1] for j in range(1, 9)])
        np.testing.assert_array_equal(after, before - lr * gradients(before, network))
    assert rows["iteration"].tolist() == [0, 1, 2, 3]


def _tensorflow_pass(weights, network):
    w = tf.Variable(np.asarray(weights, np.float64))
    i1, i2 = network.inputs
    t1, t2 = network.targets
    b1, b2 = network.biases
    with tf.GradientTape() as tape:
        a_h1 = tf.sigmoid(w[0] * i1 + w[1] * i2 + b1)
        a_h2 = tf.sigmoid(w[2] * i1 + w[3] * i2 + b1)
        a_o1 = tf.sigmoid(w[4] * a_h1 + w[5] * a_h2 + b2)
        a_o2 = tf.sigmoid(w[6] * a_h1 + w[7] * a_h2 + b2)
        e_total = 0.5 * (t1 - a_o1) ** 2 + 0.5 * (t2 - a_o2) ** 2
    values = {"a_h1": a_h1, "a_h2": a_h2, "a_o1": a_o1, "a_o2": a_o2, "E_total": e_total}
    return {k: float(v) for k, v in values.items()}, tape.gradient(e_total, w).numpy()


@pytest.mark.parametrize("seed", range(5))
def test_forward_and_gradients_equal_tensorflow_autodiff(seed):
    rng = np.random.default_rng(seed)
    network = Network(inputs=tuple(rng.uniform(-2, 2, 2)), targets=tuple(rng.uniform(0, 1, 2)),
                      weights=tuple(rng.uniform(-2, 2, 8)), biases=tuple(rng.uniform(-1, 1, 2)))
    tf_values, tf_gradients = _tensorflow_pass(network.weights, network)
    ours = forward(np.array(network.weights), network)
    for name, value in tf_values.items():
        assert ours[name] == pytest.approx(value, rel=1e-12, abs=1e-15), name
    np.testing.assert_allclose(gradients(np.array(network.weights), network), tf_gradients, rtol=1e-12, atol=1e-15)
