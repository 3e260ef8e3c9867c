"""Exit policies over cached running-mean logits [T, N, C] (mean_logits[t-1] = f_t(x))."""
from __future__ import annotations

from typing import Iterable

import pandas as pd
import torch

from .metrics import policy_summary


def check_alpha(alpha: float) -> float:
    if not 0.0 < float(alpha) <= 1.0:
        raise ValueError(f"alpha must lie in (0, 1] (a softmax confidence threshold), got {alpha}")
    return float(alpha)


def check_mean_logits(mean_logits: torch.Tensor) -> torch.Tensor:
    if mean_logits.dim() != 3:
        raise ValueError(f"mean_logits must be [T, N, C], got shape {tuple(mean_logits.shape)}")
    return mean_logits


def confidence(mean_logits: torch.Tensor) -> torch.Tensor:
    """SEENN Eq. 5: CS = max softmax(f_t(x)), [T, N]."""
    return check_mean_logits(mean_logits).float().softmax(-1).amax(-1)


def first_true(hit: torch.Tensor) -> torch.Tensor:
    """[T, N] bool -> [N] 0-based index of the first True per column, T-1 if none."""
    hit = hit.clone()
    hit[-1] = True
    return hit.int().argmax(0)


def confidence_exit(mean_logits: torch.Tensor, alpha: float) -> tuple[torch.Tensor, torch.Tensor]:
    """SEENN-I: exit at the first t with CS >= alpha, else at T_max. Returns (exit_t in 1..T, pred)."""
    alpha = check_alpha(alpha)
    idx = first_true(confidence(mean_logits) >= alpha)
    pred = mean_logits.argmax(-1).gather(0, idx.unsqueeze(0)).squeeze(0)
    return idx + 1, pred


def fixed_exit(mean_logits: torch.Tensor, time_steps: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The static SNN: every sample runs `time_steps` steps."""
    t_max = check_mean_logits(mean_logits).shape[0]
    if not 1 <= time_steps <= t_max:
        raise ValueError(f"time_steps must be in 1..{t_max} (the cached T_max), got {time_steps}")
    pred = mean_logits[time_steps - 1].argmax(-1)
    return torch.full_like(pred, time_steps), pred


def alpha_sweep(mean_logits: torch.Tensor, target: torch.Tensor, alphas: Iterable[float]) -> pd.DataFrame:
    """Tidy table: one row per alpha with SEENN-I accuracy (%) and average timesteps."""
    rows = []
    for alpha in alphas:
        exit_t, pred = confidence_exit(mean_logits, alpha)
        rows.append({"alpha": float(alpha), **policy_summary(exit_t, pred, target)})
    return pd.DataFrame(rows)


def fixed_sweep(mean_logits: torch.Tensor, target: torch.Tensor) -> pd.DataFrame:
    """Tidy table: accuracy (%) of the static SNN at every T = 1..T_max."""
    rows = []
    for t in range(1, mean_logits.shape[0] + 1):
        exit_t, pred = fixed_exit(mean_logits, t)
        rows.append({"T": t, **policy_summary(exit_t, pred, target)})
    return pd.DataFrame(rows)


def calibrate_alpha(mean_logits: torch.Tensor, target: torch.Tensor, epsilon: float, delta: float,
                    loss: str = "degradation", alphas: Iterable[float] | None = None) -> float:
    """The cheapest SEENN-I threshold α whose expected loss against running all T_max steps is certified
    ≤ epsilon with probability ≥ 1 − delta, from a calibration split (per-t logits [T, N, C], labels [N]).

    loss="degradation": fraction of samples the early exit gets wrong that T_max gets right;
    loss="accuracy_drop": acc(T_max) − acc(exit). Hoeffding–Bentkus (degradation) or empirical Bernstein
    (accuracy drop) p-values with fixed-sequence testing over `alphas` (default
    calibration.default_alpha_grid()), from the largest α down. Valid when the calibration and future
    samples are i.i.d. (exchangeable) and unseen in training; see calibration.py.
    Raises ValueError when not even the largest α can be certified (too few samples for ε, δ)."""
    from .calibration import alpha_decisions, certification_table, cheapest_certified, default_alpha_grid

    mean_logits = check_mean_logits(mean_logits)
    if target.shape != mean_logits.shape[1:2]:
        raise ValueError(f"target must be [N] with N = {mean_logits.shape[1]} (mean_logits is [T, N, C]), "
                         f"got shape {tuple(target.shape)}")
    grid = default_alpha_grid() if alphas is None else sorted(alphas, reverse=True)
    exit_t, pred = alpha_decisions(mean_logits, grid)
    table = certification_table(grid, exit_t, pred, mean_logits[-1].argmax(-1), target, epsilon, delta, loss)
    return cheapest_certified(table)
