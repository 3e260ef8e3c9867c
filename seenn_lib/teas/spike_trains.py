"""TEAS §3.2: converting a layer's spike train to the timestep count of the next layer (Eq. 3), rate coding
(SNN-R) and time coding (SNN-T), with a straight-through gradient so the network trains through it."""
from __future__ import annotations

import torch

from ..config import CODINGS
from ..neurons import SpikingNeuron


def check_steps(**steps: int) -> None:
    for name, t in steps.items():
        if int(t) != t or t < 1:
            raise ValueError(f"{name} must be an integer number of timesteps >= 1, got {t}")


def _round_half_up(x: torch.Tensor) -> torch.Tensor:
    """round() of the paper, with halves going up (torch.round would send 2.5 to 2)."""
    return torch.floor(x + 0.5)


def _as_float(x) -> torch.Tensor:
    x = torch.as_tensor(x)
    return x if x.is_floating_point() else x.float()


def rate_convert(count, v_fire_mean, t_in: int, t_out: int, v_th=1.0) -> torch.Tensor:
    """SNN-R (TEAS Eq. 3): a neuron that fired `count` times in t_in steps, at mean firing potential
    V̄_fire, sends round(t_out/t_in · (count + 1 − v_th/V̄_fire)) leading spikes of a t_out-step train,
    clamped to [0, t_out]; a silent neuron stays silent. The 1 − v_th/V̄_fire term places the integer
    count in the continuous [count, count + 1): a higher firing potential means a stronger input."""
    check_steps(t_in=t_in, t_out=t_out)
    count = _as_float(count)
    if (count < 0).any() or (count > t_in).any():
        raise ValueError(f"spike counts must lie in [0, t_in={t_in}], got values in "
                         f"[{count.min().item()}, {count.max().item()}]")
    fired = count > 0
    v_fire = torch.where(fired, _as_float(v_fire_mean).to(count), torch.ones_like(count))
    stretched = count + 1 - v_th / v_fire
    out = _round_half_up(t_out / t_in * stretched).clamp(0, t_out)
    return torch.where(fired, out, torch.zeros_like(out))


def time_convert(first_step, v_fire, t_in: int, t_out: int, v_th=1.0) -> torch.Tensor:
    """SNN-T (TEAS Eq. 3): the single spike of a neuron at 0-based step x, fired at potential V_fire, sits
    at continuous time x̃ = x + v_th/V_fire in (x, x + 1] (a strong input crosses the threshold early in
    the step); it moves to step round(t_out/t_in · x̃) − 1 of the t_out-step train, clamped to
    [0, t_out − 1]. first_step = −1 (no spike) stays −1."""
    check_steps(t_in=t_in, t_out=t_out)
    first_step = _as_float(first_step)
    if (first_step < -1).any() or (first_step >= t_in).any():
        raise ValueError(f"first spike steps must lie in 0..{t_in - 1} (or -1 for no spike), got values in "
                         f"[{first_step.min().item()}, {first_step.max().item()}]")
    fired = first_step >= 0
    v_fire = torch.where(fired, _as_float(v_fire).to(first_step), torch.ones_like(first_step))
    continuous = first_step + v_th / v_fire
    out = (_round_half_up(t_out / t_in * continuous) - 1).clamp(0, t_out - 1)
    return torch.where(fired, out, -torch.ones_like(out))


def _steps_like(t_out: int, like: torch.Tensor) -> torch.Tensor:
    return torch.arange(t_out, device=like.device, dtype=like.dtype).view(-1, *([1] * like.dim()))


def leading_train(count: torch.Tensor, t_out: int) -> torch.Tensor:
    """[t_out, ...] train with spikes at the first `count` steps."""
    return (_steps_like(t_out, count) < count).to(count.dtype)


def single_spike_train(step: torch.Tensor, t_out: int) -> torch.Tensor:
    """[t_out, ...] train with one spike at `step` (none where step is -1)."""
    return (_steps_like(t_out, step) == step).to(step.dtype)


@torch.no_grad()
def fire_potential(neuron: SpikingNeuron, current: torch.Tensor, spikes: torch.Tensor) -> torch.Tensor:
    """The membrane potential of each step before firing and reset, [T, ...], rebuilt from the neuron's
    input current [T, ...] and output spikes [T, ...] (the neuron itself keeps only the post-reset state)."""
    u = torch.zeros_like(current[0]) + neuron.u_init * neuron.v_th
    if neuron.kind == "if" and neuron.if_reset == "subtract":  # u_pre(t) = u0 + Σ_{i<=t} x_i − v_th·Σ_{i<t} s_i
        return u + current.cumsum(0) - neuron.v_th * (spikes.cumsum(0) - spikes)
    tau = neuron.tau if neuron.kind == "lif" else 1.0
    potentials = []
    for x_t, s_t in zip(current, spikes):  # hard reset to 0 (LIF, or IF with if_reset="zero")
        u = tau * u + x_t
        potentials.append(u)
        u = u * (1 - s_t)
    return torch.stack(potentials)


def convert_train(spikes: torch.Tensor, potential: torch.Tensor, t_out: int, v_th=1.0,
                  coding: str = "rate") -> torch.Tensor:
    """Convert a [t_in, ...] spike train (with its pre-reset potentials) into a [t_out, ...] train.

    Forward: SNN-R leading spikes (rate_convert) or the moved single first spike (time_convert).
    Backward: straight-through as if the output train were the input's firing rate at every step, so each
    input spike receives (1/t_in) · Σ_j dL/d out_j: the gradient of the linear map count·t_out/t_in."""
    if coding not in CODINGS:
        raise ValueError(f"coding must be one of {CODINGS}, got {coding!r}")
    check_steps(t_out=t_out)
    t_in = spikes.shape[0]
    if t_in == t_out:  # same T: the train passes unchanged (§3.2)
        return spikes
    with torch.no_grad():
        if coding == "rate":
            count = spikes.sum(0)
            v_fire_mean = (potential * spikes).sum(0) / count.clamp(min=1)
            hard = leading_train(rate_convert(count, v_fire_mean, t_in, t_out, v_th), t_out)
        else:
            fired = spikes.any(0)
            first = spikes.argmax(0)  # argmax returns the first maximum
            v_fire = potential.gather(0, first.unsqueeze(0)).squeeze(0)
            step = time_convert(torch.where(fired, first, -1), v_fire, t_in, t_out, v_th)
            hard = single_spike_train(step.to(spikes.dtype), t_out)
    soft = spikes.mean(0, keepdim=True).expand(t_out, *spikes.shape[1:])
    return hard + (soft - soft.detach())
