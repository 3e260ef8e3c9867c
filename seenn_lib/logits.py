"""Per-timestep logits of a model on a dataset: [T, N, C] running means f_t (seenn_lib.readout; evaluation
only: the cached, train-on-demand test logits are seenn_lib.pipelines.cached_logits)."""
from __future__ import annotations

import torch
from torch import nn
from tqdm.auto import tqdm

from .data import make_loader, to_time_first
from .devices import autocast, place, resolve_device
from .layers import SpikingNet
from .readout import running_mean


@torch.no_grad()
def collect_logits(model: nn.Module, dataset, time_steps: int, device="cpu", batch_size: int = 256,
                   progress: bool = True) -> tuple[torch.Tensor, torch.Tensor]:
    """Run `model` for `time_steps` steps on every sample: (mean_logits [T, N, C], targets [N]).
    A SpikingNet runs step by step (SpikingNet.forward_stepwise), other models (ANNs, TEAS) folded."""
    if time_steps < 1:
        raise ValueError(f"time_steps must be >= 1, got {time_steps}")
    device = resolve_device(device)
    place(model, device).eval()
    chunks, targets = [], []
    for x, y in tqdm(make_loader(dataset, batch_size, shuffle=False), desc="logits", disable=not progress,
                     leave=False):
        x_seq = to_time_first(x.to(device), time_steps)
        with autocast(device):
            out = model.forward_stepwise(x_seq) if isinstance(model, SpikingNet) else model(x_seq)
        chunks.append(running_mean(out.float()).cpu())  # averaged in fp32 (as the engine does) under bf16 too
        targets.append(y)
    return torch.cat(chunks, 1), torch.cat(targets)
