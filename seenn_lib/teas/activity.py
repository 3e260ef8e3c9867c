"""Tidy tables of spiking activity per layer, rank correlations, and the vulnerable-layer sweep (TEAS Fig. 3)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import pandas as pd
import torch
from scipy.stats import spearmanr
from tqdm.auto import tqdm

from ..config import ACTIVITY_MEASURES
from ..layers import SpikingNet
from .network import activity_measure, input_noise, layer_names, run_fixed_t


def activity_column(measure: str) -> str:
    """The activity_table column that holds #Act(l) under TeasConfig.activity = `measure`."""
    if measure not in ACTIVITY_MEASURES:
        raise ValueError(f"activity measure must be one of {ACTIVITY_MEASURES}, got {measure!r}")
    return "activity" if measure == "eq2" else "rate"


def activity_table(activity: torch.Tensor, neurons: torch.Tensor, time_steps: Sequence[int],
                   names: Sequence[str] | None = None) -> pd.DataFrame:
    """Tidy per-sample, per-layer table: sample, layer, name, time_steps, neurons, activity (Eq. 2: the
    layer's spikes per timestep, measure "eq2"), rate (activity / neurons: the firing probability of one
    neuron per step, measure "rate")."""
    n, n_layers = activity.shape
    names = names or [f"layer {i}" for i in range(n_layers)]
    return pd.DataFrame({
        "sample": np.repeat(np.arange(n), n_layers),
        "layer": np.tile(np.arange(n_layers), n),
        "name": np.tile(np.asarray(names, dtype=object), n),
        "time_steps": np.tile(np.asarray(time_steps), n),
        "neurons": np.tile(neurons.numpy(), n),
        "activity": activity.flatten().numpy(),
        "rate": activity_measure(activity, neurons, "rate").flatten().numpy(),
    })


def layer_summary(per_sample: pd.DataFrame) -> pd.DataFrame:
    """Per-layer means of an activity_table."""
    keys = ["layer", "name", "time_steps", "neurons"]
    return per_sample.groupby(keys, as_index=False)[["activity", "rate"]].mean()


def rank_correlation(a: Sequence[float], b: Sequence[float]) -> float:
    """Spearman rank correlation (NaN when either side is constant)."""
    if len(a) != len(b) or len(a) < 2:
        raise ValueError(f"rank correlation needs two sequences of equal length >= 2, got {len(a)} and {len(b)}")
    if np.ptp(np.asarray(a, float)) == 0 or np.ptp(np.asarray(b, float)) == 0:
        return float("nan")
    return float(spearmanr(a, b).statistic)


@dataclass(frozen=True)
class VulnerabilitySweep:
    """TEAS Fig. 3 per test input: correctness of the clean network (`clean` [N] bool) and with noise on one
    layer at a time (`noisy` [U, L, N] bool: noise magnitude, layer, input), beside each input's activity per
    layer in the clean network (`activity` [N, L], Eq. 2) and the layers' neurons [L] and names."""
    magnitudes: tuple[float, ...]
    clean: torch.Tensor
    noisy: torch.Tensor
    activity: torch.Tensor
    neurons: torch.Tensor
    names: tuple[str, ...]
    time_steps: int

    def table(self) -> pd.DataFrame:
        """One tidy row per (u, layer): the layer's mean activity (both measures), the accuracy clean and with
        noise there (%), and the accuracy drop."""
        per_sample = activity_table(self.activity, self.neurons, [self.time_steps] * len(self.names),
                                    list(self.names))
        summary = layer_summary(per_sample)
        summary["accuracy_clean"] = self.clean.float().mean().item() * 100
        tables = [summary.assign(noise=u, accuracy_noisy=(noisy.float().mean(1) * 100).numpy())
                  for u, noisy in zip(self.magnitudes, self.noisy)]
        table = pd.concat(tables, ignore_index=True)
        table["accuracy_drop"] = table.accuracy_clean - table.accuracy_noisy
        return table


def vulnerability_sweep(snn: SpikingNet, time_steps: int, dataset, magnitudes: Sequence[float] = (0.1,),
                        device="cpu", batch_size: int = 256, seed: int = 0, progress: bool = True
                        ) -> VulnerabilitySweep:
    """TEAS Fig. 3 on a registry model or an adapted network (seenn_lib.adapters): for each noise magnitude u
    and spiking layer, which test inputs are classified right with noise of std u·V_th (the layer's firing
    threshold, input_noise) on that layer's input current only; and the clean network's activity per input."""
    clean, activity, neurons = run_fixed_t(snn, time_steps, dataset, device, batch_size, progress, "clean")
    layers = snn.neurons()
    noisy = []
    for magnitude in magnitudes:
        for neuron in tqdm(layers, desc=f"noise u={magnitude}", disable=not progress):
            with input_noise(neuron, magnitude, seed):
                noisy.append(run_fixed_t(snn, time_steps, dataset, device, batch_size, False)[0])
    shape = (len(magnitudes), len(layers), len(clean))
    noisy = torch.stack(noisy).view(shape) if noisy else torch.zeros(shape)
    return VulnerabilitySweep(tuple(float(u) for u in magnitudes), clean, noisy.bool(), activity, neurons,
                              tuple(layer_names(snn)), time_steps)


def vulnerability_table(snn: SpikingNet, time_steps: int, dataset, magnitudes: Sequence[float] = (0.1,),
                        device="cpu", batch_size: int = 256, seed: int = 0, progress: bool = True) -> pd.DataFrame:
    """TEAS Fig. 3 as one tidy row per (u, layer) (vulnerability_sweep(...).table())."""
    return vulnerability_sweep(snn, time_steps, dataset, magnitudes, device, batch_size, seed, progress).table()
