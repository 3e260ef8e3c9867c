"""Spiking neurons: pure single-step transition functions plus one stateful module.

SEENN Eq. 1-2 (LIF): u[t+1] = tau * u[t] + I[t];  s = H(u[t+1] - V);  hard reset to 0.
IF (ANN->SNN conversion): tau = 1, spike when u >= V, reset by subtraction (keeps the residue,
which is what makes the firing rate track the QCFS activation) or, as a switch, to 0 (TEAS Table 1: V_reset = 0).
"""
from __future__ import annotations

import math
import os
import warnings

import torch
from torch import nn

from .config import IF_RESETS


class _Spike(torch.autograd.Function):
    """Heaviside forward, H(x) at x = u − V (firing at x >= 0 with fire_at_zero, else at x > 0); subclasses
    give the surrogate gradient, with `param` its width or temperature."""

    @staticmethod
    def forward(ctx, x, param: float, fire_at_zero: bool):
        ctx.save_for_backward(x)
        ctx.param = param
        return (x >= 0).to(x.dtype) if fire_at_zero else (x > 0).to(x.dtype)


class TriangleSpike(_Spike):
    """Triangle surrogate, area 1 and half-width w = param: d s / d x = max(0, w − |x|) / w²
    (w = 1 gives max(0, 1 − |x|))."""

    @staticmethod
    def backward(ctx, grad_out):
        (x,) = ctx.saved_tensors
        w = ctx.param
        return grad_out * (w - x.abs()).clamp(min=0) / (w * w), None, None


class DspikeSpike(_Spike):
    """The Dspike surrogate (Li et al. 2021, as the official SEENN training uses it) at temperature γ = param:
    the derivative of tanh(γ·clamp(x, −1, 1)) / (2·tanh γ) + 1/2, i.e. γ·(1 − tanh²(γx)) / (2·tanh γ) on
    |x| <= 1 and 0 outside."""

    @staticmethod
    def backward(ctx, grad_out):
        (x,) = ctx.saved_tensors
        g = ctx.param
        slope = g * (1 - torch.tanh(g * x) ** 2) / (2 * math.tanh(g))
        return grad_out * torch.where(x.abs() <= 1, slope, torch.zeros_like(slope)), None, None


SURROGATES = ("triangle", "dspike")


def spike_fn(x: torch.Tensor, width: float = 1.0, fire_at_zero: bool = False, surrogate: str = "triangle",
             temperature: float = 3.0) -> torch.Tensor:
    """H(x) with a surrogate gradient: the triangle of half-width `width` (default) or Dspike at `temperature`."""
    if surrogate == "dspike":
        return DspikeSpike.apply(x, temperature, fire_at_zero)
    return TriangleSpike.apply(x, width, fire_at_zero)


def lif_step(u, x, tau: float = 0.5, v_th: float = 1.0, width: float = 1.0, surrogate: str = "triangle",
             temperature: float = 3.0):
    """One LIF step (SEENN Eq. 1-2). Returns (spike, u_next); fires when u > v_th (u >= v_th under the Dspike
    surrogate, as the official code does), hard reset to 0."""
    u = tau * u + x
    spike = spike_fn(u - v_th, width, surrogate == "dspike", surrogate, temperature)
    return spike, u * (1.0 - spike)


def if_step(u, x, v_th=1.0, width: float = 1.0, reset: str = "subtract"):
    """One IF step. Returns (spike, u_next); fires when u >= v_th, reset by subtracting v_th (reset="subtract")
    or to 0 (reset="zero")."""
    u = u + x
    spike = spike_fn(u - v_th, width, fire_at_zero=True)
    return spike, u - spike * v_th if reset == "subtract" else u * (1.0 - spike)


