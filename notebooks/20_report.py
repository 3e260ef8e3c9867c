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
# quantity, the paper's value where its numbers give one, and a rule for when ours counts as reproducing it.
# The other notebooks computed the quantities on this run and judged them (`figures/NN_claims.csv`); here they
# are gathered into the ledger, counted per paper and drawn. A claim is `reproduced` when every experiment it
# was checked on meets its rule, `not reproduced` when any misses. Absolute numbers beside the papers'
# (`NN_vs_paper.csv`) exist only in the `paper` profile, which runs the papers' own data and models.
# `python -m seenn_lib reproduce` writes the same ledger, with the figures, to `figures/REPORT.md`.

# %% tags=["parameters"]
profile = "smoke"
device = "cpu"

# %%
from seenn_lib.claims import claim_verdicts, ledger_counts
from seenn_lib.plots import claims_ledger
from seenn_lib.results import ledger, save_figure, save_table

rows = ledger()
rows = rows[rows.profile == profile]
counts = ledger_counts(rows)
save_table(rows, "20_claims_ledger")
save_table(counts, "20_claims_counts")
counts

# %%
fig = claims_ledger(claim_verdicts(rows), rows, title=f"the papers' claims on this run (profile {profile})")
save_figure(fig, "20_claims_ledger")

# %% [markdown]
# ## Every judged row

# %%
rows[["claim_id", "experiment", "quantity", "ours", "rule", "paper_value", "verdict", "note"]]
