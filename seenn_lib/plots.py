"""Seaborn figures the notebooks draw. Each returns a matplotlib Figure; results.save_figure writes it."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

sns.set_theme(style="whitegrid", context="notebook")


def accuracy_vs_timesteps(fixed: pd.DataFrame, aet_value: float | None = None,
                          seenn: pd.DataFrame | None = None, title: str = "") -> plt.Figure:
    """SEENN Fig. 1 / Fig. 4 left: accuracy of the static SNN at each T, the AET point, and optionally
    SEENN-I's (average timesteps, accuracy) points over a sweep of alpha."""
    fig, ax = plt.subplots(figsize=(5.5, 4))
    sns.lineplot(data=fixed, x="T", y="accuracy", marker="o", ax=ax, label="fixed T (static SNN)")
    if seenn is not None:
        sns.lineplot(data=seenn, x="avg_timesteps", y="accuracy", marker="s", ax=ax, sort=True,
                     label="SEENN-I (sweep of α)")
    if aet_value is not None:
        best = fixed["accuracy"].iloc[-1]
        ax.scatter([aet_value], [best], marker="*", s=220, color="crimson", zorder=5,
                   label=f"AET = {aet_value:.3f}")
    ax.set_xlabel("timesteps T (average for SEENN-I)")
    ax.set_ylabel("test accuracy (%)")
    ax.set_title(title)
    ax.legend(loc="lower right")
    fig.tight_layout()
    return fig


def exit_pies(dists: pd.DataFrame, title: str = "") -> plt.Figure:
    """SEENN Fig. 4 right: one pie per alpha with the fraction of inputs exiting at each t.
    `dists` has columns alpha, t, fraction."""
    alphas = sorted(dists["alpha"].unique())
    t_values = sorted(dists["t"].unique())
    colors = dict(zip(t_values, sns.color_palette("crest", len(t_values))))
    fig, axes = plt.subplots(1, len(alphas), figsize=(2.2 * len(alphas), 2.6))
    for ax, alpha in zip(np.atleast_1d(axes), alphas):
        d = dists[(dists["alpha"] == alpha) & (dists["fraction"] > 0)]
        ax.pie(d["fraction"], colors=[colors[t] for t in d["t"]], startangle=90, counterclock=False,
               autopct=lambda p: f"{p:.0f}%" if p >= 8 else "", textprops={"fontsize": 8})
        ax.set_title(f"α = {alpha:g}", fontsize=10)
    handles = [plt.matplotlib.patches.Patch(color=colors[t], label=f"t = {t}") for t in t_values]
    fig.legend(handles=handles, loc="lower center", ncol=len(t_values), frameon=False,
               title="exit timestep")
    fig.suptitle(title)
    fig.tight_layout(rect=(0, 0.12, 1, 1))
    return fig


def confidence_histograms(conf: pd.DataFrame, title: str = "") -> plt.Figure:
    """SEENN Fig. 6 / App. B: distribution of the confidence score max softmax(f_t) at each t.
    `conf` has columns t, confidence. Left: [0, 0.9999); right: the saturated [0.9999, 1] end."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.8), gridspec_kw={"width_ratios": [3, 1]})
    low = conf[conf["confidence"] < 0.9999]
    sns.histplot(data=low, x="confidence", hue="t", bins=40, element="step", fill=False,
                 palette="crest", ax=left, stat="count", common_bins=True)
    left.set_yscale("log")
    left.set_xlabel("confidence score max softmax(f_t(x))")
    left.set_ylabel("number of test samples (log)")
    counts = conf.assign(saturated=conf["confidence"] >= 0.9999).groupby("t")["saturated"].sum().reset_index()
    sns.barplot(data=counts, x="t", y="saturated", hue="t", palette="crest", ax=right, legend=False)
    right.set_xlabel("timestep t")
    right.set_ylabel("samples with confidence ≥ 0.9999")
    fig.suptitle(title)
    fig.tight_layout()
    return fig
