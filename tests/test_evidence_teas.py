"""The quantities behind the claims of TEAS (notebooks 11, 12, 13), built on hand-made per-input results: values by
hand, verdicts that flip between results that agree with a claim and results that contradict it, and intervals
that contain the point."""
import math

import pandas as pd
import pytest
import torch

from seenn_lib import claims
from seenn_lib.analysis import evidence_teas as evidence
from seenn_lib.analysis.teas import energy_table
from seenn_lib.teas import VulnerabilitySweep

NOT, YES, MAYBE = claims.NOT_REPRODUCED, claims.REPRODUCED, claims.INCONCLUSIVE


def judged(values: dict) -> pd.DataFrame:
    return claims.judge(values, "ci").set_index("claim_id")


def verdicts(values: dict) -> dict:
    return judged(values).verdict.to_dict()


def right(n: int, first: int) -> torch.Tensor:
    """[n] bool: the first `first` inputs right, the rest wrong."""
    return torch.arange(n) < first


def sweep(drops: dict[float, list[int]], n: int = 100, activity=(3.0, 2.0, 1.0)) -> VulnerabilitySweep:
    """Every input right when clean; with noise of magnitude u on layer l the first drops[u][l] inputs wrong."""
    noisy = torch.stack([torch.stack([~right(n, k) for k in per_layer]) for per_layer in drops.values()])
    return VulnerabilitySweep(tuple(drops), torch.ones(n, dtype=torch.bool), noisy,
                              torch.tensor(activity).repeat(n, 1), torch.tensor([4, 2, 1]), ("a", "b", "c"), 4)


def test_vulnerability_point_by_hand_and_only_the_papers_noise_is_judged():
    found = sweep({0.1: [3, 1, 2], 1.0: [1, 2, 3]})
    estimates = evidence.vulnerability_estimates(found, "eq2", resamples=200, seed=0)
    assert estimates[0.1].point == pytest.approx(0.5) and estimates[1.0].point == pytest.approx(-1.0)
    assert list(evidence.vulnerability_evidence(estimates)) == ["TEAS-01"]  # u = 1 is a sensitivity row only
    assert evidence.vulnerability_evidence(estimates)["TEAS-01"] is estimates[0.1]
    table = evidence.sensitivity_table(estimates)
    assert list(table.judged) == [True, False] and (table.ci_low <= table.spearman_activity_vs_accuracy_drop).all()
    rates = evidence.vulnerability_estimates(found, "rate", resamples=0, seed=0)  # activity / neurons: 0.75, 1, 1
    assert rates[0.1].point == pytest.approx(-0.866, abs=1e-3)
    missing = evidence.vulnerability_evidence({1.0: estimates[1.0]})
    assert verdicts(missing) == {"TEAS-01": claims.NOT_TESTABLE}


def test_vulnerability_verdict_flips_and_few_flipped_inputs_are_inconclusive():
    strong = evidence.vulnerability_estimates(sweep({0.1: [60, 30, 0]}), "eq2", seed=0)
    reversed_ = evidence.vulnerability_estimates(sweep({0.1: [0, 30, 60]}), "eq2", seed=0)
    weak = evidence.vulnerability_estimates(sweep({0.1: [3, 1, 2]}), "eq2", seed=0)
    assert verdicts(evidence.vulnerability_evidence(strong)) == {"TEAS-01": YES}
    assert verdicts(evidence.vulnerability_evidence(reversed_)) == {"TEAS-01": NOT}
    assert verdicts(evidence.vulnerability_evidence(weak)) == {"TEAS-01": MAYBE}


def teas_run(n=200, snn=180, before=60, epochs=(50, 150, 180), t_final=(8, 4, 2)) -> dict:
    return {"summary": pd.DataFrame([{"original_T": 8, "reduced_T": sum(t_final) / 3}]),
            "layers": pd.DataFrame({"activity_initial": [3.0, 2.0, 1.0], "T_final": list(t_final)}),
            "correct": {"snn": right(n, snn), "without_retraining": right(n, before),
                        "epochs": torch.stack([right(n, k) for k in epochs])}}


