"""The recipe's optimizers: the warmed-up weights' average and the weight decay read once per step,
and the private Keras hooks they override, still there and still called."""
import keras
import numpy as np
import pytest

from mnist_keras import optimizers

HOOKS = ["_update_model_variables_moving_average", "_apply_weight_decay"]


@pytest.mark.parametrize("hook", HOOKS)
def test_the_keras_hooks_the_mixins_override_still_exist_and_are_called_in_fit(hook, monkeypatch):
    keras_classes = [c for c in keras.optimizers.SGD.__mro__ if c.__module__.startswith("keras")]
    assert any(hook in vars(c) for c in keras_classes), f"Keras no longer defines {hook}"
    calls = []
    ours = getattr(optimizers.SGD, hook)

    def spy(self, *args):
        calls.append(hook)
        return ours(self, *args)
    monkeypatch.setattr(optimizers.SGD, hook, spy)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    model.compile(optimizer=optimizers.SGD(0.1, weight_decay=1e-3, use_ema=True, ema_momentum=0.9), loss="mse")
    model.fit(np.ones((8, 3), "float32"), np.zeros((8, 2), "float32"), batch_size=4, epochs=1, verbose=0)
    assert calls, f"Keras's fit no longer calls {hook}: the mixin's override is dead"


def test_the_weights_average_starts_short_then_lengthens_up_to_its_cap():
    """The average's momentum is (1 + t) / (10 + t) until it reaches the cap (here 0.8, from step
    35 on), then the cap: Keras's own average would start at the first weight and, at the cap,
    barely move from it."""
    weight = keras.Variable(0.0)
    optimizer = optimizers.SGD(learning_rate=1.0, use_ema=True, ema_momentum=0.8)
    average, momenta = 0.0, []
    for step in range(50):
        optimizer.apply([keras.ops.convert_to_tensor(-1.0)], [weight])  # the weight becomes step + 1
        momenta.append(min(0.8, (1 + step) / (10 + step)))
        average = momenta[-1] * average + (1 - momenta[-1]) * (step + 1)
        assert float(optimizer._model_variables_moving_average[0].numpy()) == pytest.approx(average, rel=1e-5)
    assert momenta[0] == 0.1 and momenta[34] < 0.8 and momenta[35:] == [0.8] * 15  # the cap was reached


def test_the_weight_decay_reads_the_learning_rate_once_per_step():
    """The same decayed weights as Keras's SGD, with the schedule evaluated once per step for
    the weight decay instead of once per variable."""
    class CountingSchedule(keras.optimizers.schedules.LearningRateSchedule):
        calls = 0

        def __call__(self, step):
            CountingSchedule.calls += 1
            return 0.1 + 0.0 * keras.ops.cast(step, "float32")

    def decayed(optimizer_class):
        variables = [keras.Variable([1.0, -2.0]) for _ in range(6)]
        optimizer = optimizer_class(CountingSchedule(), momentum=0.9, nesterov=True, weight_decay=5e-4)
        CountingSchedule.calls = 0
        optimizer.apply([keras.ops.zeros(2) for _ in variables], variables)
        return [v.numpy().tolist() for v in variables], CountingSchedule.calls

    ours, ours_calls = decayed(optimizers.SGD)
    kerass, kerass_calls = decayed(keras.optimizers.SGD)
    assert sum(ours, []) == pytest.approx(sum(kerass, []), rel=1e-6)
    assert ours[0][0] == pytest.approx(1 - 0.1 * 5e-4)
    assert kerass_calls >= 6 and ours_calls <= 2
