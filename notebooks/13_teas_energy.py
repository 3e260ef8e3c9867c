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
# # 13 · Energy of ANN vs. SNN vs. TEAS (TEAS Fig. 8)
#
# **What the paper claims.** Counting energy from the operations actually performed (Fig. 8(b): the integer
# data format at 45 nm), an SNN is cheaper than its ANN because spikes turn
# multiplications into sparse additions, yet its many timesteps eat into that gain; with TEAS's shorter
# per-layer time windows VGG-16 is 11.5x more energy-efficient than the ANN and the SNN with one shared T,
# and up to 22.9x on average (Fig. 8(a), normalised to the ANN; no table of numbers).
#
# Here: the ANN twin of the profile's network (same topology, ReLU), the pretrained SNN with every layer
# at T, and the TEAS network of notebook 12 (from the cache), counted on real test images with
# `seenn_lib.energy.count_ops` and priced as TEAS prices them (`energy.INT32_45NM`: a 32-bit integer addition
# 0.1 pJ, a multiplication 3.1 pJ, so a MAC 3.2 pJ and an accumulate 0.1 pJ; Horowitz 2014). The encoding
# layer (real-valued input at every timestep) counts as MACs; every later layer, the classifier included, as
# one accumulate per arriving spike and synapse. The TEAS network's per-layer T were allocated from #Act(l)
# as the profile's `TeasConfig.activity` defines it: by default Eq. 2, a layer's fired spikes per timestep
# (not per neuron). The operations are counted on batches of a few test images, so the energy ratios below carry
# a 95 % interval from a paired bootstrap over those batches (every network priced on the same resampled ones).

# %% tags=["parameters"]
profile = "smoke"
device = "cpu"
samples = 256  # test images the operations are counted on
batch = 8  # images per counted batch: the bootstrap's resampling unit

# %%
from seenn_lib.analysis.teas import energy_per_batch, energy_table
from seenn_lib.config import get_profile
from seenn_lib.plots import normalized_energy
from seenn_lib.analysis.evidence_teas import energy_evidence
from seenn_lib.claims import judge
from seenn_lib.results import paper_reference, save_claims, save_figure, save_table, save_versus_paper

tcfg = get_profile(profile).teas
per_batch = energy_per_batch(profile, device, tcfg, samples, batch)
save_table(per_batch, "13_energy_per_batch")
energy = energy_table(per_batch)
save_table(energy, "13_energy")
energy

# %%
fig = normalized_energy(energy, title=f"energy per inference, normalised to the ANN (profile {profile})")
save_figure(fig, "13_normalized_energy")

# %% [markdown]
# ## The paper's claims, checked on this run
#
# TEAS-08 and TEAS-09 (Fig. 8): the SNN costs less energy than the ANN, and TEAS less than the SNN at its
# original T, with operations priced for 32-bit integers at 45 nm as TEAS prices them. The ANN's operations do
# not depend on the image; the SNNs' do, through the spikes each image makes.

# %%
ann_e, snn_e, teas_e = energy.energy_pj
save_claims(judge(energy_evidence(per_batch), profile, tcfg.experiment,
                  notes={"TEAS-09": f"average T {energy.average_T.iloc[1]:g} -> {energy.average_T.iloc[2]:.2f}"}),
            "13")

# %% [markdown]
# ## Absolute numbers beside the paper (only in the `paper` profile)
#
# The paper gives its energy ratios only in prose (11.5x for VGG-16 against the ANN and the equal-T SNN);
# the reference table holds the timesteps behind them (VGG-16, CIFAR-10: T = 2048 -> 40.5 on average).

# %%
ref = paper_reference(table="TEAS Table 2", dataset="CIFAR-10", model="VGG-16")
snn_t = ref.loc[ref.method == "SNN", "timesteps"].item()
teas_t = ref.loc[ref.method == "TEAS", "timesteps"].item()
save_versus_paper([
    {"quantity": "energy gain of TEAS over the ANN (x)", "ours": ann_e / teas_e, "paper": 11.5,
     "note": "paper: VGG-16, prose of Fig. 8"},
    {"quantity": "energy gain of TEAS over the equal-T SNN (x)", "ours": snn_e / teas_e, "paper": 11.5,
     "note": "paper: VGG-16, prose of Fig. 8"},
    {"quantity": "timestep reduction behind it (x)", "ours": energy.average_T.iloc[1] / energy.average_T.iloc[2],
     "paper": snn_t / teas_t, "note": "TEAS Table 2 VGG-16 CIFAR-10"},
], "13", profile)
