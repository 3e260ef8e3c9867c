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


def alpha_tradeoff_evidence(sweep: pd.DataFrame, fixed: pd.DataFrame, exits: pd.DataFrame) -> dict[str, float]:
    """Notebook 07 (SEENN Fig. 4) from an α sweep (alpha, accuracy, avg_timesteps), the static sweep (T, accuracy)
    and the exit shares per α (alpha, t, fraction)."""
    static = np.interp(sweep.avg_timesteps, fixed["T"], fixed.accuracy)
    first = exits[exits.t == 1].set_index("alpha")["fraction"].sort_index()
    return {"SEENN-15": float((sweep.accuracy.to_numpy() >= static - 1e-9).mean()),
            "SEENN-16": rank_correlation(first.index, first.to_numpy()),
            "SEENN-17": float(first.iloc[-1] / first.iloc[0]) if first.iloc[0] > 0 else float("nan")}


def confidence_shift(mean_logits: torch.Tensor, score: str = "mean") -> float:
    """Median confidence at T_max minus at t = 1 (SEENN-19)."""
    medians = confidence_table(mean_logits, score).groupby("t")["confidence"].median().sort_index()
    return float(medians.iloc[-1] - medians.iloc[0])
