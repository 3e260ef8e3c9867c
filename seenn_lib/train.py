"""Training: TET loss (SEENN Eq. 11), SGD + cosine, atomic per-epoch checkpoints, resume."""
from __future__ import annotations

import random
from contextlib import nullcontext

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import Subset
from tqdm.auto import tqdm

from . import distributed
from .artifacts import artifact_dir, load_cached, load_torch, lock, save_torch
from .config import TrainConfig
from .data import dataset_spec, load_datasets, make_loader, to_time_first
from .devices import resolve_device
from .models import create_model


def tet_loss(outputs: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """SEENN Eq. 11 / TET: the cross-entropy of every timestep's output h(x_t), averaged over t."""
    time_steps = outputs.shape[0]
    return F.cross_entropy(outputs.flatten(0, 1), target.repeat(time_steps))


def mean_output_loss(outputs: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Plain cross-entropy of f_T, the time-averaged output (the usual non-TET baseline)."""
    return F.cross_entropy(outputs.mean(0), target)


LOSSES = {"tet": tet_loss, "ce": mean_output_loss}


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def subset(ds, n: int):
    return ds if not n or n >= len(ds) else Subset(ds, range(n))


def build_model(cfg: TrainConfig) -> nn.Module:
    spec = dataset_spec(cfg.dataset)
    return create_model(cfg.model, num_classes=spec.num_classes, in_channels=spec.in_channels,
                        **cfg.model_kw)


def make_optimizer(cfg: TrainConfig, model: nn.Module, steps: int):
    if cfg.optimizer == "sgd":
        opt = torch.optim.SGD(model.parameters(), lr=cfg.lr, momentum=cfg.momentum,
                              weight_decay=cfg.weight_decay)
    else:
        opt = torch.optim.Adam(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    return opt, torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=steps)


def model_dir(cfg: TrainConfig):
    return artifact_dir("models", cfg.to_dict())


def run_epoch(modules: list[nn.Module], loader, opt, sched, batch_loss, device, desc: str, skip: int = 0,
              on_step=None) -> float:
    """One optimisation epoch over `loader`: batch_loss(x, y) -> scalar loss, then a step of `opt` and of
    `sched` (if any). `skip` batches are already done (resume mid-epoch); on_step(i) runs after step i.
    Returns the mean loss. A non-finite loss stops with an error naming the step. Gradients are on
    whatever the caller's mode (a cached result computed lazily under no_grad may need training)."""
    for module in modules:
        module.train()
    total, n = 0.0, 0
    for i, (x, y) in enumerate(tqdm(loader, desc=desc, leave=False, mininterval=2.0)):
        if i < skip:
            continue
        x, y = x.to(device, non_blocking=True), y.to(device, non_blocking=True)
        with torch.enable_grad():
            loss = batch_loss(x, y)
        if not torch.isfinite(loss):
            raise FloatingPointError(f"{desc}, step {i + 1}: loss became {loss.item()}; lower the learning "
                                     "rate (the last good checkpoint is kept)")
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if sched is not None:
            sched.step()
        total, n = total + loss.item() * len(y), n + len(y)
        if on_step is not None:
            on_step(i + 1)
    return total / max(n, 1)


def _resume(ckpt_path, cfg, model, opt, sched) -> tuple[int, int]:
    """Restore a checkpoint into model/optimiser/scheduler/RNG; returns (epoch, step within epoch)."""
    ckpt = load_cached(ckpt_path, cfg.to_dict())
    if ckpt is None:
        return 0, 0
    model.load_state_dict(ckpt["model"])
    opt.load_state_dict(ckpt["optimizer"])
    sched.load_state_dict(ckpt["scheduler"])
    torch.set_rng_state(ckpt["rng"])
    return ckpt["epoch"], ckpt["step"]


def train(cfg: TrainConfig, device: str = "cpu", progress: bool = True, checkpoint_every: int = 0) -> nn.Module:
    """Train (or resume, or load the finished) model of `cfg`; checkpoints live in the artifact cache.

    A checkpoint (model, optimiser, scheduler, RNG, epoch, step) is written atomically after every epoch
    and, with `checkpoint_every=k`, every k steps; a killed run resumes from the last one. The data order
    of epoch e depends only on (seed, e), so a resumed run replays exactly what the killed one would have.
    Under torchrun the same call trains data-parallel: `cfg.batch_size` is the global batch, rank 0 writes.
    """
    ctx = distributed.setup(resolve_device(device))
    out = model_dir(cfg)
    final, ckpt_path = out / "model.pt", out / "checkpoint.pt"
    seed_everything(cfg.seed)
    model = build_model(cfg)
    with lock(out) if ctx.main else nullcontext():
        done = load_cached(final, cfg.to_dict())
        if done is None:
            _fit(cfg, model, ctx, ckpt_path, progress, checkpoint_every)
            if ctx.main:
                save_torch({"model": model.state_dict(), "config": cfg.to_dict()}, final, cfg.to_dict())
            distributed.barrier(ctx)
        else:
            model.load_state_dict(done["model"])
    return model.to(ctx.device).eval()


def _fit(cfg: TrainConfig, model: nn.Module, ctx, ckpt_path, progress: bool, checkpoint_every: int) -> None:
    train_ds, _ = load_datasets(cfg.dataset)
    train_ds = subset(train_ds, cfg.train_subset)
    batch = distributed.per_rank_batch(cfg.batch_size, ctx)
    model.to(ctx.device)
    opt, sched = make_optimizer(cfg, model, cfg.epochs * -(-len(train_ds) // cfg.batch_size))
    start, skip = _resume(ckpt_path, cfg, model, opt, sched)
    net = distributed.wrap(model, ctx)

    def batch_loss(x, y):
        return LOSSES[cfg.loss](net(to_time_first(x, cfg.time_steps)), y)

    def checkpoint(epoch, step):
        if ctx.main:
            save_torch({"model": model.state_dict(), "optimizer": opt.state_dict(),
                        "scheduler": sched.state_dict(), "rng": torch.get_rng_state(), "epoch": epoch,
                        "step": step}, ckpt_path, cfg.to_dict())

    epochs = tqdm(range(start, cfg.epochs), desc=f"train {cfg.model}", disable=not (progress and ctx.main))
    for epoch in epochs:
        loader = make_loader(train_ds, batch, shuffle=True, seed=cfg.seed + epoch, rank=ctx.rank, world=ctx.world)
        every = (lambda i, e=epoch: checkpoint(e, i) if i % checkpoint_every == 0 else None
                 ) if checkpoint_every else None
        loss = run_epoch([net], loader, opt, sched, batch_loss, ctx.device, f"epoch {epoch + 1}/{cfg.epochs}",
                         skip if epoch == start else 0, every)
        epochs.set_postfix(loss=f"{loss:.3f}")
        checkpoint(epoch + 1, 0)


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
