"""ANN -> SNN conversion with the QCFS activation (SEENN §4.1, Tables 2-3).

Source: T. Bu, W. Fang, J. Ding, P. Dai, Z. Yu, T. Huang, "Optimal ANN-SNN Conversion for High-accuracy
and Ultra-low-latency Spiking Neural Networks", ICLR 2022 (QCFS), and its public code. Every QCFS activation
of the ANN (seenn_lib.qcfs) becomes its spiking counterpart, an IF neuron with threshold λ and initial
potential λ/2 whose spikes carry λ.
"""
from __future__ import annotations

import copy

import pandas as pd
import torch
from torch import nn

from .config import TrainConfig
from .exits import alpha_sweep, fixed_sweep
from .layers import SpikingNet
from .qcfs import QCFS, ConvertedIF, SpikingQCFS

__all__ = ["QCFS", "ConvertedIF", "SpikingQCFS", "TimeFolded", "accuracy_timesteps_table", "check_qcfs_config",
           "convert"]


def _replace_qcfs(module: nn.Module, u_init: float, if_reset: str) -> int:
    replaced = 0
    for name, child in module.named_children():
        if isinstance(child, QCFS):
            setattr(module, name, SpikingQCFS(child.threshold, u_init, if_reset))
            replaced += 1
        else:
            replaced += _replace_qcfs(child, u_init, if_reset)
    return replaced


def with_levels(ann: nn.Module, levels: int) -> nn.Module:
    """A copy of a QCFS ANN with every QCFS at `levels` quantisation levels, weights and λ unchanged. With
    levels = 1 it is the converted SNN's first timestep: an IF neuron starting at λ/2 fires at t = 1 exactly
    where x >= λ/2, which is where QCFS with L = 1 outputs λ (and 0 elsewhere), layer after layer."""
    if int(levels) != levels or levels < 1:
        raise ValueError(f"QCFS levels (the quantization step L) must be an integer >= 1, got {levels}")
    quantised = copy.deepcopy(ann)
    qcfs = [m for m in quantised.modules() if isinstance(m, QCFS)]
    if not qcfs:
        raise ValueError(f"{type(ann).__name__} has no QCFS activation; build the ANN with model_kw={{'neuron': "
                         "'qcfs'}}")
    for module in qcfs:
        module.levels = int(levels)
    return quantised.eval()


class TimeFolded(SpikingNet):
    """Any module as a SpikingNet: its layers see time-folded [T*B, ...] batches, its spiking neurons the time
    axis, and it gains step / keep / reset like every registry model."""

    def __init__(self, module: nn.Module):
        super().__init__()
        self.module = module

    def body(self, x: torch.Tensor) -> torch.Tensor:
        return self.module(x)


def convert(ann: nn.Module, u_init: float = 0.5, if_reset: str = "subtract") -> SpikingNet:
    """A copy of the QCFS ANN in which every QCFS is an IF neuron (threshold λ, initial potential
    u_init·λ; the paper's shift is u_init = 0.5; reset by subtraction, or to 0 with if_reset="zero").
    BatchNorm is kept as in the ANN (eval mode: a fixed affine map per step). `ann` is a registry model built
    with neuron='qcfs' or any nn.Module containing QCFS activations (then wrapped in TimeFolded). Returns the
    SNN in eval mode: snn(x[T, B, ...]) -> [T, B, C]."""
    pools = [type(m).__name__ for m in ann.modules() if isinstance(m, (nn.MaxPool1d, nn.MaxPool2d, nn.MaxPool3d))]
    if pools:
        raise ValueError(f"the ANN uses {pools[0]}: max-pooling of spikes does not convert; use average pooling")
    snn = copy.deepcopy(ann if isinstance(ann, SpikingNet) else TimeFolded(ann))
    if _replace_qcfs(snn, u_init, if_reset) == 0:
        raise ValueError(f"{type(ann).__name__} has no QCFS activation to convert; build the ANN with "
                         "model_kw={'neuron': 'qcfs'}")
    return snn.eval()


def check_qcfs_config(cfg: TrainConfig) -> TrainConfig:
    if cfg.model_kw.get("neuron") != "qcfs":
        raise ValueError(f"experiment is not a QCFS ANN (model_kw={cfg.model_kw}); "
                         "use a profile row with model_kw={'neuron': 'qcfs', ...}")
    if cfg.time_steps != 1:
        raise ValueError(f"a QCFS ANN trains with time_steps=1, got {cfg.time_steps}; the SNN's T_max is "
                         "the t_max argument of converted_logits (default: config.CONVERSION_T_MAX)")
    return cfg


def accuracy_timesteps_table(mean_logits: torch.Tensor, target: torch.Tensor, fixed_t: list[int],
                             alphas: list[float], exit_t_max: int | None = None) -> pd.DataFrame:
    """SEENN Table 2 / Table 3 format: QCFS at fixed T beside SEENN-I at each α, one tidy row per setting
    with accuracy (%), (average) timesteps and the paper-style cell "accuracy (T)". SEENN-I runs on the
    first `exit_t_max` steps (default: all cached ones; see exit_t_max(cfg))."""
    t_max = mean_logits.shape[0]
    bad = [t for t in fixed_t if not 1 <= t <= t_max]
    if bad:
        raise ValueError(f"fixed timesteps {bad} lie outside 1..{t_max} (the cached T_max)")
    exit_t_max = exit_t_max or t_max
    if not 1 <= exit_t_max <= t_max:
        raise ValueError(f"exit_t_max {exit_t_max} lies outside 1..{t_max} (the cached T_max)")
    fixed = fixed_sweep(mean_logits, target)
    fixed = fixed[fixed["T"].isin(fixed_t)].assign(method="QCFS", alpha=float("nan"))
    seenn = alpha_sweep(mean_logits[:exit_t_max], target, alphas).assign(method="SEENN-I")
    table = pd.concat([fixed.drop(columns="T"), seenn], ignore_index=True)
    table["cell"] = [f"{a:.2f} ({t:.3g})" for a, t in zip(table.accuracy, table.avg_timesteps)]
    return table[["method", "alpha", "avg_timesteps", "accuracy", "cell"]]
