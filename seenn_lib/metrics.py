"""Accuracy per timestep, AET (SEENN Eq. 4), empirical AET (Eq. 13), exit distributions."""
from __future__ import annotations

import pandas as pd
import torch


def _check_correct(correct: torch.Tensor) -> torch.Tensor:
    if correct.dim() != 2 or correct.shape[0] < 1 or correct.shape[1] < 1:
        raise ValueError(f"correct must be a [T, N] boolean tensor with T, N >= 1, got {tuple(correct.shape)}")
    return correct.bool()


def correct_per_t(mean_logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """[T, N] bool: does f_t(x) predict the label."""
    return mean_logits.argmax(-1) == target.unsqueeze(0)


def accuracy_per_t(mean_logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """[T] accuracy (%) of f_t for t = 1..T."""
    return correct_per_t(mean_logits, target).float().mean(1) * 100


def aet(correct: torch.Tensor) -> float:
    """SEENN Eq. 4: (|C_1| + T|W| + sum_{t>=2} t(|C_t| - |C_{t-1}|)) / N, with C_t the set of samples
    correct at t and W those wrong at T. Computed from the set sizes as written, so when
    Assumption 3.1 fails it differs from the empirical AET (the paper's {F,T,F,T} gives 3)."""
    correct = _check_correct(correct)
    time_steps, n = correct.shape
    sizes = correct.sum(1).double()
    t = torch.arange(2, time_steps + 1, dtype=torch.float64)
    total = sizes[0] + time_steps * (n - sizes[-1]) + (t * (sizes[1:] - sizes[:-1])).sum()
    return float(total / n)


def earliest_correct(correct: torch.Tensor) -> torch.Tensor:
    """[N] the first t (1-based) at which each sample is correct; T where it never is."""
    correct = _check_correct(correct)
    time_steps = correct.shape[0]
    first = correct.int().argmax(0) + 1
    return torch.where(correct.any(0), first, torch.full_like(first, time_steps))


def empirical_aet(correct: torch.Tensor) -> float:
    """SEENN Eq. 13: mean over samples of the earliest correct timestep (T_max if never correct)."""
    return float(earliest_correct(correct).double().mean())


def policy_summary(exit_t: torch.Tensor, pred: torch.Tensor, target: torch.Tensor) -> dict:
    """Accuracy (%) and average timesteps of an exit policy's decisions."""
    return {"accuracy": float((pred == target).float().mean() * 100),
            "avg_timesteps": float(exit_t.double().mean())}


def exit_distribution(exit_t: torch.Tensor, t_max: int) -> pd.DataFrame:
    """Fraction of samples exiting at each t = 1..t_max (the paper's pie charts)."""
    counts = torch.bincount(exit_t.long() - 1, minlength=t_max)[:t_max].double()
    return pd.DataFrame({"t": range(1, t_max + 1), "fraction": (counts / counts.sum()).tolist()})
