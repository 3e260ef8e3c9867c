"""ImageNet ResNet-34 (He et al. 2016 topology, spiking) and SEW-ResNet-34 (Fang et al. 2021, ADD)."""
from __future__ import annotations

from torch import nn

from ..layers import SpikingNet
from .registry import register
from .common import check_choice, conv_bn, neuron_factory, residual_stages
from .resnet import RESIDUAL_INITS, BasicBlock, _scaled, init_identity_residuals

RESNET34_STAGES = [(64, 3), (128, 4), (256, 6), (512, 3)]
# conv7x7/2 + max-pool 3x3/2 (He et al.; the default) | conv3x3/1 without pooling (the ResNet class of the QCFS
# code, which its ImageNet ResNet-34 uses; it also leaves no max-pool for conversion to refuse)
STEMS = ("imagenet", "cifar")


class SEWBlock(nn.Module):
    """Spike-element-wise block with the ADD connection: SN(BN(conv(SN(BN(conv(x)))))) + shortcut(x),
    where the shortcut is the identity or SN(BN(conv1x1)). The sum is not passed through a neuron, so the
    next block receives spike counts (0, 1, 2, ...), as in Fang et al. 2021."""

    def __init__(self, c_in: int, c_out: int, stride: int, act):
        super().__init__()
        self.branch = nn.Sequential(conv_bn(c_in, c_out, stride), act(), conv_bn(c_out, c_out), act())
        self.shortcut = (nn.Sequential(conv_bn(c_in, c_out, stride, kernel=1), act())
                         if stride != 1 or c_in != c_out else nn.Identity())

    def forward(self, x):
        return self.branch(x) + self.shortcut(x)


def resnet_stem(in_channels: int, width: int, act, stem: str = "imagenet") -> nn.Sequential:
    """The stem of STEMS: conv-BN-neuron, then (stem 'imagenet') max-pooling."""
    if check_choice("stem", stem, STEMS) == "cifar":
        return nn.Sequential(conv_bn(in_channels, width), act())
    return nn.Sequential(conv_bn(in_channels, width, stride=2, kernel=7), act(), nn.MaxPool2d(3, stride=2, padding=1))


class ImageNetResNet(SpikingNet):
    """conv7x7/2 -> BN -> neuron -> max-pool 3x3/2 (stem='cifar': conv3x3/1 -> BN -> neuron) -> four stages
    (stages 2-4 halve the resolution in their first block) -> global average pool -> FC."""

    def __init__(self, block, stages: list[tuple[int, int]], num_classes: int = 1000, in_channels: int = 3,
                 act=None, stem: str = "imagenet", **neuron_kw):
        super().__init__()
        act = act or neuron_factory(**neuron_kw)
        c = stages[0][0]
        self.stem = resnet_stem(in_channels, c, act, stem)
        self.blocks, c = residual_stages(block, c, stages, act)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(c, num_classes)

    def body(self, x):
        return self.fc(self.pool(self.blocks(self.stem(x))).flatten(1))


@register("resnet34")
def resnet34(width_mult: float = 1.0, residual_init: str = "default", **kw):
    """Standard ResNet-34: 3, 4, 6, 3 basic blocks of 64, 128, 256, 512 channels; the neuron follows the
    residual addition (as in TET / tdBN's spiking ResNet-34). residual_init: resnet.RESIDUAL_INITS."""
    model = ImageNetResNet(BasicBlock, _scaled(RESNET34_STAGES, width_mult), **kw)
    if check_choice("residual_init", residual_init, RESIDUAL_INITS) == "identity":
        init_identity_residuals(model)
    return model


@register("sew_resnet34")
def sew_resnet34(width_mult: float = 1.0, **kw):
    """SEW-ResNet-34 with the ADD connect function (the network SEENN uses on ImageNet)."""
    return ImageNetResNet(SEWBlock, _scaled(RESNET34_STAGES, width_mult), **kw)
