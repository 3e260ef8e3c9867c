"""The scale-free quantities behind the claims of data/paper_claims.csv, one function per notebook's claims:
each takes the notebook's results (cached logits, sweeps, tables) and returns {claim_id: our quantity};
seenn_lib.claims.judge turns them into verdicts."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import torch

from ..energy import count_ops, summarize_ops
from ..exits import alpha_grid, alpha_sweep, confidence_table
from ..metrics import accuracy_per_t, aet, correct_per_t, empirical_aet
from ..models import create_model
from ..teas.activity import rank_correlation
from .conversion import timesteps_to_match

ONE_STEP_LATENCY = 1.12  # SEENN §4.2: SEENN-I against the one-timestep SNN "at the cost of 12 % more latency"


def model_fit(mean_logits: torch.Tensor, targets: torch.Tensor) -> dict:
    """claims.judge's guard: the model's accuracy (%) at T_max and its number of classes."""
    return {"accuracy": float(accuracy_per_t(mean_logits, targets)[-1]), "classes": mean_logits.shape[-1]}


def exit_potential(mean_logits: torch.Tensor, targets: torch.Tensor) -> dict[str, float]:
    """SEENN-01 (AET / T_max) and SEENN-03 ((AET − empirical AET) / T_max) of one SNN's cached logits."""
    correct, t_max = correct_per_t(mean_logits, targets), mean_logits.shape[0]
    aet_value = aet(correct)
    return {"SEENN-01": aet_value / t_max, "SEENN-03": (aet_value - empirical_aet(correct)) / t_max}


def late_timestep_gain(mean_logits: torch.Tensor, targets: torch.Tensor) -> float:
    """Accuracy at T_max minus at T_max / 2 (rounded up), in points (SEENN-02)."""
    acc = accuracy_per_t(mean_logits, targets)
    return float(acc[-1] - acc[math.ceil(len(acc) / 2) - 1])


def fraction_to_reach_t_max(mean_logits: torch.Tensor, targets: torch.Tensor, tolerance: float,
                            score: str = "mean") -> float:
    """The least SEENN-I average T (dense α grid), as a fraction of T_max, whose accuracy is within `tolerance`
    points of the static SNN at T_max (SEENN-04, -11, -12)."""
    t_max = mean_logits.shape[0]
    goal = float(accuracy_per_t(mean_logits, targets)[-1]) - tolerance
    return timesteps_to_match(alpha_sweep(mean_logits, targets, alpha_grid(), score), goal) / t_max


def table1_evidence(mean_logits: torch.Tensor, targets: torch.Tensor, score: str = "mean") -> dict[str, float]:
    """Notebook 02 (SEENN Table 1), both claims read off one dense α sweep."""
    acc, sweep = accuracy_per_t(mean_logits, targets), alpha_sweep(mean_logits, targets, alpha_grid(), score)
    cheap = sweep[sweep.avg_timesteps <= ONE_STEP_LATENCY]
    return {"SEENN-04": timesteps_to_match(sweep, float(acc[-1]) - 0.2) / len(acc),
            "SEENN-05": float(cheap.accuracy.max() - acc[0])}


