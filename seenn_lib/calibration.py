"""Risk-controlled early exit: certify exit thresholds with a finite-sample guarantee (beyond the paper).

SEENN picks its threshold α (or penalty β) by hand. Here the user states a budget instead: "give up at
most ε against running all T_max steps, with probability at least 1 − δ", and gets the cheapest threshold
that is certified to keep it, from a held-out calibration split (Learn-then-Test, Angelopoulos et al. 2021;
for SNNs, Chen, Park & Simeone 2023, "Knowing When to Stop").

Loss of an exit decision on one sample (x, y), with ŷ the early-exit prediction and ŷ_T that of all T_max
steps:
  degradation    1[ŷ ≠ y and ŷ_T = y]          the early exit breaks a correct full-length answer
  accuracy_drop  1[ŷ ≠ y] − 1[ŷ_T ≠ y]          its mean is acc(T_max) − acc(exit); in {−1, 0, 1}
The accuracy drop is at most the degradation, so a degradation certificate also bounds the drop; the drop
is tested after the affine map L ↦ (L + 1)/2 into [0, 1].

Guarantee. Let the calibration samples and a future test sample be i.i.d. from the same distribution
(exchangeable with each other, and never used to train the model), and fix the candidate grid and its order
before looking at them. For each candidate λ, H_λ: R(λ) > ε is tested with a valid finite-sample p-value
(Hoeffding–Bentkus for the degradation, empirical Bernstein for the accuracy drop);
fixed-sequence testing walks the candidates from the safest (most timesteps) to the cheapest and stops at
the first H_λ it cannot reject. That controls the family-wise error at δ, so with probability ≥ 1 − δ over
the calibration draw every certified λ has R(λ) ≤ ε at once, and choosing the cheapest of them keeps the
bound. R is the expected loss on new data, not the loss of a finite test set, which fluctuates around it.
"""
from __future__ import annotations

import math
from typing import Mapping, Sequence

import numpy as np
import pandas as pd
import torch
from scipy.special import xlogy
from scipy.stats import binom

LOSSES = ("degradation", "accuracy_drop")


def check_budget(epsilon: float, delta: float) -> None:
    if not 0.0 < epsilon < 1.0:
        raise ValueError(f"epsilon (the loss budget, a fraction: 0.01 = 1 point) must lie in (0, 1), "
                         f"got {epsilon}")
    if not 0.0 < delta < 1.0:
        raise ValueError(f"delta (the allowed failure probability) must lie in (0, 1), got {delta}")


def check_loss(loss: str) -> str:
    if loss not in LOSSES:
        raise ValueError(f"loss must be one of {LOSSES}, got {loss!r}")
    return loss


def exit_loss(pred: torch.Tensor, pred_full: torch.Tensor, target: torch.Tensor,
              loss: str = "degradation") -> torch.Tensor:
    """Per-sample loss in [0, 1] ([..., N] float64) of early-exit predictions against those of T_max;
    accuracy_drop comes mapped by (L + 1)/2."""
    wrong = pred != target
    full_right = pred_full == target
    if check_loss(loss) == "degradation":
        return (wrong & full_right).double()
    return (wrong.double() - (~full_right).double() + 1.0) / 2.0


def loss_level(epsilon: float, loss: str) -> float:
    """The budget ε on the [0, 1] scale exit_loss reports."""
    return epsilon if check_loss(loss) == "degradation" else (epsilon + 1.0) / 2.0


def risk_from_loss(mean_loss, loss: str):
    """Mean exit_loss back on the scale of ε (undoes the accuracy drop's (L + 1)/2)."""
    return mean_loss if check_loss(loss) == "degradation" else 2 * mean_loss - 1


