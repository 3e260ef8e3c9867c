"""Per-timestep logits of a whole test set, computed once and cached: [T, N, C] running means f_t."""
from __future__ import annotations

from pathlib import Path

import torch
from torch import nn
from tqdm.auto import tqdm

from .artifacts import artifact_dir, load_cached, lock, save_torch
from .config import TrainConfig
from .data import load_datasets, make_loader, to_time_first
from .devices import resolve_device
from .layers import SpikingNet
from .train import subset, train


def running_mean(outputs: torch.Tensor) -> torch.Tensor:
    """[T, ...] per-step outputs h(x_t) -> f_t = (1/t) sum_{i<=t} h(x_i)."""
    steps = torch.arange(1, outputs.shape[0] + 1, device=outputs.device, dtype=outputs.dtype)
    return outputs.cumsum(0) / steps.view(-1, *([1] * (outputs.dim() - 1)))


@torch.no_grad()
def collect_logits(model: nn.Module, dataset, time_steps: int, device="cpu", batch_size: int = 256,
                   progress: bool = True) -> tuple[torch.Tensor, torch.Tensor]:
    """Run `model` for `time_steps` steps on every sample: (mean_logits [T, N, C], targets [N]).
    A SpikingNet runs step by step (SpikingNet.forward_stepwise), other models (ANNs, TEAS) folded."""
    if time_steps < 1:
        raise ValueError(f"time_steps must be >= 1, got {time_steps}")
    device = resolve_device(device)
    model.to(device).eval()
    chunks, targets = [], []
    for x, y in tqdm(make_loader(dataset, batch_size, shuffle=False), desc="logits", disable=not progress,
                     leave=False):
        x_seq = to_time_first(x.to(device), time_steps)
        out = model.forward_stepwise(x_seq) if isinstance(model, SpikingNet) else model(x_seq)
        chunks.append(running_mean(out).float().cpu())
        targets.append(y)
    return torch.cat(chunks, 1), torch.cat(targets)


def logits_artifact(cfg: TrainConfig, time_steps: int | None = None) -> tuple[dict, Path]:
    """(config key, path) under which cached_logits files the test logits of `cfg` at `time_steps`."""
    key = {**cfg.to_dict(), "eval_T": time_steps or cfg.time_steps}
    return key, artifact_dir("logits", key) / "logits.pt"


def cached_logits(cfg: TrainConfig, time_steps: int | None = None, device="cpu",
                  progress: bool = True) -> tuple[torch.Tensor, torch.Tensor]:
    """Test-set per-t logits of the model trained by `cfg` (trained first if needed), from the cache."""
    time_steps = time_steps or cfg.time_steps
    key, path = logits_artifact(cfg, time_steps)
    with lock(path.parent):
        blob = load_cached(path, key)
        if blob is None:
            model = train(cfg, device=device, progress=progress)
            _, test_ds = load_datasets(cfg.dataset)
            mean_logits, targets = collect_logits(model, subset(test_ds, cfg.test_subset), time_steps, device,
                                                  progress=progress)
            blob = {"mean_logits": mean_logits, "targets": targets}
            save_torch(blob, path, key)
    return blob["mean_logits"], blob["targets"]