class SpikingNeuron(nn.Module):
    """Stateful LIF or IF neuron layer.

    Multi-step: the owning model calls `set_time(T)`; inputs then arrive time-folded as [T*B, ...]
    and the neuron runs T steps from its initial potential. Single-step (`set_time(None)`): each call
    is one step for [B, ...] and the membrane potential persists until `reset()`; `keep(mask)` drops
    samples (e.g. those that exited early) from the state.
    """

    def __init__(self, kind: str = "lif", tau: float = 0.5, v_th: float = 1.0, width: float = 1.0,
                 u_init: float = 0.0, surrogate: str = "triangle", temperature: float = 3.0,
                 if_reset: str = "subtract"):
        super().__init__()
        if kind not in ("lif", "if"):
            raise ValueError(f"neuron kind {kind!r} is unknown: use 'lif' or 'if'")
        if if_reset not in IF_RESETS:
            raise ValueError(f"if_reset {if_reset!r} is unknown: use one of {IF_RESETS} (LIF always resets to 0)")
        if surrogate not in SURROGATES:
            raise ValueError(f"surrogate {surrogate!r} is unknown: use one of {SURROGATES}")
        self.kind, self.tau, self.width = kind, tau, width
        self.if_reset = if_reset  # IF only: "subtract" v_th or reset to "zero"; LIF resets to 0 (SEENN Eq. 2)
        self.surrogate, self.temperature = surrogate, temperature
        self.v_th = v_th  # float, or a (trainable) tensor for converted SNNs
        self.u_init = u_init  # initial potential as a fraction of v_th (0.5 for QCFS conversion)
        self.time_steps: int | None = None
        self.u: torch.Tensor | None = None

    def extra_repr(self) -> str:
        reset = f", if_reset={self.if_reset}" if self.kind == "if" else ""
        return (f"kind={self.kind}, tau={self.tau}, v_th={self.v_th}, width={self.width}, "
                f"surrogate={self.surrogate}{reset}")

    def set_time(self, time_steps: int | None) -> None:
        self.time_steps = time_steps
        self.u = None

    def reset(self) -> None:
        self.u = None

    def keep(self, mask: torch.Tensor) -> None:
        if self.u is not None:
            self.u = self.u[mask]

    def restart(self, mask: torch.Tensor) -> None:
        """Put the samples where mask is True back at the initial potential (a slot reused in place)."""
        if self.u is not None:
            self.u[mask] = self.u_init * self.v_th

    def grow(self, n: int) -> None:
        """Append n new samples, at the initial potential, to the state (refilling a batch)."""
        if self.u is not None:
            self.u = torch.cat([self.u, self._initial(self.u.new_empty(n, *self.u.shape[1:]))])

    def _step(self, u, x):
        if self.kind == "lif":
            return lif_step(u, x, self.tau, self.v_th, self.width, self.surrogate, self.temperature)
        return if_step(u, x, self.v_th, self.width, self.if_reset)

    def _step_in_place(self, u, x):
        """_step without autograd, updating the state tensor in place: the same arithmetic in the same
        order, so bit-identical spikes, with two fewer activation-sized temporaries (evaluation memory)."""
        if self.kind == "lif":
            charged = u.mul_(self.tau).add_(x)
            fired = charged >= self.v_th if self.surrogate == "dspike" else charged > self.v_th
            return fired.to(x.dtype), u.masked_fill_(fired, 0.0)
        fired = u.add_(x) >= self.v_th
        spike = fired.to(x.dtype)
        return spike, u.sub_(spike * self.v_th) if self.if_reset == "subtract" else u.masked_fill_(fired, 0.0)

    def _initial(self, x):
        return torch.zeros_like(x) + self.u_init * self.v_th

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.time_steps is None:
            u = self._initial(x) if self.u is None else self.u
            spike, self.u = self._step(u, x) if torch.is_grad_enabled() else self._step_in_place(u, x)
            return spike
        x_seq = x.view(self.time_steps, -1, *x.shape[1:])
        backend = neuron_backend(x.device)
        fusable = self.kind == "lif" and self.surrogate == "triangle" and not isinstance(self.v_th, torch.Tensor)
        if backend != "plain" and fusable:
            u0 = self.u_init * self.v_th
            return lif_sequence(x_seq, u0, self.tau, self.v_th, self.width, backend == "compiled").flatten(0, 1)
        u = self._initial(x_seq[0])
        spikes = []
        for x_t in x_seq:
            spike, u = self._step(u, x_t)
            spikes.append(spike)
        return torch.stack(spikes).flatten(0, 1)


# ---- fused multi-step LIF -------------------------------------------------------------------------
# The multi-step path above runs lif_step T times under autograd: ~10 saved tensors per step. The fused
# path computes the same spikes in one loop and saves nothing but its input: the backward loop recomputes
# the charged potentials h_t from x (cheap arithmetic) instead of storing a [T, ...] tensor, which on a
# CPU saves a large allocation, its page faults and a pass over memory. "compiled" hands both loops to
# torch.compile, which turns each into one kernel. Selected with set_neuron_backend (or env
# SEENN_NEURON_BACKEND); "plain" is the reference, and "compiled" falls back to "fused" where
# torch.compile cannot build (no C++ compiler). "auto" (the default): "compiled" on CUDA, "plain" on a CPU.
NEURON_BACKENDS = ("auto", "plain", "fused", "compiled")
_BACKEND = os.environ.get("SEENN_NEURON_BACKEND", "auto")


