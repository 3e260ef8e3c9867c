"""Training: TET loss (SEENN Eq. 11), SGD + cosine, atomic per-epoch checkpoints, resume."""
from __future__ import annotations

import random

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import Subset
from tqdm.auto import tqdm

from .artifacts import artifact_dir, load_torch, save_torch
from .config import TrainConfig
from .data import dataset_spec, load_datasets, make_loader
from .devices import resolve_device
from .layers import repeat_time
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


def _train_epoch(model, loader, opt, sched, loss_fn, time_steps, device, desc):
    model.train()
    total, n = 0.0, 0
    for x, y in tqdm(loader, desc=desc, leave=False, mininterval=2.0):
        x, y = x.to(device, non_blocking=True), y.to(device, non_blocking=True)
        loss = loss_fn(model(repeat_time(x, time_steps)), y)
        if not torch.isfinite(loss):
            raise FloatingPointError(f"{desc}: loss became {loss.item()}; lower the learning rate "
                                     "(the last good checkpoint is kept)")
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
        total, n = total + loss.item() * len(y), n + len(y)
    return total / max(n, 1)


def train(cfg: TrainConfig, device: str = "cpu", progress: bool = True) -> nn.Module:
    """Train (or resume, or load the finished) model of `cfg`; checkpoints live in the artifact cache."""
    device = resolve_device(device)
    out = model_dir(cfg)
    final, ckpt_path = out / "model.pt", out / "checkpoint.pt"
    model = build_model(cfg)
    if final.exists():
        model.load_state_dict(load_torch(final)["model"])
        return model.to(device).eval()
    seed_everything(cfg.seed)
    train_ds, _ = load_datasets(cfg.dataset)
    train_ds = subset(train_ds, cfg.train_subset)
    model.to(device)
    opt, sched = make_optimizer(cfg, model, cfg.epochs * -(-len(train_ds) // cfg.batch_size))
    start = 0
    if ckpt_path.exists():
        ckpt = load_torch(ckpt_path)
        model.load_state_dict(ckpt["model"])
        opt.load_state_dict(ckpt["optimizer"])
        sched.load_state_dict(ckpt["scheduler"])
        torch.set_rng_state(ckpt["rng"])
        start = ckpt["epoch"]
    epochs = tqdm(range(start, cfg.epochs), desc=f"train {cfg.model}", disable=not progress)
    for epoch in epochs:
        loader = make_loader(train_ds, cfg.batch_size, shuffle=True, seed=cfg.seed + epoch)
        loss = _train_epoch(model, loader, opt, sched, LOSSES[cfg.loss], cfg.time_steps, device,
                            f"epoch {epoch + 1}/{cfg.epochs}")
        epochs.set_postfix(loss=f"{loss:.3f}")
        save_torch({"model": model.state_dict(), "optimizer": opt.state_dict(),
                    "scheduler": sched.state_dict(), "rng": torch.get_rng_state(), "epoch": epoch + 1},
                   ckpt_path)
    save_torch({"model": model.state_dict(), "config": cfg.to_dict()}, final)
    return model.eval()
