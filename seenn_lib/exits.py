"""Exit policies over cached running-mean logits [T, N, C] (mean_logits[t-1] = f_t(x))."""
from __future__ import annotations

import math
from typing import Iterable, Sequence

import numpy as np
import pandas as pd
import torch

from .calibration import certification_table, cheapest_certified
from .metrics import policy_summary

SCORES = ("mean", "sum", "entropy")  # confidence scores: SEENN Eq. 5, and the official code's two


def check_alpha(alpha: float) -> float:
    if not 0.0 < float(alpha) <= 1.0:
        raise ValueError(f"alpha must lie in (0, 1] (a softmax confidence threshold), got {alpha}")
    return float(alpha)


def check_mean_logits(mean_logits: torch.Tensor) -> torch.Tensor:
    if mean_logits.dim() != 3:
        raise ValueError(f"mean_logits must be [T, N, C], got shape {tuple(mean_logits.shape)}")
    return mean_logits


def check_score(score: str) -> str:
    if score not in SCORES:
        raise ValueError(f"confidence score must be one of {SCORES} (mean: SEENN Eq. 5; sum and entropy: the "
                         f"official code's), got {score!r}")
    return score


def confidence(mean_logits: torch.Tensor, score: str = "mean", t: torch.Tensor | None = None) -> torch.Tensor:
    """The confidence score CS over the last axis: [T, N] from [T, N, C], or [N] from one step's [N, C].
      mean     SEENN Eq. 5, max softmax(f_t(x)) (the default);
      sum      max softmax(t·f_t(x)), the softmax of the summed outputs (the official test_snn.py);
      entropy  1 − H(softmax(f_t(x))) / log C (the official code's default metric).
    `t` gives each sample's step count for one step's [N, C]; a [T, N, C] tensor counts its steps 1..T."""
    logits = mean_logits.float()
    if check_score(score) == "sum":
        steps = torch.arange(1, logits.shape[0] + 1, device=logits.device).view(-1, 1) if t is None else t
        logits = logits * steps.unsqueeze(-1).to(logits.dtype)
    p = logits.softmax(-1)
    if score == "entropy":
        return 1 + torch.xlogy(p, p).sum(-1) / math.log(p.shape[-1])
    return p.amax(-1)


def confidence_table(mean_logits: torch.Tensor, score: str = "mean") -> pd.DataFrame:
    """Tidy long table of every sample's confidence score at every t: columns t (1..T), confidence."""
    conf = confidence(check_mean_logits(mean_logits), score).double()
    return pd.DataFrame({"t": np.repeat(np.arange(1, conf.shape[0] + 1), conf.shape[1]),
                         "confidence": conf.reshape(-1).numpy()})


def confident(mean_logits: torch.Tensor, alpha, score: str = "mean", t: torch.Tensor | None = None) -> torch.Tensor:
    """The SEENN-I test, CS >= α: True where a sample may stop. `alpha` is a float, or a tensor that
    broadcasts against the confidences (a grid [A, 1, 1] against [T, N]). Every SEENN-I decision of the
    library (cached logits, the engine, calibration, the explorer) asks this one function."""
    return confidence(mean_logits, score, t) >= alpha


def first_true(hit: torch.Tensor, dim: int = 0) -> torch.Tensor:
    """0-based index of the first True along `dim` (the time axis), its last index if none."""
    hit = hit.clone()
    hit.select(dim, -1).fill_(True)
    return hit.int().argmax(dim)


def alpha_decisions(mean_logits: torch.Tensor, alphas: Sequence[float],
                    score: str = "mean") -> tuple[torch.Tensor, torch.Tensor]:
    """SEENN-I for a grid of thresholds at once: (exit_t [A, N] in 1..T, pred [A, N]), one row per α:
    each sample exits at the first t whose f_t passes `confident`, else at T_max."""
    grid = torch.tensor([check_alpha(a) for a in alphas], dtype=torch.float32).view(-1, 1, 1)
    idx = first_true(confident(check_mean_logits(mean_logits), grid, score), dim=1)  # [A, N]
    return idx + 1, mean_logits.argmax(-1).gather(0, idx)


def confidence_exit(mean_logits: torch.Tensor, alpha: float, score: str = "mean") -> tuple[torch.Tensor, torch.Tensor]:
    """SEENN-I: exit at the first t with CS >= alpha, else at T_max. Returns (exit_t in 1..T, pred)."""
    exit_t, pred = alpha_decisions(mean_logits, [alpha], score)
    return exit_t[0], pred[0]


def alpha_grid(near_one: int = 40) -> np.ndarray:
    """Candidate α, descending (safest first): 1, then `near_one` values 1 − 10^-6 .. 1 − 10^-2.05 crowding
    towards 1, where the confidences of a trained SNN pile up, then 0.99 .. 0.05 in steps of 0.01. The
    default (135 values) serves sweeps and calibration; near_one=0 gives the explorer's slider steps."""
    coarse = np.round(np.arange(5, 100) / 100, 2)
    fine = 1.0 - np.logspace(-2.05, -6, near_one)
    return np.unique(np.concatenate([coarse, fine, [1.0]]))[::-1].copy()


def fixed_exit(mean_logits: torch.Tensor, time_steps: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The static SNN: every sample runs `time_steps` steps."""
    t_max = check_mean_logits(mean_logits).shape[0]
    if not 1 <= time_steps <= t_max:
        raise ValueError(f"time_steps must be in 1..{t_max} (the cached T_max), got {time_steps}")
    pred = mean_logits[time_steps - 1].argmax(-1)
    return torch.full_like(pred, time_steps), pred


def alpha_sweep(mean_logits: torch.Tensor, target: torch.Tensor, alphas: Iterable[float],
                score: str = "mean") -> pd.DataFrame:
    """Tidy table: one row per alpha with SEENN-I accuracy (%) and average timesteps."""
    rows = []
    for alpha in alphas:
        exit_t, pred = confidence_exit(mean_logits, alpha, score)
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
                    loss: str = "degradation", alphas: Iterable[float] | None = None, score: str = "mean") -> float:
    """The cheapest SEENN-I threshold α whose expected loss against running all T_max steps is certified
    ≤ epsilon with probability ≥ 1 − delta, from a calibration split (per-t logits [T, N, C], labels [N]).

    loss="degradation": fraction of samples the early exit gets wrong that T_max gets right;
    loss="accuracy_drop": acc(T_max) − acc(exit). Hoeffding–Bentkus (degradation) or empirical Bernstein
    (accuracy drop) p-values with fixed-sequence testing over `alphas` (default
    exits.alpha_grid()), from the largest α down. Valid when the calibration and future
    samples are i.i.d. (exchangeable) and unseen in training; see calibration.py.
    Raises ValueError when not even the largest α can be certified (too few samples for ε, δ)."""
    mean_logits = check_mean_logits(mean_logits)
    if target.shape != mean_logits.shape[1:2]:
        raise ValueError(f"target must be [N] with N = {mean_logits.shape[1]} (mean_logits is [T, N, C]), "
                         f"got shape {tuple(target.shape)}")
    grid = alpha_grid() if alphas is None else sorted(alphas, reverse=True)
    exit_t, pred = alpha_decisions(mean_logits, grid, score)
    table = certification_table(grid, exit_t, pred, mean_logits[-1].argmax(-1), target, epsilon, delta, loss)
    return cheapest_certified(table)