def neuron_backend(device: torch.device) -> str:
    """The backend multi-step LIF layers use on `device`: the chosen one; under "auto", "compiled" on CUDA
    (one kernel per loop, eager "fused" where torch.compile cannot build) and "plain" on a CPU."""
    if _BACKEND != "auto":
        return _BACKEND
    return "compiled" if device.type == "cuda" else "plain"


def set_neuron_backend(name: str) -> str:
    """Choose how multi-step LIF layers run: 'auto', 'plain' (lif_step loop), 'fused', 'compiled'. Returns
    the previous backend."""
    global _BACKEND
    if name not in NEURON_BACKENDS:
        raise ValueError(f"neuron backend {name!r} is unknown: use one of {NEURON_BACKENDS}")
    previous, _BACKEND = _BACKEND, name
    return previous


def _charged_potentials(x_seq, u0: float, tau: float, v_th: float) -> list:
    """h_t = tau * u_{t-1} + x_t for every t (lif_step's u before the reset), u_t = h_t (1 - H(h_t - V))."""
    u, charged = torch.full_like(x_seq[0], u0), []
    for x_t in x_seq:
        h = tau * u + x_t
        u = h * (h <= v_th).to(h.dtype)
        charged.append(h)
    return charged


def _lif_forward_loop(x_seq, u0: float, tau: float, v_th: float):
    """Spikes [T, ...] of the lif_step loop."""
    return torch.stack([(h > v_th).to(h.dtype) for h in _charged_potentials(x_seq, u0, tau, v_th)])


def _lif_backward_loop(grad_spikes, x_seq, u0: float, tau: float, v_th: float, width: float):
    """Reverse-time gradient of lif_step's chain: with s_t = H(h_t - V), surrogate g_t and
    u_t = h_t (1 - s_t), dL/dh_t = dL/ds_t g_t + dL/du_t ((1 - s_t) - h_t g_t), dL/du_{t-1} = tau dL/dh_t."""
    charged = _charged_potentials(x_seq, u0, tau, v_th)
    grad_u, grads = torch.zeros_like(x_seq[0]), []
    for t in range(len(charged) - 1, -1, -1):
        h = charged[t]
        surrogate = (width - (h - v_th).abs()).clamp(min=0) / (width * width)
        spike = (h - v_th > 0).to(h.dtype)
        grad_h = grad_spikes[t] * surrogate + grad_u * ((1.0 - spike) - h * surrogate)
        grads.append(grad_h)
        grad_u = tau * grad_h
    return torch.stack(grads[::-1])


_COMPILED: dict = {}


def _maybe_compiled(fn, compiled: bool):
    if not compiled or _COMPILED.get(fn) is False:
        return fn
    if fn not in _COMPILED:
        _COMPILED[fn] = torch.compile(fn, dynamic=False)
    return _COMPILED[fn]


def _run(fn, compiled: bool, *args):
    try:
        return _maybe_compiled(fn, compiled)(*args)
    except Exception as err:  # torch.compile needs a working C++ / Triton toolchain; eager always works
        if not compiled or _COMPILED.get(fn) is False:
            raise
        warnings.warn(f"torch.compile of the LIF loop failed ({type(err).__name__}: {err}); "
                      "using the eager fused loop")
        _COMPILED[fn] = False
        return fn(*args)


class _FusedLIF(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x_seq, u0, tau, v_th, width, compiled):
        ctx.save_for_backward(x_seq)
        ctx.params = (u0, tau, v_th, width, compiled)
        return _run(_lif_forward_loop, compiled, x_seq, u0, tau, v_th)

    @staticmethod
    def backward(ctx, grad_spikes):
        (x_seq,) = ctx.saved_tensors
        u0, tau, v_th, width, compiled = ctx.params
        grad = _run(_lif_backward_loop, compiled, grad_spikes, x_seq, u0, tau, v_th, width)
        return grad, None, None, None, None, None


def lif_sequence(x_seq: torch.Tensor, u0: float = 0.0, tau: float = 0.5, v_th: float = 1.0,
                 width: float = 1.0, compiled: bool = False) -> torch.Tensor:
    """T LIF steps on x_seq [T, ...] from potential u0: the spikes [T, ...] of repeated lif_step, with
    the same surrogate gradient, computed by the fused loop (torch.compile'd when `compiled`)."""
    return _FusedLIF.apply(x_seq, float(u0), float(tau), float(v_th), float(width), compiled)
