"""The scale-free quantities behind SEENN's claims on cached logits (notebooks 01-05, 07, 10), one function per
notebook's claims: each takes the cached running-mean logits [T, N, C] and labels [N] and returns {claim_id:
Estimate} (seenn_lib.claims.judge turns them into verdicts), every Estimate from a paired bootstrap over the test
inputs (seenn_lib.resampling). Per-input tables are built once (SEENN-I's decisions at every α of the grid,
correctness per t); a weight matrix times a table gives every resample's accuracy or average T at once. Where α
is selected ("the least average T such that ...", "the best accuracy at average T <= ..."), it is chosen on a
calibration half of the test inputs and the quantity reported on the other half, the choice redone in every
resample. The weights are seeded by the run's seed, so a run is reproducible and its claims paired."""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import torch

from .. import resampling
from ..claims import Estimate
from ..config import run_seed
from ..exits import alpha_decisions, alpha_grid, check_alpha, confidence
from ..metrics import accuracy_per_t, correct_per_t, earliest_correct
from ..resampling import RESAMPLES, from_rows, select, spearman_rows, weighted_mean

ONE_STEP_LATENCY = 1.12  # SEENN §4.2: SEENN-I against the one-timestep SNN "at the cost of 12 % more latency"
CALIBRATION_FRACTION = 0.5  # the share of the test inputs α is chosen on (notebook 15's split)
TIE = 1e-9  # accuracies (points) and average T that differ by less are equal: sums in another order
AET_IDENTITY = ("not testable at T_max <= 2: there AET = empirical AET for every input by construction "
                "(a right answer at t = 1 counts 1, anything else T_max)")


@dataclass(frozen=True)
class Weights:
    """Bootstrap weights over the test inputs `index` (all, or one half of a split) as counts [1 + B, n] (row 0
    the observed inputs, once each): on integer per-input tables (right or wrong, timesteps) every sum is exact,
    so equal decisions give equal statistics whatever the order of summation. `described` says what varies, for
    the ledger's interval column."""
    counts: torch.Tensor
    index: torch.Tensor
    described: str

    def mean(self, per_input: torch.Tensor) -> torch.Tensor:
        """Per resample, the mean of per-input values over these inputs: [N] -> [1 + B], [K, N] -> [1 + B, K]."""
        return weighted_mean(self.counts, per_input[..., self.index]) / len(self.index)


