"""ipywidgets explorer over cached per-t logits: move α (SEENN-I) or β (SEENN-II) and see accuracy, average
timesteps, the exit composition, the confidence histogram and the point on the accuracy–T curve; pick ε and
δ and see the certified α. Every decision is precomputed per experiment, so a slider move is a table lookup
plus one redraw."""
from __future__ import annotations

import io
import time
from dataclasses import dataclass, field
from typing import Mapping, Sequence

import ipywidgets as W
import numpy as np
import pandas as pd
import seaborn as sns
import torch
from matplotlib.figure import Figure

from .calibration import (LOSSES, certification_table, check_budget, cheapest_certified, exit_loss, risk_from_loss,
                          split_indices)
from .config import PROFILES, TrainConfig, experiment_of, profile_configs
from .exits import alpha_decisions, alpha_grid, confidence_table, fixed_sweep
from .metrics import exit_distribution, policy_summary
from .pipelines import cached_logits, cached_seenn2_outputs, logits_artifact
from .policy import get_seenn2, policy_exit

SLIDER_ALPHAS = alpha_grid(near_one=0)[::-1].copy()  # 0.05, 0.06, ..., 0.99, 1


def cached_experiments(profiles: Sequence[str] | None = None) -> dict[str, TrainConfig]:
    """'profile · experiment' -> config, for every experiment whose test-set logits are in the cache."""
    found = {}
    for profile in profiles or sorted(PROFILES):
        for name, cfg in profile_configs(profile).items():
            if logits_artifact(cfg)[1].exists():
                found[f"{profile} · {name} ({cfg.model}, {cfg.dataset})"] = cfg
    return found


def seenn2_runs(profile: str, betas: Sequence[float], experiment: str = "") -> dict[str, dict[float, Run]]:
    """{label: {β: Run}} for the βs of a SEENN-II experiment (default: the profile's) whose outputs are already
    cached (none trained here); empty when there are none."""
    experiment = experiment_of(profile, "seenn2", experiment)
    setup = get_seenn2(profile, experiment)
    runs = {}
    for beta in betas:
        out = cached_seenn2_outputs(setup, beta)
        if out is not None:
            runs[float(beta)] = Run(out["mean_logits"], out["targets"],
                                    policy_exit(out["policy_logits"], out["mean_logits"], setup.actions))
    return {f"{profile} · {experiment} (SEENN-II, {setup.finetune.model}, {setup.finetune.dataset})": runs} \
        if runs else {}


@dataclass
class Run:
    """One explorable SNN: its cached test logits, for SEENN-II its policy's (exit_t, pred), and the
    confidence score SEENN-I thresholds (exits.SCORES; default the paper's)."""
    mean_logits: torch.Tensor
    targets: torch.Tensor
    policy: tuple[torch.Tensor, torch.Tensor] | None = None
    score: str = "mean"
    cache: dict = field(default_factory=dict)

    def alpha_table(self) -> tuple[torch.Tensor, torch.Tensor]:
        """SEENN-I decisions for every slider α, [A, N] each (computed once)."""
        if "alpha" not in self.cache:
            self.cache["alpha"] = alpha_decisions(self.mean_logits, SLIDER_ALPHAS, self.score)
        return self.cache["alpha"]

    def fixed(self) -> pd.DataFrame:
        if "fixed" not in self.cache:
            self.cache["fixed"] = fixed_sweep(self.mean_logits, self.targets)
        return self.cache["fixed"]

    def confidences(self) -> pd.DataFrame:
        if "conf" not in self.cache:
            self.cache["conf"] = confidence_table(self.mean_logits, self.score)
        return self.cache["conf"]

    def calibration(self, seed: int = 0, fraction: float = 0.5):
        """Fixed random calibration / evaluation halves and the SEENN-I grid decisions on both."""
        if "calib" not in self.cache:
            cal, held = split_indices(len(self.targets), fraction, seed)
            grid = alpha_grid()
            self.cache["calib"] = (cal, held, grid, alpha_decisions(self.mean_logits[:, cal], grid, self.score))
        return self.cache["calib"]