def hoeffding_bentkus_pvalue(mean_loss, n: int, level: float) -> np.ndarray:
    """p-value of H: E[loss] > level from the mean of n i.i.d. losses in [0, 1] (LTT, Prop. 3 / RCPS):
    min(exp(−n·h(min(R̂, level), level)), e·P(Binomial(n, level) ≤ ⌈n·R̂⌉)), h the Bernoulli KL."""
    r = np.asarray(mean_loss, dtype=np.float64)
    capped = np.minimum(r, level)
    kl = xlogy(capped, capped / level) + xlogy(1 - capped, (1 - capped) / (1 - level))
    hoeffding = np.exp(-n * kl)
    bentkus = math.e * binom.cdf(np.ceil(n * r - 1e-9), n, level)
    return np.minimum(np.minimum(hoeffding, bentkus), 1.0)


def empirical_bernstein_pvalue(mean_loss, var_loss, n: int, level: float) -> np.ndarray:
    """p-value of H: E[loss] > level from the mean and unbiased sample variance of n i.i.d. losses in
    [0, 1], by Maurer & Pontil's (2009, Thm. 4) empirical Bernstein bound
    E ≤ R̂ + sqrt(2·V·u/n) + 7u/(3(n − 1)), u = ln(2/p): p solves bound = level. Adapts to a small
    variance, where Hoeffding–Bentkus cannot."""
    if n < 2:
        raise ValueError("the empirical Bernstein p-value needs at least 2 calibration samples")
    gap = level - np.asarray(mean_loss, dtype=np.float64)
    b = np.sqrt(2 * np.maximum(np.asarray(var_loss, dtype=np.float64), 0) / n)
    a = 7 / (3 * (n - 1))
    sqrt_u = (-b + np.sqrt(b * b + 4 * a * np.maximum(gap, 0))) / (2 * a)
    return np.where(gap > 0, np.minimum(2 * np.exp(-sqrt_u ** 2), 1.0), 1.0)


def loss_pvalues(mean_loss, var_loss, n: int, level: float, loss: str) -> np.ndarray:
    """p-values of H_k: E[loss_k] > level: Hoeffding–Bentkus for the 0/1 degradation loss (tight for
    Bernoulli losses), empirical Bernstein for the accuracy drop, whose (L + 1)/2 sits at 1/2 for most
    samples and so has a tiny variance that only Bernstein exploits."""
    if check_loss(loss) == "degradation":
        return hoeffding_bentkus_pvalue(mean_loss, n, level)
    return empirical_bernstein_pvalue(mean_loss, var_loss, n, level)


def fixed_sequence(pvalues: Sequence[float], delta: float) -> int:
    """How many leading hypotheses fixed-sequence testing rejects at level δ (stops at the first p > δ)."""
    above = np.flatnonzero(np.asarray(pvalues) > delta)
    return int(above[0]) if above.size else len(pvalues)


def certify(mean_loss, var_loss, n: int, level: float, delta: float,
            loss: str = "degradation") -> tuple[np.ndarray, np.ndarray]:
    """Candidates (their calibration loss means and variances over n samples) come in testing order,
    safest first. Returns (p-values, certified mask): the leading run of rejections of E[loss] > level."""
    if n < 1:
        raise ValueError("the calibration split is empty; pass at least one calibration sample")
    pvalues = loss_pvalues(mean_loss, var_loss, n, level, loss)
    certified = np.zeros(len(pvalues), dtype=bool)
    certified[:fixed_sequence(pvalues, delta)] = True
    return pvalues, certified


