"""Calibrated early exit: the p-values by hand, the search against the plain SEENN-I path, and the
guarantee checked empirically over many random calibration/test splits."""
import math

import numpy as np
import pytest
import torch

from seenn_lib.calibration import (calibrate_beta, empirical_bernstein_pvalue, exit_loss, fixed_sequence,
                                   hoeffding_bentkus_pvalue, split_weights)
from seenn_lib.certified import alpha_risks, certified_alphas, guarantee_check
from seenn_lib.exits import alpha_decisions, alpha_grid, calibrate_alpha, confidence_exit


def synthetic_logits(n=10000, t_max=4, classes=10, seed=0):
    """Running means of noisy per-step outputs around a per-sample class signal: confidence and
    correctness grow with t, easy samples are confident at t = 1 and hard ones never."""
    gen = torch.Generator().manual_seed(seed)
    target = torch.randint(0, classes, (n,), generator=gen)
    strength = torch.rand(n, generator=gen) * 8.0
    signal = strength[:, None] * torch.nn.functional.one_hot(target, classes)
    steps = signal + 1.5 * torch.randn(t_max, n, classes, generator=gen)
    mean = steps.cumsum(0) / torch.arange(1, t_max + 1).view(-1, 1, 1)
    return mean, target


@pytest.fixture(scope="module")
def logits():
    return synthetic_logits()


def test_hoeffding_bentkus_by_hand():
    # R̂ = 0, n = 100, level 0.05: Hoeffding exp(-100·ln(1/0.95)) = 0.95^100 < Bentkus e·0.95^100
    assert hoeffding_bentkus_pvalue(0.0, 100, 0.05) == pytest.approx(0.95 ** 100)
    # R̂ = 0.02: h = 0.02 ln(0.4) + 0.98 ln(0.98/0.95); Bentkus = e·P(Bin(100, 0.05) ≤ 2)
    h = 0.02 * math.log(0.02 / 0.05) + 0.98 * math.log(0.98 / 0.95)
    bentkus = math.e * sum(math.comb(100, k) * 0.05 ** k * 0.95 ** (100 - k) for k in range(3))
    assert hoeffding_bentkus_pvalue(0.02, 100, 0.05) == pytest.approx(min(math.exp(-100 * h), bentkus))
    assert math.exp(-100 * h) == pytest.approx(0.29693, abs=1e-4) and bentkus == pytest.approx(0.32147, abs=1e-4)
    assert hoeffding_bentkus_pvalue(0.1, 100, 0.05) == 1.0  # above the level: no evidence at all


def test_empirical_bernstein_inverts_its_bound():
    mean, var, n, level = np.array([0.40, 0.45]), np.array([0.01, 0.002]), 500, 0.5
    p = empirical_bernstein_pvalue(mean, var, n, level)
    u = np.log(2 / p)
    bound = mean + np.sqrt(2 * var * u / n) + 7 * u / (3 * (n - 1))
    assert np.allclose(bound, level) and (p < 0.05).all()
    assert empirical_bernstein_pvalue(np.array([0.6]), np.array([0.0]), n, level)[0] == 1.0


def test_fixed_sequence_stops_at_first_failure():
    assert fixed_sequence([0.01, 0.02, 0.5, 0.001], 0.05) == 2
    assert fixed_sequence([0.01, 0.01], 0.05) == 2 and fixed_sequence([0.2, 0.01], 0.05) == 0


def test_exit_losses_by_hand():
    pred, full, target = torch.tensor([0, 1, 2, 0]), torch.tensor([0, 0, 2, 1]), torch.tensor([0, 0, 1, 0])
    # sample 1: exit wrong, T_max right -> degradation; sample 3: exit right, T_max wrong -> drop -1
    assert exit_loss(pred, full, target).tolist() == [0, 1, 0, 0]
    assert exit_loss(pred, full, target, "accuracy_drop").tolist() == [0.5, 1.0, 0.5, 0.0]


def test_grid_decisions_match_confidence_exit(logits):
    mean, _ = logits
    grid = alpha_grid()
    exit_t, pred = alpha_decisions(mean[:, :500], grid)
    for row in (0, 10, 60, len(grid) - 1):
        e, p = confidence_exit(mean[:, :500], float(grid[row]))
        assert torch.equal(exit_t[row], e) and torch.equal(pred[row], p)


def test_calibrate_alpha_when_every_sample_is_easy():
    # 400 samples, confident (softmax 0.9526) and right from t = 1: every α ≤ 0.95 exits at t = 1 for free
    target = torch.arange(400) % 2
    step = torch.nn.functional.one_hot(target, 2).float() * 3.0
    mean = step.expand(4, 400, 2)
    alpha = calibrate_alpha(mean, target, epsilon=0.05, delta=0.1)
    assert alpha == pytest.approx(0.95)  # the largest grid α that already exits everything at t = 1
    assert confidence_exit(mean, alpha)[0].eq(1).all()


