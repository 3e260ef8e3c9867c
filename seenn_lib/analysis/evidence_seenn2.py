"""The quantities behind SEENN's claims on the engine, the policy and SEENN-II (notebooks 06, 08, 09): each
function takes a notebook's results and returns {claim_id: Estimate} (the value on the test inputs, its resampled
values and what varies between them); seenn_lib.claims.judge turns them into verdicts.

Per-input quantities are statistics of a paired bootstrap over the test inputs (seenn_lib.resampling): the
per-input tables are built once and every resample reweights them. Where a β is chosen (SEENN-06, SEENN-20) it
is chosen on a calibration half of the test inputs and the quantity is read on the other half, both halves
resampled, so the choice is redone in every resample."""
from __future__ import annotations

from typing import Sequence

import numpy as np
import torch

from ..config import run_seed
from ..energy import count_ops, summarize_ops
from ..models import create_model
from ..resampling import (RESAMPLES, Estimate, bootstrap_weights, from_rows, held_out_weights, select, spearman_rows,
                          weighted_mean)
from .seenn2 import SweepDecisions, expected_timesteps

COLLAPSED = 0.95  # a policy sending at least this share of inputs to one timestep has collapsed (SEENN-06)
KEPT_POINTS = 0.5  # SEENN-20: "keeps the T_max accuracy" within this many points
CALIBRATION = 0.5  # the share of the test inputs that chooses β
_TIE = 1e-9  # average timesteps closer than this are the same (sums of 1/N in different orders)


# ---- notebook 06: the engine ---------------------------------------------------------------------------


def speed_energy_evidence(speedups: np.ndarray, ideal_speedup: float, energy_ratio: float,
                          images: int) -> dict[str, Estimate]:
    """Notebook 06 (SEENN Fig. 3): SEENN-13 from the engine's measured speed-up over the static SNN in each of
    several interleaved timing rounds (bench.speedup_rounds) over its ideal T_max / T̄, the median round as the
    value; SEENN-14 from the energy of the engine over the static SNN's (operation counts, exact)."""
    rounds = np.asarray(speedups, dtype=float) / ideal_speedup
    timing = (f"{len(rounds)} interleaved timing rounds of the static SNN and the engine on the same {images:,} "
              "images (timing noise on this device; the images are fixed); value: the median round")
    return {"SEENN-13": Estimate(float(np.median(rounds)), rounds, timing),
            "SEENN-14": Estimate(float(energy_ratio), source=f"exact: operation counts on the {images:,} images")}


# ---- notebook 08: the policy's cost ----------------------------------------------------------------------


def macs_share(policy: str, snn: str, image_size: int = 32, in_channels: int = 3, num_classes: int = 10) -> float:
    """Dense MACs of one pass of the registry model `policy` (built as a ReLU network) over those of `snn`, on one
    image: the architecture-level quantity behind the paper's 0.547 % (ResNet-8 vs ResNet-19, App. E)."""
    x = torch.zeros(1, 1, in_channels, image_size, image_size)
    macs = [summarize_ops(count_ops(create_model(name, num_classes, **kw).eval(), x))["macs_per_step"]
            for name, kw in [(policy, {"neuron": "relu"}), (snn, {})]]
    return macs[0] / macs[1]


def policy_share_evidence(share: float) -> dict[str, Estimate]:
    """SEENN-08 from a policy's dense MACs of one pass over its SNN's (a fraction): the run's own pair
    (analysis.seenn2.policy_cost's dense_ops_vs_snn) or the paper's (macs_share)."""
    return {"SEENN-08": Estimate(share * 100, source="exact: operation counts of the two networks")}


# ---- notebook 08: the β sweep ------------------------------------------------------------------------------


