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
# # 10 · Confidence-score distributions per timestep (SEENN Fig. 6, Appendix B)
#
# **What the paper claims.** With more timesteps, more inputs reach a high confidence score
# max softmax(f_t(x)) (ResNet-19, CIFAR-100): the mass moves toward 1, which is what lets SEENN-I
# filter out easy inputs early.

# %% tags=["parameters"]
profile = "smoke"
device = "cpu"
experiment = ""  # empty: the profile's main SEENN-I experiment

# %%
from seenn_lib.config import experiment_of, get_config
from seenn_lib.pipelines import cached_logits
from seenn_lib.exits import confidence_table
from seenn_lib.plots import confidence_histograms
from seenn_lib.analysis.evidence import confidence_shift, model_fit
from seenn_lib.claims import judge
from seenn_lib.results import save_claims, save_figure, save_table

name = experiment_of(profile, "main", experiment)
cfg = get_config(profile, name)
mean_logits, targets = cached_logits(cfg, device=device)
long = confidence_table(mean_logits)
summary = long.groupby("t")["confidence"].describe(percentiles=[0.1, 0.5, 0.9]).reset_index()
save_table(summary, "10_confidence_by_t")
fig = confidence_histograms(long, title=f"confidence score per timestep · {cfg.model} ({profile})")
save_figure(fig, "10_confidence_histograms")
summary

# %% [markdown]
# ## The paper's claim, checked on this run
#
# The paper shows this only as a figure (App. B); SEENN-19 checks its statement: the median confidence at T_max
# is above the median at t = 1, with a 95 % interval from 1,000 paired bootstrap resamples of the test images
# (`reproduced` when the whole interval is above 0, `not reproduced` when none of it is, else `inconclusive`).

# %%
medians = summary["50%"].tolist()
save_claims(judge({"SEENN-19": confidence_shift(mean_logits)}, profile, name,
                  notes={"SEENN-19": "medians per t: " + ", ".join(f"{m:.3f}" for m in medians)},
                  **model_fit(mean_logits, targets)), "10")
