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
# # 20 · Reproduction report: every result beside the paper's
#
# Gathers the `NN_vs_paper` tables that the other notebooks wrote to `figures/` into one tidy table, with
# the gap to the paper and the note each notebook attached (in the smoke and ci profiles most rows are
# pipeline checks on Fashion-MNIST or generated data, not comparable to the papers' numbers).
# `python -m seenn_lib reproduce` also writes the same content, with the figures, to `figures/REPORT.md`.

# %% tags=["parameters"]
profile = "smoke"
device = "cpu"

# %%
import pandas as pd

from seenn_lib.results import figures_dir, save_figure, save_table

tables = sorted(p for p in figures_dir().glob("[0-9][0-9]_vs_paper.csv") if not p.name.startswith("20_"))
summary = pd.concat([pd.read_csv(p).assign(notebook=p.name[:2]) for p in tables], ignore_index=True)
summary = summary[["notebook", "quantity", "ours", "paper", "gap", "note"]]
save_table(summary, "20_all_vs_paper")
print(f"{len(tables)} notebooks, {len(summary)} quantities, {summary.paper.notna().sum()} with a paper value")
summary

# %%
import seaborn as sns
import matplotlib.pyplot as plt

counts = (summary.assign(has_paper=summary.paper.notna().map({True: "with paper value", False: "ours only"}))
          .groupby(["notebook", "has_paper"]).size().reset_index(name="quantities"))
fig, ax = plt.subplots(figsize=(7, 3.2))
sns.barplot(data=counts, x="notebook", y="quantities", hue="has_paper", ax=ax)
ax.set_xlabel("notebook")
ax.set_ylabel("number of reported quantities")
ax.set_title(f"what each notebook reports (profile {profile})")
fig.tight_layout()
save_figure(fig, "20_report_coverage")

# %%
vs = summary.assign(quantity=summary.notebook + ": " + summary.quantity)[["quantity", "ours", "paper", "gap", "note"]]
save_table(vs, "20_vs_paper")
