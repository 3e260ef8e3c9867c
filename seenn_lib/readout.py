"""An SNN's answer after t steps, SEENN Eq. 3: f_t(x) = (1/t)·Σ_{i≤t} h(x_i), the running mean of the classifier
outputs. Training (the running-mean loss, SEENN-II), the cached per-t logits, the early-exit engine and the
explorer's cached runs all take f_t from here, over a whole sequence or one step at a time."""
from __future__ import annotations

import torch


def running_mean(outputs: torch.Tensor) -> torch.Tensor:
    """[T, ...] per-step outputs h(x_t) -> [T, ...] f_t = (1/t) sum_{i<=t} h(x_i), in the outputs' dtype."""
    steps = torch.arange(1, outputs.shape[0] + 1, device=outputs.device, dtype=outputs.dtype)
    return outputs.cumsum(0) / steps.view(-1, *([1] * (outputs.dim() - 1)))


def add_step(total: torch.Tensor | None, out: torch.Tensor) -> torch.Tensor:
    """The sum of the outputs so far after one more step, in fp32 (bf16 steps under autocast add up in fp32,
    as the cached logits do: collect_logits averages float outputs)."""
    return out.float() if total is None else total + out.float()


def mean_so_far(total: torch.Tensor, t: torch.Tensor | int) -> torch.Tensor:
    """f_t from the sum of the first t outputs: t an int, or a [B] tensor of each sample's own t."""
    if isinstance(t, torch.Tensor):
        return total / t.unsqueeze(-1).to(total.dtype)
    return total / t
