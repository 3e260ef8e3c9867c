"""The quantities behind SEENN-I's claims and the SNN's own timesteps on cached logits (notebooks 01-05, 07, 10):
point estimates by hand on constructed logits; verdicts that flip between data that agree and data that
contradict a claim; intervals that contain the point, narrow with more inputs and can say inconclusive; α chosen
on the calibration half; quantities that are undefined here are not testable, and never reached fails."""
import math

import pytest
import torch

from seenn_lib import claims
from seenn_lib.analysis import evidence
from seenn_lib.config import SEED_ENV

NOT, YES, MAYBE = claims.NOT_REPRODUCED, claims.REPRODUCED, claims.INCONCLUSIVE


def verdicts(values: dict, notes: dict | None = None) -> dict:
    return dict(zip(*claims.judge(values, "ci", notes=notes)[["claim_id", "verdict"]].T.values))


def logits_from_correctness(correct: torch.Tensor, classes: int = 10, margin: float = 4.0):
    """Running-mean logits [T, N, C] whose argmax at each t is the target where correct[t] and class
    (target + 1) elsewhere, with softmax confidence set by `margin` (4: 0.858 over ten classes)."""
    n = correct.shape[1]
    target = torch.arange(n) % classes
    pred = torch.where(correct, target, (target + 1) % classes)
    return torch.nn.functional.one_hot(pred, classes).float() * margin, target


def margin_for(confidence: torch.Tensor, classes: int = 10) -> torch.Tensor:
    """The one-hot logit margin whose softmax confidence over `classes` classes is `confidence`."""
    return torch.log((classes - 1) * confidence / (1 - confidence))


def test_exit_potential_by_hand_and_flips_when_only_late_timesteps_are_right():
    early = torch.ones(4, 100, dtype=torch.bool)  # every input right from t = 1: AET 1
    late = torch.zeros(4, 100, dtype=torch.bool)
    late[3] = True  # right only at T_max: AET 4
    good = evidence.exit_potential(*logits_from_correctness(early), seed=0)
    bad = evidence.exit_potential(*logits_from_correctness(late), seed=0)
    assert good["SEENN-01"].point == pytest.approx(0.0) and bad["SEENN-01"].point == pytest.approx(1.0)
    assert verdicts(good)["SEENN-01"] == YES and verdicts(bad)["SEENN-01"] == NOT
    assert evidence.late_timestep_gain(*logits_from_correctness(late), seed=0).point == pytest.approx(100.0)
    assert verdicts({"SEENN-02": evidence.late_timestep_gain(*logits_from_correctness(early), seed=0)}) == \
        {"SEENN-02": YES}
    # Assumption 3.1 broken for half the inputs: right, wrong, wrong, right gives AET 1 − 2 + 4 = 3 (Eq. 4)
    # against an earliest correct timestep of 1: a gap of 2 timesteps on each, 1 on average
    flipping = torch.tensor([True, False, False, True]).repeat(100, 1).T.clone()
    flipping[:, 50:] = True
    gap = evidence.exit_potential(*logits_from_correctness(flipping), seed=0)["SEENN-03"]
    assert gap.point == pytest.approx(1.0) and verdicts({"SEENN-03": gap}) == {"SEENN-03": NOT}
    assert verdicts({"SEENN-03": good["SEENN-03"]}) == {"SEENN-03": YES}


def test_aet_per_input_averages_to_eq4():
    correct = torch.rand(5, 300, generator=torch.Generator().manual_seed(1)) < 0.7
    from seenn_lib.metrics import aet
    assert evidence.aet_per_input(correct).mean().item() == pytest.approx(aet(correct))


def test_aet_claims_at_two_timesteps():
    """At T_max = 2, AET = empirical AET by construction: SEENN-03 is not testable, with the reason; SEENN-01
    normalised is one minus the t = 1 accuracy, which can fail."""
    correct = torch.ones(2, 100, dtype=torch.bool)
    correct[0, :70] = False
    values = evidence.exit_potential(*logits_from_correctness(correct), seed=0)
    assert values["SEENN-01"].point == pytest.approx(0.7) and math.isnan(values["SEENN-03"].point)
    rows = claims.judge(values, "ci", notes=evidence.exit_notes(2)).set_index("claim_id")
    assert rows.verdict.to_dict() == {"SEENN-01": NOT, "SEENN-03": claims.NOT_TESTABLE}
    assert "by construction" in rows.note["SEENN-03"] and evidence.exit_notes(4) == {}