def test_calibrate_beta_picks_cheapest_safe_policy():
    gen = torch.Generator().manual_seed(1)
    target = torch.randint(0, 5, (1000,), generator=gen)
    full = target.clone()
    sloppy = torch.where(torch.rand(1000, generator=gen) < 0.2, (target + 1) % 5, target)
    careful = torch.where(torch.rand(1000, generator=gen) < 0.005, (target + 1) % 5, target)
    decisions = {2.0: (torch.full((1000,), 4), full), 1.0: (torch.full((1000,), 2), careful),
                 0.1: (torch.ones(1000, dtype=torch.long), sloppy)}
    assert calibrate_beta(decisions, full, target, epsilon=0.03, delta=0.1) == 1.0
    assert calibrate_beta(decisions, full, target, epsilon=0.3, delta=0.1) == 0.1


def test_bad_budgets_and_shapes_are_rejected(logits):
    mean, target = logits
    with pytest.raises(ValueError, match="epsilon"):
        calibrate_alpha(mean, target, 0.0, 0.1)
    with pytest.raises(ValueError, match="delta"):
        calibrate_alpha(mean, target, 0.05, 1.5)
    with pytest.raises(ValueError, match=r"target must be \[N\]"):
        calibrate_alpha(mean, target[:10], 0.05, 0.1)
    with pytest.raises(ValueError, match="loss must be one of"):
        calibrate_alpha(mean, target, 0.05, 0.1, loss="top5")
    with pytest.raises(ValueError, match="no alpha can be certified.*larger calibration split"):
        calibrate_alpha(mean[:, :20], target[:20], 0.01, 0.05)


def test_split_path_agrees_with_calibrate_alpha(logits):
    mean, target = logits
    checks = guarantee_check(mean, target, 0.02, 0.1, n_splits=1, calibration_fraction=0.3, seed=3)
    cal = split_weights(len(target), 1, 0.3, 3)[0][0].bool()
    assert checks.alpha[0] == pytest.approx(calibrate_alpha(mean[:, cal], target[cal], 0.02, 0.1))


@pytest.mark.parametrize("loss", ["degradation", "accuracy_drop"])
def test_guarantee_holds_over_random_splits_and_is_not_trivial(logits, loss):
    mean, target = logits
    epsilon, delta, n_splits = 0.02, 0.1, 300
    checks = guarantee_check(mean, target, epsilon, delta, n_splits, calibration_fraction=0.2, loss=loss)
    slack = 3 * math.sqrt(delta * (1 - delta) / n_splits)  # Monte Carlo noise of the violation rate
    assert checks.violated.mean() <= delta + slack
    # a much cheaper α than running all T_max steps exists on the whole pool (the oracle) ...
    pool = alpha_risks(mean, target, alpha_grid())
    oracle = pool[pool[loss] <= epsilon].avg_timesteps.min()
    assert oracle < mean.shape[0] - 1
    # ... and the certificate finds one close to it in most splits instead of hiding at α = 1
    assert checks.certified.all() and (checks.alpha < 1.0).mean() >= 0.9
    assert (checks.test_avg_timesteps <= oracle + 0.5).mean() >= 0.9
    # ... and the certificate uses a real share of the budget instead of hiding at T_max
    assert checks.test_risk.mean() >= 0.25 * epsilon


def test_naive_threshold_choice_violates_the_budget(logits):
    """The same splits with the cheapest α whose *calibration* risk is ≤ ε (no bound): the test can fail."""
    mean, target = logits
    epsilon, n_splits = 0.02, 300
    exit_t, pred = alpha_decisions(mean, alpha_grid())
    losses = exit_loss(pred, mean[-1].argmax(-1), target)
    cal, test = split_weights(len(target), n_splits, 0.2, 0)
    cal_risk, test_risk = cal @ losses.T / cal[0].sum(), test @ losses.T / test[0].sum()
    cost = cal @ exit_t.double().T
    cheapest = torch.where(cal_risk <= epsilon, cost, torch.inf).argmin(1)
    violated = test_risk.gather(1, cheapest[:, None]).squeeze(1) > epsilon
    assert violated.double().mean() > 0.25


def test_certified_table_reports_held_out_numbers(logits):
    mean, target = logits
    table = certified_alphas(mean, target, epsilons=[0.05, 0.01], deltas=[0.1], losses=["degradation"])
    assert table.certified.all() and (table.alpha.diff().dropna() > 0).all()  # tighter ε -> larger α
    assert (table.avg_timesteps.diff().dropna() > 0).all()
