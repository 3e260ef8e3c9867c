"""ipywidgets explorer over cached per-t logits: move α (SEENN-I) or β (SEENN-II) and see accuracy, average
timesteps, the exit composition, the confidence histogram and the point on the accuracy–T curve; pick ε and
δ and see the certified α. Every decision is precomputed per experiment, so a slider move is a table lookup
plus one redraw. What is selected and what follows from it live in explorer_state, without a display."""
from __future__ import annotations

import io
import time
from typing import Mapping, Sequence

import ipywidgets as W
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure

from .calibration import LOSSES
from .explorer_state import SLIDER_ALPHAS, ExplorerState, Run, cached_experiments, cached_runs, seenn2_runs

__all__ = ["SLIDER_ALPHAS", "Explorer", "ExplorerFigure", "Run", "cached_experiments", "seenn2_runs"]
MODES = ("SEENN-I (α)", "SEENN-II (β)")


def _summary_html(stats: dict, run: Run) -> str:
    full_acc = float((run.full_pred() == run.targets).double().mean() * 100)
    return (f"<b>accuracy</b> <span class='seenn-accuracy'>{stats['accuracy']:.2f}</span> % · "
            f"<b>average timesteps</b> <span class='seenn-avg-t'>{stats['avg_timesteps']:.4f}</span> of "
            f"T_max = {run.mean_logits.shape[0]} · accuracy at T_max {full_acc:.2f} % · "
            f"{len(run.targets)} test samples")


def _certified_html(certificate: dict, state: ExplorerState) -> str:
    return (f"<b>certified α = {certificate['alpha']:.6g}</b> ({state.loss} ≤ {state.epsilon:g} with "
            f"probability ≥ {1 - state.delta:g}; calibrated on {certificate['calibrated_on']} samples) · on the "
            f"other {certificate['held_out']}: {state.loss} = {100 * certificate['risk']:.2f} pt, "
            f"avg timesteps = {certificate['avg_timesteps']:.3f}")


class ExplorerFigure:
    """The explorer's three panels: accuracy against (average) timesteps with a star at the current policy,
    the exit composition, and the confidence histograms with a dashed line at α."""

    def __init__(self):
        self.figure = Figure(figsize=(13, 3.8))
        ratios = {"width_ratios": [1.2, 0.8, 1.2]}
        self.ax_curve, self.ax_pie, self.ax_hist = self.figure.subplots(1, 3, gridspec_kw=ratios)

    def draw_run(self, run: Run, alpha: float) -> None:
        """The parts that depend only on the run: fixed-T curve, SEENN-I sweep curve, histograms."""
        self._draw_curves(run)
        self._draw_confidences(run, alpha)

    def png(self, state: ExplorerState, stats: dict) -> bytes:
        """Move the star and the α line to the selected policy and draw its exit composition; the figure as PNG."""
        self.point.set_offsets([[stats["avg_timesteps"], stats["accuracy"]]])
        self.alpha_line.set_xdata([state.alpha] * 2)
        self.alpha_line.set_visible(not state.seenn2)
        self._draw_pie(state.exit_composition())
        png = io.BytesIO()
        self.figure.savefig(png, format="png", dpi=80, bbox_inches="tight")
        return png.getvalue()

    def _draw_curves(self, run: Run) -> None:
        ax = self.ax_curve
        ax.clear()
        sns.lineplot(data=run.fixed(), x="T", y="accuracy", marker="o", ax=ax, label="fixed T")
        sns.lineplot(data=run.alpha_sweep(), x="avg_timesteps", y="accuracy", ax=ax, sort=True,
                     label="SEENN-I over α", estimator="max", errorbar=None)
        self.point = ax.scatter([np.nan], [np.nan], s=160, marker="*", color="crimson", zorder=5, label="current")
        ax.set_xlabel("(average) timesteps")
        ax.set_ylabel("test accuracy (%)")
        ax.legend(loc="lower right", fontsize=8)
        ax.set_title("accuracy vs. timesteps; star: current policy", fontsize=10)

    def _draw_confidences(self, run: Run, alpha: float) -> None:
        ax = self.ax_hist
        ax.clear()
        sns.histplot(data=run.confidences(), x="confidence", hue="t", bins=40, element="step", fill=False,
                     palette="crest", ax=ax)
        self.alpha_line = ax.axvline(alpha, color="crimson", ls="--")
        ax.set_xlabel("confidence max softmax(f_t(x))")
        ax.set_ylabel("number of test samples")
        ax.set_yscale("log")
        ax.set_title("confidence per t; dashed: α", fontsize=10)

    def _draw_pie(self, dist: pd.DataFrame) -> None:
        ax = self.ax_pie
        ax.clear()
        colors = sns.color_palette("crest", len(dist))
        shown = dist[dist["fraction"] > 0]
        wedges, *_ = ax.pie(shown["fraction"], colors=[colors[t - 1] for t in shown["t"]], startangle=90,
                            counterclock=False, textprops={"fontsize": 8},
                            autopct=lambda p: f"{p:.0f}%" if p >= 5 else "")
        ax.legend(wedges, [f"t = {t}" for t in shown["t"]], title="exit at", loc="upper center",
                  bbox_to_anchor=(0.5, 0.02), ncol=4, fontsize=8, frameon=False)
        ax.set_title("exit composition (share of inputs)", fontsize=10)


