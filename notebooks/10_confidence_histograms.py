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
from seenn_lib.results import comparison_note, save_figure, save_table, versus_paper

cfg = get_config(profile, experiment_of(profile, "main", experiment))
mean_logits, targets = cached_logits(cfg, device=device)
long = confidence_table(mean_logits)
summary = long.groupby("t")["confidence"].describe(percentiles=[0.1, 0.5, 0.9]).reset_index()
save_table(summary, "10_confidence_by_t")
fig = confidence_histograms(long, title=f"confidence score per timestep · {cfg.model} ({profile})")
save_figure(fig, "10_confidence_histograms")
summary

# %% [markdown]
# ## Ours beside the paper
# The paper shows this only as a figure; the checkable claim is that the median confidence rises with t.

# %%
medians = summary["50%"].tolist()
vs = versus_paper([
    {"quantity": "median confidence at t=1", "ours": medians[0], "paper": None, "note": "figure only"},
    {"quantity": f"median confidence at t={len(medians)}", "ours": medians[-1], "paper": None, "note": "figure only"},
    {"quantity": "median confidence rises with t (1 = yes)",
     "ours": float(all(b >= a for a, b in zip(medians, medians[1:]))), "paper": 1.0,
     "note": comparison_note(profile)},
])
save_table(vs, "10_vs_paper")
vs
