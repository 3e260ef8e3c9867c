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
from seenn_lib.analysis import evidence, evidence_seenn2, evidence_teas
from seenn_lib.notebooks import NOTEBOOKS, _ledger_lines
from seenn_lib.results import figures_dir, save_versus_paper

NOT, YES = claims.NOT_REPRODUCED, claims.REPRODUCED
CLAIM_ID = re.compile(r"(?:SEENN|TEAS)-\d\d")


def verdicts(values: dict, profile="ci") -> dict:
    return dict(zip(*claims.judge(values, profile)[["claim_id", "verdict"]].T.values))


def claims_computed_by(source: str) -> set[str]:
    """Claim ids a notebook's source computes: named in it, or returned by an evidence function it calls."""
    ids = set(CLAIM_ID.findall(source))
    for module in (evidence, evidence_seenn2, evidence_teas):
        for block in Path(module.__file__).read_text().split("\ndef ")[1:]:
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
