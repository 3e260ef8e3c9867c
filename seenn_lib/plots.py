"""Seaborn figures the notebooks draw. Each returns a matplotlib Figure; results.save_figure writes it."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from .claims import parse_rule

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


def seenn2_tradeoff(fixed: pd.DataFrame, seenn1: pd.DataFrame, seenn2: pd.DataFrame,
                    title: str = "") -> plt.Figure:
    """SEENN-II's (average timesteps, accuracy) over a sweep of β, each point labelled with its β, on top
    of the static SNN and the SEENN-I α curve of accuracy_vs_timesteps."""
    fig = accuracy_vs_timesteps(fixed, None, seenn1, title=title)
    ax = fig.axes[0]
    sns.lineplot(data=seenn2.sort_values("beta"), x="avg_timesteps", y="accuracy", marker="D", ax=ax,
                 sort=False, estimator=None, color="crimson", label="SEENN-II (sweep of β)")
    for i, row in enumerate(seenn2.sort_values("beta").itertuples()):
        ax.annotate(f"β={row.beta:g}", (row.avg_timesteps, row.accuracy), textcoords="offset points",
                    xytext=(8, 5 if i % 2 else -11), fontsize=8, color="crimson")  # alternate: points may coincide
    ax.set_xlabel("timesteps T (average for SEENN-I / SEENN-II)")
    ax.legend(loc="lower right")
    fig.tight_layout()
    return fig


def easy_hard_grid(images: np.ndarray, picks: pd.DataFrame, class_names: dict[int, str],
                   title: str = "") -> plt.Figure:
    """SEENN Fig. 5: per class, a row of images the policy sends to the earliest timestep (easy) and a row
    it sends to the latest (hard). `images[index]` is a [C, H, W] array (any scale: each image is min-max
    stretched);
    `picks` has columns class, group, t, index (seenn_lib.analysis.seenn2.easy_hard_samples)."""
    rows = picks[["class", "group", "t"]].drop_duplicates().values.tolist()
    cols = max(1, int(picks.groupby(["class", "group"]).size().max())) if len(picks) else 1
    fig, axes = plt.subplots(len(rows) or 1, cols, figsize=(1.1 * cols + 1.8, 1.15 * max(len(rows), 1)),
                             squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for r, (cls, group, t) in enumerate(rows):
        chosen = picks[(picks["class"] == cls) & (picks["group"] == group)]["index"]
        for c, idx in enumerate(chosen):
            img = images[idx].transpose(1, 2, 0).astype(float)
            img = (img - img.min()) / max(img.max() - img.min(), 1e-8)
            axes[r, c].imshow(img.squeeze(-1) if img.shape[-1] == 1 else img, cmap="gray")
        axes[r, 0].text(-0.15, 0.5, f"{class_names[cls]}\n{group}: t = {t}", transform=axes[r, 0].transAxes,
                        ha="right", va="center", fontsize=9)
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def throughput_energy(bench: pd.DataFrame, title: str = "") -> plt.Figure:
    """SEENN Fig. 3: per method, measured throughput (images/s, with the ideal T = 1 / AET as a tick) and
    energy per image from measured spikes; one row of panels per model (seenn_lib.bench output)."""
    models = list(dict.fromkeys(bench["model"]))
    fig, axes = plt.subplots(len(models), 2, figsize=(11, 0.45 * len(bench) + 1.6 * len(models)), squeeze=False)
    for (ax_speed, ax_energy), model in zip(axes, models):
        df = bench[bench["model"] == model].assign(
            label=lambda d: d["method"] + " (T̄=" + d["avg_timesteps"].map("{:.2f}".format) + ")")
        sns.barplot(data=df, y="label", x="images_per_s", hue="kind", dodge=False, ax=ax_speed)
        ax_speed.scatter(df["ideal_images_per_s"], range(len(df)), marker="|", s=300, color="black",
                         zorder=5, label="ideal (T=1 speed / T̄)")
        ax_speed.set_xlabel("throughput (images/s)")
        ax_speed.set_ylabel(model)
        handles, labels = ax_speed.get_legend_handles_labels()
        ax_speed.get_legend().remove()
        sns.barplot(data=df, y="label", x="energy_uj", hue="kind", dodge=False, ax=ax_energy, legend=False)
        ax_energy.set_xlabel("energy per image (µJ, measured spikes)")
        ax_energy.set_ylabel("")
        ax_energy.set_yticklabels([])
    fig.suptitle(title)
    fig.tight_layout(rect=(0, 0.05, 1, 1))
    fig.legend(handles, labels, loc="lower center", ncol=len(labels), fontsize=9, frameon=False)
    return fig


def neuron_benchmark(bench: pd.DataFrame, title: str = "") -> plt.Figure:
    """Forward + backward time of each multi-step LIF implementation, one bar group per input shape."""
    df = bench.dropna(subset=["ms"])
    fig, ax = plt.subplots(figsize=(7, 0.35 * len(df) + 1.2))
    sns.barplot(data=df, y="implementation", x="ms", hue="shape", ax=ax)
    ax.set_xscale("log")
    ax.set_xlabel("forward + backward time (ms, fastest round, log scale)")
    ax.set_ylabel("")
    ax.set_title(title)
    fig.tight_layout()
    return fig


def layout_benchmark(bench: pd.DataFrame, title: str = "") -> plt.Figure:
    """channels_last time over NCHW time per experiment, a bar per phase (training step, evaluation)."""
    df = bench[bench.layout == "channels_last"]
    fig, ax = plt.subplots(figsize=(7, 0.5 * df.experiment.nunique() + 1.5))
    sns.barplot(data=df, y="experiment", x="vs_nchw", hue="phase", ax=ax)
    ax.axvline(1.0, color="grey", linestyle="--", linewidth=1)
    ax.set_xlabel("channels_last time / NCHW time (fastest round; < 1: channels_last faster)")
    ax.set_ylabel("")
    ax.set_title(title)
    fig.tight_layout()
    return fig


def certified_alpha(curve: pd.DataFrame, certified: pd.DataFrame, hand_picked: pd.DataFrame,
                    checks: pd.DataFrame, loss: str = "degradation", title: str = "") -> plt.Figure:
    """Calibrated early exit (beyond the paper). Left: held-out `loss` vs average timesteps along the α grid
    (`curve`: alpha_risks), the certified α per ε (`certified`: certified_alphas rows of one δ) and the
    hand-picked α values. Right: test risk over random calibration/test splits (`checks`: columns epsilon,
    test_risk), one histogram per ε with its budget as a dashed line."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
    sns.lineplot(x=curve["avg_timesteps"], y=100 * curve[loss], ax=left, color="grey", sort=True,
                 estimator="max", errorbar=None, label="SEENN-I over the α grid")
    left.scatter(hand_picked["avg_timesteps"], 100 * hand_picked[loss], marker="o", s=40, color="black",
                 label="hand-picked α (paper Fig. 4)", zorder=4)
    for _, r in hand_picked.iterrows():
        left.annotate(f"{r['alpha']:g}", (r["avg_timesteps"], 100 * r[loss]), fontsize=7,
                      textcoords="offset points", xytext=(4, 4))
    palette = dict(zip(sorted(checks["epsilon"].unique()), sns.color_palette("flare", checks["epsilon"].nunique())))
    for _, r in certified.iterrows():
        color = palette.get(r["epsilon"], "crimson")
        left.scatter([r["avg_timesteps"]], [100 * r["held_out_risk"]], marker="*", s=200, color=color, zorder=5,
                     label=f"certified α={r['alpha']:.3g} (ε={r['epsilon']:g}, δ={r['delta']:g})")
        left.axhline(100 * r["epsilon"], color=color, ls=":", lw=1)
    left.set_xlabel("average timesteps (held-out half)")
    left.set_ylabel(f"{loss.replace('_', ' ')} vs. T_max (%, held-out)")
    left.legend(fontsize=7, loc="upper right")
    sns.histplot(data=checks.assign(test_risk=100 * checks["test_risk"]), x="test_risk", hue="epsilon",
                 palette=palette, element="step", bins=30, ax=right)
    for eps, color in palette.items():
        right.axvline(100 * eps, color=color, ls="--")
    right.set_xlabel(f"{loss.replace('_', ' ')} on the test split (%); dashed: budget ε")
    right.set_ylabel("number of random splits")
    fig.suptitle(title)
    fig.tight_layout()
    return fig


