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

# %% [markdown] tags=["dashboard"]
# # 16 · Explorer: α, β, ε and δ on the cached logits (SEENN Fig. 4, App. B, §4.4)
#
# **What the paper claims.** SEENN-I's threshold α (and SEENN-II's penalty β) move a model along an
# accuracy–timesteps trade-off: a higher α keeps more inputs running, shrinking the share that exits at
# t = 1 (Fig. 4 pies) while approaching T_max accuracy; the confidence of f_t grows with t (App. B).
#
# **The explorer.** Pick a cached experiment, move α (or β, when SEENN-II outputs of the listed β are
# cached) and see accuracy, average timesteps, the exit composition, the confidence histograms and the point
# on the accuracy–T curve, all from the per-t logits cache without recomputing the SNN. Set ε and δ to see
# the certified α (notebook 15) and jump to it. Live sliders need a running kernel (JupyterLab, or
# `make explorer`: a Voila dashboard of the cells tagged `dashboard`); an executed copy shows the last state.

# %% tags=["parameters"]
profile = "smoke"
device = "cpu"
experiment = ""  # empty: the profile's main SEENN-I experiment; trained first if not cached
alpha = 0.9
score = "mean"  # the confidence score α thresholds: "mean" (SEENN Eq. 5) | "sum" | "entropy" (official code)
epsilon = 0.02
delta = 0.1
betas = []  # SEENN-II β values to offer when cached (none trained here); empty: the βs notebook 08 sweeps
moves = [0.5, 0.7, 0.95, 0.99]  # α values the executed notebook steps through to time the updates

# %% tags=["dashboard"]
from IPython.display import display

from seenn_lib.config import experiment_of, get_config, get_profile
from seenn_lib.pipelines import cached_logits
from seenn_lib.results import paper_reference, save_figure, save_table, save_versus_paper
from seenn_lib.widgets import Explorer, seenn2_runs

cfg = get_config(profile, experiment_of(profile, "main", experiment))
cached_logits(cfg, device=device)
beta_runs = seenn2_runs(profile, betas or get_profile(profile).seenn2_betas)
explorer = Explorer.from_cache([profile], beta_runs=beta_runs, score=score,
                               alpha=alpha, epsilon=epsilon, delta=delta)
display(explorer.widget)

# %% [markdown]
# ## Moving the α slider from code: every update is a lookup plus one redraw

# %%
timings = explorer.sweep_slider([*moves, alpha])
save_table(timings, "16_explorer_updates")
save_figure(explorer.figure, "16_explorer")
timings

# %% [markdown]
# ## Absolute numbers beside the paper (only in the `paper` profile)
#
# The explorer's starting α against the paper's cheapest SEENN-I operating point of ResNet-19 on CIFAR-10
# (Table 1).

# %%
ref = paper_reference(table="SEENN Table 1", model="ResNet-19", dataset="CIFAR-10", method="SEENN-I")
cheapest = ref.sort_values("timesteps").iloc[0]
now = timings.iloc[-1]
save_versus_paper([
    {"quantity": f"avg timesteps at α={now['alpha']:g}", "ours": now["avg_timesteps"],
     "paper": cheapest.timesteps, "note": "paper α hand-picked"},
    {"quantity": f"accuracy (%) at α={now['alpha']:g}", "ours": now["accuracy"], "paper": cheapest.accuracy,
     "note": "paper α hand-picked"},
], "16", profile)
