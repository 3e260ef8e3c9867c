"""Parameters, operations and energy of a (spiking) network, measured on real inputs.

Convention (SEENN App. D: "the addition costs 0.9 pJ and the multiplication 4.6 pJ", the 45 nm fp32 figures of
Horowitz 2014):
  - a multiply-accumulate (MAC) is a multiplication and an addition, 4.6 + 0.9 = 5.5 pJ; an accumulate (AC)
    is an addition, 0.9 pJ. TEAS Fig. 8 prices the integer data format at 45 nm instead (INT32_45NM);
  - an ANN (or the ANN twin of a model) performs every MAC of every weight layer, the classifier included;
  - an SNN's encoding layer (the first weight layer, fed the real-valued image at every timestep) performs
    MACs; every other weight layer, the classifier included, performs one AC per incoming spike per outgoing
    synapse: its synaptic operations (SOPs) are counted from the spikes that actually arrive,
    sum_i s_i * fanout(i). Spikes count as spikes whatever charge they carry (a converted SNN's spike
    carries λ; it is one addition of a λ-scaled weight). An input that is a spike count (SEW-ResNet's ADD)
    counts once per spike; a pooled spike map counts at its value, MACs x firing rate, the usual estimate.
"""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass

import pandas as pd
import torch
import torch.nn.functional as F
from torch import nn

from .neurons import SpikingNeuron
from .qcfs import SpikingQCFS

WEIGHT_LAYERS = (nn.Conv2d, nn.Linear)
# what a spike map may pass through on its way to the next weight layer, keeping its scale
SCALE_KEEPING = (nn.AvgPool2d, nn.AdaptiveAvgPool2d, nn.Flatten, nn.Dropout, nn.Identity)


@dataclass(frozen=True)
class CostModel:
    """Energy (pJ) of one addition and one multiplication; a MAC is both, an AC one addition."""
    name: str
    add_pj: float
    mult_pj: float

    @property
    def mac_pj(self) -> float:
        return self.mult_pj + self.add_pj


FP32_45NM = CostModel("fp32, 45 nm (SEENN App. D)", add_pj=0.9, mult_pj=4.6)
INT32_45NM = CostModel("int32, 45 nm (TEAS Fig. 8b; Horowitz 2014)", add_pj=0.1, mult_pj=3.1)
MAC_PJ, AC_PJ = FP32_45NM.mac_pj, FP32_45NM.add_pj


