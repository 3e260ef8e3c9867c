"""The claims ledger: the papers' checkable findings (data/paper_claims.csv) and the verdicts our scale-free
quantities give them. A quantity is an Estimate: its value on the test inputs and its resampled values
(seenn_lib.resampling draws them), whose 95 % interval decides the verdict:
`reproduced` when the whole interval meets the claim's rule, `not reproduced` when none of it does,
`inconclusive` otherwise, and `not testable here` when the quantity is undefined or its model learned nothing.
Writing and gathering the rows (figures/NN_claims.csv) is seenn_lib.results'."""
from __future__ import annotations

import hashlib
import math
import operator
import re
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import pandas as pd

from .artifacts import REPO_ROOT

CLAIMS_CSV = REPO_ROOT / "data" / "paper_claims.csv"
REPRODUCED, NOT_REPRODUCED, INCONCLUSIVE = "reproduced", "not reproduced", "inconclusive"
NOT_TESTABLE, NOT_RUN = "not testable here", "not run"
VERDICTS = (REPRODUCED, NOT_REPRODUCED, INCONCLUSIVE, NOT_TESTABLE)
TIERS = ("finding", "consistency")  # finding: could come out either way; consistency: true when the code is right
COLUMNS = ["claim_id", "profile", "experiment", "ours", "ci_low", "ci_high", "se", "margin", "interval",
           "verdict", "note"]
LEARNED_OVER_CHANCE = 2  # judge(): a model under twice chance accuracy learned nothing
POWER = 3  # judge(): a row whose standard error exceeds a third of its margin to the rule is underpowered
_OPERATORS = {"<=": operator.le, ">=": operator.ge, "<": operator.lt, ">": operator.gt}
_RULE = re.compile(r"^\s*(<=|>=|<|>)\s*(-?\d+(?:\.\d+)?)\s*$")
LEVEL = 0.95
# an interval over resamples more than this share of which are undefined (a rank correlation of constant
# values, a ratio of zeros) bounds nothing: it spans everything
UNDEFINED_SHARE = (1 - LEVEL) / 2


@dataclass(frozen=True)
class Estimate:
    """A quantity on the observed inputs (`point`) and its resampled values (`samples`, none when exact),
    with what varies between them (`source`, said in the ledger)."""
    point: float
    samples: np.ndarray = field(default_factory=lambda: np.empty(0))
    source: str = "exact (no sampling)"

    def interval(self, level: float = LEVEL) -> tuple[float, float]:
        """The percentile interval of the resamples (the point twice when exact); (-inf, inf) when too many
        resamples are undefined to bound the quantity."""
        if not len(self.samples):
            return self.point, self.point
        samples = np.asarray(self.samples, dtype=float)
        if np.isnan(samples).mean() > UNDEFINED_SHARE:
            return -np.inf, np.inf
        tail = (1 - level) / 2 * 100  # the outer order statistics: no interpolation, so +inf stays inf
        low = np.nanpercentile(samples, tail, method="lower")
        high = np.nanpercentile(samples, 100 - tail, method="higher")
        return float(low), float(high)

    def se(self) -> float:
        """The resamples' standard deviation (the quantity's standard error); 0 when exact."""
        finite = np.asarray(self.samples, dtype=float)
        finite = finite[np.isfinite(finite)]
        return float(finite.std(ddof=1)) if len(finite) > 1 else 0.0


def exact(value: float) -> Estimate:
    """A quantity with no sampling error (an architecture's operation count, a deterministic allocation)."""
    return Estimate(float(value))


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
    if not df.tier.isin(TIERS).all():
        raise ValueError(f"{CLAIMS_CSV}: tier must be one of {TIERS}, got {sorted(set(df.tier) - set(TIERS))}")
    df.rule.map(parse_rule)
    return df.set_index("claim_id")


def load_claims() -> pd.DataFrame:
    """data/paper_claims.csv, checked (unique ids, parseable rules, known tiers), indexed by claim_id."""
    return _claims().copy()


def claims_sha256() -> str:
    """The sha256 of data/paper_claims.csv as it is now: the rules a ledger was judged by."""
    return hashlib.sha256(CLAIMS_CSV.read_bytes()).hexdigest()


def holds(rule: str, value: float) -> bool:
    op, bound = parse_rule(rule)
    return bool(_OPERATORS[op](value, bound))


def verdict(rule: str, low: float, high: float | None = None) -> str:
    """Three-way, from an interval [low, high] (one value: high = low): `reproduced` when the rule holds at both
    ends (then everywhere between: the rules are one-sided), `not reproduced` when at neither, else
    `inconclusive`; `not testable here` when the value is undefined (NaN)."""
    high = low if high is None else high
    if any(v is None or math.isnan(v) for v in (low, high)):
        return NOT_TESTABLE
    ends = holds(rule, low) + holds(rule, high)
    return {2: REPRODUCED, 0: NOT_REPRODUCED}.get(ends, INCONCLUSIVE)


def margin(rule: str, value: float) -> float:
    """How far a value lies on the rule's side of its bound (negative: on the wrong side)."""
    op, bound = parse_rule(rule)
    return value - bound if op in (">", ">=") else bound - value


def _claim(claim_id: str) -> pd.Series:
    claims = _claims()
    if claim_id not in claims.index:
        raise ValueError(f"unknown claim {claim_id!r}; data/paper_claims.csv has {list(claims.index)}")
    return claims.loc[claim_id]


