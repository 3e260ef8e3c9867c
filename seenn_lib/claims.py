"""The claims ledger: the papers' checkable findings (data/paper_claims.csv) and the verdicts our scale-free
quantities give them. Writing and gathering the rows (figures/NN_claims.csv) is seenn_lib.results'."""
from __future__ import annotations

import math
import operator
import re
from functools import lru_cache

import pandas as pd

from .artifacts import REPO_ROOT

CLAIMS_CSV = REPO_ROOT / "data" / "paper_claims.csv"
REPRODUCED, NOT_REPRODUCED, NOT_TESTABLE = "reproduced", "not reproduced", "not testable here"
VERDICTS = (REPRODUCED, NOT_REPRODUCED, NOT_TESTABLE)
COLUMNS = ["claim_id", "profile", "experiment", "ours", "paper_value", "verdict", "note"]
LEARNED_OVER_CHANCE = 2  # judge(): a model under twice chance accuracy learned nothing
_OPERATORS = {"<=": operator.le, ">=": operator.ge, "<": operator.lt, ">": operator.gt}
_RULE = re.compile(r"^\s*(<=|>=|<|>)\s*(-?\d+(?:\.\d+)?)\s*$")


def parse_rule(rule: str) -> tuple[str, float]:
    """'<= 0.5' -> ('<=', 0.5): our quantity reproduces the claim when `quantity <op> bound` holds."""
    match = _RULE.match(str(rule))
    if not match:
        raise ValueError(f"a claim rule reads '<op> <number>' with op one of {sorted(_OPERATORS)}, got {rule!r}")
    return match.group(1), float(match.group(2))


@lru_cache(maxsize=1)
def _claims() -> pd.DataFrame:
    df = pd.read_csv(CLAIMS_CSV, dtype={"notebooks": str})
    if df.claim_id.duplicated().any():
        raise ValueError(f"{CLAIMS_CSV} repeats claim ids: {sorted(df.claim_id[df.claim_id.duplicated()])}")
    df.rule.map(parse_rule)
    return df.set_index("claim_id")


def load_claims() -> pd.DataFrame:
    """data/paper_claims.csv, checked (unique ids, parseable rules), indexed by claim_id."""
    return _claims().copy()


def verdict(rule: str, ours: float) -> str:
    """`reproduced` when our quantity satisfies the rule; an undefined quantity (NaN) does not."""
    op, bound = parse_rule(rule)
    if ours is None or math.isnan(ours):
        return NOT_REPRODUCED
    return REPRODUCED if _OPERATORS[op](ours, bound) else NOT_REPRODUCED


def _claim(claim_id: str) -> pd.Series:
    claims = _claims()
    if claim_id not in claims.index:
        raise ValueError(f"unknown claim {claim_id!r}; data/paper_claims.csv has {list(claims.index)}")
    return claims.loc[claim_id]


def judge(values: dict[str, float], profile: str, experiment: str = "", notes: dict[str, str] | None = None,
          accuracy: float | None = None, classes: int = 10) -> pd.DataFrame:
    """One ledger row per claim id in `values` (claim id -> our quantity), its verdict computed by the rule.
    `accuracy` (%, at T_max) of the model behind the quantities guards them: a model under LEARNED_OVER_CHANCE
    times chance (100 / `classes` %) learned nothing, so each of its rows is `not reproduced`, whatever the
    quantity (a chance-level SNN's exits or confidences say nothing about the papers)."""
    notes = notes or {}
    unlearned = accuracy is not None and accuracy < LEARNED_OVER_CHANCE * 100 / classes
    rows = []
    for claim_id, ours in values.items():
        claim = _claim(claim_id)
        ours = float("nan") if ours is None else float(ours)
        note = "; ".join(filter(None, ["quantity undefined on this run" if math.isnan(ours) else "",
                                       notes.get(claim_id, "")]))
        outcome = verdict(claim.rule, ours)
        if unlearned:
            outcome = NOT_REPRODUCED
            note = "; ".join(filter(None, [f"the model did not learn: {accuracy:.1f} % at T_max, chance "
                                           f"{100 / classes:.1f} %", note]))
        rows.append({"claim_id": claim_id, "profile": profile, "experiment": experiment, "ours": ours,
                     "paper_value": claim.paper_value, "verdict": outcome, "note": note})
    return pd.DataFrame(rows, columns=COLUMNS)


def untestable(claim_ids: list[str], profile: str, why: str, experiment: str = "") -> pd.DataFrame:
    """Ledger rows for claims this run cannot test, and why (e.g. they need ImageNet-scale data or a GPU)."""
    if not why:
        raise ValueError("say why a claim is not testable here (what it needs that this run lacks)")
    return pd.DataFrame([{"claim_id": c, "profile": profile, "experiment": experiment, "ours": float("nan"),
                          "paper_value": _claim(c).paper_value, "verdict": NOT_TESTABLE, "note": why}
                         for c in claim_ids], columns=COLUMNS)


def with_statements(rows: pd.DataFrame) -> pd.DataFrame:
    claims = _claims()[["paper", "source", "quantity", "rule", "statement", "diagnosis"]]
    return rows.join(claims, on="claim_id")


def claim_verdicts(rows: pd.DataFrame) -> pd.DataFrame:
    """One verdict per claim across its rows (experiments): `not reproduced` if any testable row misses,
    `reproduced` if every testable row holds, `not testable here` if no row could be tested. Claims of the
    CSV that no notebook evaluated count as not testable."""
    claims = _claims()
    per_claim = []
    for claim_id, claim in claims.iterrows():
        verdicts = set(rows.verdict[rows.claim_id == claim_id])
        tested = verdicts - {NOT_TESTABLE}
        overall = (NOT_TESTABLE if not tested else NOT_REPRODUCED if NOT_REPRODUCED in tested else REPRODUCED)
        per_claim.append({"claim_id": claim_id, "paper": claim.paper, "verdict": overall})
    return pd.DataFrame(per_claim)


def ledger_counts(rows: pd.DataFrame) -> pd.DataFrame:
    """Per paper, how many claims were reproduced, not reproduced and not testable here."""
    counts = claim_verdicts(rows).groupby(["paper", "verdict"]).size().unstack(fill_value=0)
    return counts.reindex(columns=list(VERDICTS), fill_value=0).reset_index()
