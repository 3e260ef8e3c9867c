"""The quantities behind the claims of SEENN-I and the SNN's own timesteps on cached logits (notebooks 01-05, 07, 10): each evidence function fed results that agree
with a claim and results that contradict it, and the verdict flips; by-hand values."""
import math

import pandas as pd
import pytest
import torch

from seenn_lib import claims
from seenn_lib.analysis import evidence as evidence

NOT, YES = claims.NOT_REPRODUCED, claims.REPRODUCED


def verdicts(values: dict, profile="ci") -> dict:
    return dict(zip(*claims.judge(values, profile)[["claim_id", "verdict"]].T.values))


def logits_from_correctness(correct: torch.Tensor, classes: int = 10, margin: float = 4.0):
    """Running-mean logits [T, N, C] whose argmax at each t is the target where correct[t] and class
    (target + 1) elsewhere, with softmax confidence set by `margin`."""
    t_max, n = correct.shape
    target = torch.arange(n) % classes
    pred = torch.where(correct, target, (target + 1) % classes)
    return torch.nn.functional.one_hot(pred, classes).float() * margin, target


def test_exit_potential_flips_when_only_late_timesteps_are_right():
    early = torch.ones(4, 100, dtype=torch.bool)  # every input right from t = 1
    late = torch.zeros(4, 100, dtype=torch.bool)
    late[3] = True  # right only at T_max
    good = evidence.exit_potential(*logits_from_correctness(early))
    bad = evidence.exit_potential(*logits_from_correctness(late))
    assert good["SEENN-01"] == pytest.approx(0.25) and bad["SEENN-01"] == pytest.approx(1.0)  # AET 1 and 4 of 4
    assert verdicts(good)["SEENN-01"] == YES and verdicts(bad)["SEENN-01"] == NOT
    assert evidence.late_timestep_gain(*logits_from_correctness(late)) == pytest.approx(100.0)
    assert verdicts({"SEENN-02": evidence.late_timestep_gain(*logits_from_correctness(early))})["SEENN-02"] == YES
    # Assumption 3.1 broken: right, wrong, right, wrong ... AET (Eq. 4) counts the flips, the empirical AET not
    flipping = torch.tensor([True, False, False, True]).repeat(100, 1).T
    gap = evidence.exit_potential(*logits_from_correctness(flipping))["SEENN-03"]
    assert gap > 0.05 and verdicts({"SEENN-03": gap})["SEENN-03"] == NOT


def test_table1_evidence_flips_with_confident_wrong_early_answers():
    correct = torch.ones(4, 200, dtype=torch.bool)
    assert verdicts(evidence.table1_evidence(*logits_from_correctness(correct)))["SEENN-04"] == YES
    # the same accuracy at T_max, but t = 1..3 confidently wrong on every input: SEENN-I must run to T_max
    correct[:3] = False
    values = evidence.table1_evidence(*logits_from_correctness(correct))
    assert values["SEENN-04"] == pytest.approx(1.0)
    assert verdicts(values) == {"SEENN-04": NOT, "SEENN-05": NOT}


def test_conversion_evidence_by_hand():
    correct = torch.zeros(8, 100, dtype=torch.bool)
    correct[:, :50] = True  # half right from t = 1; the rest right from t = 5 on
    correct[4:, 50:] = True
    mean_logits, target = logits_from_correctness(correct)
    values = evidence.conversion_evidence(mean_logits, target, match_t=8, exit_t_max=8)
    assert values["SEENN-10"] <= 0 and verdicts(values)["SEENN-10"] == NOT  # nothing to gain at T <= 2
    # confident and right at t = 1 for half, unconfident (flat) for the rest until they become right
    mean_logits[:4, 50:] = 0.0
    values = evidence.conversion_evidence(mean_logits, target, match_t=8, exit_t_max=8)
    assert values["SEENN-09"] == pytest.approx((0.5 * 1 + 0.5 * 5) / 8)  # exits at t = 1 and t = 5
    assert verdicts(values)["SEENN-09"] == NOT


def test_alpha_tradeoff_evidence_flips():
    fixed = pd.DataFrame({"T": [1, 2, 3, 4], "accuracy": [80.0, 85.0, 87.0, 88.0]})
    above = pd.DataFrame({"alpha": [0.4, 0.9], "avg_timesteps": [1.5, 2.5], "accuracy": [84.0, 87.5]})
    below = above.assign(accuracy=[81.0, 87.5])  # 81 < 82.5, the static SNN interpolated at T = 1.5
    exits = pd.DataFrame({"alpha": [0.4, 0.6, 0.9], "t": 1, "fraction": [0.9, 0.7, 0.5]})
    good = evidence.alpha_tradeoff_evidence(above, fixed, exits)
    assert good == pytest.approx({"SEENN-15": 1.0, "SEENN-16": -1.0, "SEENN-17": 0.5 / 0.9})
    assert set(verdicts(good).values()) == {YES}
    bad = evidence.alpha_tradeoff_evidence(below, fixed, exits.assign(fraction=[0.5, 0.7, 0.9]))
    assert verdicts(bad) == {"SEENN-15": NOT, "SEENN-16": NOT, "SEENN-17": NOT}


def test_confidence_shift_flips():
    sharpening = torch.stack([torch.tensor([[1.0, 0.0]]), torch.tensor([[5.0, 0.0]])])  # [T=2, N=1, C=2]
    assert verdicts({"SEENN-19": evidence.confidence_shift(sharpening)})["SEENN-19"] == YES
    assert verdicts({"SEENN-19": evidence.confidence_shift(sharpening.flip(0))})["SEENN-19"] == NOT
