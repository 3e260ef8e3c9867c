"""The claims ledger: the CSV is complete and every claim is evaluated by a notebook; rules, intervals and the
three-way verdict by hand; verdicts across experiments and seeds; the ledger of one run, its counts and the
report that leads with them; the changelog frozen at the CSV. (Each notebook's quantities: test_evidence_*.)"""
import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from seenn_lib import claims, provenance, results
from seenn_lib.analysis import evidence, evidence_seenn2, evidence_teas
from seenn_lib.config import SEED_ENV
from seenn_lib.notebooks import NOTEBOOKS, Run, _ledger_lines, run_verdicts
from seenn_lib.results import figures_dir, save_versus_paper

NOT, YES, MAYBE = claims.NOT_REPRODUCED, claims.REPRODUCED, claims.INCONCLUSIVE
CHANGELOG = claims.CLAIMS_CSV.parent / "CLAIMS_CHANGELOG.md"
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


@pytest.mark.parametrize("rule,low,high,expected", [
    ("<= 0.5", 0.4, 0.5, YES), ("<= 0.5", 0.4, 0.5001, MAYBE), ("<= 0.5", 0.51, 0.9, NOT), ("> 0", 0.0, 0.0, NOT),
    ("> 0", -1.0, 2.0, MAYBE), (">= -0.2", -0.2, 3.0, YES), ("< 1", 0.99, 0.99, YES),
    ("> 0", math.nan, math.nan, claims.NOT_TESTABLE)])
def test_three_way_verdict_by_hand(rule, low, high, expected):
    assert claims.verdict(rule, low, high) == expected


@pytest.mark.parametrize("bad", ["0.5", "=< 0.5", "<= x", "approximately 1"])
def test_bad_rule_is_one_clear_error(bad):
    with pytest.raises(ValueError, match="<op> <number>"):
        claims.parse_rule(bad)


def test_unknown_claim_and_untestable_without_reason_are_errors():
    with pytest.raises(ValueError, match="unknown claim"):
        claims.judge({"SEENN-99": 1.0}, "ci")
    with pytest.raises(ValueError, match="say why"):
        claims.untestable(["SEENN-01"], "ci", "")


def test_judge_reads_the_interval_the_standard_error_and_the_margin():
    """SEENN-01's rule is <= 0.4: resamples spread over [0.25, 0.45] straddle it (inconclusive), over [0.29, 0.31]
    meet it; the margin is the bound minus ours; an SE over a third of the margin is flagged."""
    spread = claims.Estimate(0.35, np.linspace(0.25, 0.45, 1001), "by hand")
    row = claims.judge({"SEENN-01": spread}, "ci").iloc[0]
    assert row.verdict == MAYBE and row.interval == "by hand"
    assert row.ci_low == pytest.approx(0.255) and row.ci_high == pytest.approx(0.445)
    assert row.margin == pytest.approx(0.05) and row.se == pytest.approx(np.linspace(0.25, 0.45, 1001).std(ddof=1))
    assert "underpowered" in row.note  # SE 0.058 > 0.05 / 3
    tight = claims.judge({"SEENN-01": claims.Estimate(0.3, np.linspace(0.29, 0.31, 1001))}, "ci").iloc[0]
    assert tight.verdict == YES and tight.note == ""
    exact = claims.judge({"SEENN-01": 0.6}, "ci").iloc[0]
    assert (exact.ci_low, exact.ci_high, exact.se, exact.verdict) == (0.6, 0.6, 0.0, NOT)


