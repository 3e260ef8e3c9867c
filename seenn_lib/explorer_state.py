"""What the explorer shows, without a display: the explorable runs (cached test logits, for SEENN-II a policy's
exits), the tables derived from each computed once, and the current selection (experiment, policy, α, β, ε,
δ, loss) with its decisions and certified α. widgets.Explorer puts sliders and plots on top."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Mapping, Sequence

import numpy as np
import pandas as pd
import torch

from .calibration import (LOSSES, certification_table, check_budget, cheapest_certified, exit_loss, risk_from_loss,
                          split_indices)
from .config import PROFILES, TrainConfig, experiment_of, profile_configs
from .exits import alpha_decisions, alpha_grid, confidence_table, fixed_sweep
from .metrics import exit_distribution, policy_summary
from .pipelines import cached_logits, cached_seenn2_outputs, logits_artifact
from .seenn2 import get_seenn2, policy_exit

SLIDER_ALPHAS = alpha_grid(near_one=0)[::-1].copy()  # 0.05, 0.06, ..., 0.99, 1


def cached_experiments(profiles: Sequence[str] | None = None) -> dict[str, TrainConfig]:
    """'profile · experiment' -> config, for every experiment whose test-set logits are in the cache."""
    found = {}
    for profile in profiles or sorted(PROFILES):
        for name, cfg in profile_configs(profile).items():
            if logits_artifact(cfg)[1].exists():
                found[f"{profile} · {name} ({cfg.model}, {cfg.dataset})"] = cfg
    return found


def cached_runs(profiles: Sequence[str] | None = None, score: str = "mean") -> dict[str, Run]:
    """A Run, SEENN-I on `score`, for every experiment of cached_experiments(profiles)."""
    return {label: Run(*cached_logits(cfg, progress=False), score=score)
            for label, cfg in cached_experiments(profiles).items()}


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
    confidence score SEENN-I thresholds (exits.SCORES; default the paper's). Each table derived from them is
    computed on first use and kept in `cache`."""
    mean_logits: torch.Tensor
    targets: torch.Tensor
    policy: tuple[torch.Tensor, torch.Tensor] | None = None
    score: str = "mean"
    cache: dict = field(default_factory=dict)

    def _once(self, key: str, compute: Callable):
        if key not in self.cache:
            self.cache[key] = compute()
        return self.cache[key]

    def alpha_table(self) -> tuple[torch.Tensor, torch.Tensor]:
        """SEENN-I decisions for every slider α, [A, N] each."""
        return self._once("alpha", lambda: alpha_decisions(self.mean_logits, SLIDER_ALPHAS, self.score))

    def alpha_sweep(self) -> pd.DataFrame:
        """policy_summary of the SEENN-I decisions at every slider α, a row each."""
        return self._once("sweep", lambda: pd.DataFrame(
            [policy_summary(e, p, self.targets) for e, p in zip(*self.alpha_table())]))

    def fixed(self) -> pd.DataFrame:
        return self._once("fixed", lambda: fixed_sweep(self.mean_logits, self.targets))

    def confidences(self) -> pd.DataFrame:
        return self._once("conf", lambda: confidence_table(self.mean_logits, self.score))

    def calibration(self, seed: int = 0, fraction: float = 0.5):
        """Fixed random calibration / evaluation halves and the SEENN-I grid decisions on the calibration half."""
        def split():
            cal, held = split_indices(len(self.targets), fraction, seed)
            grid = alpha_grid()
            return cal, held, grid, alpha_decisions(self.mean_logits[:, cal], grid, self.score)
        return self._once("calib", split)

    def full_pred(self) -> torch.Tensor:
        """Predictions after all T_max timesteps."""
        return self.mean_logits[-1].argmax(-1)


@dataclass
class ExplorerState:
    """The explorer's selection and what follows from it. `runs` maps a label to a Run; `beta_runs` maps a
    label to {β: Run with policy}; `label` (the first by default) and `beta` select one, `seenn2` its policy
    over SEENN-I at `alpha`."""
    runs: Mapping[str, Run]
    beta_runs: Mapping[str, Mapping[float, Run]] | None = None
    alpha: float = 0.9
    epsilon: float = 0.02
    delta: float = 0.1
    loss: str = LOSSES[0]
    label: str = ""
    beta: float = 0.0
    seenn2: bool = False
    certified_alpha: float | None = None

    def __post_init__(self):
        if not self.runs and not self.beta_runs:
            raise ValueError("nothing to explore: no cached logits found; run a notebook of the profile "
                             "first (e.g. 01) or pass runs={label: Run(mean_logits, targets)}")
        check_budget(self.epsilon, self.delta)
        self.runs, self.beta_runs = dict(self.runs), dict(self.beta_runs or {})
        self.label = self.label or self.labels()[0]

    def labels(self) -> list[str]:
        return list(self.runs) + list(self.beta_runs)

    def betas(self) -> list[float]:
        """The βs of the selected experiment; empty when it has no SEENN-II policy."""
        return sorted(self.beta_runs.get(self.label, {}))

    def run(self) -> Run:
        return self.runs[self.label] if self.label in self.runs else self.beta_runs[self.label][self.beta]

    def decisions(self) -> tuple[torch.Tensor, torch.Tensor]:
        """(exit_t, pred) of the selected policy; SEENN-I at the slider α nearest `alpha`."""
        run = self.run()
        if self.seenn2:
            return run.policy
        exit_t, pred = run.alpha_table()
        row = int(np.abs(SLIDER_ALPHAS - self.alpha).argmin())
        return exit_t[row], pred[row]

    def summary(self) -> dict:
        """Accuracy (%) and average timesteps of the selected policy."""
        return policy_summary(*self.decisions(), self.run().targets)

    def exit_composition(self) -> pd.DataFrame:
        """The share of inputs that exit at each t under the selected policy."""
        return exit_distribution(self.decisions()[0], self.run().mean_logits.shape[0])

    def certify(self) -> dict:
        """The cheapest α certified for (ε, δ) on the run's calibration half, with its loss and average
        timesteps on the other half. Raises ValueError, leaving certified_alpha None, when none is."""
        run = self.run()
        cal, held, grid, (exit_t, pred) = run.calibration()
        full = run.full_pred()
        self.certified_alpha = None
        table = certification_table(grid, exit_t, pred, full[cal], run.targets[cal], self.epsilon, self.delta,
                                    self.loss)
        self.certified_alpha = cheapest_certified(table)
        held_exit, held_pred = alpha_decisions(run.mean_logits[:, held], [self.certified_alpha], run.score)
        risk = risk_from_loss(exit_loss(held_pred[0], full[held], run.targets[held], self.loss).mean(), self.loss)
        return {"alpha": self.certified_alpha, "calibrated_on": len(cal), "held_out": len(held),
                "risk": float(risk), "avg_timesteps": float(held_exit.double().mean())}

    def certified_slider_alpha(self) -> float | None:
        """The smallest slider α at or above the certified α (1 above them all); None when none is certified."""
        if self.certified_alpha is None:
            return None
        return float(SLIDER_ALPHAS[SLIDER_ALPHAS >= self.certified_alpha - 1e-9].min(initial=1.0))