def certification_table(keys: Sequence[float], exit_t: torch.Tensor, pred: torch.Tensor,
                        pred_full: torch.Tensor, target: torch.Tensor, epsilon: float, delta: float,
                        loss: str = "degradation", key_name: str = "alpha") -> pd.DataFrame:
    """One row per candidate (in testing order): calibration risk, p-value, certified, avg timesteps.
    exit_t and pred are [K, N] decisions of the K candidates on the calibration split."""
    check_budget(epsilon, delta)
    if exit_t.shape != pred.shape or exit_t.shape[0] != len(keys) or pred.shape[1:] != target.shape:
        raise ValueError(f"need exit_t and pred of shape [K={len(keys)}, N={len(target)}], got "
                         f"{tuple(exit_t.shape)} and {tuple(pred.shape)}")
    losses = exit_loss(pred, pred_full, target, loss)
    pvalues, certified = certify(losses.mean(1).numpy(), losses.var(1).numpy(), losses.shape[1],
                                 loss_level(epsilon, loss), delta, loss)
    return pd.DataFrame({key_name: [float(k) for k in keys],
                         "calibration_risk": risk_from_loss(losses.mean(1).numpy(), loss), "p_value": pvalues,
                         "certified": certified, "avg_timesteps": exit_t.double().mean(1).numpy()})


def cheapest_certified(table: pd.DataFrame, key_name: str = "alpha") -> float:
    """The certified candidate with the fewest average timesteps (ties: the one tested first)."""
    certified = table["certified"].to_numpy()
    if not certified.any():
        n_needed = "n ≥ log δ / log(1 − ε) samples even when the safest candidate loses nothing"
        raise ValueError(f"no {key_name} can be certified: even the safest candidate "
                         f"({key_name}={table[key_name].iloc[0]:g}) failed its test (p = "
                         f"{table['p_value'].iloc[0]:.3g}); use a larger calibration split ({n_needed}), "
                         f"a larger epsilon or a larger delta")
    return float(table[key_name].iloc[cheapest_row(certified, table["avg_timesteps"].to_numpy())])


def calibrate_beta(decisions: Mapping[float, tuple[torch.Tensor, torch.Tensor]], pred_full: torch.Tensor,
                   target: torch.Tensor, epsilon: float, delta: float, loss: str = "degradation") -> float:
    """SEENN-II: the cheapest β certified like calibrate_alpha. `decisions` maps each trained β to its
    policy's (exit_t [N], pred [N]) on the calibration split (any policy works); larger β penalises errors
    more, so candidates are tested from the largest β down."""
    if not decisions:
        raise ValueError("decisions is empty: pass {beta: (exit_t, pred)} for at least one trained beta")
    betas = sorted(decisions, reverse=True)
    exit_t = torch.stack([torch.as_tensor(decisions[b][0]) for b in betas])
    pred = torch.stack([torch.as_tensor(decisions[b][1]) for b in betas])
    table = certification_table(betas, exit_t, pred, pred_full, target, epsilon, delta, loss, key_name="beta")
    return cheapest_certified(table, key_name="beta")


def split_weights(n: int, n_splits: int, calibration_fraction: float,
                  seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """0/1 float64 masks [S, N] of S random calibration splits (of round(fraction·N) samples) and the rest."""
    n_cal = int(round(calibration_fraction * n))
    if not (0 < calibration_fraction < 1 and 2 <= n_cal <= n - 1):
        raise ValueError(f"calibration_fraction {calibration_fraction} of {n} samples leaves "
                         f"{n_cal} for calibration; need at least 2 for calibration and 1 for testing")
    gen = torch.Generator().manual_seed(seed)
    ranks = torch.rand(n_splits, n, generator=gen).argsort(1).argsort(1)
    cal = (ranks < n_cal).double()
    return cal, 1.0 - cal


def cheapest_row(certified: np.ndarray, avg_timesteps: np.ndarray) -> int:
    """Index of the certified candidate with the fewest average timesteps (ties: the one tested first);
    the safest (row 0) when none is certified."""
    if not certified.any():
        return 0
    return int(np.where(certified, avg_timesteps, np.inf).argmin())


def split_indices(n: int, calibration_fraction: float = 0.5, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """A seeded random (calibration, held-out) split of range(n)."""
    cal, _ = split_weights(n, 1, calibration_fraction, seed)
    return cal[0].nonzero().squeeze(1), (1 - cal[0]).nonzero().squeeze(1)