def interpolate_rows(x: torch.Tensor, y: torch.Tensor, at: torch.Tensor) -> torch.Tensor:
    """Per row r, the curve (x[r], y[r]) (any order; where points share an x, the largest y) read at at[r] by
    linear interpolation; NaN outside the curve's range. x, y: [R, A]; at: [R]."""
    y_order = y.argsort(dim=1, stable=True)
    x, y = x.gather(1, y_order), y.gather(1, y_order)
    x_order = x.argsort(dim=1, stable=True)  # within equal x, y ascending: the last of a tie has its largest y
    x, y = x.gather(1, x_order).contiguous(), y.gather(1, x_order)
    inside = (at >= x[:, 0] - _TIE) & (at <= x[:, -1] + _TIE)
    at = torch.minimum(torch.maximum(at, x[:, 0]), x[:, -1]).unsqueeze(1)
    lo = (torch.searchsorted(x, at, right=True) - 1).clamp(0, x.shape[1] - 1)
    hi = torch.searchsorted(x, at).clamp(0, x.shape[1] - 1)
    hi = torch.searchsorted(x, x.gather(1, hi), right=True) - 1  # the last (best) point of hi's tie
    x_lo, x_hi, y_lo, y_hi = x.gather(1, lo), x.gather(1, hi), y.gather(1, lo), y.gather(1, hi)
    step = torch.where(x_hi > x_lo, (at - x_lo) / (x_hi - x_lo).clamp_min(_TIE), torch.zeros_like(at))
    value = (y_lo + step * (y_hi - y_lo)).squeeze(1)
    return torch.where(inside, value, torch.full_like(value, float("nan")))


def _distinct_seenn1(d: SweepDecisions) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """Per β, SEENN-I's distinct rows of (exit_t, correct) over the α grid: α that decide alike give one curve
    point, so the resamples weigh each such point once."""
    n = d.exit_t.shape[1]
    rows = [torch.unique(torch.cat([e, c.long()], 1), dim=0) for e, c in zip(d.seenn1_exit_t, d.seenn1_correct)]
    return [(r[:, :n], r[:, n:].bool()) for r in rows]


def _per_beta(weights: torch.Tensor, d: SweepDecisions, seenn1: list[tuple[torch.Tensor, torch.Tensor]]
              ) -> dict[str, torch.Tensor]:
    """Per weight row and β [1 + B, K]: SEENN-II accuracy (%) and average T, SEENN-I on the same SNN at that
    average T (%), the gap, and the largest share of inputs the policy sends to one timestep."""
    part = weights[0] > 0  # the inputs these weights resample: only they count
    weights, exit_t = weights[:, part], d.exit_t[:, part]
    accuracy = weighted_mean(weights, d.correct[:, part]) * 100
    avg_t = weighted_mean(weights, exit_t)
    seenn1_accuracy = torch.stack([interpolate_rows(weighted_mean(weights, e[:, part]),
                                                    weighted_mean(weights, c[:, part]) * 100, avg_t[:, k])
                                   for k, (e, c) in enumerate(seenn1)], 1)
    shares = torch.stack([weighted_mean(weights, exit_t == t) for t in d.actions])  # [n, 1 + B, K]
    return {"accuracy": accuracy, "avg_t": avg_t, "seenn1": seenn1_accuracy, "gap": accuracy - seenn1_accuracy,
            "top_share": shares.amax(0)}


def _spearman_beta(weights: torch.Tensor, d: SweepDecisions) -> torch.Tensor:
    """Per weight row, Spearman's ρ of β and SEENN-II's average T; 0 where the average T is the same at every β
    (β has no effect); NaN with fewer than two β."""
    if len(d.betas) < 2:
        return torch.full((len(weights),), float("nan"), dtype=torch.float64)
    avg_t = weighted_mean(weights, d.exit_t)
    rho = spearman_rows(torch.tensor(d.betas, dtype=torch.float64).unsqueeze(0), avg_t)
    flat = (avg_t - avg_t[:, :1]).abs().amax(1) < _TIE
    return torch.where(flat, torch.zeros_like(rho), rho)


def _eligible(cal: dict[str, torch.Tensor], calibration: torch.Tensor, d: SweepDecisions
              ) -> tuple[torch.Tensor, torch.Tensor]:
    """On the calibration half [1 + B, K]: the βs SEENN-06 may choose (the policy has not collapsed, SEENN-I's
    curve reaches its average T) and those SEENN-20 may (accuracy within KEPT_POINTS of the static T_max's)."""
    static = weighted_mean(calibration, d.static_correct).unsqueeze(1) * 100  # every input: zero weight outside
    return (cal["top_share"] < COLLAPSED) & cal["gap"].isfinite(), cal["accuracy"] >= static - KEPT_POINTS


