"""Seaborn figures the notebooks draw. Each returns a matplotlib Figure; results.save_figure writes it."""
from __future__ import annotations

import matplotlib.pyplot as plt
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
