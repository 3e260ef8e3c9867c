"""The quantities behind the claims of the engine, the policy and SEENN-II (notebooks 06, 08, 09): by-hand values
on constructed decisions, β chosen on the calibration half and read on the other, a collapsed policy not
eligible, verdicts that flip between agreeing and contradicting data, intervals that contain their value."""
import math

import numpy as np
import pytest
import torch

from seenn_lib import claims, resampling
from seenn_lib.analysis import evidence_seenn2 as evidence
from seenn_lib.analysis.seenn2 import SweepDecisions, accuracy_at_timesteps
from seenn_lib.bench import speedup_rounds
from seenn_lib.inference import ConfidenceExit
from seenn_lib.models import create_model

NOT, YES = claims.NOT_REPRODUCED, claims.REPRODUCED
N, SEED = 800, 3


def verdicts(values: dict) -> dict:
    return dict(zip(*claims.judge(values, "ci")[["claim_id", "verdict"]].T.values))


def calibration_half(n: int = N, seed: int = SEED) -> torch.Tensor:
    return resampling.held_out_weights(n, evidence.CALIBRATION, 0, seed)[0][0] > 0


def per_half(cal_pattern, held_pattern, dtype=torch.long) -> torch.Tensor:
    """[N]: the inputs of the calibration half take cal_pattern in turn, the others held_pattern."""
    out, cal = torch.empty(N, dtype=dtype), calibration_half()
    for part, pattern in ((cal, cal_pattern), (~cal, held_pattern)):
        idx = part.nonzero().squeeze(1)
        out[idx] = torch.tensor(pattern, dtype=dtype)[torch.arange(len(idx)) % len(pattern)]
    return out


def decisions(policy: list, seenn1: list, static=((1, 1, 1, 1), (1, 1, 1, 1)), betas=(1.0, 4.0, 16.0)):
    """policy: per β ((cal exits, held exits), (cal correct, held correct)); seenn1: per β the correctness of
    SEENN-I's two thresholds, everyone at t = 4 and everyone at t = 1, each (cal, held). Actions (1, 4)."""
    exit_t = torch.stack([per_half(*e) for e, _ in policy])
    correct = torch.stack([per_half(*c, dtype=torch.bool) for _, c in policy])
    seenn1_exit = torch.stack([torch.full((N,), 4), torch.ones(N, dtype=torch.long)]).expand(len(betas), 2, N)
    seenn1_correct = torch.stack([torch.stack([per_half(*c, dtype=torch.bool) for c in pair]) for pair in seenn1])
    return SweepDecisions(betas, (1, 4), (0.99, 0.5), exit_t, correct, seenn1_exit, seenn1_correct,
                          per_half(*static, dtype=torch.bool))


SPLIT = ((1, 1, 4, 4), (1, 1, 4, 4))  # half the inputs at t = 1 on both halves: average T 2.5
THREE_QUARTERS = ((1, 1, 0, 1), (1, 1, 0, 1))
# β = 1 leads SEENN-I on the calibration half (+25) and trails it on the held-out half (-25); β = 4 the reverse;
# β = 16 collapsed onto t = 1, with the largest calibration gap (+50), and misses the static accuracy
SWEEP = decisions(
    policy=[(SPLIT, ((1, 1, 1, 1), (1, 1, 0, 0))), (SPLIT, ((1, 1, 0, 1), (1, 1, 1, 1))),
            (((1, 1, 1, 1), (1, 1, 1, 1)), ((1, 1, 0, 1), (1, 1, 1, 1)))],
    seenn1=[(THREE_QUARTERS, THREE_QUARTERS), (THREE_QUARTERS, THREE_QUARTERS),
            (THREE_QUARTERS, ((1, 0, 0, 0), (1, 1, 0, 1)))])


def test_policy_share_of_the_papers_pair_by_hand():
    # App. E: the policy (ResNet-8) costs 0.547 % of ResNet-19's operations; ours must agree to 3 digits
    assert evidence.macs_share("resnet8", "resnet19") == pytest.approx(0.00547, abs=5e-6)
    assert evidence.macs_share("smoke_cnn", "smoke_cnn", image_size=28, in_channels=1) == 1.0
    assert verdicts(evidence.policy_share_evidence(0.00547)) == {"SEENN-08": YES}
    assert verdicts(evidence.policy_share_evidence(0.06)) == {"SEENN-08": NOT}


def test_interpolate_rows_reads_each_row_like_accuracy_at_timesteps():
    import pandas as pd
    x, y = torch.tensor([[2.0, 1.0, 4.0, 2.0]] * 4), torch.tensor([[84.0, 80.0, 90.0, 85.0]] * 4)
    at = torch.tensor([1.5, 3.0, 2.0, 4.5])
    got = evidence.interpolate_rows(x.double(), y.double(), at.double())
    curve = pd.DataFrame({"avg_timesteps": x[0].tolist(), "accuracy": y[0].tolist()}).sort_values("avg_timesteps")
    assert got[:3].tolist() == pytest.approx([82.5, 87.5, 85.0])  # a tie at T = 2: the better point
    assert [accuracy_at_timesteps(curve, float(t)) for t in at[:3]] == pytest.approx(got[:3].tolist())
    assert math.isnan(got[3])


