"""The paired bootstrap as weights: row 0 is the observed test set, the resamples are multinomial; the
interval of a proportion agrees with the normal approximation worked by hand; held-out splits are disjoint;
selection by hand; Spearman per row against scipy."""
import numpy as np
import pytest
import torch
from scipy.stats import spearmanr

from seenn_lib import resampling


def test_weights_observed_row_and_resamples():
    w = resampling.bootstrap_weights(50, resamples=200, seed=3)
    assert w.shape == (201, 50) and torch.allclose(w.sum(1), torch.ones(201, dtype=torch.float64))
    assert torch.equal(w[0], torch.full((50,), 1 / 50, dtype=torch.float64))
    counts = w[1:] * 50
    assert torch.allclose(counts, counts.round()) and (counts.var(0).mean() - 1).abs() < 0.15  # multinomial: var ≈ 1
    assert torch.equal(w, resampling.bootstrap_weights(50, resamples=200, seed=3))
    assert not torch.equal(w, resampling.bootstrap_weights(50, resamples=200, seed=4))


def test_interval_of_a_proportion_matches_the_normal_approximation():
    """p = 0.6 of n = 400: SE sqrt(0.24 / 400) = 2.449 points, 95 % ±4.8 points."""
    correct = (torch.arange(400) % 5 < 3).double()
    estimate = resampling.from_rows(resampling.weighted_mean(resampling.bootstrap_weights(400), correct) * 100, "b")
    low, high = estimate.interval()
    assert estimate.point == pytest.approx(60.0)
    assert estimate.se() == pytest.approx(2.449, rel=0.1)
    assert low == pytest.approx(55.2, abs=1.0) and high == pytest.approx(64.8, abs=1.0)


def test_held_out_split_is_disjoint_and_each_part_resampled_within_itself():
    cal, held = resampling.held_out_weights(101, calibration_fraction=0.5, resamples=30, seed=1)
    inside = cal[0] > 0
    assert inside.sum() == 50 and not (held[0] > 0)[inside].any() and (held[0] > 0).sum() == 51
    assert (cal[1:, ~inside] == 0).all() and (held[1:, inside] == 0).all()
    assert torch.allclose(cal.sum(1), torch.ones(31, dtype=torch.float64))
    with pytest.raises(ValueError, match="at least one input on each side"):
        resampling.held_out_weights(1)


def test_select_by_hand():
    score = torch.tensor([[3.0, 1.0, 2.0], [3.0, 1.0, 2.0], [1.0, 2.0, 3.0]])
    eligible = torch.tensor([[True, True, True], [True, False, True], [False, False, False]])
    report = torch.tensor([[10.0, 20.0, 30.0]]).expand(3, 3)
    assert resampling.select(score, eligible, report, "min")[:2].tolist() == [20.0, 30.0]
    assert resampling.select(score, eligible, report, "max")[:2].tolist() == [10.0, 10.0]
    assert resampling.select(score, eligible, report)[2].isnan()  # nothing eligible: undefined
    with pytest.raises(ValueError, match="'min' or 'max'"):
        resampling.select(score, eligible, report, "least")


def test_spearman_rows_against_scipy_with_ties():
    gen = np.random.default_rng(0)
    a = gen.integers(0, 4, size=(6, 9)).astype(float)
    b = gen.normal(size=9)
    ours = resampling.spearman_rows(torch.tensor(a), torch.tensor(b))
    assert ours.numpy() == pytest.approx([spearmanr(row, b).statistic for row in a])
    assert resampling.spearman_rows(torch.ones(1, 4), torch.arange(4.0)).isnan().all()  # constant: undefined
