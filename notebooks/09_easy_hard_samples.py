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
# # 09 · Easy and hard inputs as the SEENN-II policy sees them (SEENN Fig. 5, §4.5)
#
# **What the paper claims.** The policy network separates easy from hard images: on the ImageNet validation
# set, images it sends to T = 1 (classes orange, cucumber, bubble, broccoli, aircraft carrier, torch) show a
# single object on a clean background, while those it sends to T = 4 are cluttered, overlapped by other
# objects or show many small instances. Visually simpler inputs are correctly predicted with fewer timesteps.
#
# Here: the jointly fine-tuned SNN + policy of notebook 08 at one β; for each chosen class, test images the
# policy sends to its earliest and its latest timestep, and how accurate the SNN is on each group.

# %% tags=["parameters"]
profile = "smoke"
device = "cpu"
experiment = ""  # empty: the profile's SEENN-II experiment
beta = 64.0
per_group = 8  # images per row

# %%
from seenn_lib.plots import easy_hard_grid
from seenn_lib.analysis.seenn2 import difficulty_bins, easy_hard_samples, exit_by_class, fig5_classes
from seenn_lib.pipelines import evaluation_set, seenn2_outputs
from seenn_lib.seenn2 import get_seenn2, policy_exit
from seenn_lib.analysis.evidence import model_fit
from seenn_lib.analysis.evidence_seenn2 import difficulty_evidence
from seenn_lib.claims import judge
from seenn_lib.results import paper_reference, save_claims, save_figure, save_table, save_versus_paper

setup = get_seenn2(profile, experiment)
cfg = setup.finetune
out = seenn2_outputs(setup, beta, device=device)
exit_t, pred = policy_exit(out["policy_logits"], out["mean_logits"], setup.actions)
targets = out["targets"]
classes = fig5_classes(cfg.dataset)
print(f"{cfg.model} on {cfg.dataset}, β = {beta}; classes {list(classes.values())}")

# %% [markdown]
# ## Per class: how many timesteps the policy gives, and accuracy

# %%
per_class = exit_by_class(exit_t, pred, targets, classes)
save_table(per_class, "09_exit_by_class")
per_class

# %% [markdown]
# ## The image grid: easy (earliest t) and hard (latest t) rows per class
#
# Within a row, images are ordered by the policy's expected timesteps E_v[t] (easiest / hardest first);
# where the policy sends a whole class to one t, the two rows are the two ends of that ranking.

# %%
picks = easy_hard_samples(out["policy_logits"], targets, classes, setup.actions, per_group)
save_table(picks, "09_easy_hard_picks")
test_ds = evaluation_set(cfg)
images = {i: test_ds[i][0].numpy() for i in picks["index"]}
fig = easy_hard_grid(images, picks, classes,
                     title=f"SEENN-II policy, β = {beta:g}: easy vs hard test images · {cfg.dataset} ({profile})")
save_figure(fig, "09_easy_hard_grid")

# %% [markdown]
# ## Is "easy" really easy? The SNN's accuracy in bins of the policy's expected timesteps
#
# E_v[t] = Σ_k v_k t_k ranks every test input from easiest to hardest as the policy sees it. If the
# policy has learned difficulty, the easy bins are accurate already at the first timestep and the hard
# bins gain the most from running to T_max.

# %%
bins = difficulty_bins(out["policy_logits"], out["mean_logits"], targets, setup.actions)
save_table(bins, "09_difficulty_bins")
bins

# %% [markdown]
# ## The paper's claim, checked on this run
#
# SEENN-18: the inputs the policy treats as easiest (lowest E_v[t]) are more often right at the first timestep
# than those it treats as hardest: the first bin's accuracy at the earliest action minus the last bin's. Its 95 %
# interval comes from 1,000 paired bootstrap resamples of the test inputs (the bins are the observed ones). The
# verdict is `reproduced` when the whole interval lies above 0, `not reproduced` when all of it lies at or below
# (the policy sends hard inputs out first, or its ranking is unrelated to difficulty), `inconclusive` when the
# interval straddles 0: this test set cannot tell. β is this notebook's parameter, fixed before the run.

# %%
evidence = difficulty_evidence(out["policy_logits"], out["mean_logits"], targets, setup.actions)
save_claims(judge(evidence, profile, experiment or "seenn2", **model_fit(out["mean_logits"], targets),
                  notes={"SEENN-18": f"β = {beta:g}, fifths of the test set by E_v[t]"}), "09")

# %% [markdown]
# ## Absolute numbers beside the paper (only in the `paper` profile: SEENN-II average T on ImageNet, Table 3)

# %%
ref = paper_reference(table="SEENN Table 3", method="SEENN-II")
save_versus_paper([{"quantity": f"SEENN-II average T ({r.model} {r.dataset})", "ours": float(exit_t.double().mean()),
                    "paper": r.timesteps, "note": f"β = {beta:g}"} for r in ref.itertuples()], "09", profile)