def test_too_many_undefined_resamples_leave_the_interval_unbounded():
    samples = np.r_[np.full(960, 0.3), np.full(40, np.nan)]  # 4 % undefined > 2.5 %
    assert claims.Estimate(0.3, samples).interval() == (-np.inf, np.inf)
    assert claims.Estimate(0.3, samples[:980]).interval() == (0.3, 0.3)  # 2 % undefined: bounded by the rest
    assert claims.judge({"SEENN-01": claims.Estimate(0.3, samples)}, "ci").verdict.item() == MAYBE
    never = claims.Estimate(0.3, np.r_[np.full(900, 0.3), np.full(100, np.inf)])  # never reached: +inf
    assert never.interval() == (0.3, np.inf)
    undefined = claims.Estimate(np.nan, np.full(1000, np.nan))
    row = claims.judge({"SEENN-01": undefined}, "ci").iloc[0]
    assert row.verdict == claims.NOT_TESTABLE and math.isnan(row.ci_low) and math.isnan(row.ci_high)


def test_a_model_that_learned_nothing_is_not_testable():
    """The same quantity passes its rule on a model at 20 % of 10 classes and is `not testable here` at 19.9 %
    (under twice chance), the note saying why; with 100 classes 19.9 % is far above chance and passes."""
    holds = {"SEENN-01": 0.2}  # rule <= 0.4: AET a fifth of the way from 1 to T_max
    assert claims.judge(holds, "ci", accuracy=20.0).verdict.tolist() == [YES]
    unlearned = claims.judge(holds, "ci", accuracy=19.9)
    assert unlearned.verdict.tolist() == [claims.NOT_TESTABLE] and "did not learn: 19.9 %" in unlearned.note.iloc[0]
    assert claims.judge(holds, "ci", accuracy=19.9, classes=100).verdict.tolist() == [YES]


def test_an_undefined_quantity_is_not_testable_and_says_so_beside_the_notebooks_note():
    row = claims.judge({"SEENN-20": math.nan}, "ci", notes={"SEENN-20": "best β: 80.40 %"}).iloc[0]
    assert row.verdict == claims.NOT_TESTABLE and row.note == "quantity undefined on this run; best β: 80.40 %"


@pytest.mark.parametrize("verdicts,experiments,seeds", [
    ([YES, YES], YES, YES), ([YES, NOT], NOT, MAYBE), ([YES, MAYBE], MAYBE, MAYBE), ([NOT, NOT], NOT, NOT),
    ([YES, claims.NOT_TESTABLE], YES, YES), ([claims.NOT_TESTABLE], claims.NOT_TESTABLE, claims.NOT_TESTABLE),
    ([claims.NOT_RUN, claims.NOT_TESTABLE], claims.NOT_RUN, claims.NOT_RUN)])
def test_combining_experiments_and_seeds(verdicts, experiments, seeds):
    """Across experiments one miss is a miss (the paper claims each); across seeds only agreement counts."""
    assert claims.across_experiments(verdicts) == experiments and claims.across_seeds(verdicts) == seeds


def save_run(run_id: str, seed: int, monkeypatch) -> None:
    monkeypatch.setenv(provenance.RUN_ID_ENV, run_id)
    monkeypatch.setenv(SEED_ENV, str(seed))
    results.save_claims(claims.judge({"SEENN-01": 0.3, "SEENN-03": 0.4}, "ci", "direct"), "01")
    results.save_claims(claims.judge({"SEENN-20": math.nan}, "ci", "seenn2"), "08")
    results.save_claims(pd.concat([claims.judge({"SEENN-01": claims.Estimate(0.4, np.linspace(0.3, 0.5, 99))},
                                                "ci", "resnet34"),
                                   claims.untestable(["SEENN-11"], "ci", "needs ImageNet")]), "04")


