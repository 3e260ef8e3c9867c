"""TEAS analyses for notebooks 11 and 13: per-layer spiking activity and the vulnerable layers (TEAS Eq. 2,
Fig. 3), and energy per inference (per test input) of the ANN twin, the original SNN and the TEAS network
(Fig. 8a)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import torch
from torch import nn

from ..config import TeasConfig, TrainConfig, get_config, get_profile
from ..devices import place, resolve_device
from ..energy import INT32_45NM, CostModel, count_ops, summarize_ops
from ..layers import SpikingNet, repeat_time
from ..pipelines import evaluation_images, pretrained_snn, teas_network
from ..teas import (VulnerabilitySweep, activity_column, activity_table, layer_names, rank_correlation, run_fixed_t,
                    vulnerability_sweep)
from ..train import build_model

__all__ = ["activity_column", "activity_per_sample", "ann_twin", "energy_per_batch", "energy_table",
           "layer_vulnerability", "vulnerability_sweep", "vulnerability_tables"]


def activity_per_sample(snn: SpikingNet, t_max: int, dataset, device="cpu") -> pd.DataFrame:
    """TEAS Eq. 2 per test sample and layer, every layer at T = t_max (teas.activity_table of one pass), for a
    registry model or an adapted network (seenn_lib.adapters)."""
    _, activity, neurons = run_fixed_t(snn, t_max, dataset, device)
    return activity_table(activity, neurons, [t_max] * len(neurons), layer_names(snn))


def layer_vulnerability(snn: SpikingNet, t_max: int, dataset, magnitudes, measure: str, device="cpu",
                        seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """TEAS Fig. 3: the accuracy with noise on one layer at a time (teas.vulnerability_table), and per noise
    magnitude the Spearman rank correlation between a layer's activity (`measure`'s column) and the accuracy
    that noise there costs."""
    return vulnerability_tables(vulnerability_sweep(snn, t_max, dataset, magnitudes, device, seed=seed), measure)


def vulnerability_tables(sweep: VulnerabilitySweep, measure: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """layer_vulnerability's two tables from a sweep (teas.vulnerability_sweep) already run."""
    vuln, act = sweep.table(), activity_column(measure)
    corr = pd.DataFrame([{"noise": u, "activity": act, "spearman_activity_vs_accuracy_drop":
                          rank_correlation(g[act], g.accuracy_drop)} for u, g in vuln.groupby("noise")])
    return vuln, corr


def ann_twin(cfg: TrainConfig) -> nn.Module:
    """The ANN of the same topology: the QCFS ANN itself for a converted SNN, else ReLU for the neurons."""
    if cfg.model_kw.get("neuron") == "qcfs":
        return build_model(cfg)
    return build_model(cfg.with_(model_kw={**cfg.model_kw, "neuron": "relu"}))


@torch.no_grad()
def energy_per_batch(profile: str = "smoke", device="cpu", tcfg: TeasConfig | None = None, samples: int = 256,
                     batch: int = 8, cost: CostModel = INT32_45NM) -> pd.DataFrame:
    """TEAS Fig. 8(a) per batch of test images: the operations and energy per inference of the ANN twin, the
    original SNN (every layer at T) and the TEAS network on the first `samples` test images, counted by
    seenn_lib.energy.count_ops on consecutive batches of `batch` images (the resampling units of the claims'
    bootstrap; one image at a time cost 7x longer) and priced by `cost` (default the integer format at 45 nm of
    TEAS Fig. 8b): MACs for the ANN and the SNN's encoding layer, one accumulate per arriving spike and synapse
    elsewhere. One tidy row per (network, batch), with its number of images."""
    tcfg = tcfg or get_profile(profile).teas
    cfg = get_config(profile, tcfg.experiment)
    device = resolve_device(device)
    teas_net = teas_network(profile, device, tcfg)
    snn, t_max = pretrained_snn(cfg, tcfg, device, progress=False)
    x = evaluation_images(cfg, samples).to(device)
    networks = {"ANN": (place(ann_twin(cfg), device), 1), f"SNN (T = {t_max})": (place(snn, device), t_max),
                "TEAS": (teas_net, teas_net.input_steps)}
    rows = []
    for name, (model, steps) in networks.items():
        avg_t = float(np.mean(model.time_steps)) if model is teas_net else steps
        rows += [{"network": name, "batch": b, "images": len(chunk), "average_T": avg_t,
                  **summarize_ops(count_ops(model, repeat_time(chunk, steps), cost))}
                 for b, chunk in enumerate(x.split(batch))]
    return pd.DataFrame(rows)


def energy_table(per_batch: pd.DataFrame) -> pd.DataFrame:
    """TEAS Fig. 8(a): energy per inference of each network (energy_per_batch's means over the test images),
    normalised to the first network's (the ANN's). One tidy row per network."""
    columns = ["average_T", "params", "macs_per_step", "macs", "sops", "energy_pj"]
    weighted = per_batch[columns].mul(per_batch.images, axis=0).assign(network=per_batch.network,
                                                                       images=per_batch.images)
    sums = weighted.groupby("network", sort=False)[columns + ["images"]].sum()
    df = sums[columns].div(sums.images, axis=0).reset_index()
    df["normalized_energy"] = df.energy_pj / df.energy_pj.iloc[0]
    return df
