"""Notebook 22's budget trends: the levers' configs, their checks, and how a trend is read into the ledger."""
from dataclasses import replace

import pandas as pd
import pytest

from seenn_lib import config
from seenn_lib.analysis.budget import check_levers, retrained, trend_table
from seenn_lib.config import BudgetLever, TrainConfig, get_profile
from seenn_lib.notebooks import select
from seenn_lib.trends import read_trend, trend_notes, with_trends


def rows(rule: str, points: dict[float, tuple[float, float, float]], lever: str = "epochs",
         verdicts: dict[float, str] | None = None) -> pd.DataFrame:
    """Trend rows of one claim: multiplier -> (ours, ci_low, ci_high)."""
    verdicts = verdicts or {}
    return pd.DataFrame([{"claim_id": "SEENN-04", "experiment": "resnet19", "lever": lever, "multiplier": m,
                          "ours": o, "ci_low": lo, "ci_high": hi, "rule": rule,
                          "verdict": verdicts.get(m, "not reproduced")} for m, (o, lo, hi) in points.items()])


@pytest.mark.parametrize("rule, far, word", [
    ("<= 0.5", 0.6, "moves toward the rule"), ("<= 0.5", 0.75, "does not move"),
    ("<= 0.5", 0.95, "moves away from the rule"), ("> 0", 0.95, "moves away from the rule"),
    ("> 0", 0.6, "moves toward the rule")])
def test_a_trend_moves_only_beyond_the_1x_interval_and_toward_the_rules_side(rule, far, word):
    # 1x: 0.8 in [0.7, 0.9]; the rule "<= 0.5" wants it lower, "> 0" higher
    sign = 1 if rule.startswith("<") else -1
    base = (0.8 * sign, min(0.7 * sign, 0.9 * sign), max(0.7 * sign, 0.9 * sign))
    text = read_trend(rows(rule, {1: base, 2: (0.7 * sign, 0.6, 0.8), 4: (far * sign, 0.0, 1.0)}))
    assert text == f"training epochs: {word} with budget ({base[0]:.3g} at 1× → {far * sign:.3g} at 4×)"


def test_a_trend_says_where_it_meets_the_rule_and_what_was_left_out():
    met = rows("<= 0.5", {1: (0.8, 0.7, 0.9), 2: (0.4, 0.3, 0.45)}, verdicts={2: "reproduced"})
    assert read_trend(met).endswith("(0.8 at 1× → 0.4 at 2×); meets the rule at 2×")
    only = rows("<= 0.5", {1: (0.8, 0.7, 0.9)})
    assert read_trend(only, "2x adds an hour") == "training epochs: not run beyond 1× here (2x adds an hour)"
    undefined = rows("<= 0.5", {1: (0.8, 0.7, 0.9), 2: (float("nan"),) * 3})
    assert "undefined at one end" in read_trend(undefined)
    unlearned = rows("<= 0.5", {1: (0.8, 0.7, 0.9), 2: (0.4, 0.3, 0.45)}, verdicts={2: "not testable here"})
    assert "not testable at one end" in read_trend(unlearned)
    lam = rows("<= 0.5", {1: (0.8, 0.7, 0.9), 0.5: (0.6, 0.5, 0.7)}, lever="qcfs_threshold")
    assert read_trend(lam) == "the QCFS ANN's initial λ: moves toward the rule (0.8 at 1× → 0.6 at 0.5×)"


def test_a_budget_run_only_below_1x_is_read_upward_to_1x_and_a_larger_budget_wins():
    # 1x: 0.8 in [0.75, 0.85]; at half the epochs 0.95, farther from "<= 0.5": the budget moves it toward the rule
    below = rows("<= 0.5", {0.5: (0.95, 0.9, 1.0), 1: (0.8, 0.75, 0.85)})
    assert read_trend(below, "2x adds an hour") == ("training epochs: moves toward the rule with budget "
                                                    "(0.95 at 0.5× → 0.8 at 1×) (2x adds an hour)")
    worse = rows("<= 0.5", {0.5: (0.6, 0.5, 0.7), 1: (0.8, 0.75, 0.85)})
    assert "moves away from the rule with budget (0.6 at 0.5× → 0.8 at 1×)" in read_trend(worse)
    both = rows("<= 0.5", {0.5: (0.95, 0.9, 1.0), 1: (0.8, 0.75, 0.85), 2: (0.8, 0.7, 0.9)})
    assert read_trend(both) == "training epochs: does not move with budget (0.8 at 1× → 0.8 at 2×)"


def test_the_ledger_note_gets_this_runs_trend_for_the_same_claim_and_experiment(tmp_path):
    ours = rows("<= 0.5", {1: (0.8, 0.7, 0.9), 2: (0.6, 0.5, 0.7)}).assign(run_id="run-a", profile="ci")
    stale = ours.assign(run_id="run-b", ours=0.1)
    pd.concat([ours, stale]).to_csv(tmp_path / "22_budget_trends.csv", index=False)
    ledger = pd.DataFrame({"claim_id": ["SEENN-04", "SEENN-04", "SEENN-05", "SEENN-02"],
                           "experiment": ["resnet19", "other", "resnet19", "resnet19"],
                           "verdict": ["not reproduced", "reproduced", "inconclusive", "not reproduced"],
                           "note": ["α chosen on half", "", "", ""]})
    noted = with_trends(ledger, tmp_path, "run-a")
    assert noted.note[0] == ("α chosen on half; budget trend: training epochs: moves toward the rule with budget "
                             "(0.8 at 1× → 0.6 at 2×)")
    assert list(noted.note[1:]) == ["", "", "budget trend: no lever of this profile covers it"]
    assert with_trends(ledger, tmp_path / "elsewhere", "run-a").equals(ledger)  # no notebook 22 in this run
    assert with_trends(ledger, tmp_path, "run-c").equals(ledger)  # nor in this one


