"""Training: the losses (TET, SEENN Eq. 11), optimisers, and the one training driver (`fit`: checkpoints,
resume, DDP, non-finite stop) that TET, QCFS, SEENN-II and TEAS training all run on; `train(cfg)` trains
(or loads) the model of a config."""
from __future__ import annotations

import random
from functools import partial
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import Subset
from tqdm.auto import tqdm

from . import distributed
from .artifacts import artifact_dir, cached, load_cached, load_torch, save_torch
from .config import TrainConfig
from .data import dataset_spec, load_datasets, make_loader, to_time_first
from .devices import autocast, place, resolve_device
from .models import create_model
from .readout import running_mean


def tet_loss(outputs: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """SEENN Eq. 11 / TET: the cross-entropy of every timestep's output h(x_t), averaged over t."""
    time_steps = outputs.shape[0]
    return F.cross_entropy(outputs.flatten(0, 1), target.repeat(time_steps))


def mean_output_loss(outputs: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Plain cross-entropy of f_T, the time-averaged output (the usual non-TET baseline)."""
    return F.cross_entropy(outputs.mean(0), target)


# the official TET code's MSE term: λ and its target φ (the value every output is pulled toward)
TET_MSE_LAMBDA, TET_MSE_TARGET = 1e-3, 1.0


def tet_mse_loss(outputs: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """TET with its MSE regulariser (TET paper; the official SEENN training): (1 − λ)·tet_loss + λ·mean over
    every output of (h(x_t) − φ)², λ = 1e-3, φ = 1."""
    mse = (outputs.float() - TET_MSE_TARGET).pow(2).mean()
    return (1 - TET_MSE_LAMBDA) * tet_loss(outputs, target) + TET_MSE_LAMBDA * mse


def running_mean_loss(outputs: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """SEENN Eq. 11 read literally: the cross-entropy of every running mean f_t = (1/t)·Σ_{i≤t} h(x_i),
    averaged over t (TET, the default, takes each h(x_t) alone)."""
    return tet_loss(running_mean(outputs), target)


LOSSES = {"tet": tet_loss, "ce": mean_output_loss, "tet_mse": tet_mse_loss, "running_mean_ce": running_mean_loss}


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def subset(ds, n: int):
    """n samples spread evenly over `ds`: the ImageFolder and CIFAR10-DVS layouts list samples class by
    class, so the first n would drop the last classes."""
    if not n or n >= len(ds):
        return ds
    return Subset(ds, [i * len(ds) // n for i in range(n)])


def build_model(cfg: TrainConfig) -> nn.Module:
    spec = dataset_spec(cfg.dataset)
    return create_model(cfg.model, num_classes=spec.num_classes, in_channels=spec.in_channels,
                        **cfg.model_kw)


def make_optimizer(cfg: TrainConfig, params, steps: int):
    """cfg's optimizer at cfg.lr over `params` (parameters, or torch param groups: a group's own "lr" wins),
    on a cosine schedule over `steps`."""
    if cfg.optimizer == "sgd":
        opt = torch.optim.SGD(params, lr=cfg.lr, momentum=cfg.momentum, weight_decay=cfg.weight_decay)
    else:
        opt = torch.optim.Adam(params, lr=cfg.lr, weight_decay=cfg.weight_decay)
    return opt, torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=steps)


def whole_run_optimizer(cfg: TrainConfig, params, dataset):
    """A Job's optimizer(): make_optimizer over params() with the cosine schedule spanning cfg.epochs passes
    over `dataset`."""
    return lambda: make_optimizer(cfg, params(), cfg.epochs * -(-len(dataset) // cfg.batch_size))


def model_dir(cfg: TrainConfig):
    return artifact_dir("models", cfg.to_dict())


def run_epoch(module: nn.Module, loader, opt, sched, batch_loss, device, desc: str, skip: int = 0,
              on_step=None, totals: list | None = None) -> float:
    """One optimisation epoch over `loader`: batch_loss(x, y) -> scalar loss, then a step of `opt` and of
    `sched` (if any). `skip` batches are already done (resume mid-epoch); on_step(i) runs after step i.
    `totals` = [loss sum, samples] of the epoch so far, updated in place (a resumed epoch continues the
    checkpoint's, so its mean is the uninterrupted run's). Returns the mean loss. A non-finite loss stops
    with an error naming the step. Gradients are on whatever the caller's mode (a cached result computed
    lazily under no_grad may need training)."""
    module.train()
    totals = [0.0, 0] if totals is None else totals
    for i, (x, y) in enumerate(tqdm(loader, desc=desc, leave=False, mininterval=2.0)):
        if i < skip:
            continue
        x, y = x.to(device, non_blocking=True), y.to(device, non_blocking=True)
        with torch.enable_grad(), autocast(x.device):
            loss = batch_loss(x, y)
        if not torch.isfinite(loss):
            raise FloatingPointError(f"{desc}, step {i + 1}: loss became {loss.item()}; lower the learning "
                                     "rate (the last good checkpoint is kept)")
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if sched is not None:
            sched.step()
        totals[0], totals[1] = totals[0] + loss.item() * len(y), totals[1] + len(y)
        if on_step is not None:
            on_step(i + 1)
    return totals[0] / max(totals[1], 1)


class Job:
    """One resumable optimisation run for the driver `fit`: `module` (what a checkpoint holds) trained on
    `dataset` for `epochs`, epoch e in the data order of seed + e, with the (optimiser, scheduler) pair that
    optimizer() builds (the scheduler may be None; it steps once per batch). Subclasses say what a batch
    costs and, where they need to, what happens after an epoch and what else a checkpoint must keep."""

    def __init__(self, module: nn.Module, dataset, epochs: int, batch_size: int, seed: int, optimizer,
                 checkpoint: Path, key: dict, desc: str):
        self.module, self.dataset, self.epochs = module, dataset, epochs
        self.batch_size, self.seed = batch_size, seed
        self.optimizer, self.checkpoint, self.key, self.desc = optimizer, checkpoint, key, desc

    def batch_loss(self, net: nn.Module, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """The loss of one batch; `net` is `module`, DDP-wrapped under torchrun."""
        raise NotImplementedError

    def end_epoch(self, done: int, loss: float) -> None:
        """After epoch `done` (1-based) and before its checkpoint."""

    def extra_state(self) -> dict:
        return {}

    def load_extra_state(self, state: dict) -> None:
        """Restore what extra_state saved."""


class SupervisedJob(Job):
    """Training on one of train.LOSSES, as cfg.loss says (TET, SEENN Eq. 11, by default): SNNs and QCFS ANNs."""

    def __init__(self, cfg: TrainConfig, model: nn.Module, dataset, checkpoint: Path):
        optimizer = whole_run_optimizer(cfg, model.parameters, dataset)
        super().__init__(model, dataset, cfg.epochs, cfg.batch_size, cfg.seed, optimizer, checkpoint, cfg.to_dict(),
                         f"train {cfg.model}")
        self.loss, self.time_steps = LOSSES[cfg.loss], cfg.time_steps

    def batch_loss(self, net, x, y):
        return self.loss(net(to_time_first(x, self.time_steps)), y)


def fit(job: Job, ctx: distributed.Context, progress: bool = True, checkpoint_every: int = 0) -> None:
    """The training driver. Resumes from job.checkpoint (written atomically by rank 0 after every epoch and,
    with checkpoint_every=k, every k steps), so a killed run continues bit-identically; trains data-parallel
    under torchrun (`batch_size` is the global batch); stops with an error on a non-finite loss."""
    place(job.module, ctx.device)
    batch = distributed.per_rank_batch(job.batch_size, ctx)
    opt, sched = job.optimizer()
    start, skip, totals = _resume(job, opt, sched)
    net = distributed.wrap(job.module, ctx)

    def save(epoch: int, step: int) -> None:
        if ctx.main:
            save_torch({"model": job.module.state_dict(), "optimizer": opt.state_dict(),
                        "scheduler": sched.state_dict() if sched is not None else None,
                        "rng": torch.get_rng_state(), "epoch": epoch, "step": step, "epoch_totals": list(totals),
                        "extra": job.extra_state()}, job.checkpoint, job.key)

    epochs = tqdm(range(start, job.epochs), desc=job.desc, disable=not (progress and ctx.main))
    for epoch in epochs:
        if epoch > start or not skip:  # a fresh epoch, not the rest of a resumed one
            totals[:] = [0.0, 0]
        loader = make_loader(job.dataset, batch, shuffle=True, seed=job.seed + epoch, rank=ctx.rank, world=ctx.world)
        every = (lambda i, e=epoch: save(e, i) if i % checkpoint_every == 0 else None) if checkpoint_every else None
        loss = run_epoch(net, loader, opt, sched, partial(job.batch_loss, net), ctx.device,
                         f"epoch {epoch + 1}/{job.epochs}", skip if epoch == start else 0, every, totals)
        epochs.set_postfix(loss=f"{loss:.3f}")
        job.end_epoch(epoch + 1, loss)
        save(epoch + 1, 0)


def _resume(job: Job, opt, sched) -> tuple[int, int, list]:
    """Restore job.checkpoint into the module, optimiser, scheduler, RNG and the job's extra state; returns
    (epoch, step within that epoch, [loss sum, samples] of that epoch so far), zeros without a checkpoint."""
    ckpt = load_cached(job.checkpoint, job.key)
    if ckpt is None:
        return 0, 0, [0.0, 0]
    job.module.load_state_dict(ckpt["model"])
    opt.load_state_dict(ckpt["optimizer"])
    if sched is not None:
        sched.load_state_dict(ckpt["scheduler"])
    torch.set_rng_state(ckpt["rng"])
    job.load_extra_state(ckpt.get("extra", {}))
    return ckpt["epoch"], ckpt.get("step", 0), list(ckpt.get("epoch_totals", [0.0, 0]))


def train(cfg: TrainConfig, device: str = "cpu", progress: bool = True, checkpoint_every: int = 0) -> nn.Module:
    """Train (or resume, or load the finished) model of `cfg`; checkpoints and the final model live in the
    artifact cache (`fit` says how a run resumes). The data order of epoch e depends only on (seed, e).
    Under torchrun the same call trains data-parallel: `cfg.batch_size` is the global batch, rank 0 writes."""
    ctx = distributed.setup(resolve_device(device))
    seed_everything(cfg.seed)
    model = build_model(cfg)

    def compute() -> dict:
        train_ds = subset(load_datasets(cfg.dataset)[0], cfg.train_subset)
        fit(SupervisedJob(cfg, model, train_ds, model_dir(cfg) / "checkpoint.pt"), ctx, progress, checkpoint_every)
        return {"model": model.state_dict(), "config": cfg.to_dict()}

    done = cached("models", cfg.to_dict(), compute, "model.pt", write=ctx.main)
    distributed.barrier(ctx)
    model.load_state_dict(done["model"])
    return place(model, ctx.device).eval()


def load_weights(model: nn.Module, path) -> nn.Module:
    """Load a checkpoint's weights into `model`, with one clear error if it was made for another model."""
    state = load_torch(path)
    state = state.get("model", state) if isinstance(state, dict) else state
    try:
        model.load_state_dict(state)
    except RuntimeError as err:
        first = str(err).splitlines()[0]
        raise ValueError(f"checkpoint {path} does not fit {type(model).__name__} ({first}); build the model "
                         "with the architecture and options the checkpoint was trained with") from err
    return model
