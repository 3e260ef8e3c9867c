"""Reading notebook 22's budget trends (torch-free: the report's coordinator reads them): whether a claim's
quantity moves toward its rule as the budget of its lever grows, as a note for the claim's ledger row."""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd

from .claims import NOT_REPRODUCED, NOT_TESTABLE, REPRODUCED, parse_rule
from .config import BudgetLever, get_profile

TRENDS_TABLE = "22_budget_trends"
LABELS = {"epochs": "training epochs", "qcfs_threshold": "the QCFS ANN's initial λ",
          "finetune_epochs": "joint fine-tuning epochs", "teas_epochs": "TEAS adjustment and fine-tuning epochs"}
NO_LEVER = "budget trend: no lever of this profile covers it"
BUDGET = ("epochs", "finetune_epochs", "teas_epochs")  # levers whose multiplier is compute (λ's is not)


def _moved(rule: str, base: pd.Series, value: float) -> str:
    """Where `value` lies against the 1x interval, read toward the rule's side."""
    op, _ = parse_rule(rule)
    up = op in (">", ">=")
    if (value > base.ci_high) if up else (value < base.ci_low):
        return "moves toward the rule"
    if (value < base.ci_low) if up else (value > base.ci_high):
        return "moves away from the rule"
    return "does not move"


def read_trend(rows: pd.DataFrame, left_out: str = "") -> str:
    """One claim on one experiment under one lever: whether the quantity moves beyond the 1× interval toward the
    rule ("moves toward the rule with budget (x at 1× → y at 2×)"), away from it, or stays within it ("does not
    move"), and whether it meets the rule at the larger budget. The other end is the largest multiplier above 1×;
    a budget lever run only below 1× is read from there up to 1× (a λ lever: the multiplier farthest from 1×).
    `left_out`: why no larger multiplier ran."""
    lever = rows.lever.iloc[0]
    base = rows[rows.multiplier == 1].iloc[0]
    others = rows[rows.multiplier != 1]
    if not len(others):
        return f"{LABELS[lever]}: not run beyond 1× here" + (f" ({left_out})" if left_out else "")
    far = others.loc[others.multiplier.idxmax() if lever in BUDGET and others.multiplier.max() > 1
                     else others.multiplier.map(lambda m: abs(math.log(m))).idxmax()]
    from_below = lever in BUDGET and far.multiplier < 1
    start, end = (far, base) if from_below else (base, far)
    at = f"{_num(start.ours)} at {start.multiplier:g}× → {_num(end.ours)} at {end.multiplier:g}×"
    if not (np.isfinite(base.ours) and np.isfinite(far.ours)):
        return f"{LABELS[lever]}: undefined at one end ({at})"
    if NOT_TESTABLE in (base.verdict, far.verdict):
        return f"{LABELS[lever]}: not testable at one end ({at})"
    word = _moved(base.rule, base, far.ours)
    if from_below:  # far lies on the side the quantity comes from as the budget grows to 1×
        word = {"moves toward the rule": "moves away from the rule",
                "moves away from the rule": "moves toward the rule"}.get(word, word)
    word += " with budget" if lever in BUDGET else ""
    meets = f"; meets the rule at {end.multiplier:g}×" if end.verdict == REPRODUCED else ""
    left = f" ({left_out})" if left_out and from_below else ""
    return f"{LABELS[lever]}: {word} ({at}){meets}{left}"


def _num(value: float) -> str:
    return "undefined" if pd.isna(value) else f"{value:.3g}"


def trend_notes(table: pd.DataFrame, levers: tuple[BudgetLever, ...] = ()) -> pd.DataFrame:
    """Per claim and experiment: every lever's reading, joined (columns claim_id, experiment, trend)."""
    left_out = {(lv.lever, c): lv.left_out for lv in levers for c in lv.claims}
    notes = [{"claim_id": claim, "experiment": experiment, "lever": lever,
              "trend": read_trend(rows, left_out.get((lever, claim), ""))}
             for (claim, experiment, lever), rows in table.groupby(["claim_id", "experiment", "lever"], sort=False)]
    if not notes:
        return pd.DataFrame(columns=["claim_id", "experiment", "trend"])
    return (pd.DataFrame(notes).groupby(["claim_id", "experiment"], sort=False).trend
            .agg(lambda t: "budget trend: " + "; ".join(t)).reset_index())


def with_trends(rows: pd.DataFrame, folder: Path, run: str) -> pd.DataFrame:
    """Ledger rows with this run's budget trend (folder/22_budget_trends.csv, its rows of run `run`) appended to
    the note of each claim and experiment it covers; where the run has trends, a miss they do not cover says so."""
    path = Path(folder) / f"{TRENDS_TABLE}.csv"
    if not path.exists():
        return rows
    table = pd.read_csv(path, dtype={"experiment": str, "run_id": str})
    table = table[table.run_id == run]
    if not len(table):
        return rows
    notes = trend_notes(table, get_profile(table.profile.iloc[0]).budget_levers)
    notes = notes.set_index(["claim_id", "experiment"]).trend
    extra = [notes.get((r.claim_id, r.experiment), NO_LEVER if r.verdict == NOT_REPRODUCED else "")
             for r in rows.itertuples()]
    return rows.assign(note=["; ".join(filter(None, [n, e])) for n, e in zip(rows.note, extra)])
