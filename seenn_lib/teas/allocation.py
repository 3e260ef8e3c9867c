"""TEAS §3.3: the activity regulariser (Eq. 6), the loss (Eq. 8), the initial allocation of per-layer
timesteps from activity and the temporal adjustment."""
from __future__ import annotations

from typing import Sequence

import numpy as np
import torch

from ..train import LOSSES
from .spike_trains import check_steps


def activity_regularizer(activity: torch.Tensor, params: torch.Tensor, eps: float = 1e-6) -> torch.Tensor:
    """TEAS Eq. 6: ℓ_r = Σ_l (Σ_k #Act(k)·#Para(k)) / #Act(l), read layer by layer.

    The value is Eq. 6's, (Σ_k #Act(k)·#Para(k)) · Σ_l 1/#Act(l). Our reading of its gradient: the l-th term
    of the outer sum is layer l's penalty, the network's cost Σ_k #Act(k)·#Para(k) at the strength
    1/#Act(l); it acts on layer l's own activity only, with the strength held constant. So
    ∂ℓ_r/∂#Act(l) = #Para(l)/#Act(l): per parameter 1/#Act(l), weaker on the more active (vulnerable) layers,
    as §3.3 states ("a weaker regularization to the more vulnerable layers") and §4.2 ("penalize more on
    smaller layers"). Differentiating Eq. 6 as written gives #Para(l)·Σ_k 1/#Act(k) − (Σ_k #Act(k)·#Para(k)) /
    #Act(l)², which *raises* the activity of quiet layers; holding every 1/#Act(k) constant gives
    #Para(l)·Σ_k 1/#Act(k), the same pressure per parameter on every layer. Each layer's term is invariant
    to the unit of its activity, so the gradient reaching a layer's spikes is the same whether #Act is Eq. 2
    or the per-neuron rate; the measure changes the value of ℓ_r, the allocation and the adjustment."""
    if activity.shape != params.shape or activity.dim() != 1:
        raise ValueError(f"activity and params must both be [L], got {tuple(activity.shape)} and {tuple(params.shape)}")
    cost = activity * params
    others = cost.sum().detach() - cost.detach()  # the rest of the network's cost: a constant in layer l's term
    return ((cost + others) / activity.detach().clamp(min=eps)).sum()


def teas_loss(outputs: torch.Tensor, target: torch.Tensor, activity: torch.Tensor, params: torch.Tensor,
              lam: float, loss: str = "ce") -> torch.Tensor:
    """TEAS Eq. 8: L = L_CE + λ·ℓ_r, with L_CE the cross-entropy of the mean output (Eq. 7, loss='ce') or
    TET ('tet'), and ℓ_r (Eq. 6) of the per-layer activity [L] divided by Σ #Para so one λ suits every
    network size."""
    base = LOSSES[loss](outputs, target)
    if lam == 0:
        return base
    return base + lam * activity_regularizer(activity, params) / params.sum()


def allocate(activity: Sequence[float], t_max: int, ratio: float, t_min: int = 1,
             caps: Sequence[int] | None = None, groups: Sequence[int] | None = None) -> list[int]:
    """Initial allocation (§3.3): the most active layer keeps t_max, layer l gets round(t_max·(a_l/a_max)^γ)
    (at least t_min, at most caps[l] when given), with γ >= 0 the smallest exponent whose mean T is at most
    ratio·t_max; where no γ reaches it, the closest allocation (most active layers at t_max, others at t_min).
    Layers with one `groups` id (a residual block's, network.time_groups) get one T: that of their most
    active member, under their smallest cap."""
    check_steps(t_max=t_max, t_min=t_min)
    if not 0 < ratio <= 1:
        raise ValueError(f"ratio (target mean T / t_max) must be in (0, 1], got {ratio}")
    a = np.asarray(activity, dtype=float)
    if a.ndim != 1 or len(a) == 0 or (a < 0).any() or a.max() == 0:
        raise ValueError(f"activity must be a non-empty list of non-negative numbers with at least one > 0, got {a}")
    upper = np.full(len(a), t_max) if caps is None else np.maximum(np.asarray(caps), t_min)
    if groups is not None:
        a, upper = _grouped(a, groups, np.maximum), _grouped(upper, groups, np.minimum)
    relative, target = a / a.max(), ratio * t_max

    def alloc(gamma: float) -> np.ndarray:
        return np.clip(np.floor(t_max * relative ** gamma + 0.5), t_min, upper)

    low, high = 0.0, 1.0
    while alloc(high).mean() > target and high < 1e4:
        low, high = high, high * 2
    for _ in range(60):
        mid = (low + high) / 2
        low, high = (mid, high) if alloc(mid).mean() > target else (low, mid)
    return [int(t) for t in (alloc(0.0) if alloc(0.0).mean() <= target else alloc(high))]


def _grouped(values: np.ndarray, groups: Sequence[int], reduce: np.ufunc) -> np.ndarray:
    """Each layer's value replaced by `reduce` over the layers of its group."""
    groups = np.asarray(groups)
    if groups.shape != values.shape:
        raise ValueError(f"need one group id per layer ({len(values)}), got {len(groups)}")
    out = values.astype(float).copy()
    for g in np.unique(groups):
        out[groups == g] = reduce.reduce(values[groups == g])
    return out


def adjust(current: Sequence[int], activity: Sequence[float], t_max: int, ratio: float, t_min: int = 1,
           groups: Sequence[int] | None = None) -> list[int]:
    """Temporal adjustment (§3.3): re-allocate from the latest activity toward `ratio`, only ever removing
    timesteps (the least active layers lose the most). The search runs under the current T_l as caps, so a
    layer whose activity rose while it was short does not drag the others below the ratio. `groups` as in
    allocate."""
    return allocate(activity, t_max, ratio, t_min, caps=current, groups=groups)
