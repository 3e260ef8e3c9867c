"""Certified SEENN-I in practice: the risks of every α, certified α measured on held-out data, and a check
of the guarantee over many random calibration splits (notebook 15, the explorer's ε-δ panel)."""
from __future__ import annotations

from typing import Sequence

import pandas as pd
import torch

from .calibration import (LOSSES, certify, check_budget, cheapest_row, exit_loss, loss_level, risk_from_loss,
                          split_indices, split_weights)
from .exits import alpha_decisions, alpha_grid, calibrate_alpha


def alpha_risks(mean_logits: torch.Tensor, target: torch.Tensor, alphas: Sequence[float],
                score: str = "mean") -> pd.DataFrame:
    """Per α: SEENN-I accuracy (%), average timesteps, degradation and accuracy drop (fractions)."""
    exit_t, pred = alpha_decisions(mean_logits, alphas, score)
    full = mean_logits[-1].argmax(-1)
    return pd.DataFrame({
        "alpha": [float(a) for a in alphas],
        "accuracy": ((pred == target).double().mean(1) * 100).numpy(),
        "avg_timesteps": exit_t.double().mean(1).numpy(),
        **{name: risk_from_loss(exit_loss(pred, full, target, name).mean(1).numpy(), name) for name in LOSSES}})


def certified_alphas(mean_logits: torch.Tensor, target: torch.Tensor, epsilons: Sequence[float],
                     deltas: Sequence[float], losses: Sequence[str] = LOSSES, calibration_fraction: float = 0.5,
                     seed: int = 0, score: str = "mean") -> pd.DataFrame:
    """Certify α on a calibration split for every (loss, ε, δ) and measure it on the held-out rest: one row
    each with the certified α and its held-out accuracy, average timesteps, degradation and accuracy drop
    (certified False and no α where the split is too small to certify anything for that budget)."""
    cal, held = split_indices(len(target), calibration_fraction, seed)
    rows = []
    for loss in losses:
        for epsilon in epsilons:
            for delta in deltas:
                row = {"loss": loss, "epsilon": epsilon, "delta": delta, "n_calibration": len(cal)}
                try:
                    alpha = calibrate_alpha(mean_logits[:, cal], target[cal], epsilon, delta, loss=loss, score=score)
                except ValueError:  # too few calibration samples for this budget: say so in the table
                    rows.append({**row, "certified": False})
                    continue
                held_out = alpha_risks(mean_logits[:, held], target[held], [alpha], score).iloc[0].to_dict()
                rows.append({**row, "certified": True, **held_out, "held_out_risk": held_out[loss]})
    return pd.DataFrame(rows)


def guarantee_check(mean_logits: torch.Tensor, target: torch.Tensor, epsilon: float, delta: float,
                    n_splits: int = 200, calibration_fraction: float = 0.5, loss: str = "degradation",
                    seed: int = 0, score: str = "mean") -> pd.DataFrame:
    """Calibrate α on random splits of a cached logits tensor and measure it on the rest: one row per
    split with the certified α (α = 1 and certified False when none is), its test risk, test avg
    timesteps and whether the risk exceeds ε."""
    check_budget(epsilon, delta)
    grid = alpha_grid()
    exit_t, pred = alpha_decisions(mean_logits, grid, score)
    losses = exit_loss(pred, mean_logits[-1].argmax(-1), target, loss)          # [A, N]
    cal, test = split_weights(len(target), n_splits, calibration_fraction, seed)  # [S, N] each
    n_cal = int(cal[0].sum())
    mean = cal @ losses.T / n_cal                                               # [S, A]
    var = (cal @ (losses ** 2).T / n_cal - mean ** 2) * n_cal / max(n_cal - 1, 1)
    cost = cal @ exit_t.double().T / n_cal
    test_risk = test @ losses.T / test[0].sum()
    test_cost = test @ exit_t.double().T / test[0].sum()
    rows = []
    for split in range(n_splits):
        _, certified = certify(mean[split].numpy(), var[split].numpy(), n_cal, loss_level(epsilon, loss),
                               delta, loss)
        best = cheapest_row(certified, cost[split].numpy())
        risk = float(risk_from_loss(test_risk[split, best], loss))
        rows.append({"split": split, "alpha": float(grid[best]), "certified": bool(certified.any()),
                     "test_risk": risk, "test_avg_timesteps": float(test_cost[split, best]),
                     "violated": risk > epsilon})
    return pd.DataFrame(rows)