def _row(claim_id: str, estimate: Estimate, unlearned: str) -> dict:
    rule, point = _claim(claim_id).rule, estimate.point
    low, high = estimate.interval() if not math.isnan(point) else (point, point)
    se, gap = estimate.se(), margin(rule, point) if not math.isnan(point) else float("nan")
    notes = ["quantity undefined on this run" if math.isnan(point) else "", unlearned,
             f"underpowered: SE {se:.3g} > a third of the margin {abs(gap):.3g}"
             if se > abs(gap) / POWER and not unlearned else ""]
    return {"claim_id": claim_id, "ours": point, "ci_low": low, "ci_high": high, "se": se, "margin": gap,
            "interval": estimate.source,
            "verdict": NOT_TESTABLE if unlearned or math.isnan(point) else verdict(rule, low, high),
            "note": "; ".join(filter(None, notes))}


def judge(values: dict[str, Estimate | float], profile: str, experiment: str = "",
          notes: dict[str, str] | None = None, accuracy: float | None = None, classes: int = 10) -> pd.DataFrame:
    """One ledger row per claim id in `values` (claim id -> our quantity: an Estimate with its resamples, or a
    plain number for an exact one), verdict from its interval and the claim's rule. `accuracy` (%, at T_max) of
    the model behind the quantities guards them: under LEARNED_OVER_CHANCE times chance (100 / `classes` %) the
    model learned nothing and its rows are `not testable here`."""
    notes = notes or {}
    unlearned = (f"the model did not learn: {accuracy:.1f} % at T_max, chance {100 / classes:.1f} %"
                 if accuracy is not None and accuracy < LEARNED_OVER_CHANCE * 100 / classes else "")
    rows = []
    for claim_id, value in values.items():
        estimate = value if isinstance(value, Estimate) else exact(float("nan") if value is None else value)
        row = _row(claim_id, estimate, unlearned)
        row["note"] = "; ".join(filter(None, [row["note"], notes.get(claim_id, "")]))
        rows.append({"profile": profile, "experiment": experiment, "paper_value": _claim(claim_id).paper_value,
                     **row})
    return pd.DataFrame(rows, columns=COLUMNS + ["paper_value"])


def untestable(claim_ids: list[str], profile: str, why: str, experiment: str = "") -> pd.DataFrame:
    """Ledger rows for claims this run cannot test, and why (e.g. they need ImageNet-scale data or a GPU)."""
    if not why:
        raise ValueError("say why a claim is not testable here (what it needs that this run lacks)")
    rows = judge({c: float("nan") for c in claim_ids}, profile, experiment)
    return rows.assign(note=why)


def with_statements(rows: pd.DataFrame) -> pd.DataFrame:
    claims = _claims()[["paper", "tier", "source", "quantity", "rule", "statement", "diagnosis"]]
    return rows.join(claims, on="claim_id")


def across_experiments(verdicts) -> str:
    """A claim's verdict over the experiments it was checked on: `not reproduced` if any tested one misses
    (the paper claims it for each), else `inconclusive` if any is, `reproduced` if every tested one holds; `not
    testable here` when none was tested."""
    tested = set(verdicts) - {NOT_TESTABLE, NOT_RUN}
    for outcome in (NOT_REPRODUCED, INCONCLUSIVE, REPRODUCED):
        if outcome in tested:
            return outcome
    return NOT_RUN if NOT_RUN in set(verdicts) else NOT_TESTABLE


def across_seeds(verdicts) -> str:
    """A claim's verdict over seeds: `reproduced` / `not reproduced` only when every tested seed says so,
    `inconclusive` where they disagree; `not testable here` when no seed could test it."""
    tested = set(verdicts) - {NOT_TESTABLE, NOT_RUN}
    if not tested:
        return NOT_RUN if NOT_RUN in set(verdicts) else NOT_TESTABLE
    return tested.pop() if len(tested) == 1 else INCONCLUSIVE


def claim_verdicts(rows: pd.DataFrame, not_run: set[str] = frozenset()) -> pd.DataFrame:
    """One verdict per claim of the CSV across its rows (across_experiments), with its paper and tier. A claim
    with no row is `not run` when one of its notebooks is in `not_run` (numbers of notebooks that failed or did
    not run), else `not testable here`."""
    per_claim = []
    for claim_id, claim in _claims().iterrows():
        verdicts = list(rows.verdict[rows.claim_id == claim_id])
        if not verdicts and set(claim.notebooks.split()) & set(not_run):
            verdicts = [NOT_RUN]
        per_claim.append({"claim_id": claim_id, "paper": claim.paper, "tier": claim.tier,
                          "verdict": across_experiments(verdicts)})
    return pd.DataFrame(per_claim)


def ledger_counts(verdicts: pd.DataFrame, tier: str = "finding") -> pd.DataFrame:
    """Per paper, how many claims of a tier (claim_verdicts' rows) got each verdict."""
    chosen = verdicts[verdicts.tier == tier]
    counts = chosen.groupby(["paper", "verdict"]).size().unstack(fill_value=0)
    columns = list(VERDICTS) + ([NOT_RUN] if NOT_RUN in set(chosen.verdict) else [])
    papers = sorted(set(_claims().paper))
    return counts.reindex(index=papers, columns=columns, fill_value=0).rename_axis("paper").reset_index()