def conversion_evidence(mean_logits: torch.Tensor, targets: torch.Tensor, match_t: int, exit_t_max: int
                        ) -> dict[str, float]:
    """Notebook 03 (SEENN Table 2) on a converted SNN's logits, SEENN-I running to exit_t_max: SEENN-09, the
    least SEENN-I average T reaching the fixed-T accuracy at match_t, over match_t; SEENN-10, the best SEENN-I
    accuracy at average T <= match_t / 4 minus the fixed-T accuracy at T = match_t / 4."""
    acc = accuracy_per_t(mean_logits, targets)
    sweep = alpha_sweep(mean_logits[:exit_t_max], targets, alpha_grid())
    quarter = max(1, match_t // 4)
    cheap = sweep[sweep.avg_timesteps <= quarter]
    return {"SEENN-09": timesteps_to_match(sweep, float(acc[match_t - 1])) / match_t,
            "SEENN-10": float(cheap.accuracy.max() - acc[quarter - 1])}


def speed_energy_evidence(engine: pd.Series, static: pd.Series) -> dict[str, float]:
    """Notebook 06 (SEENN Fig. 3): benchmark rows (images_per_s, energy_uj, ideal_speedup) of the early-exit
    engine and of the static SNN at T_max."""
    measured = engine.images_per_s / static.images_per_s
    return {"SEENN-13": measured / engine.ideal_speedup, "SEENN-14": engine.energy_uj / static.energy_uj}


def alpha_tradeoff_evidence(sweep: pd.DataFrame, fixed: pd.DataFrame, exits: pd.DataFrame) -> dict[str, float]:
    """Notebook 07 (SEENN Fig. 4) from an α sweep (alpha, accuracy, avg_timesteps), the static sweep (T, accuracy)
    and the exit shares per α (alpha, t, fraction)."""
    static = np.interp(sweep.avg_timesteps, fixed["T"], fixed.accuracy)
    first = exits[exits.t == 1].set_index("alpha")["fraction"].sort_index()
    return {"SEENN-15": float((sweep.accuracy.to_numpy() >= static - 1e-9).mean()),
            "SEENN-16": rank_correlation(first.index, first.to_numpy()),
            "SEENN-17": float(first.iloc[-1] / first.iloc[0]) if first.iloc[0] > 0 else float("nan")}


def macs_share(policy: str, snn: str, image_size: int = 32, in_channels: int = 3, num_classes: int = 10) -> float:
    """Dense MACs of one pass of the registry model `policy` (built as a ReLU network) over those of `snn`, on one
    image: the architecture-level quantity behind the paper's 0.547 % (ResNet-8 vs ResNet-19, App. E)."""
    x = torch.zeros(1, 1, in_channels, image_size, image_size)
    macs = [summarize_ops(count_ops(create_model(name, num_classes, **kw).eval(), x))["macs_per_step"]
            for name, kw in [(policy, {"neuron": "relu"}), (snn, {})]]
    return macs[0] / macs[1]


def seenn2_evidence(sweep: pd.DataFrame, static_accuracy: float, t_max: int, policy_ops_share: float
                    ) -> dict[str, float]:
    """Notebook 08 from the β sweep (beta, accuracy, avg_timesteps, gap_vs_seenn1_warmup), the static SNN's
    accuracy at its T_max and a policy's share of its SNN's dense MACs (a fraction)."""
    kept = sweep[sweep.accuracy >= static_accuracy - 0.5]
    return {"SEENN-06": float(sweep.gap_vs_seenn1_warmup.max()),
            "SEENN-07": (rank_correlation(sweep.beta, sweep.avg_timesteps) if len(sweep) > 1 else float("nan")),
            "SEENN-08": policy_ops_share * 100,
            "SEENN-20": float(kept.avg_timesteps.min() / t_max) if len(kept) else float("nan")}


def difficulty_evidence(bins: pd.DataFrame) -> dict[str, float]:
    """Notebook 09 (SEENN Fig. 5) from analysis.seenn2.difficulty_bins (easiest bin first): SEENN-18."""
    return {"SEENN-18": float(bins.accuracy_first_t.iloc[0] - bins.accuracy_first_t.iloc[-1])}


def difficulty_standard_error(bins: pd.DataFrame) -> float:
    """The sampling error (points, one standard error) of SEENN-18's difference: the two bins' first-timestep
    accuracies as independent binomial proportions, sqrt(p1 (1 - p1) / n1 + p2 (1 - p2) / n2)."""
    ends = bins.iloc[[0, -1]]
    p = ends.accuracy_first_t / 100
    return float(((p * (1 - p) / ends.samples).sum()) ** 0.5 * 100)


def confidence_shift(mean_logits: torch.Tensor, score: str = "mean") -> float:
    """Median confidence at T_max minus at t = 1 (SEENN-19)."""
    medians = confidence_table(mean_logits, score).groupby("t")["confidence"].median().sort_index()
    return float(medians.iloc[-1] - medians.iloc[0])


def teas_evidence(summary: pd.Series, layers: pd.DataFrame, unregularised: pd.DataFrame,
                  history: pd.DataFrame) -> dict[str, float]:
    """Notebook 12 (TEAS Table 2, Fig. 5-7) from a TEAS run's summary row, its per-layer table (activity at the
    start, final T_l), the per-layer table of the same run without the regulariser, and its history (epoch,
    accuracy; epoch 0 is the initial allocation before retraining)."""
    follows = {name: rank_correlation(t.activity_initial, t.T_final) for name, t in
               {"with": layers, "without": unregularised}.items()}
    epochs = history.sort_values("epoch").accuracy
    return {"TEAS-02": summary.original_T / summary.reduced_T,
            "TEAS-03": summary.snn_accuracy - summary.reduced_accuracy,
            "TEAS-04": summary.rank_corr_activity_T,
            "TEAS-05": summary.reduced_accuracy - summary.without_retraining_accuracy,
            "TEAS-06": follows["with"] - follows["without"],
            "TEAS-07": float(epochs.iloc[-1] - epochs.iloc[0])}


def energy_evidence(ann: float, snn: float, teas: float) -> dict[str, float]:
    """Notebook 13 (TEAS Fig. 8) from the three networks' energies."""
    return {"TEAS-08": snn / ann, "TEAS-09": teas / snn}