ACTIVITY_LABELS = {"activity": "spiking activity #Act(l) (Eq. 2: spikes per step)",
                   "rate": "spiking activity (firing rate per neuron per step)"}


def vulnerable_layers(table: pd.DataFrame, column: str = "activity", title: str = "") -> plt.Figure:
    """TEAS Fig. 3: the spiking activity of each spiking layer (bars: `column` of the table, "activity" for
    Eq. 2 or "rate" per neuron) beside the accuracy with noise of magnitude u on that layer's input current
    only (lines, one per u; right axis)."""
    if column not in ACTIVITY_LABELS:
        raise ValueError(f"column must be one of {sorted(ACTIVITY_LABELS)}, got {column!r}")
    layers = table.drop_duplicates("layer").sort_values("layer")
    fig, ax = plt.subplots(figsize=(7, 5))
    sns.barplot(data=layers, x="layer", y=column, color="lightsteelblue", ax=ax)
    ax.set_xlabel("spiking layer")
    ax.set_ylabel(ACTIVITY_LABELS[column])
    acc = ax.twinx()
    sns.lineplot(data=table.assign(layer=table.layer.astype(str), u=table.noise.map(lambda u: f"u = {u:g}")),
                 x="layer", y="accuracy_noisy", hue="u", marker="o", ax=acc, palette="flare")
    acc.axhline(table.accuracy_clean.iloc[0], ls="--", color="gray", label="no noise")
    acc.set_ylabel("test accuracy with noise on that layer (%)")
    acc.grid(False)
    acc.legend(loc="upper center", bbox_to_anchor=(0.5, -0.17), ncol=4, title="noise magnitude",
               fontsize="small")
    ax.set_title(title)
    fig.tight_layout()
    return fig


