"""The same CNN and training recipe in plain PyTorch (eager), for the speed benchmark only.

Built from the same rows of layers as the Keras model (architecture.py), so that both have the same
layers and parameter count; trained the way the Keras trainer trains: SGD with Nesterov
momentum and weight decay, dropout, random rotation and translation of every batch, and an
exponential moving average of the weights.
"""
import math

import torch
from torch import nn
from torch.nn import functional as F

from mnist_keras import architecture

DROPOUTS = {architecture.DROPOUT: nn.Dropout, architecture.SPATIAL_DROPOUT: nn.Dropout2d}


def _modules(layer, channels):
    """The PyTorch modules of one design row, given its input's channels."""
    padding, bias = layer.padding, bool(layer.bias)
    if layer.kind == architecture.CONVOLUTION:
        return [nn.Conv2d(channels, layer.filters, layer.kernel, layer.stride, padding, bias=bias)]
    if layer.kind == architecture.SEPARABLE:  # Keras's SeparableConv2D: a filter per channel, then 1x1 across
        return [nn.Conv2d(channels, channels, layer.kernel, layer.stride, padding, groups=channels, bias=False),
                nn.Conv2d(channels, layer.filters, 1, bias=bias)]
    if layer.kind == architecture.POOLING:
        return [*([nn.ZeroPad2d(padding)] if padding else []), nn.MaxPool2d(layer.kernel, layer.stride)]
    if layer.kind in DROPOUTS:
        return [DROPOUTS[layer.kind](layer.rate)]
    if layer.kind == architecture.DENSE:
        return [nn.Linear(channels, layer.filters, bias=bias)]
    return {architecture.BATCHNORM: [nn.BatchNorm2d(channels)], architecture.RELU: [nn.ReLU()],
            architecture.FLATTEN: [nn.Flatten()],
            architecture.GLOBAL_POOLING: [nn.AdaptiveAvgPool2d(1), nn.Flatten()]}[layer.kind]


def build(hp):
    """The PyTorch twin of the model a recipe trains (model.build_model); each row's input channels
    are those architecture.shapes gives the row above."""
    layers = architecture.layers_of(hp)
    channels_in = [architecture.INPUT_CHANNELS, *(shape.channels for shape in architecture.shapes(layers))]
    return nn.Sequential(*(module for layer, channels in zip(layers, channels_in)
                           for module in _modules(layer, channels)))


def trainable_parameters(model):
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def augment(images, hp):
    """Each image rotated by up to +-hp.rotation_degrees, zoomed by up to +-hp.zoom and shifted by
    up to +-hp.shift_pixels, in one batched affine resampling (images: N x 1 x 28 x 28, normalized)."""
    n, _, height, _ = images.shape
    angle = (torch.rand(n) * 2 - 1) * math.radians(hp.rotation_degrees)
    scale = 1 + (torch.rand(n) * 2 - 1) * hp.zoom
    shift = (torch.rand(n, 2) * 2 - 1) * hp.shift_pixels * 2 / height  # in [-1, 1] grid units
    cos, sin = torch.cos(angle) * scale, torch.sin(angle) * scale
    theta = torch.stack([torch.stack([cos, -sin, shift[:, 0]], 1), torch.stack([sin, cos, shift[:, 1]], 1)], 1)
    grid = F.affine_grid(theta, images.shape, align_corners=False)
    black = images.amin()
    return F.grid_sample(images - black, grid, align_corners=False) + black


class Trainer:
    """One training step at a time: the model, its optimizer and its weights' moving average.
    channels_last: NHWC tensors (oneDNN's native layout); compiled: torch.compile (inductor)."""

    def __init__(self, hp, channels_last=False, compiled=False):
        self.hp = hp
        self.memory_format = torch.channels_last if channels_last else torch.contiguous_format
        self.model = build(hp).to(memory_format=self.memory_format)
        self.forward = torch.compile(self.model) if compiled else self.model
        self.optimizer = torch.optim.SGD(self.model.parameters(), lr=hp.learning_rate, momentum=hp.momentum,
                                         nesterov=True, weight_decay=hp.weight_decay)
        self.average = (torch.optim.swa_utils.AveragedModel(self.model, multi_avg_fn=self.warmed_up_ema)
                        if hp.ema else None)
        self.model.train()

    def warmed_up_ema(self, averaged, current, steps):
        """The Keras trainer's average (optimizers.WarmUpEMA): momentum min(ema, (1 + t) / (ema_warmup_steps + t))."""
        t = int(steps)
        momentum = min(self.hp.ema, (1 + t) / (self.hp.ema_warmup_steps + t))
        torch.optim.swa_utils.get_ema_multi_avg_fn(momentum)(averaged, current, steps)

    def step(self, images, labels):
        if self.hp.rotation_degrees or self.hp.zoom or self.hp.shift_pixels:
            images = augment(images, self.hp)
        self.optimizer.zero_grad(set_to_none=True)
        loss = F.cross_entropy(self.forward(images.contiguous(memory_format=self.memory_format)), labels)
        loss.backward()
        self.optimizer.step()
        if self.average is not None:
            self.average.update_parameters(self.model)
        return loss
