"""Building blocks shared by the model families."""
from __future__ import annotations

from functools import partial
from typing import Callable

from torch import nn

from ..neurons import SpikingNeuron
from ..qcfs import DEFAULT_THRESHOLD, QCFS

ANN_ACTIVATIONS = ("relu", "qcfs")
# the residual projection where a block changes width or resolution: a strided 1x1 conv + BN (He et al.; the
# default) | average pooling with the stride, then a 1x1 conv + BN (the official SEENN ResNet-19)
SHORTCUTS = ("conv", "avgpool")


def neuron_factory(neuron: str = "lif", tau: float = 0.5, v_th: float = 1.0, width: float = 1.0, levels: int = 4,
                   threshold: float = DEFAULT_THRESHOLD, surrogate: str = "triangle",
                   temperature: float = 3.0) -> Callable[[], nn.Module]:
    """What each model calls where an ANN would put its activation: a spiking neuron ('lif', 'if') with the
    triangle surrogate (default) or Dspike ('dspike' at `temperature`, the official SEENN training), or, for the
    ANN twin of the same topology, 'relu' or 'qcfs' (L = levels, initial λ = threshold)."""
    if neuron == "relu":
        return nn.ReLU
    if neuron == "qcfs":
        return partial(QCFS, levels=levels, threshold=threshold)
    if neuron in ("lif", "if"):
        return partial(SpikingNeuron, kind=neuron, tau=tau, v_th=v_th, width=width, surrogate=surrogate,
                       temperature=temperature)
    raise ValueError(f"unknown neuron {neuron!r}; use one of 'lif', 'if', {', '.join(map(repr, ANN_ACTIVATIONS))}")


def conv_bn(c_in: int, c_out: int, stride: int = 1, kernel: int = 3) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(c_in, c_out, kernel, stride, kernel // 2, bias=False),
                         nn.BatchNorm2d(c_out))


def check_choice(name: str, value: str, choices: tuple[str, ...]) -> str:
    if value not in choices:
        raise ValueError(f"unknown {name} {value!r}; use one of {', '.join(map(repr, choices))}")
    return value


def projection(c_in: int, c_out: int, stride: int, shortcut: str = "conv") -> nn.Sequential:
    """A residual block's projection shortcut (SHORTCUTS). 'avgpool' pools in ceil mode, so an odd-sized map
    keeps the branch's shape; on even sizes (CIFAR's 32 -> 16 -> 8) that is the official plain AvgPool2d."""
    if check_choice("shortcut", shortcut, SHORTCUTS) == "conv":
        return conv_bn(c_in, c_out, stride, kernel=1)
    return nn.Sequential(nn.AvgPool2d(stride, ceil_mode=True), *conv_bn(c_in, c_out, kernel=1))


def residual_stages(block, c_in: int, stages: list[tuple[int, int]], act) -> tuple[nn.Sequential, int]:
    """Stages of `block(c_in, c_out, stride, act)`: every stage after the first halves the resolution in
    its first block. Returns the blocks and their output width."""
    blocks = []
    for i, (width, n_blocks) in enumerate(stages):
        for j in range(n_blocks):
            blocks.append(block(c_in, width, 2 if (i > 0 and j == 0) else 1, act))
            c_in = width
    return nn.Sequential(*blocks), c_in
