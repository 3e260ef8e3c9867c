"""The quantities behind the claims of the engine, the policy and SEENN-II (notebooks 06, 08, 09): each evidence function fed results that agree
with a claim and results that contradict it, and the verdict flips; by-hand values."""
import math

import pandas as pd
import pytest
import torch

from seenn_lib import claims
from seenn_lib.analysis import evidence_seenn2 as evidence

NOT, YES = claims.NOT_REPRODUCED, claims.REPRODUCED


def verdicts(values: dict, profile="ci") -> dict:
    return dict(zip(*claims.judge(values, profile)[["claim_id", "verdict"]].T.values))


def test_policy_share_of_the_papers_pair_by_hand():
    # App. E: the policy (ResNet-8) costs 0.547 % of ResNet-19's operations; ours must agree to 3 digits
    assert evidence.macs_share("resnet8", "resnet19") == pytest.approx(0.00547, abs=5e-6)
    assert evidence.macs_share("smoke_cnn", "smoke_cnn", image_size=28, in_channels=1) == 1.0


def test_seenn2_and_difficulty_evidence_flip():
    sweep = pd.DataFrame({"beta": [1.0, 4.0, 16.0], "accuracy": [88.0, 89.5, 90.0], "avg_timesteps": [1.2, 1.5, 2.5],
                          "gap_vs_seenn1_warmup": [-1.0, 0.1, -0.5]})
    good = evidence.seenn2_evidence(sweep, static_accuracy=90.0, t_max=4, policy_ops_share=0.004)
    assert good == pytest.approx({"SEENN-06": 0.1, "SEENN-07": 1.0, "SEENN-08": 0.4, "SEENN-20": 1.5 / 4})
    assert set(verdicts(good).values()) == {YES}
    bad = evidence.seenn2_evidence(sweep.assign(gap_vs_seenn1_warmup=-1.0, avg_timesteps=[2.5, 2.2, 2.1]),
                                   static_accuracy=91.0, t_max=4, policy_ops_share=0.06)
    assert verdicts(bad) == {"SEENN-06": NOT, "SEENN-07": NOT, "SEENN-08": NOT, "SEENN-20": NOT}
    bins = pd.DataFrame({"accuracy_first_t": [95.0, 80.0, 60.0]})
    assert verdicts(evidence.difficulty_evidence(bins))["SEENN-18"] == YES
    assert verdicts(evidence.difficulty_evidence(bins[::-1]))["SEENN-18"] == NOT


def test_difficulty_standard_error_is_the_binomial_error_of_the_two_end_bins():
    bins = pd.DataFrame({"samples": [100, 50, 400], "accuracy_first_t": [95.0, 10.0, 80.0]})
    # by hand: sqrt(0.95 * 0.05 / 100 + 0.8 * 0.2 / 400) = sqrt(0.000475 + 0.0004) = 0.02958
    assert evidence.difficulty_standard_error(bins) == pytest.approx(2.958, abs=1e-3)