def test_beta_is_chosen_on_the_calibration_half_a_collapsed_policy_is_not_eligible():
    assert evidence.chosen_betas(SWEEP, SEED) == {"SEENN-06": 1.0, "SEENN-20": 1.0}
    values = evidence.seenn2_evidence(SWEEP, resamples=200, seed=SEED)
    # SEENN-06: β = 1 chosen (β = 16 collapsed), its held-out gap 50 - 75; SEENN-20: β = 1, 2.5 of T_max 4
    assert values["SEENN-06"].point == pytest.approx(-25.0)
    assert values["SEENN-20"].point == pytest.approx(2.5 / 4)
    # SEENN-07: average T 2.5, 2.5, 1.0 for β 1, 4, 16: ranks (2.5, 2.5, 1) against (1, 2, 3)
    assert values["SEENN-07"].point == pytest.approx(-1.5 / math.sqrt(3))
    assert verdicts(values) == {"SEENN-06": NOT, "SEENN-07": NOT, "SEENN-20": NOT}
    for estimate in values.values():
        low, high = estimate.interval()
        assert low <= estimate.point <= high and "resample" in estimate.source


def test_seenn2_verdicts_flip_with_data_that_agree():
    # β = 1 leads SEENN-I on both halves at average T 1.75 of 4 and keeps the static accuracy; each larger β
    # spends more timesteps
    agree = decisions(
        policy=[(((1, 1, 1, 4), (1, 1, 1, 4)), ((1, 1, 1, 1), (1, 1, 1, 1))),
                (SPLIT, ((1, 1, 0, 1), (1, 1, 0, 1))), (((4, 4, 4, 1), (4, 4, 4, 1)), THREE_QUARTERS)],
        seenn1=[(THREE_QUARTERS, THREE_QUARTERS)] * 3)
    values = evidence.seenn2_evidence(agree, resamples=200, seed=SEED)
    assert values["SEENN-06"].point == pytest.approx(25.0) and values["SEENN-07"].point == pytest.approx(1.0)
    assert values["SEENN-20"].point == pytest.approx(1.75 / 4)
    assert verdicts(values) == {"SEENN-06": YES, "SEENN-07": YES, "SEENN-20": YES}


def test_no_beta_keeping_the_accuracy_needs_t_max_and_a_flat_sweep_is_no_effect():
    flat = decisions(policy=[(SPLIT, THREE_QUARTERS)] * 3, seenn1=[(THREE_QUARTERS, THREE_QUARTERS)] * 3)
    values = evidence.seenn2_evidence(flat, resamples=100, seed=SEED)
    assert values["SEENN-20"].point == 1.0 and values["SEENN-07"].point == 0.0  # 1: only T_max keeps it
    assert verdicts(values)["SEENN-20"] == NOT and verdicts(values)["SEENN-07"] == NOT
    assert values["SEENN-06"].point == pytest.approx(0.0)  # SEENN-I at t = 1 and 4 both 75 %: 75 at 2.5
    collapsed = decisions(policy=[(((1, 1, 1, 1), (1, 1, 1, 1)), THREE_QUARTERS)] * 3,
                          seenn1=[(THREE_QUARTERS, THREE_QUARTERS)] * 3)
    values = evidence.seenn2_evidence(collapsed, resamples=100, seed=SEED)
    assert math.isnan(values["SEENN-06"].point)  # every β collapsed: nothing to compare, the quantity is undefined
    assert "undefined" in claims.judge(values, "ci").set_index("claim_id").note["SEENN-06"]


def logits_right_where(right: torch.Tensor, time_steps: int = 4) -> torch.Tensor:
    """Running-mean logits [T, N, 2] that predict class 0 where right, else class 1, at every t."""
    return torch.stack([right, 1 - right], 1).float().expand(time_steps, -1, -1)


def test_difficulty_evidence_by_hand_and_flips():
    # 10 inputs, 5 bins of 2 by E_v[t] over actions (1, 4): inputs 0-1 easiest, 8-9 hardest
    policy_logits = torch.stack([torch.zeros(10), torch.linspace(-3, 3, 10)], 1)
    targets = torch.zeros(10, dtype=torch.long)
    right = torch.tensor([1, 1, 0, 1, 0, 1, 0, 1, 1, 0])  # right at t = 1: easiest 2 of 2, hardest 1 of 2
    values = evidence.difficulty_evidence(policy_logits, logits_right_where(right), targets, (1, 4), resamples=200)
    assert values["SEENN-18"].point == pytest.approx(50.0)
    low, high = values["SEENN-18"].interval()
    assert low <= 50.0 <= high
    many = torch.arange(10).repeat_interleave(100)  # each input 100 times
    right = torch.tensor([1, 1, 1, 1, 1, 1, 1, 1, 0, 0])[many]
    agree = evidence.difficulty_evidence(policy_logits[many], logits_right_where(right), targets[many], (1, 4))
    contradict = evidence.difficulty_evidence(policy_logits.flip(0)[many], logits_right_where(right), targets[many],
                                              (1, 4))
    assert verdicts(agree) == {"SEENN-18": YES} and verdicts(contradict) == {"SEENN-18": NOT}


def test_speed_energy_evidence_from_timing_rounds():
    values = evidence.speed_energy_evidence(np.array([2.0, 3.0, 2.4]), ideal_speedup=4.0, energy_ratio=0.4,
                                            images=256)
    # the median round 2.4 / 4; three rounds: the interval's outer order statistics are the extremes 2 / 4, 3 / 4
    assert values["SEENN-13"].point == pytest.approx(0.6) and values["SEENN-13"].interval() == pytest.approx(
        (0.5, 0.75))
    assert verdicts(values) == {"SEENN-13": YES, "SEENN-14": YES}
    slow = evidence.speed_energy_evidence(np.array([1.0, 1.2, 1.1]), 4.0, 1.1, 256)
    assert verdicts(slow) == {"SEENN-13": NOT, "SEENN-14": NOT}
    model = create_model("smoke_cnn", in_channels=1, width=2)
    speedups = speedup_rounds(model, torch.randn(8, 1, 28, 28), 2, ConfidenceExit(0.5), batch_size=4, rounds=2)
    assert speedups.shape == (2,) and (speedups > 0).all()
