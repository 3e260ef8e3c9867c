# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---


# %% [markdown]
# # 20 · Reproduction report: the claims ledger
#
# Every checkable finding of the two papers is a row of `data/paper_claims.csv`: a statement, a scale-free
# quantity, the paper's value where its numbers give one, a rule for when ours counts as reproducing it, and a
# tier: a `finding` could come out either way on a correct implementation, a `consistency` check is true by
# construction when the code is right (a failure there is a bug, not a result). The other notebooks computed the
# quantities on this run, each with a 95 % interval from a paired bootstrap over test inputs (α and β chosen on a
# calibration half inside every resample), and judged them (`figures/NN_claims.csv`): `reproduced` when the whole
# interval meets the rule, `not reproduced` when none of it does, `inconclusive` otherwise, `not testable here`
# when the quantity is undefined on this run. Only this run's rows count (each row carries its run id). Absolute
# numbers beside the papers' (`NN_vs_paper.csv`) exist only in the `paper` profile. `python -m seenn_lib
# reproduce` writes the same ledger, with the figures and every seed's verdicts, to `figures/REPORT.md`.

# %% tags=["parameters"]
profile = "smoke"
device = "cpu"

# %%
from seenn_lib.claims import claim_verdicts, claims_sha256, ledger_counts
from seenn_lib.plots import claims_ledger
from seenn_lib.results import ledger, save_figure, save_table

rows = ledger()
rows = rows[rows.profile == profile]
verdicts = claim_verdicts(rows)
counts = ledger_counts(verdicts)
save_table(rows, "20_claims_ledger")
save_table(counts, "20_claims_counts")
print(f"run {rows.run_id.iloc[0] if len(rows) else '(none)'}; data/paper_claims.csv sha256 {claims_sha256()}")
counts

# %% [markdown]
# Consistency checks, apart from the findings above:

# %%
verdicts[verdicts.tier == "consistency"]

# %%
fig = claims_ledger(verdicts, rows, title=f"the papers' claims on this run (profile {profile})")
save_figure(fig, "20_claims_ledger")

# %% [markdown]
# ## Every judged row

# %%
rows[["claim_id", "tier", "experiment", "quantity", "ours", "ci_low", "ci_high", "rule", "verdict", "interval",
      "note"]]
