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
# # 22 · Budget trends: which way the evidence moves with compute
#
# A claim the profile does not reproduce has two readings: the finding does not hold here, or the profile's
# budget is too small for it (a CPU cannot train for the papers' 300 epochs). The direction tells them apart
# even where the full budget is out of reach: a budget effect moves the quantity toward the claim's rule as the
# budget of its lever grows.
#
# Here: for each lever of the profile (`Profile.budget_levers`), the claims it bears on are judged again, by the
# same evidence functions and intervals as in their own notebooks, at 1x (the profile's own setting: its cached
# model) and at the lever's other multipliers, every other setting fixed (`workers` settings at once, each in its
# own process):
#
# - `epochs`: a training run's epochs (SEENN-04, SEENN-11; for the QCFS ANN also SEENN-09/10, and TEAS-01 on the
#   SNN converted from it);
# - `qcfs_threshold`: the QCFS ANN's initial λ (the QCFS code's 8; its authors start CIFAR at 4: 0.5x), which sets
#   how much of the ANN the converted SNN's first timestep sees (notebook 03's first-step coverage);
# - `finetune_epochs`: SEENN-II's joint fine-tuning (SEENN-06, -20 over notebook 08's β sweep, SEENN-18 at
#   notebook 09's β);
# - `teas_epochs`: TEAS's adjustment and fine-tuning epochs (TEAS-03, -06).
#
# The trend is evidence, not a rescue: the ledger keeps the 1x rows, and a claim that meets its rule at 4x stays
# `not reproduced` at the profile's budget. The report appends each claim's reading to its ledger note.

# %% tags=["parameters"]
profile = "ci"
device = "cpu"
difficulty_beta = 64.0  # notebook 09's β (SEENN-18)
vulnerability_samples = 0  # test inputs of TEAS-01's noise sweep (0: notebook 11's for the profile)
workers = 1  # settings retrained at once, each in its own process (on a CPU: each on cores / workers threads)

# %%
import pandas as pd

from seenn_lib.analysis.budget import check_levers, stamped, trend_table
from seenn_lib.trends import TRENDS_TABLE, trend_notes
from seenn_lib.config import notebook_parameters
from seenn_lib.plots import budget_trend
from seenn_lib.results import save_figure, save_table

levers = check_levers(profile)
vulnerability_samples = vulnerability_samples or notebook_parameters(profile, "11_teas_vulnerable_layers").get(
    "eval_samples", 2000)
for lever in levers:
    print(f"{lever.lever} x {list(lever.multipliers)} on {lever.experiments or 'the profile run'}: "
          f"{', '.join(lever.claims)}" + (f" ({lever.left_out})" if lever.left_out else ""))

# %% [markdown]
# ## The trend table
#
# One row per claim, experiment, lever and multiplier: our quantity with its 95 % interval, the claim's rule and
# the verdict the row would get (`setting` says what the multiplier means).

# %%
trends = trend_table(profile, levers, device, workers, difficulty_beta=difficulty_beta,
                     vulnerability_samples=vulnerability_samples)
save_table(stamped(trends, profile), TRENDS_TABLE)
trends.drop(columns=["note", "profile"])

# %% [markdown]
# ## One figure per lever
#
# The quantity against the lever's multiplier (log scale), its interval as a bar, the rule as a dashed line.

# %%
for name, part in trends.groupby("lever", sort=False):
    fig = budget_trend(part, title=f"budget trend: {name} ({profile})")
    save_figure(fig, f"22_budget_trend_{name}")

# %% [markdown]
# ## What each trend says
#
# Moving toward the rule means the quantity at the largest multiplier lies beyond the 1x interval on the rule's
# side; "does not move" means it stays within the 1x interval. A lever run only below 1x (where 2x does not fit
# the profile's time) is read upward: from 0.5x to 1x. These readings are appended to the claims' notes in the
# report.

# %%
readings = trend_notes(trends, levers)
save_table(readings, "22_budget_readings")
pd.set_option("display.max_colwidth", None)
readings