def per_layer_timesteps(layers: pd.DataFrame, columns: dict[str, str], title: str = "") -> plt.Figure:
    """TEAS Fig. 5 / Fig. 6: timesteps of each spiking layer, one bar group per layer and one bar per
    scheme; `columns` maps a column of `layers` (e.g. T_final) to its legend label."""
    long = layers.melt(id_vars=["layer"], value_vars=list(columns), var_name="scheme", value_name="T")
    long["scheme"] = long.scheme.map(columns)
    fig, ax = plt.subplots(figsize=(6, 4))
    sns.barplot(data=long, x="layer", y="T", hue="scheme", ax=ax)
    ax.set_xlabel("spiking layer")
    ax.set_ylabel("timesteps T_l")
    ax.set_title(title)
    ax.legend(loc="upper right", fontsize="small")
    fig.tight_layout()
    return fig


def teas_accuracy_vs_epoch(history: pd.DataFrame, snn_accuracy: float, title: str = "") -> plt.Figure:
    """TEAS Fig. 7: test accuracy over the TEAS epochs (band over seeds where there are several), with
    the original SNN's accuracy for reference."""
    fig, ax = plt.subplots(figsize=(6, 4))
    sns.lineplot(data=history, x="epoch", y="accuracy", hue="scheme", marker="o", errorbar="sd", ax=ax)
    ax.axhline(snn_accuracy, ls="--", color="gray", label="original SNN (all layers at T)")
    ax.set_xlabel("TEAS epoch (0: initial allocation)")
    ax.set_ylabel("test accuracy (%)")
    ax.set_title(title)
    ax.legend(loc="lower right", fontsize="small")
    fig.tight_layout()
    return fig


def normalized_energy(energy: pd.DataFrame, title: str = "") -> plt.Figure:
    """TEAS Fig. 8(a): energy per inference normalised to the ANN's, one bar per network."""
    fig, ax = plt.subplots(figsize=(5, 4))
    sns.barplot(data=energy, x="network", y="normalized_energy", hue="network", legend=False, ax=ax)
    for patch, value in zip(ax.patches, energy.normalized_energy):
        ax.annotate(f"{value:.3f}", (patch.get_x() + patch.get_width() / 2, patch.get_height()),
                    ha="center", va="bottom", fontsize="small")
    ax.set_xlabel("")
    ax.set_ylabel("energy per inference / ANN energy")
    ax.set_title(title)
    fig.tight_layout()
    return fig


def conversion_accuracy_vs_timesteps(fixed: pd.DataFrame, ann_accuracy: float, seenn: pd.DataFrame | None = None,
                                     title: str = "") -> plt.Figure:
    """SEENN Fig. 1 (conversion) / Table 2: accuracy of the converted SNN at each T (log2 axis), the QCFS
    ANN's accuracy as the level it converges to, and SEENN-I's (average timesteps, accuracy) points."""
    fig = accuracy_vs_timesteps(fixed, None, seenn, title=title)
    ax = fig.axes[0]
    ax.axhline(ann_accuracy, ls="--", color="gray", label=f"QCFS ANN ({ann_accuracy:.2f}%)")
    ax.set_xscale("log", base=2)
    ax.set_xlabel("timesteps T (log scale; average for SEENN-I)")
    ax.legend(loc="lower right")
    fig.tight_layout()
    return fig


def accuracy_vs_timesteps_models(curves: pd.DataFrame, title: str = "") -> plt.Figure:
    """Accuracy against (average) timesteps for several models: tidy rows of model, method ('fixed T' or
    'SEENN-I'), timesteps, accuracy; colour = model, line style = method."""
    fig, ax = plt.subplots(figsize=(6, 4))
    sns.lineplot(data=curves, x="timesteps", y="accuracy", hue="model", style="method", markers=True,
                 dashes=True, sort=True, ax=ax)
    sns.move_legend(ax, "upper left", bbox_to_anchor=(1.01, 1), frameon=False)
    ax.set_xlabel("timesteps T (average for SEENN-I)")
    ax.set_ylabel("test accuracy (%)")
    ax.set_title(title)
    fig.tight_layout()
    return fig


