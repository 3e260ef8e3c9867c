"""The claims ledger: the CSV is complete and every claim is evaluated by a notebook; rules and verdicts by
hand; each notebook's claim code fed results that agree with a claim and results that contradict it, and the
verdict flips; the ledger, its counts and the report that leads with them."""
import math
import re
from pathlib import Path

import pandas as pd
import pytest
import torch

from seenn_lib import claims, results
from seenn_lib.analysis import evidence
from seenn_lib.notebooks import NOTEBOOKS, _ledger_lines
from seenn_lib.results import figures_dir, save_versus_paper

NOT, YES = claims.NOT_REPRODUCED, claims.REPRODUCED
CLAIM_ID = re.compile(r"(?:SEENN|TEAS)-\d\d")


def verdicts(values: dict, profile="ci") -> dict:
    return dict(zip(*claims.judge(values, profile)[["claim_id", "verdict"]].T.values))


def claims_computed_by(source: str) -> set[str]:
    """Claim ids a notebook's source computes: named in it, or returned by an evidence function it calls."""
    ids = set(CLAIM_ID.findall(source))
    for block in Path(evidence.__file__).read_text().split("\ndef ")[1:]:
        if block.split("(")[0] + "(" in source:
            ids |= set(CLAIM_ID.findall(block))
    return ids


def test_claims_csv_covers_both_papers_and_every_claim_is_evaluated():
    table = claims.load_claims()
    assert len(table) >= 20 and set(table.paper) == {"SEENN", "TEAS"} and (table.paper == "TEAS").sum() >= 8
    computed = {p.name[:2]: claims_computed_by(p.read_text()) for p in NOTEBOOKS.glob("[0-9][0-9]_*.py")}
    for claim_id, claim in table.iterrows():
        assert claim.statement and claim.quantity and claim.diagnosis
        for notebook in claim.notebooks.split():
            assert claim_id in computed.get(notebook, set()), f"notebook {notebook} does not compute {claim_id}"
    assert set().union(*computed.values()) <= set(table.index)


@pytest.mark.parametrize("rule,ours,expected", [("<= 0.5", 0.5, YES), ("<= 0.5", 0.5001, NOT), ("> 0", 0.0, NOT),
                                                 (">= -0.2", -0.2, YES), ("< 1", 0.99, YES), ("> 0", math.nan, NOT)])
def test_verdict_by_hand(rule, ours, expected):
    assert claims.verdict(rule, ours) == expected


@pytest.mark.parametrize("bad", ["0.5", "=< 0.5", "<= x", "approximately 1"])
def test_bad_rule_is_one_clear_error(bad):
    with pytest.raises(ValueError, match="<op> <number>"):
        claims.parse_rule(bad)


def test_unknown_claim_and_untestable_without_reason_are_errors():
    with pytest.raises(ValueError, match="unknown claim"):
        claims.judge({"SEENN-99": 1.0}, "ci")
    with pytest.raises(ValueError, match="say why"):
        claims.untestable(["SEENN-01"], "ci", "")


def test_a_model_that_learned_nothing_reproduces_no_claim():
    """The same quantity passes its rule on a model at 20 % of 10 classes and is `not reproduced` at 19.9 %
    (under twice chance), the note saying why; with 100 classes 19.9 % is far above chance and passes."""
    holds = {"SEENN-01": 0.2}  # rule <= 0.55: AET a fifth of T_max
    assert claims.judge(holds, "ci", accuracy=20.0).verdict.tolist() == [YES]
    unlearned = claims.judge(holds, "ci", accuracy=19.9)
    assert unlearned.verdict.tolist() == [NOT] and "did not learn: 19.9 %" in unlearned.note.iloc[0]
    assert claims.judge(holds, "ci", accuracy=19.9, classes=100).verdict.tolist() == [YES]


def test_an_undefined_quantity_says_so_beside_the_notebooks_note():
    """NaN (e.g. no β kept the T_max accuracy for SEENN-20) is `not reproduced`, and the note says that the
    quantity is undefined even where the notebook adds its own note."""
    row = claims.judge({"SEENN-20": math.nan}, "ci", notes={"SEENN-20": "best β: 80.40 %"}).iloc[0]
    assert row.verdict == NOT and row.note == "quantity undefined on this run; best β: 80.40 %"


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


def test_confidence_shift_flips():
    sharpening = torch.stack([torch.tensor([[1.0, 0.0]]), torch.tensor([[5.0, 0.0]])])  # [T=2, N=1, C=2]
    assert verdicts({"SEENN-19": evidence.confidence_shift(sharpening)})["SEENN-19"] == YES
    assert verdicts({"SEENN-19": evidence.confidence_shift(sharpening.flip(0))})["SEENN-19"] == NOT


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


def test_ledger_counts_and_report_lead_with_the_claims(tmp_path, monkeypatch):
    monkeypatch.setenv("SEENN_FIGURES", str(tmp_path))
    results.save_claims(claims.judge({"SEENN-01": 0.3, "SEENN-03": 0.2}, "ci", "direct"), "01")
    results.save_claims(claims.judge({"SEENN-20": math.nan}, "ci", "seenn2"), "08")
    results.save_claims(pd.concat([claims.judge({"SEENN-01": 0.4}, "ci", "resnet34"),
                                   claims.untestable(["SEENN-11"], "ci", "needs ImageNet")]), "04")
    rows = results.ledger()
    assert len(rows) == 5 and set(rows.notebook) == {"01", "04", "08"}
    per_claim = claims.claim_verdicts(rows).set_index("claim_id").verdict
    assert per_claim["SEENN-01"] == YES and per_claim["SEENN-03"] == NOT
    assert per_claim["SEENN-11"] == claims.NOT_TESTABLE
    counts = claims.ledger_counts(rows).set_index("paper")
    assert counts.loc["SEENN", YES] == 1 and counts.loc["SEENN", NOT] == 2
    assert counts.loc["TEAS", claims.NOT_TESTABLE] == (claims.load_claims().paper == "TEAS").sum()
    text = "\n".join(_ledger_lines("ci"))
    assert "**SEENN-03** (direct): ours 0.2, rule `<= 0.05`" in text
    assert "**SEENN-20** (seenn2): ours undefined, rule `<= 0.5`" in text
    assert "not testable here" in text and "SEENN-01" in text


def test_absolute_comparison_only_where_the_profile_runs_the_papers_data(tmp_path, monkeypatch):
    monkeypatch.setenv("SEENN_FIGURES", str(tmp_path))
    row = [{"quantity": "AET", "ours": 1.2, "paper": 1.13, "note": ""}]
    stale = figures_dir() / "01_vs_paper.csv"
    stale.write_text("quantity,ours\n")
    assert save_versus_paper(row, "01", "smoke") is None and not stale.exists()
    table = save_versus_paper(row, "01", "paper")
    assert table.gap.iloc[0] == pytest.approx(0.07) and stale.exists()
