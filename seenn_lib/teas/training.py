"""TEAS §3.3 retraining on the training driver (`train.fit`): the initial allocation from activity, training
on Eq. 8 with periodic temporal adjustment, a final adjustment, then fine-tuning (TEAS Table 1: Adam, its
learning rate decayed per epoch). #Act(l) is TeasConfig.activity throughout (Eq. 2 by default). Each phase
is a resumable Job; the result is a dict of tidy tables."""
from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from .. import distributed
from ..config import TeasConfig, TrainConfig
from ..devices import place, resolve_device
from ..layers import SpikingNet, repeat_time
from ..train import Job, fit, seed_everything, subset
from .activity import rank_correlation
from .allocation import adjust, allocate, teas_loss
from .network import TemporalAdaptiveNet, activity_measure, layer_names, layer_parameters, run_adaptive


# what a TEAS result holds beyond its tables: which test inputs each network got right (the claims' paired
# bootstrap); in the key, so results cached before it are recomputed rather than read without it
RESULT_CONTENT = "per-input correct"


def teas_key(cfg: TrainConfig, tcfg: TeasConfig) -> dict:
    """The cache key of a TEAS run: the pretrained SNN's config, the TEAS knobs and what the result holds."""
    return {"snn": cfg.to_dict(), "teas": asdict(tcfg), "result": RESULT_CONTENT}


def correct(net: TemporalAdaptiveNet, dataset, device, batch_size: int = 256) -> torch.Tensor:
    """[N] bool: which inputs of `dataset` the network classifies right."""
    return run_adaptive(net, dataset, device, batch_size, progress=False)[0]


def percent(right: torch.Tensor) -> float:
    return right.float().mean().item() * 100


def mean_activity(net: TemporalAdaptiveNet, dataset, device, measure: str, batch_size: int = 256) -> np.ndarray:
    """[L] mean #Act(l) over `dataset` (activity_measure: "eq2" or "rate")."""
    _, activity, neurons = run_adaptive(net, dataset, device, batch_size, progress=False, desc="activity")
    return activity_measure(activity.mean(0), neurons, measure).numpy()


