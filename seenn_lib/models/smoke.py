"""A small spiking CNN sized for the smoke profile (Fashion-MNIST on a 2-core CPU)."""
from __future__ import annotations

from torch import nn

from ..layers import SpikingNet
from .registry import register
from .common import conv_bn, neuron_factory


class SmokeCNN(SpikingNet):
    """conv-BN-LIF (encoder) -> pool -> conv-BN-LIF -> pool -> conv-BN-LIF -> FC on 28x28 input."""

    def __init__(self, num_classes: int = 10, in_channels: int = 1, width: int = 16, image_size: int = 28,
                 act=None, **neuron_kw):
        super().__init__()
        act = act or neuron_factory(**neuron_kw)
        w = width
        self.features = nn.Sequential(
            conv_bn(in_channels, w), act(), nn.AvgPool2d(2),
            conv_bn(w, 2 * w), act(), nn.AvgPool2d(2),
            conv_bn(2 * w, 4 * w), act(),
        )
        self.classifier = nn.Linear(4 * w * (image_size // 4) ** 2, num_classes)

    def body(self, x):
        return self.classifier(self.features(x).flatten(1))


@register("smoke_cnn")
def smoke_cnn(**kw):
    return SmokeCNN(**kw)