def count_params(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def dense_macs(layer: nn.Module, x: torch.Tensor, out: torch.Tensor) -> int:
    """MACs the layer performed for this (time-folded) batch."""
    if isinstance(layer, nn.Conv2d):
        per_output = layer.in_channels // layer.groups * layer.kernel_size[0] * layer.kernel_size[1]
        return out.numel() * per_output
    return out.numel() * layer.in_features


def synaptic_ops(layer: nn.Module, x: torch.Tensor) -> float:
    """sum_i x_i * fanout(i): the layer applied to x with all-ones weights and no bias (exact at borders
    and strides)."""
    if isinstance(layer, nn.Conv2d):
        ones = torch.ones(1, layer.in_channels // layer.groups, *layer.kernel_size, dtype=x.dtype,
                          device=x.device).expand(layer.out_channels, -1, -1, -1)
        return F.conv2d(x, ones, None, layer.stride, layer.padding, layer.dilation, layer.groups).sum().item()
    return x.sum().item() * layer.out_features


def _is_spiking(model: nn.Module) -> bool:
    return any(isinstance(m, SpikingNeuron) for m in model.modules())


@contextmanager
def forward_hooks(model: nn.Module, kinds: tuple[type, ...], hook):
    """`hook` on every submodule of the given types while the block runs; removed afterwards."""
    handles = [m.register_forward_hook(hook) for m in model.modules() if isinstance(m, kinds)]
    try:
        yield
    finally:
        for h in handles:
            h.remove()


@contextmanager
def spike_charges(model: nn.Module):
    """Yields {storage address: (charge, tensor)} of the tensors holding charge-carrying spikes while the
    block runs: a converted SNN's spike maps (SpikingQCFS: λ x spike) and what scale-keeping modules (average
    pooling, flattening) make of them. The tensors stay referenced, so no other tensor can take their address."""
    charges: dict[int, tuple[float, torch.Tensor]] = {}

    def mark(module, inputs, out):
        charges[out.data_ptr()] = (float(module.neuron.v_th), out)

    def carry(module, inputs, out):
        found = charges.get(inputs[0].data_ptr())
        if found is not None:
            charges[out.data_ptr()] = (found[0], out)
    with forward_hooks(model, (SpikingQCFS,), mark), forward_hooks(model, SCALE_KEEPING, carry):
        yield charges


@torch.no_grad()
def count_ops(model: nn.Module, x_seq: torch.Tensor, cost: CostModel = FP32_45NM) -> pd.DataFrame:
    """Run model(x_seq [T, B, ...]) once and count, per weight layer in execution order: params, MACs
    per sample per timestep, input firing rate (mean input value for spike inputs), MACs and SOPs per
    sample over the T steps, and their energy in pJ under `cost`. Works for SNNs and their ANN twins alike;
    spikes that carry a charge (converted SNNs) count as spikes."""
    if x_seq.dim() < 3:
        raise ValueError(f"expected a time-first input [T, B, ...], got shape {tuple(x_seq.shape)}; "
                         "use seenn_lib.layers.repeat_time(x, T)")
    time_steps, batch = x_seq.shape[:2]
    spiking = _is_spiking(model)
    names = {m: n for n, m in model.named_modules()}
    rows = []

    def hook(layer, inputs, out):
        x = inputs[0]
        x = x / charges.get(x.data_ptr(), (1.0,))[0]
        encoding = not rows
        macs = dense_macs(layer, x, out) / batch
        if spiking and not encoding:
            if (x < 0).any():
                raise ValueError(f"layer {names[layer]} of a spiking model receives negative inputs, so "
                                 "they are not spikes; count it with the ANN twin (neuron='relu')")
            sops, rate = synaptic_ops(layer, x) / batch, x.float().mean().item()
            dense = 0.0
        else:
            sops, rate, dense = 0.0, float("nan"), macs
        rows.append({"layer": names[layer], "type": type(layer).__name__,
                     "params": sum(p.numel() for p in layer.parameters()),
                     "macs_per_step": macs / time_steps, "input_rate": rate, "macs": dense, "sops": sops})

    model.eval()
    with spike_charges(model) as charges, forward_hooks(model, WEIGHT_LAYERS, hook):
        model(x_seq)
    df = pd.DataFrame(rows)
    df["energy_pj"] = energy_pj(df["macs"], df["sops"], cost)
    return df


def energy_pj(macs, sops, cost: CostModel = FP32_45NM):
    """Energy of `macs` multiply-accumulates and `sops` accumulates (scalars, arrays or Series): 5.5 pJ per
    MAC and 0.9 pJ per AC under SEENN's fp32 figures."""
    return macs * cost.mac_pj + sops * cost.add_pj


@torch.no_grad()
def firing_rates(model: nn.Module, x_seq: torch.Tensor) -> pd.DataFrame:
    """Per neuron layer: spikes per sample over T, neurons, and firing rate = spikes / (neurons * T)."""
    time_steps, batch = x_seq.shape[:2]
    names = {m: n for n, m in model.named_modules()}
    rows = []

    def hook(neuron, inputs, out):
        neurons = out[0].numel()
        spikes = out.sum().item() / batch
        rows.append({"layer": names[neuron], "spikes": spikes, "neurons": neurons,
                     "firing_rate": spikes / (neurons * time_steps)})

    model.eval()
    with forward_hooks(model, (SpikingNeuron,), hook):
        model(x_seq)
    return pd.DataFrame(rows, columns=["layer", "spikes", "neurons", "firing_rate"])


def summarize_ops(ops: pd.DataFrame) -> dict:
    """Whole-network totals of a count_ops table (per sample over its T steps)."""
    return {"params": int(ops["params"].sum()), "macs_per_step": float(ops["macs_per_step"].sum()),
            "macs": float(ops["macs"].sum()), "sops": float(ops["sops"].sum()),
            "energy_pj": float(ops["energy_pj"].sum())}
