"""CIFAR-style spiking ResNets of SEENN Table 6 (Appendix E)."""
from __future__ import annotations

from functools import partial

from torch import nn

from ..layers import SpikingNet
from ..neurons import SpikingNeuron
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


# how residual branches start: PyTorch's default initialisation (the papers') | "identity": every BasicBlock
# starts as the identity on its input spikes (init_identity_residuals), which lets a plain deep spiking ResNet learn
RESIDUAL_INITS = ("default", "identity")


def identity_bias(neuron: nn.Module) -> float:
    """The BN shift β under which a LIF neuron fed x + β, x in {0, 1}, spikes exactly when x = 1: an input spike
    on a reset potential must cross V (1 + β > V) and a silent input must never reach it (the charge
    β (1 + τ + τ² + ...) stays below β / (1 − τ) <= V); β = V (1 − τ) / 2 is the middle of that range.
    Other activations (an ANN twin's ReLU) get 0: zero-γ alone is their identity."""
    if not isinstance(neuron, SpikingNeuron):
        return 0.0
    v_th, tau = float(neuron.v_th), neuron.tau
    if neuron.kind != "lif" or not 0 <= tau < 1 or neuron.u_init != 0 or not 0 < v_th < 2 / (1 + tau):
        raise ValueError(f"residual_init='identity' needs a LIF neuron (tau < 1) from rest with v_th < 2 / (1 + tau) "
                         f"so that a lone input spike can pass; got {neuron.extra_repr()}, u_init={neuron.u_init}. "
                         "Use residual_init='default' for this neuron.")
    return v_th * (1 - tau) / 2


def init_identity_residuals(model: nn.Module) -> nn.Module:
    """Start every BasicBlock of `model` as a spike identity (like torchvision's zero_init_residual, plus the
    shift a spiking neuron needs): the branch's last BN gets γ = 0 and β = identity_bias, so at initialisation
    the block passes its input spikes on unchanged and a deep plain ResNet starts as a shallow one. Measured on
    the ImageNet stand-in (ResNet-34 at 1/8 width, T = 6, four epochs, Adam 2e-3): 63 % against 10 % with
    PyTorch's default initialisation."""
    for block in model.modules():
        if isinstance(block, BasicBlock):
            bn = block.conv2[1]
            nn.init.zeros_(bn.weight)
            nn.init.constant_(bn.bias, identity_bias(block.act2))
    return model


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
