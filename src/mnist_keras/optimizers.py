"""The optimizers and the learning-rate schedule of the recipe.

The two mixins override private hooks of keras.optimizers.Optimizer (`_update_model_variables_moving_average`
and `_apply_weight_decay`); tests/test_optimizers.py checks that Keras still has and calls them, so
that an upgrade that renames them fails a test instead of silently training differently.
"""
import keras

from mnist_keras.config import Hyperparameters


def learning_rate(hp, steps_per_epoch):
    if hp.schedule == "constant":
        return hp.learning_rate
    warmup = int(hp.warmup_epochs * steps_per_epoch)
    total = hp.epochs * steps_per_epoch
    return keras.optimizers.schedules.CosineDecay(
        initial_learning_rate=hp.learning_rate * hp.warmup_start, warmup_target=hp.learning_rate,
        warmup_steps=warmup, decay_steps=max(total - warmup, 1), alpha=0.0)


class WarmUpEMA:
    """Optimizer mixin: the weights' moving average has momentum min(ema, (1 + t) / (warmup_steps + t))
    at step t, as TensorFlow's ExponentialMovingAverage with num_updates. Keras's fixed momentum keeps
    the first step's barely trained weights in the average for thousands of steps (0.999: a third
    of them after 1,000), so validation, which sees the average, lagged the training by 4-5 epochs."""

    def __init__(self, *args, ema_warmup_steps=Hyperparameters.ema_warmup_steps, **kwargs):
        super().__init__(*args, **kwargs)
        self.ema_warmup_steps = ema_warmup_steps

    def get_config(self):
        return {**super().get_config(), "ema_warmup_steps": self.ema_warmup_steps}

    def _update_model_variables_moving_average(self, trainable_variables):
        if not self.use_ema:
            return
        step = keras.ops.cast(self.iterations, "float32")
        momentum = keras.ops.minimum(self.ema_momentum, (1 + step) / (self.ema_warmup_steps + step))
        for variable, average in zip(trainable_variables, self._model_variables_moving_average):
            if average is not None:
                m = keras.ops.cast(momentum, variable.dtype)
                average.assign(m * average + (1 - m) * variable)


class DecayAtOneRate:
    """Optimizer mixin: the decoupled weight decay reads the learning rate once per step. Keras
    reads it once per variable, and evaluating a schedule (CosineDecay builds a conditional each
    time) for each of the model's 25 variables made up most of the first training step's 7.4 s of
    tracing, and ran 25 times in every step (2 AVX2 cores)."""

    def _apply_weight_decay(self, variables):
        if self.weight_decay is None:
            return
        decay = keras.ops.cast(self.learning_rate, "float32") * self.weight_decay
        for variable in variables:
            if self._use_weight_decay(variable):
                variable.assign(variable - variable * keras.ops.cast(decay, variable.dtype))


class SGD(WarmUpEMA, DecayAtOneRate, keras.optimizers.SGD):
    pass


class AdamW(WarmUpEMA, DecayAtOneRate, keras.optimizers.AdamW):
    pass


def optimizer(hp, steps_per_epoch):
    """The recipe's optimizer: SGD with Nesterov momentum, or AdamW, on the schedule."""
    schedule = learning_rate(hp, steps_per_epoch)
    ema = {"use_ema": hp.ema > 0, "ema_momentum": hp.ema or 0.99, "ema_warmup_steps": hp.ema_warmup_steps}
    if hp.optimizer == "adamw":
        return AdamW(schedule, beta_1=hp.momentum, weight_decay=hp.weight_decay, **ema)
    return SGD(schedule, momentum=hp.momentum, nesterov=True, weight_decay=hp.weight_decay or None, **ema)