def seenn2_evidence(d: SweepDecisions, resamples: int = RESAMPLES, seed: int | None = None
                    ) -> dict[str, Estimate]:
    """Notebook 08 from a β sweep's per-input decisions (analysis.seenn2.sweep_decisions): SEENN-06, -07, -20.
    SEENN-06: the β with the largest SEENN-II − SEENN-I gap on the calibration half (a collapsed policy is not
    eligible), its gap on the held-out half; SEENN-20: the β of least average T on the calibration half whose
    accuracy there keeps the static T_max accuracy within KEPT_POINTS, its average T / T_max on the held-out
    half (1 where no β keeps it: the static SNN at T_max does); SEENN-07 over every input, each β's average T
    resampled."""
    seed = run_seed() if seed is None else seed
    n = d.exit_t.shape[1]
    calibration, held_out = held_out_weights(n, CALIBRATION, resamples, seed)
    seenn1 = _distinct_seenn1(d)
    cal, held = _per_beta(calibration, d, seenn1), _per_beta(held_out, d, seenn1)
    eligible, keeps = _eligible(cal, calibration, d)
    gap = select(cal["gap"], eligible, held["gap"], best="max")
    least_t = select(cal["avg_t"], keeps, held["avg_t"] / d.actions[-1], best="min").nan_to_num(nan=1.0)
    n_cal = round(CALIBRATION * n)
    split = (f"paired bootstrap over the {n - n_cal:,} held-out test inputs, {resamples:,} resamples; β chosen on "
             f"the other {n_cal:,} (calibration half), resampled too")
    # both halves, each resampled within itself: a stratified bootstrap of every input
    rho = _spearman_beta((calibration * n_cal + held_out * (n - n_cal)) / n, d)
    return {"SEENN-06": from_rows(gap, split),
            "SEENN-07": from_rows(rho, f"each β's average T over {n:,} resampled test inputs (paired bootstrap, "
                                       f"{resamples:,} resamples, each half resampled within itself)"),
            "SEENN-20": from_rows(least_t, split)}


def chosen_betas(d: SweepDecisions, seed: int | None = None) -> dict[str, float]:
    """The βs SEENN-06 and SEENN-20 choose on the observed calibration half (NaN where none is eligible)."""
    seed = run_seed() if seed is None else seed
    calibration, _ = held_out_weights(d.exit_t.shape[1], CALIBRATION, 0, seed)
    cal, betas = _per_beta(calibration, d, _distinct_seenn1(d)), torch.tensor(d.betas, dtype=torch.float64)[None]
    eligible, keeps = _eligible(cal, calibration, d)
    return {"SEENN-06": float(select(cal["gap"], eligible, betas, "max")[0]),
            "SEENN-20": float(select(cal["avg_t"], keeps, betas, "min")[0])}


# ---- notebook 09: easy and hard inputs ---------------------------------------------------------------------


def difficulty_evidence(policy_logits: torch.Tensor, mean_logits: torch.Tensor, targets: torch.Tensor,
                        actions: Sequence[int], bins: int = 5, resamples: int = RESAMPLES,
                        seed: int | None = None) -> dict[str, Estimate]:
    """Notebook 09 (SEENN Fig. 5): SEENN-18, the SNN's accuracy at the earliest action (%) on the easiest bin
    of the policy's E_v[t] minus on the hardest (the bins of analysis.seenn2.difficulty_bins: equal shares of
    the observed test set), each resample reweighting the inputs within the two bins."""
    seed = run_seed() if seed is None else seed
    n = len(targets)
    order = expected_timesteps(policy_logits, actions).argsort(stable=True).tensor_split(bins)
    first = mean_logits[actions[0] - 1].argmax(-1) == targets
    weights = bootstrap_weights(n, resamples, seed)
    accuracy = []
    for idx in (order[0], order[-1]):
        member = torch.zeros(n, dtype=torch.bool).index_fill_(0, idx, True)
        accuracy.append(weighted_mean(weights, member & first) / weighted_mean(weights, member) * 100)
    source = (f"paired bootstrap over {n:,} test inputs, {resamples:,} resamples; the bins are the observed "
              "test set's, each resample reweights the inputs within them")
    return {"SEENN-18": from_rows(accuracy[0] - accuracy[1], source)}