def test_interval_contains_the_point_narrows_with_more_inputs_and_can_say_inconclusive():
    def gain(n, late_share):  # right at T_max on every input; right at T_max / 2 on all but a share of them
        correct = torch.ones(4, n, dtype=torch.bool)
        correct[:2, :round(late_share * n)] = False
        return evidence.late_timestep_gain(*logits_from_correctness(correct), seed=0)

    small, large = gain(200, 0.3), gain(2000, 0.3)
    for estimate in (small, large):
        low, high = estimate.interval()
        assert low <= estimate.point <= high and estimate.point == pytest.approx(30.0)
    assert large.interval()[1] - large.interval()[0] < 0.5 * (small.interval()[1] - small.interval()[0])
    assert large.source == "paired bootstrap over 2,000 test inputs, 1,000 resamples"
    # one input in a hundred gains at T_max: 1 point on the observed inputs, the interval straddles the rule's 1
    assert verdicts({"SEENN-02": gain(100, 0.01)}) == {"SEENN-02": MAYBE}


def test_table1_evidence_flips_with_confident_wrong_early_answers():
    correct = torch.ones(4, 200, dtype=torch.bool)
    values = evidence.table1_evidence(*logits_from_correctness(correct), seed=0)
    assert values["SEENN-04"].point == pytest.approx(0.25) and verdicts(values)["SEENN-04"] == YES
    assert "α chosen on 100 calibration inputs" in values["SEENN-04"].source
    # the same accuracy at T_max, but t = 1..3 confidently wrong on every input: SEENN-I must run to T_max, and
    # at average T <= 1.12 only α that exit at t = 1 remain (over α > 1/C): no gain over the t = 1 SNN
    correct[:3] = False
    values = evidence.table1_evidence(*logits_from_correctness(correct), seed=0)
    assert values["SEENN-04"].point == pytest.approx(1.0) and values["SEENN-05"].point == 0.0
    assert verdicts(values) == {"SEENN-04": NOT, "SEENN-05": NOT}


def test_seenn05_gains_when_the_unconfident_inputs_go_on():
    """A twentieth of the inputs flat at t = 1 (confidence 1/C, argmax class 0), right and confident at t = 2:
    every α in (1/C, 0.858] holds back only them, for an average T near 1.05, and gains them on the held-out
    half (but input 0, whose target is class 0)."""
    mean_logits, target = logits_from_correctness(torch.ones(3, 200, dtype=torch.bool))
    mean_logits[0, :10] = 0.0
    values = evidence.table1_evidence(mean_logits, target, seed=0)
    held = evidence.halves(200, seed=0)[1].index
    gained = ((held < 10) & (target[held] != 0)).sum().item()
    assert values["SEENN-05"].point == pytest.approx(100 * gained / len(held))
    assert verdicts(values)["SEENN-05"] == (YES if gained else NOT)


def test_alpha_is_chosen_on_the_calibration_half():
    """Calibration inputs are right and confident from t = 1; held-out ones equally confident at t = 1 but wrong
    there, right from t = 2. On calibration the cheapest α that keeps the T_max accuracy exits everything at
    t = 1, and the held-out half reports that α's average T (1 of 4), though there it costs all accuracy."""
    n = 400
    cal, held = evidence.halves(n, seed=0)
    correct = torch.ones(4, n, dtype=torch.bool)
    correct[0, held.index] = False
    values = evidence.table1_evidence(*logits_from_correctness(correct, margin=8.0), seed=0)
    assert values["SEENN-04"].point == pytest.approx(0.25)
    swapped = torch.ones(4, n, dtype=torch.bool)
    swapped[0, cal.index] = False  # now calibration sees the wrong early answers: α must hold them to t = 2
    assert evidence.table1_evidence(*logits_from_correctness(swapped, margin=8.0), seed=0)["SEENN-04"].point == 1


def test_never_reached_is_the_static_snn_and_fails():
    """Every input saturates the softmax (confidence exactly 1) with a wrong answer at t = 1: every α of the
    grid, 1 included, exits there, so no α reaches the T_max accuracy and SEENN-I saves nothing: T_max / T_max;
    none keeps to average T <= 1.12 either when t = 1 is flat: no gain over the t = 1 SNN."""
    correct = torch.ones(2, 100, dtype=torch.bool)
    correct[0] = False
    values = evidence.table1_evidence(*logits_from_correctness(correct, margin=200.0), seed=0)
    assert values["SEENN-04"].point == 1 and verdicts(values)["SEENN-04"] == NOT
    flat_first = logits_from_correctness(torch.ones(2, 100, dtype=torch.bool))
    flat_first[0][0] = 0.0
    assert evidence.table1_evidence(*flat_first, seed=0)["SEENN-05"].point == 0


