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

from .adapters import SJ_NEURONS, AdaptedNet, adapt, is_neuron, known_neurons, memory_modules
from .layers import SpikingNet
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
        x = x.flatten(0, -4)  # SpikingJelly's multi-step layers see [T, B, C, H, W]
        ones = torch.ones(1, layer.in_channels // layer.groups, *layer.kernel_size, dtype=x.dtype,
                          device=x.device).expand(layer.out_channels, -1, -1, -1)
        return F.conv2d(x, ones, None, layer.stride, layer.padding, layer.dilation, layer.groups).sum().item()
    return x.sum().item() * layer.out_features


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


def spiking_model(model: nn.Module, purpose: str = "count_ops") -> tuple[nn.Module, bool]:
    """(the model to run, whether it spikes): a SpikingJelly network is adapted (seenn_lib.adapters.adapt);
    its neurons, and those an adapted network declares, must be of a type whose output is 0/1 spikes
    (adapters.known_neurons), so that nothing is counted silently wrong."""
    if not isinstance(model, SpikingNet) and any(is_neuron(m) for m in memory_modules(model)):
        model = adapt(model)
    neurons = model.neurons() if isinstance(model, AdaptedNet) else [m for m in model.modules() if is_neuron(m)]
    if isinstance(model, AdaptedNet) and not neurons:
        raise ValueError(f"{purpose}: {type(model.model).__name__} shows no spiking neurons (ours or SpikingJelly's, "
                         "or a neurons() method), so its synaptic operations cannot be counted")
    return model, bool(known_neurons(neurons, purpose))


@torch.no_grad()
def count_ops(model: nn.Module, x_seq: torch.Tensor, cost: CostModel = FP32_45NM) -> pd.DataFrame:
    """Run model(x_seq [T, B, ...]) once and count, per weight layer in execution order: params, MACs
    per sample per timestep, input firing rate (mean input value for spike inputs), MACs and SOPs per
    sample over the T steps, and their energy in pJ under `cost`. Works for SNNs and their ANN twins alike,
    and for networks from elsewhere (seenn_lib.adapters: SpikingJelly's IF / LIF / ParametricLIF neurons; another
    neuron type is an error); spikes that carry a charge (converted SNNs) count as spikes."""
    if x_seq.dim() < 3:
        raise ValueError(f"expected a time-first input [T, B, ...], got shape {tuple(x_seq.shape)}; "
                         "use seenn_lib.layers.repeat_time(x, T)")
    time_steps, batch = x_seq.shape[:2]
    model, spiking = spiking_model(model)
    names = {m: n for n, m in model.named_modules()}
    rows: dict[nn.Module, dict] = {}  # a network run step by step calls each layer T times

    def hook(layer, inputs, out):
        x = inputs[0]
        x = x / charges.get(x.data_ptr(), (1.0,))[0]
        encoding = not rows or next(iter(rows)) is layer
        row = rows.setdefault(layer, {"layer": names[layer], "type": type(layer).__name__,
                                      "params": sum(p.numel() for p in layer.parameters()), "macs_per_step": 0.0,
                                      "input_sum": 0.0, "inputs": 0, "macs": 0.0, "sops": 0.0})
        macs = dense_macs(layer, x, out) / batch
        row["macs_per_step"] += macs / time_steps
        if spiking and not encoding:
            if (x < 0).any():
                raise ValueError(f"layer {names[layer]} of a spiking model receives negative inputs, so "
                                 "they are not spikes; count it with the ANN twin (neuron='relu')")
            row["sops"] += synaptic_ops(layer, x) / batch
            row["input_sum"] += x.float().sum().item()
            row["inputs"] += x.numel()
        else:
            row["macs"] += macs

    model.eval()
    with spike_charges(model) as charges, forward_hooks(model, WEIGHT_LAYERS, hook):
        model(x_seq)
    df = pd.DataFrame(list(rows.values()))
    df.insert(4, "input_rate", [r["input_sum"] / r["inputs"] if r["inputs"] else float("nan") for r in rows.values()])
    df = df.drop(columns=["input_sum", "inputs"])
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
    model, _ = spiking_model(model, "firing_rates")
    names = {m: n for n, m in model.named_modules()}
    totals: dict[nn.Module, dict] = {}  # a network run step by step calls each neuron T times

    def hook(neuron, inputs, out):
        row = totals.setdefault(neuron, {"layer": names[neuron], "spikes": 0.0, "outputs": 0})
        row["spikes"] += out.sum().item() / batch
        row["outputs"] += out.numel()

    model.eval()
    with forward_hooks(model, (SpikingNeuron, *SJ_NEURONS), hook):
        model(x_seq)
    rows = [{"layer": r["layer"], "spikes": r["spikes"], "neurons": r["outputs"] // (batch * time_steps),
             "firing_rate": r["spikes"] * batch / r["outputs"]} for r in totals.values()]
    return pd.DataFrame(rows, columns=["layer", "spikes", "neurons", "firing_rate"])


def summarize_ops(ops: pd.DataFrame) -> dict:
    """Whole-network totals of a count_ops table (per sample over its T steps)."""
    return {"params": int(ops["params"].sum()), "macs_per_step": float(ops["macs_per_step"].sum()),
            "macs": float(ops["macs"].sum()), "sops": float(ops["sops"].sum()),
            "energy_pj": float(ops["energy_pj"].sum())}
