"""Spiking neurons: pure single-step transition functions plus one stateful module.

SEENN Eq. 1-2 (LIF): u[t+1] = tau * u[t] + I[t];  s = H(u[t+1] - V);  hard reset to 0.
IF (ANN->SNN conversion): tau = 1, spike when u >= V, reset by subtraction (keeps the residue,
which is what makes the firing rate track the QCFS activation).
"""
from __future__ import annotations

import torch
from torch import nn


class TriangleSpike(torch.autograd.Function):
    """Heaviside forward; triangle surrogate backward, area 1 and half-width `width`:
    d s / d x = max(0, width - |x|) / width**2, with x = u - V (width = 1 gives max(0, 1 - |x|))."""

    @staticmethod
    def forward(ctx, x, width: float, fire_at_zero: bool):
        ctx.save_for_backward(x)
        ctx.width = width
        return (x >= 0).to(x.dtype) if fire_at_zero else (x > 0).to(x.dtype)

    @staticmethod
    def backward(ctx, grad_out):
        (x,) = ctx.saved_tensors
        w = ctx.width
        return grad_out * (w - x.abs()).clamp(min=0) / (w * w), None, None


def spike_fn(x: torch.Tensor, width: float = 1.0, fire_at_zero: bool = False) -> torch.Tensor:
    return TriangleSpike.apply(x, width, fire_at_zero)


def lif_step(u, x, tau: float = 0.5, v_th: float = 1.0, width: float = 1.0):
    """One LIF step (SEENN Eq. 1-2). Returns (spike, u_next); fires when u > v_th, hard reset to 0."""
    u = tau * u + x
    spike = spike_fn(u - v_th, width)
    return spike, u * (1.0 - spike)


def if_step(u, x, v_th=1.0, width: float = 1.0):
    """One IF step. Returns (spike, u_next); fires when u >= v_th, reset by subtracting v_th."""
    u = u + x
    spike = spike_fn(u - v_th, width, fire_at_zero=True)
    return spike, u - spike * v_th


class SpikingNeuron(nn.Module):
    """Stateful LIF or IF neuron layer.

    Multi-step: the owning model calls `set_time(T)`; inputs then arrive time-folded as [T*B, ...]
    and the neuron runs T steps from its initial potential. Single-step (`set_time(None)`): each call
    is one step for [B, ...] and the membrane potential persists until `reset()`; `keep(mask)` drops
    samples (e.g. those that exited early) from the state.
    """

    def __init__(self, kind: str = "lif", tau: float = 0.5, v_th: float = 1.0, width: float = 1.0,
                 u_init: float = 0.0):
        super().__init__()
        if kind not in ("lif", "if"):
            raise ValueError(f"neuron kind {kind!r} is unknown: use 'lif' or 'if'")
        self.kind, self.tau, self.width = kind, tau, width
        self.v_th = v_th  # float, or a (trainable) tensor for converted SNNs
        self.u_init = u_init  # initial potential as a fraction of v_th (0.5 for QCFS conversion)
        self.time_steps: int | None = None
        self.u: torch.Tensor | None = None

    def extra_repr(self) -> str:
        return f"kind={self.kind}, tau={self.tau}, v_th={self.v_th}, width={self.width}"

    def set_time(self, time_steps: int | None) -> None:
        self.time_steps = time_steps
        self.u = None

    def reset(self) -> None:
        self.u = None

    def keep(self, mask: torch.Tensor) -> None:
        if self.u is not None:
            self.u = self.u[mask]

    def _step(self, u, x):
        if self.kind == "lif":
            return lif_step(u, x, self.tau, self.v_th, self.width)
        return if_step(u, x, self.v_th, self.width)

    def _initial(self, x):
        return torch.zeros_like(x) + self.u_init * self.v_th

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.time_steps is None:
            u = self._initial(x) if self.u is None else self.u
            spike, self.u = self._step(u, x)
            return spike
        x_seq = x.view(self.time_steps, -1, *x.shape[1:])
        u = self._initial(x_seq[0])
        spikes = []
        for x_t in x_seq:
            spike, u = self._step(u, x_t)
            spikes.append(spike)
        return torch.stack(spikes).flatten(0, 1)