def decaying_adam(module: torch.nn.Module, lr: float, decay: float, steps_per_epoch: int):
    """Adam whose learning rate is lr · decay^(epochs done) (the scheduler steps once per batch)."""
    opt = torch.optim.Adam(module.parameters(), lr=lr)
    return opt, torch.optim.lr_scheduler.LambdaLR(opt, lambda step: decay ** (step // steps_per_epoch))


class TeasPhase(Job):
    """One retraining phase ("adjustment" or "fine-tuning") of a TeasTraining on Eq. 8. A checkpoint also
    keeps the per-layer timesteps, the history so far, the activity seen in the last epoch and that seen so
    far in the current one (they set the next adjustment)."""

    def __init__(self, run: "TeasTraining", phase: str, epochs: int, lr: float, first_epoch: int, folder: Path):
        tcfg = run.tcfg
        steps = -(-len(run.train_ds) // tcfg.batch_size)
        super().__init__(run.net, run.train_ds, epochs, tcfg.batch_size, tcfg.seed + first_epoch,
                         lambda: decaying_adam(run.net, lr, tcfg.lr_decay, steps),
                         folder / f"{phase}.pt", {**run.key, "phase": phase}, f"TEAS {phase}")
        self.run, self.phase, self.first_epoch = run, phase, first_epoch
        self.activity: np.ndarray | None = None  # per-layer mean #Act(l) seen while training the last epoch
        self._seen: list = []

    def batch_loss(self, net, x, y):
        out = net(repeat_time(x, self.run.net.input_steps))
        activity = self.run.net.mean_activity(self.run.tcfg.activity)
        self._seen.append((activity.detach().cpu().numpy(), len(y)))
        return teas_loss(out, y, activity, self.run.params, self.run.tcfg.lam, self.run.tcfg.loss)

    def end_epoch(self, done, loss):
        self.activity = sum(a * n for a, n in self._seen) / max(sum(n for _, n in self._seen), 1)
        self._seen = []
        self.run.after_epoch(self, done, loss)

    def extra_state(self) -> dict:
        return {"time_steps": list(self.run.net.time_steps), "history": list(self.run.history),
                "correct": list(self.run.epoch_correct), "activity": self.activity, "seen": list(self._seen)}

    def load_extra_state(self, state: dict) -> None:
        self.run.net.set_time_steps(state["time_steps"])
        self.run.history[:] = state["history"]
        self.run.epoch_correct[:] = state["correct"]
        self.activity, self._seen = state["activity"], list(state["seen"])


class TeasTraining:
    """TEAS on one pretrained SNN run for t_max steps in every layer; train() returns the tables."""

    def __init__(self, snn: SpikingNet, t_max: int, cfg: TrainConfig, tcfg: TeasConfig, datasets, folder: Path,
                 device="cpu"):
        self.ctx = distributed.setup(resolve_device(device))
        self.snn, self.t_max, self.cfg, self.tcfg, self.folder = snn.to(self.ctx.device), t_max, cfg, tcfg, folder
        self.key = teas_key(cfg, tcfg)
        train_ds, test_ds = datasets
        self.train_ds = subset(train_ds, tcfg.train_subset or cfg.train_subset)
        self.test_ds = subset(test_ds, tcfg.test_subset or cfg.test_subset)
        self.calib_ds = subset(self.train_ds, tcfg.calib_samples)
        seed_everything(tcfg.seed)
        self.net = place(TemporalAdaptiveNet(snn, [t_max] * len(snn.neurons()), tcfg.coding), self.ctx.device)
        self.history: list[dict] = []
        self.epoch_correct: list[torch.Tensor] = []  # per history row: [N] bool on test_ds

    def _start(self) -> None:
        """Accuracy of the original SNN, activity, #Para, and the two allocations made from that activity."""
        device, tcfg = self.ctx.device, self.tcfg
        self.snn_correct = correct(self.net, self.test_ds, device)
        self.activity0 = mean_activity(self.net, self.calib_ds, device, tcfg.activity)
        probe = repeat_time(self.train_ds[0][0].unsqueeze(0).to(device), self.t_max)
        self.params = torch.tensor(layer_parameters(self.snn, probe), dtype=torch.float32, device=device)
        self.no_retrain = allocate(self.activity0, self.t_max, tcfg.target_ratio, tcfg.t_min, groups=self.net.groups)
        self.net.set_time_steps(self.no_retrain)
        self.no_retrain_correct = correct(self.net, self.test_ds, device)
        self.initial = allocate(self.activity0, self.t_max, tcfg.init_ratio, tcfg.t_min, groups=self.net.groups)
        self.net.set_time_steps(self.initial)
        self.epoch_correct[:] = [correct(self.net, self.test_ds, device)]
        self.history[:] = [{"phase": "initial allocation", "epoch": 0, "accuracy": percent(self.epoch_correct[0]),
                            "mean_T": float(np.mean(self.initial)), "loss": float("nan")}]

    def after_epoch(self, job: TeasPhase, done: int, loss: float) -> None:
        """Periodic adjustment toward the target ratio during the adjustment phase, then the history row."""
        tcfg = self.tcfg
        if job.phase == "adjustment" and done % tcfg.adjust_every == 0 and done < tcfg.adjust_epochs:
            step, n_adjust = done // tcfg.adjust_every, max(1, tcfg.adjust_epochs // tcfg.adjust_every)
            ratio = tcfg.init_ratio + (tcfg.target_ratio - tcfg.init_ratio) * step / n_adjust
            self.net.set_time_steps(adjust(self.net.time_steps, job.activity, self.t_max, ratio, tcfg.t_min,
                                           self.net.groups))
        self.epoch_correct.append(correct(self.net, self.test_ds, self.ctx.device))
        self.history.append({"phase": job.phase, "epoch": job.first_epoch + done,
                             "accuracy": percent(self.epoch_correct[-1]),
                             "mean_T": float(np.mean(self.net.time_steps)), "loss": loss})

    def train(self, progress: bool = True, checkpoint_every: int = 0) -> dict:
        tcfg = self.tcfg
        self._start()
        adjusting = TeasPhase(self, "adjustment", tcfg.adjust_epochs, tcfg.lr, 0, self.folder)
        fit(adjusting, self.ctx, progress, checkpoint_every)
        self.net.set_time_steps(adjust(self.net.time_steps, adjusting.activity, self.t_max, tcfg.target_ratio,
                                       tcfg.t_min, self.net.groups) if tcfg.adjust_epochs else self.no_retrain)
        finetuning = TeasPhase(self, "fine-tuning", tcfg.finetune_epochs, tcfg.finetune_lr, tcfg.adjust_epochs,
                               self.folder)
        fit(finetuning, self.ctx, progress, checkpoint_every)
        return self.result()

    def result(self) -> dict:
        """layers (per layer: name, neurons, #Para, initial #Act, T initially / without retraining / final,
        final #Act; #Act as TeasConfig.activity), history (accuracy and mean T per epoch), summary (a Table 2
        row), correct (which test inputs the original SNN, the network without retraining and the network after
        each history row got right: [N], [N], [rows, N] bool), allocation, model."""
        net, measure = self.net, self.tcfg.activity
        layers = pd.DataFrame({
            "layer": range(len(self.initial)), "name": layer_names(self.snn), "neurons": net.neurons_per_layer,
            "params": self.params.cpu().numpy().astype(int), "activity_initial": self.activity0,
            "T_original": self.t_max, "T_initial": self.initial, "T_without_retraining": self.no_retrain,
            "T_final": net.time_steps, "activity_final": mean_activity(net, self.calib_ds, self.ctx.device, measure),
            "activity_measure": measure})
        summary = {"model": self.cfg.model, "dataset": self.cfg.dataset, "ann_accuracy": float("nan"),
                   "snn_accuracy": percent(self.snn_correct), "original_T": self.t_max,
                   "without_retraining_accuracy": percent(self.no_retrain_correct),
                   "without_retraining_T": float(np.mean(self.no_retrain)),
                   "reduced_accuracy": self.history[-1]["accuracy"], "reduced_T": float(np.mean(net.time_steps)),
                   "lam": self.tcfg.lam, "activity_measure": measure,
                   "rank_corr_activity_T": rank_correlation(self.activity0, net.time_steps)}
        right = {"snn": self.snn_correct, "without_retraining": self.no_retrain_correct,
                 "epochs": torch.stack(self.epoch_correct)}
        return {"layers": layers, "history": pd.DataFrame(self.history), "summary": pd.DataFrame([summary]),
                "correct": right, "allocation": list(net.time_steps), "model": self.snn.state_dict()}
