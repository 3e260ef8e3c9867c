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
# # 01 · Accuracy vs. timesteps, AET and SEENN-I (SEENN Fig. 1, Table 5, §3.2–3.3)
#
# **What the paper claims.** A directly trained SNN gains little accuracy from extra timesteps, and most
# inputs are already classified correctly at t = 1: the averaged earliest timestep (AET, Eq. 4) of a
# ResNet-19 on CIFAR-10 with T = 4 is 1.13 (Table 5). SEENN-I exits each input at the first t whose
# confidence max softmax(f_t(x)) reaches α, keeping the accuracy of T_max at a fraction of the timesteps.
#
# Here: the profile's model is trained with the TET loss (Eq. 11), its per-timestep logits cached once,
# and everything below is computed from that cache.

# %% tags=["parameters"]
profile = "smoke"
device = "cpu"
experiment = ""  # empty: the profile's main SEENN-I experiment
alphas = [0.5, 0.7, 0.8, 0.9, 0.95, 0.99, 0.999]

# %%
from seenn_lib.config import experiment_of, get_config
from seenn_lib.pipelines import cached_logits
from seenn_lib.exits import alpha_sweep, fixed_sweep
from seenn_lib.metrics import aet, correct_per_t, empirical_aet
from seenn_lib.plots import accuracy_vs_timesteps
from seenn_lib.analysis.evidence import exit_notes, exit_potential, late_timestep_gain, model_fit
from seenn_lib.claims import judge
from seenn_lib.results import paper_reference, save_claims, save_figure, save_table, save_versus_paper

name = experiment_of(profile, "main", experiment)
cfg = get_config(profile, name)
mean_logits, targets = cached_logits(cfg, device=device)
print(f"{cfg.model} on {cfg.dataset}, T_max = {cfg.time_steps}, {len(targets)} test samples")

# %% [markdown]
# ## Accuracy of the static SNN at each T, and AET

# %%
fixed = fixed_sweep(mean_logits, targets)
correct = correct_per_t(mean_logits, targets)
aet_value, emp_aet_value = aet(correct), empirical_aet(correct)
fixed["aet"], fixed["empirical_aet"] = aet_value, emp_aet_value
save_table(fixed, "01_accuracy_per_t")
fixed

# %% [markdown]
# ## SEENN-I: sweep of the confidence threshold α

# %%
sweep = alpha_sweep(mean_logits, targets, alphas)
save_table(sweep, "01_seenn1_alpha_sweep")
sweep

# %%
fig = accuracy_vs_timesteps(fixed, aet_value, sweep,
                            title=f"{cfg.model} · {cfg.dataset} (profile {profile})")
save_figure(fig, "01_accuracy_vs_timesteps")

# %% [markdown]
# ## The paper's claims, checked on this run
#
# Scale-free quantities from the cache above, each judged by its rule in `data/paper_claims.csv`: SEENN-01
# (AET lies close to one timestep: (AET − 1) / (T_max − 1)), SEENN-02 (the second half of the timesteps adds
# little, in points) and SEENN-03 (Assumption 3.1: AET and empirical AET agree, in timesteps; not testable at
# T_max ≤ 2, where they are equal by construction). Each comes with a 95 % interval from a paired bootstrap over
# the test inputs (1,000 resamples, seeded by the run's seed); the verdict is `reproduced` when the whole
# interval meets the rule, `not reproduced` when none of it does, `inconclusive` otherwise.

# %%
claims = judge({**exit_potential(mean_logits, targets), "SEENN-02": late_timestep_gain(mean_logits, targets)},
               profile, name,
               notes={"SEENN-02": f"T_max {cfg.time_steps}: {fixed.accuracy.iloc[-1]:.2f} % vs "
                                  f"{fixed.accuracy.iloc[(cfg.time_steps + 1) // 2 - 1]:.2f} % at half",
                      **exit_notes(cfg.time_steps)},
               **model_fit(mean_logits, targets))
save_claims(claims, "01")

# %% [markdown]
# ## Absolute numbers beside the paper (only in the `paper` profile: ResNet-19 on CIFAR-10, Table 5)

# %%
ref = paper_reference(table="SEENN Table 5", model="ResNet-19", dataset="CIFAR-10")
paper_aet = ref.loc[ref.method == "AET", "timesteps"].item()
paper_emp = ref.loc[ref.method == "empirical AET", "timesteps"].item()
save_versus_paper([
    {"quantity": "AET (Eq. 4)", "ours": aet_value, "paper": paper_aet, "note": ""},
    {"quantity": "empirical AET (Eq. 13)", "ours": emp_aet_value, "paper": paper_emp, "note": ""},
], "01", profile)