def test_the_ledger_counts_only_its_own_runs_rows(tmp_path, monkeypatch):
    monkeypatch.setenv("SEENN_FIGURES", str(tmp_path))
    save_run("old", 0, monkeypatch)
    (tmp_path / "11_claims.csv").write_text((tmp_path / "08_claims.csv").read_text())  # an earlier run's file
    save_run("new", 0, monkeypatch)
    rows = results.ledger("new")
    assert len(rows) == 5 and set(rows.notebook) == {"01", "04", "08"} and set(rows.run_id) == {"new"}
    assert set(rows.claims_sha256) == {claims.claims_sha256()} and set(rows.seed) == {0}
    assert len(results.ledger("old")) == 1  # only the stray file is left of the old run
    monkeypatch.delenv(provenance.RUN_ID_ENV)
    assert set(results.ledger().run_id) == {"new"}  # without a run named: the newest file's run
    per_claim = claims.claim_verdicts(rows, not_run={"11"}).set_index("claim_id").verdict
    assert per_claim["SEENN-01"] == MAYBE and per_claim["SEENN-03"] == NOT  # 0.3 reproduces; 0.3-0.5 straddles
    assert per_claim["SEENN-11"] == per_claim["SEENN-20"] == claims.NOT_TESTABLE
    assert per_claim["TEAS-01"] == claims.NOT_RUN and per_claim["TEAS-02"] == claims.NOT_TESTABLE
    counts = claims.ledger_counts(claims.claim_verdicts(rows, {"11"})).set_index("paper")
    findings = claims.load_claims().query("tier == 'finding'")
    assert counts.loc["SEENN"].sum() == (findings.paper == "SEENN").sum()
    assert counts.loc["SEENN", MAYBE] == 1 and counts.loc["TEAS", claims.NOT_RUN] == 1


def test_the_report_leads_with_the_ledger_and_shows_each_seed(tmp_path, monkeypatch):
    runs = []
    for seed, verdict_01 in [(0, 0.3), (1, 0.9)]:
        folder = tmp_path / f"seed-{seed}"
        monkeypatch.setenv("SEENN_FIGURES", str(folder))
        monkeypatch.setenv(provenance.RUN_ID_ENV, f"run{seed}")
        monkeypatch.setenv(SEED_ENV, str(seed))
        results.save_claims(claims.judge({"SEENN-01": verdict_01, "SEENN-16": -1.0}, "ci", "direct"), "01")
        log = pd.DataFrame({"notebook": ["01_a", "11_b"], "status": ["ok", "failed"]})
        runs.append(Run(seed, f"run{seed}", folder, log))
    text = "\n".join(_ledger_lines(runs))
    assert f"sha256 `{claims.claims_sha256()}`" in text
    assert "Consistency checks" in text and "SEENN-16 reproduced" in text
    assert "| SEENN-01 | SEENN | finding | reproduced | not reproduced | inconclusive |" in text
    assert "**SEENN-01** (direct, seed 1): ours 0.9 [0.9, 0.9], rule `<= 0.4`" in text
    assert "Not run (a notebook that computes them failed): TEAS-01" in text
    _, verdicts = run_verdicts(runs[:1])
    assert verdicts.set_index("claim_id").verdict["SEENN-01"] == YES


def test_the_changelog_is_frozen_at_the_claims_csv_of_this_commit():
    """Any change to data/paper_claims.csv needs a changelog line; the file's last line names the CSV's sha256."""
    last = CHANGELOG.read_text().strip().splitlines()[-1]
    assert last.startswith("Frozen at sha256 ") and claims.claims_sha256() in last, (
        f"data/paper_claims.csv changed: describe the change in {CHANGELOG.name} and end it with "
        f"'Frozen at sha256 {claims.claims_sha256()}'")


def test_absolute_comparison_only_where_the_profile_runs_the_papers_data(tmp_path, monkeypatch):
    monkeypatch.setenv("SEENN_FIGURES", str(tmp_path))
    row = [{"quantity": "AET", "ours": 1.2, "paper": 1.13, "note": ""}]
    stale = figures_dir() / "01_vs_paper.csv"
    stale.write_text("quantity,ours\n")
    assert save_versus_paper(row, "01", "smoke") is None and not stale.exists()
    table = save_versus_paper(row, "01", "paper")
    assert table.gap.iloc[0] == pytest.approx(0.07) and stale.exists()