def test_conversion_evidence_by_hand():
    correct = torch.zeros(8, 1000, dtype=torch.bool)
    correct[:, :500] = True  # half right from t = 1; the rest right from t = 5 on
    correct[4:, 500:] = True
    mean_logits, target = logits_from_correctness(correct)
    values = evidence.conversion_evidence(mean_logits, target, match_t=8, exit_t_max=8, seed=0)
    assert values["SEENN-10"].point == 0.0 and verdicts(values)["SEENN-10"] == NOT  # nothing to gain at T <= 2
    # confident and right at t = 1 for half, unconfident (flat) for the rest until they become right at t = 5
    mean_logits[:4, 500:] = 0.0
    values = evidence.conversion_evidence(mean_logits, target, match_t=8, exit_t_max=8, seed=0)
    early = (evidence.halves(1000, seed=0)[1].index < 500).double().mean().item()  # held-out share exiting at 1
    assert values["SEENN-09"].point == pytest.approx((early * 1 + (1 - early) * 5) / 8)
    assert verdicts(values)["SEENN-09"] == NOT


def test_alpha_tradeoff_evidence_flips():
    alphas = [0.4, 0.5, 0.6, 0.7, 0.8, 0.9]
    spread = torch.linspace(0.35, 0.99, 500)  # t = 1 confidences, every input right at t = 1 and 2
    mean_logits, target = logits_from_correctness(torch.ones(2, 500, dtype=torch.bool))
    mean_logits[0] *= (margin_for(spread) / 4.0).unsqueeze(1)
    good = evidence.alpha_tradeoff_evidence(mean_logits, target, alphas, seed=0)
    assert good["SEENN-15"].point == 1.0 and good["SEENN-16"].point == -1.0
    assert good["SEENN-17"].point == pytest.approx((spread >= 0.9).sum().item() / (spread >= 0.4).sum().item(),
                                                   rel=1e-3)
    assert set(verdicts(good).values()) == {YES}
    # half confident (0.95) but wrong at t = 1, half unconfident (0.155) and right: every α in 0.4..0.9 exits the
    # wrong half at t = 1: 50 % at average T 1.5, below the static 75 %; the t = 1 share stays at one half
    correct = torch.ones(2, 500, dtype=torch.bool)
    correct[0, :250] = False
    mean_logits, target = logits_from_correctness(correct, margin=margin_for(torch.tensor(0.95)).item())
    mean_logits[0, 250:] *= 0.5 / mean_logits[0, 250:].max()
    bad = evidence.alpha_tradeoff_evidence(mean_logits, target, alphas, seed=0)
    assert bad["SEENN-15"].point == 0.0 and bad["SEENN-17"].point == 1.0 and math.isnan(bad["SEENN-16"].point)
    assert verdicts(bad) == {"SEENN-15": NOT, "SEENN-16": claims.NOT_TESTABLE, "SEENN-17": NOT}


def test_confidence_shift_by_hand_and_flips():
    sharpening = torch.tensor([[1.0, 0.0], [5.0, 0.0]]).unsqueeze(1).expand(2, 4, 2)  # [T=2, N=4, C=2]
    shift = evidence.confidence_shift(sharpening, seed=0)
    assert shift.point == pytest.approx(torch.tensor([5.0, 0.0]).softmax(0)[0] - torch.tensor([1.0, 0]).softmax(0)[0])
    assert verdicts({"SEENN-19": shift}) == {"SEENN-19": YES}
    assert verdicts({"SEENN-19": evidence.confidence_shift(sharpening.flip(0), seed=0)}) == {"SEENN-19": NOT}


def test_weighted_median_is_the_lower_median_on_the_observed_inputs():
    values = torch.tensor([0.3, 0.9, 0.1, 0.5, 0.7, 0.2])
    w = evidence.whole(6, resamples=50, seed=0)
    rows = evidence._weighted_medians(w, values)
    assert rows[0].item() == pytest.approx(values.median().item()) and set(rows.tolist()) <= set(values.tolist())


def test_the_weights_follow_the_run_seed(monkeypatch):
    correct = torch.rand(4, 300, generator=torch.Generator().manual_seed(2)) < 0.8
    logits = logits_from_correctness(correct)
    monkeypatch.setenv(SEED_ENV, "3")
    by_run = evidence.late_timestep_gain(*logits)
    assert (by_run.samples == evidence.late_timestep_gain(*logits, seed=3).samples).all()
    assert not (by_run.samples == evidence.late_timestep_gain(*logits, seed=4).samples).all()
