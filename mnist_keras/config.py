"""Every training setting in one place; the values are the CLI's defaults."""
from dataclasses import dataclass


@dataclass(frozen=True)
class Hyperparameters:
    model: str = "seed"
    epochs: int = 20
    batch_size: int = 128  # images per step
    optimizer: str = "sgd"  # SGD with Nesterov momentum
    momentum: float = 0.9
    learning_rate: float = 0.05  # the peak of the one-cycle schedule
    schedule: str = "onecycle"  # linear warm-up to the peak, cosine decay to ~0; or "constant"
    warmup_epochs: float = 3.0
    weight_decay: float = 5e-4  # decoupled, per step, scaled by the learning rate
    label_smoothing: float = 0.0
    dropout: float = 0.05  # after every convolution
    rotation_degrees: float = 8.0  # random rotation of training images, +-
    shift_pixels: float = 2.0  # random translation of training images, +-
    seed: int = 1
