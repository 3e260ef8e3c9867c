"""Intervals for the claims ledger: a paired bootstrap over test inputs, written as weights.

Every per-input quantity of the ledger is a function of weights over the test inputs: row 0 of a weight matrix
gives each input 1/N (the observed test set: the point estimate), rows 1..B are bootstrap resamples (multinomial
counts / N). A statistic maps the [1 + B, N] matrix to [1 + B] values, so a selection step inside it (an α, a β,
"the least T such that ...") is redone in every resample, and every quantity of one experiment sees the same
resamples (paired). Held-out selection splits the inputs once into a calibration part, where α or β is chosen,
and the rest, where the quantity is reported; both parts are resampled.
"""
from __future__ import annotations

import numpy as np
import torch

from .claims import Estimate, exact  # noqa: F401 (exact: re-exported beside Estimate)

RESAMPLES = 1000


def from_rows(values, source: str) -> Estimate:
    """An Estimate from a statistic's [1 + B] values (row 0 on the observed inputs)."""
    values = np.asarray(torch.as_tensor(values, dtype=torch.float64))
    return Estimate(float(values[0]), values[1:], source)


def bootstrap_weights(n: int, resamples: int = RESAMPLES, seed: int = 0,
                      support: torch.Tensor | None = None) -> torch.Tensor:
    """[1 + resamples, n] float64: row 0 gives each input of `support` (a bool mask; all when None) an equal
    share, each further row a bootstrap resample of them (counts / size); inputs outside get 0. Rows sum to 1."""
    if n < 1 or resamples < 0:
        raise ValueError(f"need at least one input and resamples >= 0, got n={n}, resamples={resamples}")
    support = torch.ones(n, dtype=torch.bool) if support is None else support.bool()
    members = support.nonzero().squeeze(1)
    if not len(members):
        raise ValueError("the bootstrap's support is empty: no input to resample")
    gen = torch.Generator().manual_seed(seed)
    picks = torch.randint(len(members), (resamples, len(members)), generator=gen)
    counts = torch.zeros(resamples, n, dtype=torch.float64)
    counts.scatter_add_(1, members[picks], torch.ones_like(picks, dtype=torch.float64))
    observed = support.double().unsqueeze(0)
    return torch.cat([observed, counts]) / len(members)


def held_out_weights(n: int, calibration_fraction: float = 0.5, resamples: int = RESAMPLES,
                     seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """(calibration, held-out) bootstrap weights over a seeded random split of n inputs, each resampled within
    its own part: select α or β with the first, report the quantity with the second."""
    n_cal = int(round(calibration_fraction * n))
    if not (0 < calibration_fraction < 1 and 1 <= n_cal <= n - 1):
        raise ValueError(f"a calibration fraction of {calibration_fraction} leaves {n_cal} of {n} inputs for "
                         "calibration: need at least one input on each side")
    gen = torch.Generator().manual_seed(seed)
    calibration = torch.zeros(n, dtype=torch.bool)
    calibration[torch.randperm(n, generator=gen)[:n_cal]] = True
    return (bootstrap_weights(n, resamples, seed + 1, calibration),
            bootstrap_weights(n, resamples, seed + 2, ~calibration))


def weighted_mean(weights: torch.Tensor, per_input: torch.Tensor) -> torch.Tensor:
    """Per weight row, the weighted mean of per-input values: per_input [N] -> [1 + B]; [K, N] -> [1 + B, K]."""
    values = per_input.to(torch.float64)
    return weights @ (values if values.dim() == 1 else values.T)


def select(score: torch.Tensor, eligible: torch.Tensor, report: torch.Tensor, best: str = "min") -> torch.Tensor:
    """Per row b: among the candidates k with eligible[b, k], the one with the least (best='min') or greatest
    ('max') score[b, k] (ties: the first), and report[b, k] of it; NaN in rows with no eligible candidate.
    score, eligible, report: [1 + B, K] (calibration statistics for the first two, held-out for the third)."""
    if best not in ("min", "max"):
        raise ValueError(f"best is 'min' or 'max', got {best!r}")
    fill = torch.inf if best == "min" else -torch.inf
    masked = torch.where(eligible, score.double(), torch.full_like(score, fill, dtype=torch.float64))
    choice = masked.argmin(1) if best == "min" else masked.argmax(1)
    chosen = report.double().gather(1, choice.unsqueeze(1)).squeeze(1)
    return torch.where(eligible.any(1), chosen, torch.full_like(chosen, float("nan")))


def rank_rows(values: torch.Tensor) -> torch.Tensor:
    """Average ranks (1-based) along the last axis, ties sharing their mean rank."""
    values = values.double()
    less = (values.unsqueeze(-1) > values.unsqueeze(-2)).double().sum(-1)
    equal = (values.unsqueeze(-1) == values.unsqueeze(-2)).double().sum(-1)
    return less + (equal + 1) / 2


def spearman_rows(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Spearman's rank correlation along the last axis (row-wise; a or b may be one row for all); NaN where
    either side is constant."""
    a, b = torch.broadcast_tensors(rank_rows(a), rank_rows(b))
    a, b = a - a.mean(-1, keepdim=True), b - b.mean(-1, keepdim=True)
    denominator = (a.pow(2).sum(-1) * b.pow(2).sum(-1)).sqrt()
    return torch.where(denominator > 0, (a * b).sum(-1) / denominator, torch.full_like(denominator, float("nan")))