def _part(weights: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    index = (weights[0] > 0).nonzero().squeeze(1)
    return (weights[:, index] * len(index)).round(), index


@lru_cache(maxsize=2)
def whole(n: int, resamples: int = RESAMPLES, seed: int = 0) -> Weights:
    """Bootstrap weights over all n test inputs (cached: every claim of an experiment sees the same ones)."""
    counts, index = _part(resampling.bootstrap_weights(n, resamples, seed))
    return Weights(counts, index, f"paired bootstrap over {n:,} test inputs, {resamples:,} resamples")


@lru_cache(maxsize=2)
def halves(n: int, resamples: int = RESAMPLES, seed: int = 0) -> tuple[Weights, Weights]:
    """(calibration, held-out) bootstrap weights over a seeded split of n test inputs, each part resampled
    within itself (cached like `whole`)."""
    split = resampling.held_out_weights(n, CALIBRATION_FRACTION, resamples, seed)
    (cal, cal_index), (held, held_index) = map(_part, split)
    described = (f"paired bootstrap over {len(held_index):,} held-out test inputs, {resamples:,} resamples; "
                 f"α chosen on {len(cal_index):,} calibration inputs in each resample")
    return Weights(cal, cal_index, described), Weights(held, held_index, described)


def _estimate(rows: torch.Tensor, described: str) -> Estimate:
    """An Estimate from a statistic's [1 + B] rows; undefined (no resamples) where the observed row is NaN."""
    return Estimate(math.nan, source=described) if rows[0].isnan() else from_rows(rows, described)


def undefined(w: Weights) -> Estimate:
    """A quantity undefined on this run (NaN, no resamples): judge() says `not testable here`."""
    return Estimate(math.nan, source=w.described)


def _seed(seed: int | None) -> int:
    return run_seed() if seed is None else seed


def model_fit(mean_logits: torch.Tensor, targets: torch.Tensor) -> dict:
    """claims.judge's guard: the model's accuracy (%) at T_max and its number of classes."""
    return {"accuracy": float(accuracy_per_t(mean_logits, targets)[-1]), "classes": mean_logits.shape[-1]}


def aet_per_input(correct: torch.Tensor) -> torch.Tensor:
    """[N] each input's term of SEENN Eq. 4 (their mean is metrics.aet): c_1 + T (1 − c_T) + Σ_{t≥2} t (c_t −
    c_{t−1}), with c_t = 1 where the input is right at t."""
    c = correct.double()
    t = torch.arange(2, c.shape[0] + 1, dtype=torch.float64).unsqueeze(1)
    return c[0] + c.shape[0] * (1 - c[-1]) + (t * (c[1:] - c[:-1])).sum(0)


def exit_notes(t_max: int) -> dict[str, str]:
    """judge()'s notes for exit_potential's rows: why SEENN-03 is not testable at T_max <= 2."""
    return {"SEENN-03": AET_IDENTITY} if t_max <= 2 else {}


def exit_potential(mean_logits: torch.Tensor, targets: torch.Tensor, seed: int | None = None,
                   resamples: int = RESAMPLES) -> dict[str, Estimate]:
    """SEENN-01, (AET − 1) / (T_max − 1): where AET lies between one timestep and all of them; SEENN-03,
    AET − empirical AET in timesteps (undefined at T_max <= 2, where the two are equal by construction)."""
    correct, t_max = correct_per_t(mean_logits, targets), mean_logits.shape[0]
    w = whole(len(targets), resamples, _seed(seed))
    per_input = aet_per_input(correct)
    aet_rows, gap = w.mean(per_input), w.mean(per_input - earliest_correct(correct))
    return {"SEENN-01": _estimate((aet_rows - 1) / (t_max - 1), w.described) if t_max > 1 else undefined(w),
            "SEENN-03": _estimate(gap, w.described) if t_max > 2 else undefined(w)}


def late_timestep_gain(mean_logits: torch.Tensor, targets: torch.Tensor, seed: int | None = None,
                       resamples: int = RESAMPLES) -> Estimate:
    """SEENN-02: accuracy at T_max minus at T_max / 2 (rounded up), in points."""
    correct = correct_per_t(mean_logits, targets).double()
    w = whole(len(targets), resamples, _seed(seed))
    return _estimate(w.mean(correct[-1] - correct[math.ceil(len(correct) / 2) - 1]) * 100, w.described)


def _decisions(mean_logits: torch.Tensor, targets: torch.Tensor, alphas, score: str
               ) -> tuple[torch.Tensor, torch.Tensor]:
    """SEENN-I at every α: (exit_t [A, N], right [A, N]) as float64 per-input tables."""
    exit_t, pred = alpha_decisions(mean_logits, alphas, score)
    return exit_t.double(), (pred == targets).double()


def _policy(w: Weights, exit_t: torch.Tensor, right: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Per resample and α: (accuracy in points, average T), each [1 + B, A]."""
    return w.mean(right) * 100, w.mean(exit_t)


def _least_timesteps(mean_logits: torch.Tensor, targets: torch.Tensor, static_t: int, tolerance: float,
                     score: str, seed: int | None, resamples: int) -> tuple[torch.Tensor, str]:
    """Per resample: the held-out average T of the α (dense grid) with the least calibration average T whose
    calibration accuracy is within `tolerance` points of the static SNN's at T = static_t (calibration too).
    Where no α reaches it, SEENN-I saves nothing over the static SNN: static_t. Returns ([1 + B] rows, the
    interval's description)."""
    cal, held = halves(len(targets), resamples, _seed(seed))
    exit_t, right = _decisions(mean_logits, targets, alpha_grid(), score)
    accuracy, timesteps = _policy(cal, exit_t, right)
    goal = cal.mean(correct_per_t(mean_logits[static_t - 1:static_t], targets)[0].double()) * 100 - tolerance
    chosen = select(timesteps, accuracy >= goal.unsqueeze(1) - TIE, held.mean(exit_t), "min")
    return _undefined_as(chosen, static_t), held.described


def _undefined_as(rows: torch.Tensor, value: float) -> torch.Tensor:
    """Rows where no α was eligible (NaN) as `value`: the static SNN's, which SEENN-I failed to improve on."""
    return torch.where(rows.isnan(), torch.full_like(rows, value), rows)


def _reach_t_max(mean_logits, targets, tolerance, score, seed, resamples) -> tuple[torch.Tensor, str]:
    return _least_timesteps(mean_logits, targets, mean_logits.shape[0], tolerance, score, seed, resamples)


def fraction_to_reach_t_max(mean_logits: torch.Tensor, targets: torch.Tensor, tolerance: float, score: str = "mean",
                            seed: int | None = None, resamples: int = RESAMPLES) -> Estimate:
    """The least SEENN-I average T within `tolerance` points of the static SNN at T_max, α chosen on a
    calibration half, as a fraction of T_max on the held-out half (SEENN-04, SEENN-12)."""
    rows, described = _reach_t_max(mean_logits, targets, tolerance, score, seed, resamples)
    return _estimate(rows / mean_logits.shape[0], described)


def extra_timesteps_to_reach_t_max(mean_logits: torch.Tensor, targets: torch.Tensor, tolerance: float,
                                   score: str = "mean", seed: int | None = None, resamples: int = RESAMPLES
                                   ) -> Estimate:
    """As fraction_to_reach_t_max, normalised to (average T − 1) / (T_max − 1) so that it spans 0..1 at any
    T_max, T_max = 2 included (SEENN-11)."""
    t_max = mean_logits.shape[0]
    rows, described = _reach_t_max(mean_logits, targets, tolerance, score, seed, resamples)
    return _estimate((rows - 1) / (t_max - 1), described) if t_max > 1 else Estimate(math.nan, source=described)


def _best_cheap_gain(mean_logits: torch.Tensor, targets: torch.Tensor, alphas, budget: float, baseline_t: int,
                     score: str, seed: int | None, resamples: int) -> Estimate:
    """Per resample: among `alphas` whose calibration average T <= budget, the one with the best calibration
    accuracy, and its held-out accuracy minus the static SNN's at T = baseline_t (held-out, points). Where no α
    keeps within the budget, SEENN-I adds nothing to the static SNN: 0."""
    cal, held = halves(len(targets), resamples, _seed(seed))
    exit_t, right = _decisions(mean_logits, targets, alphas, score)
    accuracy, timesteps = _policy(cal, exit_t, right)
    baseline = correct_per_t(mean_logits[baseline_t - 1:baseline_t], targets).double()
    gain = held.mean(right - baseline) * 100  # per input, so that equal decisions differ by exactly 0
    chosen = select(accuracy, timesteps <= budget + TIE, gain, "max")
    return _estimate(_undefined_as(chosen, 0.0), held.described)


def table1_evidence(mean_logits: torch.Tensor, targets: torch.Tensor, score: str = "mean", seed: int | None = None,
                    resamples: int = RESAMPLES) -> dict[str, Estimate]:
    """Notebook 02 (SEENN Table 1) on one held-out split: SEENN-04, and SEENN-05 over α > 1/C only (α <= 1/C
    exits every input at t = 1, which would reproduce the t = 1 accuracy and pass on a tie)."""
    grid = alpha_grid()
    above_chance = grid[grid > 1 / mean_logits.shape[-1]]
    return {"SEENN-04": fraction_to_reach_t_max(mean_logits, targets, 0.2, score, seed, resamples),
            "SEENN-05": _best_cheap_gain(mean_logits, targets, above_chance, ONE_STEP_LATENCY, 1, score, seed,
                                         resamples)}


def table3_evidence(mean_logits: torch.Tensor, targets: torch.Tensor, seed: int | None = None,
                    resamples: int = RESAMPLES) -> dict[str, Estimate]:
    """Notebook 04 (SEENN Table 3): exit_potential's SEENN-01 and SEENN-03, and SEENN-11 (SEENN-I within 0.2
    points of the T_max accuracy, normalised)."""
    return {**exit_potential(mean_logits, targets, seed, resamples),
            "SEENN-11": extra_timesteps_to_reach_t_max(mean_logits, targets, 0.2, seed=seed, resamples=resamples)}


def conversion_evidence(mean_logits: torch.Tensor, targets: torch.Tensor, match_t: int, exit_t_max: int,
                        seed: int | None = None, resamples: int = RESAMPLES) -> dict[str, Estimate]:
    """Notebook 03 (SEENN Table 2) on a converted SNN's logits, SEENN-I running to exit_t_max, α chosen on a
    calibration half: SEENN-09, the least SEENN-I average T reaching the fixed-T accuracy at match_t, over
    match_t; SEENN-10, the best SEENN-I accuracy at average T <= match_t / 4 minus the fixed-T accuracy at
    T = match_t / 4."""
    if not 1 <= match_t <= exit_t_max <= mean_logits.shape[0]:
        raise ValueError(f"need 1 <= match_t <= exit_t_max <= the cached T ({mean_logits.shape[0]}), got match_t "
                         f"{match_t}, exit_t_max {exit_t_max}")
    quarter, seenn = max(1, match_t // 4), mean_logits[:exit_t_max]
    rows, described = _least_timesteps(seenn, targets, match_t, 0.0, "mean", seed, resamples)
    return {"SEENN-09": _estimate(rows / match_t, described),
            "SEENN-10": _best_cheap_gain(seenn, targets, alpha_grid(), quarter, quarter, "mean", seed, resamples)}


def _interpolate(curve: torch.Tensor, at: torch.Tensor) -> torch.Tensor:
    """Per row, the piecewise-linear curve [1 + B, T] (values at T = 1..T_max) at average T `at` [1 + B, A]."""
    position = (at - 1).clamp(0, curve.shape[1] - 1)
    low = position.floor().long().clamp(max=max(curve.shape[1] - 2, 0))
    high = (low + 1).clamp(max=curve.shape[1] - 1)
    share = position - low
    return curve.gather(1, low) * (1 - share) + curve.gather(1, high) * share


def alpha_tradeoff_evidence(mean_logits: torch.Tensor, targets: torch.Tensor, alphas, score: str = "mean",
                            seed: int | None = None, resamples: int = RESAMPLES) -> dict[str, Estimate]:
    """Notebook 07 (SEENN Fig. 4) at the notebook's α: SEENN-15, the share of α whose SEENN-I accuracy is at
    least the static SNN's interpolated at the same average T; SEENN-16, Spearman's ρ of α and the share exiting
    at t = 1; SEENN-17, that share at the largest α over at the smallest."""
    alphas = sorted(check_alpha(a) for a in alphas)
    w = whole(len(targets), resamples, _seed(seed))
    exit_t, right = _decisions(mean_logits, targets, alphas, score)
    accuracy, timesteps = _policy(w, exit_t, right)
    static = w.mean(correct_per_t(mean_logits, targets).double()) * 100
    above = (accuracy >= _interpolate(static, timesteps) - TIE).double().mean(1)
    first = w.mean((exit_t == 1).double())
    return {"SEENN-15": _estimate(above, w.described),
            "SEENN-16": _estimate(spearman_rows(first, torch.tensor(alphas, dtype=torch.float64)), w.described),
            "SEENN-17": _estimate(first[:, -1] / first[:, 0], w.described)}


def _weighted_medians(w: Weights, values: torch.Tensor) -> torch.Tensor:
    """Per resample, the lower median of per-input values [N] over the resampled inputs (row 0: torch.median's):
    the least value whose cumulative count reaches half the inputs."""
    values = values[w.index].double()
    order = values.argsort()
    below = (w.counts[:, order].cumsum(1) < len(values) / 2).sum(1)
    return values[order][below]


def confidence_shift(mean_logits: torch.Tensor, score: str = "mean", seed: int | None = None,
                     resamples: int = RESAMPLES) -> Estimate:
    """SEENN-19: median confidence at T_max minus at t = 1."""
    scores = confidence(mean_logits, score)[[0, -1]]
    w = whole(mean_logits.shape[1], resamples, _seed(seed))
    return _estimate(_weighted_medians(w, scores[1]) - _weighted_medians(w, scores[0]), w.described)