def gpu_hours_per_table(costs: pd.DataFrame, title: str = "") -> plt.Figure:
    """gpu-check: projected GPU-hours of every training run, stacked per paper table (log scale)."""
    fig, ax = plt.subplots(figsize=(8, 3.6))
    sns.barplot(data=costs, y="table", x="gpu_hours", hue="experiment", dodge=False, ax=ax, legend=False,
                estimator="sum", errorbar=None)
    totals = costs.groupby("table", sort=False)["gpu_hours"].sum()
    for i, hours in enumerate(totals):
        ax.text(hours, i, f" {hours:.3g} h", va="center", fontsize=8)
    ax.set_xscale("log")
    ax.set_xlabel("projected GPU-hours of the full training schedule")
    ax.set_ylabel("")
    ax.set_title(title)
    fig.tight_layout()
    return fig


VERDICT_COLORS = {"reproduced": "tab:green", "not reproduced": "tab:red", "inconclusive": "tab:orange",
                  "not testable here": "tab:gray", "not run": "black"}


def claims_ledger(per_claim: pd.DataFrame, rows: pd.DataFrame, title: str = "") -> plt.Figure:
    """Left: claims per paper and tier by verdict (claims.claim_verdicts); right: every judged row (claim x
    experiment)."""
    fig, (ax_count, ax_rows) = plt.subplots(1, 2, figsize=(11, 0.25 * len(per_claim) + 2),
                                            gridspec_kw={"width_ratios": [1, 2]})
    per_claim = per_claim.assign(paper=per_claim.paper + "\n" + per_claim.tier)
    sns.histplot(data=per_claim, x="paper", hue="verdict", multiple="stack", palette=VERDICT_COLORS,
                 hue_order=list(VERDICT_COLORS), shrink=0.6, ax=ax_count)
    ax_count.set_ylabel("claims")
    if len(rows):
        shown = rows.assign(where=rows.notebook + " · " + rows.experiment.astype(str))
        sns.scatterplot(data=shown, x="where", y="claim_id", hue="verdict", palette=VERDICT_COLORS,
                        hue_order=list(VERDICT_COLORS), s=80, marker="s", ax=ax_rows, legend=False)
        ax_rows.tick_params(axis="x", rotation=60)
        for label in ax_rows.get_xticklabels():
            label.set_horizontalalignment("right")
    ax_rows.set_xlabel("notebook · experiment")
    ax_rows.set_ylabel("")
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def budget_trend(rows: pd.DataFrame, title: str = "") -> plt.Figure:
    """Notebook 22, one lever: per claim and experiment, the quantity with its 95 % interval against the lever's
    multiplier (log scale, 1 = the profile's own setting), coloured by verdict, the claim's rule as a dashed line."""
    panels = list(rows.groupby(["claim_id", "experiment"], sort=False))
    fig, axes = plt.subplots(1, len(panels), figsize=(3.4 * len(panels), 3.4), squeeze=False)
    for ax, ((claim, experiment), part) in zip(axes[0], panels):
        part = part.sort_values("multiplier")
        finite = part[np.isfinite(part.ours)]
        below, above = [(side.replace([np.inf, -np.inf], np.nan)).clip(lower=0)  # an unbounded side: no bar
                        for side in (finite.ours - finite.ci_low, finite.ci_high - finite.ours)]
        ax.errorbar(finite.multiplier, finite.ours, yerr=[below, above], color="0.4", capsize=4, zorder=1)
        sns.scatterplot(data=finite, x="multiplier", y="ours", hue="verdict", palette=VERDICT_COLORS,
                        hue_order=list(VERDICT_COLORS), s=70, ax=ax, legend=False, zorder=2)
        op, value = parse_rule(part.rule.iloc[0])
        ax.axhline(value, ls="--", color="crimson", label=f"rule {op} {value:g}")
        ax.set_xscale("log", base=2)
        ax.set_xticks(part.multiplier.unique(), [f"{m:g}x" for m in part.multiplier.unique()])
        ax.set(xlabel="multiplier (1x: the profile's setting)", ylabel="", title=f"{claim}\n{experiment}")
        ax.legend(loc="best", fontsize="small")
    verdicts = [v for v in VERDICT_COLORS if v in set(rows.verdict)]
    fig.legend(handles=[plt.matplotlib.lines.Line2D([], [], ls="", marker="o", color=VERDICT_COLORS[v], label=v)
                        for v in verdicts], loc="lower center", ncol=len(verdicts), fontsize="small", frameon=False)
    fig.suptitle(title)
    fig.tight_layout(rect=(0, 0.07, 1, 1))  # room for the verdict legend
    return fig