def test_teas_evidence_by_hand_with_intervals_around_the_point():
    good = evidence.teas_evidence(teas_run(snn=180, epochs=(50, 150, 180)), teas_run(t_final=(4, 4, 4)), seed=0)
    assert good["TEAS-02"].point == pytest.approx(8 / (14 / 3)) and good["TEAS-03"].point == pytest.approx(0)
    assert good["TEAS-05"].point == pytest.approx(60.0) and good["TEAS-07"].point == pytest.approx(15.0)
    assert good["TEAS-04"].point == pytest.approx(1.0)
    assert good["TEAS-06"].point == pytest.approx(34 / 28 - 1)  # (3·8 + 2·4 + 1·2) / 6 / (14 / 3), minus 1
    rows = judged(good)
    assert (rows.ci_low <= rows.ours + 1e-12).all() and (rows.ours <= rows.ci_high + 1e-12).all()
    assert rows.loc["TEAS-05", "ci_low"] < 60 < rows.loc["TEAS-05", "ci_high"]
    assert rows.loc["TEAS-04", "interval"] == evidence.ONE_RUN == rows.loc["TEAS-02", "interval"]
    assert rows.loc["TEAS-02", "se"] == 0
    assert set(rows.verdict) == {YES}


def test_teas_07_counts_from_the_first_retraining_epoch_and_verdicts_flip():
    # before retraining 50, after the first epoch 190, at the end 180: the old quantity (+65) passed,
    # the statement's (the last epoch minus the first: -5 points) does not
    bad = evidence.teas_evidence(teas_run(before=190, epochs=(50, 190, 100)), teas_run(t_final=(8, 4, 2)), seed=0)
    assert bad["TEAS-07"].point == pytest.approx(-45.0) and bad["TEAS-03"].point == pytest.approx(40.0)
    assert verdicts(bad) == {"TEAS-02": YES, "TEAS-03": NOT, "TEAS-04": YES, "TEAS-05": NOT, "TEAS-06": NOT,
                             "TEAS-07": NOT}  # TEAS-06: the same allocation with and without: 0
    short = evidence.teas_evidence(teas_run(epochs=(50, 180)), teas_run(epochs=(50, 180)), seed=0)
    assert math.isnan(short["TEAS-07"].point) and verdicts(short)["TEAS-07"] == claims.NOT_TESTABLE


def energy_rows(ann: float, snn: list[float], teas: list[float], images: list[int] | None = None) -> pd.DataFrame:
    """analysis.teas.energy_per_batch's shape: energy per inference of each network on each batch of images."""
    n = len(snn)
    images = images or [8] * n
    return pd.DataFrame({"network": ["ANN"] * n + ["SNN (T = 8)"] * n + ["TEAS"] * n,
                         "batch": list(range(n)) * 3, "images": images * 3, "energy_pj": [ann] * n + snn + teas})


def test_energy_evidence_by_hand_and_flips():
    good = evidence.energy_evidence(energy_rows(10.0, [4.0, 6.0] * 20, [2.0, 3.0] * 20), seed=0)
    assert good["TEAS-08"].point == pytest.approx(0.5) and good["TEAS-09"].point == pytest.approx(0.5)
    assert good["TEAS-08"].interval()[0] < 0.5 < good["TEAS-08"].interval()[1]
    assert verdicts(good) == {"TEAS-08": YES, "TEAS-09": YES}
    bad = evidence.energy_evidence(energy_rows(10.0, [12.0, 14.0] * 20, [13.0, 15.0] * 20), seed=0)
    assert verdicts(bad) == {"TEAS-08": NOT, "TEAS-09": NOT}


def test_energy_of_unequal_batches_is_weighted_by_their_images():
    # SNN: 2 images at 4 pJ and 1 at 7 pJ: 5 pJ per inference; TEAS: 2 at 1 and 1 at 4: 2 pJ
    rows = energy_rows(10.0, [4.0, 7.0], [1.0, 4.0], images=[2, 1])
    found = evidence.energy_evidence(rows, resamples=0, seed=0)
    assert found["TEAS-08"].point == pytest.approx(0.5) and found["TEAS-09"].point == pytest.approx(0.4)
    table = energy_table(rows.assign(average_T=1.0, params=1, macs_per_step=1.0, macs=1.0, sops=1.0))
    assert table.energy_pj.tolist() == pytest.approx([10.0, 5.0, 2.0]) and table.normalized_energy.iloc[2] == 0.2


def test_bootstrap_follows_the_runs_seed(monkeypatch):
    rows = energy_rows(10.0, [4.0, 6.0, 9.0] * 10, [2.0, 3.0, 1.0] * 10)
    monkeypatch.setenv("SEENN_SEED", "3")
    assert (evidence.energy_evidence(rows)["TEAS-08"].samples ==
            evidence.energy_evidence(rows, seed=3)["TEAS-08"].samples).all()