class Explorer:
    """The explorer. `runs` maps a label to a Run; `beta_runs` maps a label to {β: Run with policy}.
    Build it with Explorer.from_cache(...) in a notebook and display(explorer.widget)."""

    def __init__(self, runs: Mapping[str, Run], beta_runs: Mapping[str, Mapping[float, Run]] | None = None,
                 alpha: float = 0.9, epsilon: float = 0.02, delta: float = 0.1):
        if not runs and not beta_runs:
            raise ValueError("nothing to explore: no cached logits found; run a notebook of the profile "
                             "first (e.g. 01) or pass runs={label: Run(mean_logits, targets)}")
        check_budget(epsilon, delta)
        self.runs, self.beta_runs = dict(runs), dict(beta_runs or {})
        self.picker = W.Dropdown(options=list(self.runs) + list(self.beta_runs), description="experiment",
                                 layout=W.Layout(width="480px"), style={"description_width": "80px"})
        self.mode = W.ToggleButtons(options=["SEENN-I (α)", "SEENN-II (β)"], description="policy")
        self.alpha = W.FloatSlider(value=float(alpha), min=float(SLIDER_ALPHAS[0]), max=1.0, step=0.01,
                                   description="α", readout_format=".2f", continuous_update=True)
        self.beta = W.SelectionSlider(options=[0.0], description="β")
        self.epsilon = W.BoundedFloatText(value=epsilon, min=0.001, max=0.5, step=0.005, description="ε")
        self.delta = W.BoundedFloatText(value=delta, min=0.001, max=0.5, step=0.01, description="δ")
        self.loss = W.Dropdown(options=LOSSES, description="loss")
        self.use_certified = W.Button(description="use certified α")
        self.summary, self.certified = W.HTML(), W.HTML()
        self.plot = W.Image(format="png", layout=W.Layout(max_width="100%"))
        for control, name in [(self.alpha, "alpha"), (self.beta, "beta"), (self.picker, "picker"),
                              (self.mode, "mode")]:
            control.add_class(f"seenn-{name}")
        self.summary.add_class("seenn-summary")
        self.certified.add_class("seenn-certified")
        self.figure, self.last_update_ms, self.certified_alpha = self._make_figure(), float("nan"), None
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
        runs = {label: Run(*cached_logits(cfg, progress=False), score=score)
                for label, cfg in cached_experiments(profiles).items()}
        return cls(runs, beta_runs, **kw)

    # ---- state -----------------------------------------------------------------------------------

    def run(self) -> Run:
        label = self.picker.value
        return self.runs[label] if label in self.runs else self.beta_runs[label][self.beta.value]

    def decisions(self) -> tuple[torch.Tensor, torch.Tensor]:
        """(exit_t, pred) of the displayed policy."""
        run = self.run()
        if self.mode.value.startswith("SEENN-II"):
            return run.policy
        exit_t, pred = run.alpha_table()
        row = int(np.abs(SLIDER_ALPHAS - self.alpha.value).argmin())
        return exit_t[row], pred[row]

    def _pick(self) -> None:
        betas = sorted(self.beta_runs.get(self.picker.value, {}))
        self.mode.layout.display = self.beta.layout.display = None if betas else "none"
        if betas:
            self.beta.options = betas
        else:
            self.mode.value = "SEENN-I (α)"
        self._draw_static()
        self._certify()
        self.update()

    def _certify(self) -> None:
        """Certified α for (ε, δ) from the run's calibration half, checked on the other half."""
        run = self.run()
        cal, held, grid, (exit_t, pred) = run.calibration()
        full = run.mean_logits[-1].argmax(-1)
        try:
            table = certification_table(grid, exit_t, pred, full[cal], run.targets[cal], self.epsilon.value,
                                        self.delta.value, self.loss.value)
            self.certified_alpha = cheapest_certified(table)
        except ValueError as err:
            self.certified_alpha = None
            self.certified.value = f"<b>certified α:</b> none — {err}"
            return
        held_exit, held_pred = alpha_decisions(run.mean_logits[:, held], [self.certified_alpha], run.score)
        risk = risk_from_loss(exit_loss(held_pred[0], full[held], run.targets[held], self.loss.value).mean(),
                              self.loss.value)
        self.certified.value = (
            f"<b>certified α = {self.certified_alpha:.6g}</b> ({self.loss.value} ≤ {self.epsilon.value:g} with "
            f"probability ≥ {1 - self.delta.value:g}; calibrated on {len(cal)} samples) · on the other "
            f"{len(held)}: {self.loss.value} = {100 * float(risk):.2f} pt, "
            f"avg timesteps = {held_exit.double().mean():.3f}")

    def sweep_slider(self, alphas: Sequence[float]) -> pd.DataFrame:
        """Move the α slider through `alphas` as a user would: per value the displayed accuracy, average
        timesteps and how long the update took (ms)."""
        self.mode.value = "SEENN-I (α)"
        rows = []
        for alpha in alphas:
            if np.isclose(self.alpha.value, alpha):
                self.update()
            self.alpha.value = float(alpha)
            rows.append({"alpha": self.alpha.value, **self.stats, "update_ms": self.last_update_ms})
        return pd.DataFrame(rows)

    def _use_certified(self) -> None:
        if self.certified_alpha is not None:
            self.alpha.value = float(SLIDER_ALPHAS[SLIDER_ALPHAS >= self.certified_alpha - 1e-9].min(initial=1.0))

    # ---- drawing -----------------------------------------------------------------------------------

    def _make_figure(self) -> Figure:
        fig = Figure(figsize=(13, 3.8))
        ratios = {"width_ratios": [1.2, 0.8, 1.2]}
        self.ax_curve, self.ax_pie, self.ax_hist = fig.subplots(1, 3, gridspec_kw=ratios)
        return fig

    def _draw_static(self) -> None:
        """The parts that depend only on the run: fixed-T curve, SEENN-I sweep curve, histograms."""
        run = self.run()
        self.ax_curve.clear()
        self.ax_hist.clear()
        fixed = run.fixed()
        exit_t, pred = run.alpha_table()
        sweep = pd.DataFrame([policy_summary(e, p, run.targets) for e, p in zip(exit_t, pred)])
        sns.lineplot(data=fixed, x="T", y="accuracy", marker="o", ax=self.ax_curve, label="fixed T")
        sns.lineplot(data=sweep, x="avg_timesteps", y="accuracy", ax=self.ax_curve, sort=True,
                     label="SEENN-I over α", estimator="max", errorbar=None)
        self.point = self.ax_curve.scatter([np.nan], [np.nan], s=160, marker="*", color="crimson", zorder=5,
                                           label="current")
        self.ax_curve.set_xlabel("(average) timesteps")
        self.ax_curve.set_ylabel("test accuracy (%)")
        self.ax_curve.legend(loc="lower right", fontsize=8)
        sns.histplot(data=run.confidences(), x="confidence", hue="t", bins=40, element="step", fill=False,
                     palette="crest", ax=self.ax_hist)
        self.alpha_line = self.ax_hist.axvline(self.alpha.value, color="crimson", ls="--")
        self.ax_hist.set_xlabel("confidence max softmax(f_t(x))")
        self.ax_hist.set_ylabel("number of test samples")
        self.ax_hist.set_yscale("log")
        self.ax_hist.set_title("confidence per t; dashed: α", fontsize=10)
        self.ax_curve.set_title("accuracy vs. timesteps; star: current policy", fontsize=10)

    def update(self) -> None:
        """Recompute the numbers and redraw the moving parts (the figure is re-rendered once)."""
        start = time.perf_counter()
        run = self.run()
        exit_t, pred = self.decisions()
        self.stats = stats = policy_summary(exit_t, pred, run.targets)
        t_max = run.mean_logits.shape[0]
        full_acc = float((run.mean_logits[-1].argmax(-1) == run.targets).double().mean() * 100)
        self.summary.value = (f"<b>accuracy</b> <span class='seenn-accuracy'>{stats['accuracy']:.2f}</span> % · "
                              f"<b>average timesteps</b> "
                              f"<span class='seenn-avg-t'>{stats['avg_timesteps']:.4f}</span> of T_max = {t_max} "
                              f"· accuracy at T_max {full_acc:.2f} % · {len(run.targets)} test samples")
        self.point.set_offsets([[stats["avg_timesteps"], stats["accuracy"]]])
        self.alpha_line.set_xdata([self.alpha.value] * 2)
        self.alpha_line.set_visible(not self.mode.value.startswith("SEENN-II"))
        self._draw_pie(exit_distribution(exit_t, t_max))
        png = io.BytesIO()
        self.figure.savefig(png, format="png", dpi=80, bbox_inches="tight")
        self.plot.value = png.getvalue()
        self.last_update_ms = 1000 * (time.perf_counter() - start)

    def _draw_pie(self, dist: pd.DataFrame) -> None:
        self.ax_pie.clear()
        colors = sns.color_palette("crest", len(dist))
        shown = dist[dist["fraction"] > 0]
        wedges, *_ = self.ax_pie.pie(shown["fraction"], colors=[colors[t - 1] for t in shown["t"]],
                                     startangle=90, counterclock=False, textprops={"fontsize": 8},
                                     autopct=lambda p: f"{p:.0f}%" if p >= 5 else "")
        self.ax_pie.legend(wedges, [f"t = {t}" for t in shown["t"]], title="exit at", loc="upper center",
                           bbox_to_anchor=(0.5, 0.02), ncol=4, fontsize=8, frameon=False)
        self.ax_pie.set_title("exit composition (share of inputs)", fontsize=10)
