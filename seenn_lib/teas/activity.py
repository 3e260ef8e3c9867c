"""Tidy tables of spiking activity per layer, rank correlations, and the vulnerable-layer sweep (TEAS Fig. 3)."""
from __future__ import annotations

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


def vulnerability_table(snn: SpikingNet, time_steps: int, dataset, magnitudes: Sequence[float] = (0.1,),
                        device="cpu", batch_size: int = 256, seed: int = 0, progress: bool = True) -> pd.DataFrame:
    """TEAS Fig. 3 on a registry model or an adapted network (seenn_lib.adapters): for each noise magnitude u
    and spiking layer, accuracy with noise of std u·V_th (the layer's firing threshold, input_noise) on that
    layer's input current only, beside the layer's activity (both measures) in the clean network. One tidy
    row per (u, layer)."""
    clean_correct, activity, neurons = run_fixed_t(snn, time_steps, dataset, device, batch_size, progress, "clean")
    layers = snn.neurons()
    summary = layer_summary(activity_table(activity, neurons, [time_steps] * len(layers), layer_names(snn)))
    summary["accuracy_clean"] = clean_correct.float().mean().item() * 100
    tables = []
    for magnitude in magnitudes:
        noisy = []
        for neuron in tqdm(layers, desc=f"noise u={magnitude}", disable=not progress):
            with input_noise(neuron, magnitude, seed):
                correct, _, _ = run_fixed_t(snn, time_steps, dataset, device, batch_size, False)
            noisy.append(correct.float().mean().item() * 100)
        tables.append(summary.assign(noise=magnitude, accuracy_noisy=noisy))
    table = pd.concat(tables, ignore_index=True)
    table["accuracy_drop"] = table.accuracy_clean - table.accuracy_noisy
    return table