class Explorer:
    """The explorer: controls and plots over an ExplorerState, `state`, into which the controls' values are
    copied before it is read. `runs` maps a label to a Run; `beta_runs` maps a label to {β: Run with policy}.
    Build it with Explorer.from_cache(...) in a notebook and display(explorer.widget)."""

    def __init__(self, runs: Mapping[str, Run], beta_runs: Mapping[str, Mapping[float, Run]] | None = None,
                 alpha: float = 0.9, epsilon: float = 0.02, delta: float = 0.1):
        self.state = ExplorerState(runs, beta_runs, alpha, epsilon, delta)
        self._make_controls()
        self.plots, self.last_update_ms = ExplorerFigure(), float("nan")
        self.figure = self.plots.figure  # what the notebooks save
        self.widget = W.VBox([W.HBox([self.picker, self.mode]), W.HBox([self.alpha, self.beta]), self.summary,
                              W.HBox([self.epsilon, self.delta, self.loss, self.use_certified]), self.certified,
                              self.plot])
        self.picker.observe(lambda _: self._pick(), "value")
        for control in (self.mode, self.alpha, self.beta):
            control.observe(lambda _: self.update(), "value")
        for control in (self.epsilon, self.delta, self.loss):
            control.observe(lambda _: self._certify(), "value")
        self.use_certified.on_click(lambda _: self._use_certified())
        self._pick()

    @classmethod
    def from_cache(cls, profiles: Sequence[str] | None = None,
                   beta_runs: Mapping[str, Mapping[float, Run]] | None = None, score: str = "mean",
                   **kw) -> "Explorer":
        """An explorer over every cached experiment of `profiles` (all profiles when None), SEENN-I on `score`."""
        return cls(cached_runs(profiles, score), beta_runs, **kw)

    def _make_controls(self) -> None:
        self.picker = W.Dropdown(options=self.state.labels(), description="experiment",
                                 layout=W.Layout(width="480px"), style={"description_width": "80px"})
        self.mode = W.ToggleButtons(options=MODES, description="policy")
        self.alpha = W.FloatSlider(value=float(self.state.alpha), min=float(SLIDER_ALPHAS[0]), max=1.0, step=0.01,
                                   description="α", readout_format=".2f", continuous_update=True)
        self.beta = W.SelectionSlider(options=[0.0], description="β")
        self.epsilon = W.BoundedFloatText(value=self.state.epsilon, min=0.001, max=0.5, step=0.005, description="ε")
        self.delta = W.BoundedFloatText(value=self.state.delta, min=0.001, max=0.5, step=0.01, description="δ")
        self.loss = W.Dropdown(options=LOSSES, description="loss")
        self.use_certified = W.Button(description="use certified α")
        self.summary, self.certified = W.HTML(), W.HTML()
        self.plot = W.Image(format="png", layout=W.Layout(max_width="100%"))
        for control, name in [(self.alpha, "alpha"), (self.beta, "beta"), (self.picker, "picker"),
                              (self.mode, "mode"), (self.summary, "summary"), (self.certified, "certified")]:
            control.add_class(f"seenn-{name}")

    def _sync(self) -> None:
        state = self.state
        state.label, state.beta, state.alpha = self.picker.value, self.beta.value, self.alpha.value
        state.seenn2, state.loss = self.mode.value == MODES[1], self.loss.value
        state.epsilon, state.delta = self.epsilon.value, self.delta.value

    def _pick(self) -> None:
        self._sync()
        betas = self.state.betas()
        self.mode.layout.display = self.beta.layout.display = None if betas else "none"
        if betas:
            self.beta.options = betas
        else:
            self.mode.value = MODES[0]
        self._sync()  # a new experiment's βs move the β slider
        self.plots.draw_run(self.state.run(), self.state.alpha)
        self._certify()
        self.update()

    def _certify(self) -> None:
        self._sync()
        try:
            self.certified.value = _certified_html(self.state.certify(), self.state)
        except ValueError as err:
            self.certified.value = f"<b>certified α:</b> none — {err}"

    def _use_certified(self) -> None:
        if (alpha := self.state.certified_slider_alpha()) is not None:
            self.alpha.value = alpha

    def sweep_slider(self, alphas: Sequence[float]) -> pd.DataFrame:
        """Move the α slider through `alphas` as a user would: per value the displayed accuracy, average
        timesteps and how long the update took (ms)."""
        self.mode.value = MODES[0]
        rows = []
        for alpha in alphas:
            if np.isclose(self.alpha.value, alpha):
                self.update()
            self.alpha.value = float(alpha)
            rows.append({"alpha": self.alpha.value, **self.stats, "update_ms": self.last_update_ms})
        return pd.DataFrame(rows)

    def update(self) -> None:
        """Recompute the numbers and redraw the moving parts (the figure is re-rendered once)."""
        start = time.perf_counter()
        self._sync()
        self.stats = self.state.summary()
        self.summary.value = _summary_html(self.stats, self.state.run())
        self.plot.value = self.plots.png(self.state, self.stats)
        self.last_update_ms = 1000 * (time.perf_counter() - start)
