"""CIFAR-style spiking ResNets of SEENN Table 6 (Appendix E)."""
from __future__ import annotations

from functools import partial

from torch import nn

from ..layers import SpikingNet
from .registry import register
from .common import SHORTCUTS, check_choice, conv_bn, neuron_factory, projection, residual_stages


class BasicBlock(nn.Module):
    """conv-BN-spike-conv-BN, plus the (projected, common.SHORTCUTS) input, then spike."""

    def __init__(self, c_in: int, c_out: int, stride: int, act, shortcut: str = "conv"):
        super().__init__()
        self.conv1, self.act1 = conv_bn(c_in, c_out, stride), act()
        self.conv2, self.act2 = conv_bn(c_out, c_out), act()
        self.shortcut = (projection(c_in, c_out, stride, shortcut)
                         if stride != 1 or c_in != c_out else nn.Identity())

    def forward(self, x):
        return self.act2(self.conv2(self.act1(self.conv1(x))) + self.shortcut(x))

    def same_time_neurons(self) -> list[nn.Module]:
        """Under per-layer T (TEAS), the sum adds act1's train (through conv2) to the block input, which
        arrives at act1's T: act1 and act2 must run one T."""
        return [self.act1, self.act2]


def basic_block(shortcut: str = "conv"):
    """BasicBlock with the given projection shortcut, as residual_stages builds blocks."""
    return partial(BasicBlock, shortcut=check_choice("shortcut", shortcut, SHORTCUTS))


class CifarResNet(SpikingNet):
    """stem conv3x3 (stride 1) -> stages of BasicBlocks (each stage after the first halves the
    resolution in its first block) -> global average pool -> FC. Direct encoding: the stem's
    conv+BN+spike encodes the image at every timestep. `shortcut`: common.SHORTCUTS ('avgpool': the official
    SEENN ResNet-19)."""

    def __init__(self, stages: list[tuple[int, int]], num_classes: int = 10, in_channels: int = 3,
                 stem_width: int | None = None, act=None, shortcut: str = "conv", **neuron_kw):
        super().__init__()
        act = act or neuron_factory(**neuron_kw)
        c = stem_width or stages[0][0]
        self.stem = nn.Sequential(conv_bn(in_channels, c), act())
        self.blocks, c = residual_stages(basic_block(shortcut), c, stages, act)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(c, num_classes)

    def body(self, x):
        return self.fc(self.pool(self.blocks(self.stem(x))).flatten(1))


def _scaled(stages, width_mult: float):
    return [(max(1, round(w * width_mult)), n) for w, n in stages]


@register("resnet19")
def resnet19(width_mult: float = 1.0, **kw):
    """Table 6: conv1 3x3 128; stages 128x3, 256x3*, 512x2*; GAP; FC (512, O). shortcut='avgpool' gives the
    official SEENN resnet19 (its resnet.py, width_mult 8: 16·8 = 128 channels)."""
    return CifarResNet(_scaled([(128, 3), (256, 3), (512, 2)], width_mult), **kw)


@register("resnet8")
def resnet8(width_mult: float = 1.0, **kw):
    """Table 6: conv1 3x3 16; stages 16x1, 32x1*, 64x1*; GAP; FC (64, O). SEENN-II's policy backbone
    (neuron='relu' gives its non-spiking form)."""
    return CifarResNet(_scaled([(16, 1), (32, 1), (64, 1)], width_mult), **kw)


@register("resnet18")
def resnet18(width_mult: float = 1.0, **kw):
    """Table 6: conv1 3x3 64 (stride 1, no max-pool); stages 64x2, 128x2*, 256x2*, 512x2*; GAP; FC (512, O)."""
    return CifarResNet(_scaled([(64, 2), (128, 2), (256, 2), (512, 2)], width_mult), **kw)


@register("resnet20")
def resnet20(width_mult: float = 1.0, **kw):
    """Table 6 as printed: conv1 3x3 16; stages 16x2, 32x2*, 64x2*; GAP; FC (64, O). (The classic He et al.
    ResNet-20 has 3 blocks per stage; SEENN's table lists 2, and we follow the table.)"""
    return CifarResNet(_scaled([(16, 2), (32, 2), (64, 2)], width_mult), **kw)
