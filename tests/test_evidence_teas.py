"""The quantities behind the claims of TEAS (notebooks 12, 13): each evidence function fed results that agree
with a claim and results that contradict it, and the verdict flips; by-hand values."""
import math

import pandas as pd
import pytest
import torch

from seenn_lib import claims
from seenn_lib.analysis import evidence_teas as evidence

NOT, YES = claims.NOT_REPRODUCED, claims.REPRODUCED


def verdicts(values: dict, profile="ci") -> dict:
    return dict(zip(*claims.judge(values, profile)[["claim_id", "verdict"]].T.values))


def test_teas_and_energy_evidence_flip():
    summary = pd.Series({"original_T": 8, "reduced_T": 4.0, "snn_accuracy": 90.0, "reduced_accuracy": 89.8,
                         "without_retraining_accuracy": 85.0, "rank_corr_activity_T": 1.0})
    layers = pd.DataFrame({"activity_initial": [0.3, 0.2, 0.1], "T_final": [6, 4, 2]})
    flat = layers.assign(T_final=[4, 4, 4])
    history = pd.DataFrame({"epoch": [0, 1, 2], "accuracy": [85.0, 88.0, 89.8]})
    good = evidence.teas_evidence(summary, layers, layers.assign(T_final=[2, 4, 6]), history)
    assert good["TEAS-02"] == 2.0 and good["TEAS-03"] == pytest.approx(0.2) and good["TEAS-06"] == 2.0
    assert set(verdicts(good).values()) == {YES}
    worse = summary.copy()
    worse[["reduced_T", "reduced_accuracy", "rank_corr_activity_T"]] = [7.0, 88.0, -0.5]
    worse["without_retraining_accuracy"] = 88.5
    bad = evidence.teas_evidence(worse, flat, layers, history.assign(accuracy=[89.0, 88.5, 88.0]))
    assert verdicts(bad) == {"TEAS-02": NOT, "TEAS-03": NOT, "TEAS-04": NOT, "TEAS-05": NOT, "TEAS-06": NOT,
                             "TEAS-07": NOT}  # TEAS-06: a flat allocation has no correlation (NaN)
    assert verdicts(evidence.energy_evidence(ann=10.0, snn=5.0, teas=2.0)) == {"TEAS-08": YES, "TEAS-09": YES}
    assert verdicts(evidence.energy_evidence(ann=10.0, snn=12.0, teas=13.0)) == {"TEAS-08": NOT, "TEAS-09": NOT}