def test_trend_notes_join_every_lever_of_a_claim():
    table = pd.concat([rows("<= 0.5", {1: (0.8, 0.7, 0.9), 2: (0.6, 0.5, 0.7)}),
                       rows("<= 0.5", {1: (0.8, 0.7, 0.9), 0.5: (0.8, 0.7, 0.9)}, lever="qcfs_threshold")])
    notes = trend_notes(table)
    assert len(notes) == 1
    assert notes.trend[0].startswith("budget trend: training epochs: moves toward the rule with budget")
    assert notes.trend[0].endswith("; the QCFS ANN's initial λ: does not move (0.8 at 1× → 0.8 at 0.5×)")


def test_retrained_configs_leave_1x_identical_so_it_reads_the_profiles_cached_model():
    cfg = TrainConfig(epochs=5, model_kw={"neuron": "qcfs"})
    assert retrained(cfg, "epochs", 1) == (cfg, "5 epochs")
    assert retrained(cfg, "epochs", 2)[0] == cfg.with_(epochs=10)
    assert retrained(cfg, "qcfs_threshold", 1) == (cfg, "λ from 8")  # the QCFS code's default, not written
    assert retrained(cfg, "qcfs_threshold", 0.5) == (cfg.with_(model_kw={"neuron": "qcfs", "threshold": 4.0}),
                                                     "λ from 4")
    set_lambda = cfg.with_(model_kw={"neuron": "qcfs", "threshold": 2.0})
    assert retrained(set_lambda, "qcfs_threshold", 0.5)[0].model_kw["threshold"] == 1.0


def test_a_lever_is_checked_before_anything_trains(monkeypatch):
    with pytest.raises(ValueError, match="profile 'smoke' has no budget levers"):
        check_levers("smoke")
    ci = get_profile("ci")
    wrong = [BudgetLever("epochs", ("TEAS-03",), ("direct",)),
             BudgetLever("epochs", ("TEAS-01",), ("direct",)),
             BudgetLever("qcfs_threshold", ("SEENN-09",), ("direct",))]
    for lever, message in zip(wrong, ["cannot move", "TEAS-01's lever must retrain", "retrains QCFS ANNs only"]):
        monkeypatch.setitem(config.PROFILES, "ci", replace(ci, budget_levers=(lever,)))
        with pytest.raises(ValueError, match=message):
            check_levers("ci")


@pytest.mark.parametrize("changes, message", [
    ({"multipliers": (2, 4)}, "include 1"), ({"multipliers": (1, 0)}, "must be > 0"),
    ({"lever": "width"}, "must be one of"), ({"experiments": ()}, "name the experiments")])
def test_a_lever_with_bad_settings_says_what_is_wrong(changes, message):
    with pytest.raises(ValueError, match=message):
        BudgetLever(**{"lever": "epochs", "claims": ("SEENN-04",), "experiments": ("direct",), **changes})


def test_a_lever_naming_an_experiment_the_profile_lacks_is_refused():
    with pytest.raises(ValueError, match="budget levers name experiments the profile lacks"):
        replace(get_profile("ci"), budget_levers=(BudgetLever("epochs", ("SEENN-04",), ("nope",)),))


def test_worker_count_below_one_is_refused_before_anything_runs():
    with pytest.raises(ValueError, match="workers .* must be >= 1"):
        trend_table("ci", get_profile("ci").budget_levers, workers=0)


def test_only_profiles_with_levers_run_notebook_22():
    assert any(b.stem.startswith("22") for b in select(None, "ci"))
    assert not any(b.stem.startswith("22") for b in select(None, "smoke"))
    assert not any(b.stem.startswith("22") for b in select(None, "paper-dry-run-cpu"))
    with pytest.raises(ValueError, match="profile 'smoke' does not configure"):
        select(["22"], "smoke")


def test_the_trend_figure_draws_one_panel_per_claim_and_experiment_even_with_an_unbounded_interval():
    from seenn_lib.plots import budget_trend
    table = pd.concat([rows("<= 0.5", {1: (0.8, 0.7, float("inf")), 2: (0.6, 0.5, 0.7)}),
                       rows("> 0", {1: (1.0, 0.5, 1.5), 2: (float("nan"),) * 3}).assign(claim_id="SEENN-05")])
    fig = budget_trend(table.assign(setting="x"), title="t")
    assert [ax.get_title() for ax in fig.axes] == ["SEENN-04\nresnet19", "SEENN-05\nresnet19"]
    assert fig.axes[0].get_lines()[-1].get_ydata()[0] == 0.5  # the rule's line
    assert [t.get_text() for t in fig.legends[0].get_texts()] == ["not reproduced"]  # the points' colour, named
