"""TEAS: per-layer timesteps chosen from spiking activity (anonymous ICLR submission, §3).

- Spiking activity #Act(l) = fired spikes / timesteps (Eq. 2), per layer and per sample, from forward hooks.
- Vulnerable layers (§3.1, Fig. 3): noise added to one layer's input current at a time.
- Spike-train conversion between layers of different T (§3.2, Eq. 3): rate coding (SNN-R) and time coding
  (SNN-T), with a straight-through gradient so the network trains through it.
- Training (§3.3): initial allocation from activity, the regulariser of Eq. 6 in the loss of Eq. 8, periodic
  temporal adjustment, a final adjustment and fine-tuning (Adam, TEAS Table 1).

No official code exists; the choices the paper leaves open are stated where they are made.
"""
from __future__ import annotations

import copy
from contextlib import contextmanager
from dataclasses import asdict, dataclass, replace
from functools import partial
from typing import Sequence

import numpy as np
import pandas as pd
import torch
from scipy.stats import spearmanr
from torch import nn
from tqdm.auto import tqdm

from .artifacts import artifact_dir, load_torch, save_torch
from .config import TrainConfig, get_config
from .conversion import conversion_t_max, convert
from .data import load_datasets, make_loader
from .devices import resolve_device
from .energy import count_ops, summarize_ops
from .layers import SpikingNet, repeat_time
from .neurons import SpikingNeuron
from .train import LOSSES, build_model, run_epoch, seed_everything, subset, train

CODINGS = ("rate", "time")


# ---- spike-train conversion between layers (§3.2, Eq. 3) ---------------------------------------------

def _check_steps(**steps: int) -> None:
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
    _check_steps(t_in=t_in, t_out=t_out)
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
    _check_steps(t_in=t_in, t_out=t_out)
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
    if neuron.kind == "if":  # reset by subtraction: u_pre(t) = u0 + sum_{i<=t} x_i - v_th * sum_{i<t} s_i
        return u + current.cumsum(0) - neuron.v_th * (spikes.cumsum(0) - spikes)
    potentials = []
    for x_t, s_t in zip(current, spikes):  # LIF, hard reset to 0
        u = neuron.tau * u + x_t
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
    _check_steps(t_out=t_out)
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


# ---- activity (Eq. 2) and the per-layer-T network ------------------------------------------------------

def layer_activity(spikes: torch.Tensor) -> torch.Tensor:
    """TEAS Eq. 2 per sample: a layer's fired spikes / timesteps, from its train [T, B, ...] -> [B]."""
    return spikes.flatten(2).sum((0, 2)) / spikes.shape[0]


class TemporalAdaptiveNet(nn.Module):
    """A SpikingNet whose l-th spiking layer (in `snn.neurons()` order) runs time_steps[l] steps.

    The output train of layer l is converted (convert_train) to the T of layer l+1 whenever they differ,
    inside a forward hook, so the wrapped model is unchanged outside this wrapper's forward. The input
    x_seq has time_steps[0] steps (direct encoding: repeat_time(x, net.input_steps)); the output is
    [time_steps[-1], B, C]. Layers whose outputs are added (residual blocks) must share one T.
    After each forward, `activity[l]` holds layer l's spikes/step per sample ([B], differentiable) and
    `neurons_per_layer[l]` its number of neurons, so `activity[l] / neurons_per_layer[l]` is its rate.
    """

    def __init__(self, snn: SpikingNet, time_steps: Sequence[int], coding: str = "rate"):
        super().__init__()
        if not isinstance(snn, SpikingNet):
            raise ValueError(f"TemporalAdaptiveNet wraps a SpikingNet (a registry model), got {type(snn).__name__}")
        if coding not in CODINGS:
            raise ValueError(f"coding must be one of {CODINGS}, got {coding!r}")
        self.snn, self.coding = snn, coding
        self.set_time_steps(time_steps)

    def neurons(self) -> list[SpikingNeuron]:
        return self.snn.neurons()

    def set_time_steps(self, time_steps: Sequence[int]) -> None:
        n_layers = len(self.neurons())
        if len(time_steps) != n_layers:
            raise ValueError(f"need one timestep count per spiking layer ({n_layers}), got {len(time_steps)}")
        _check_steps(**{f"time_steps[{i}]": t for i, t in enumerate(time_steps)})
        self.time_steps = [int(t) for t in time_steps]
        self.activity: list[torch.Tensor | None] = [None] * n_layers
        self.neurons_per_layer: list[int] = [0] * n_layers

    @property
    def input_steps(self) -> int:
        return self.time_steps[0]

    def forward(self, x_seq: torch.Tensor) -> torch.Tensor:
        if x_seq.dim() < 3 or x_seq.shape[0] != self.input_steps:
            raise ValueError(f"expected [T={self.input_steps}, B, ...] (the first layer's T), got shape "
                             f"{tuple(x_seq.shape)}; use repeat_time(x, net.input_steps)")
        batch = x_seq.shape[1]
        neurons = self.neurons()
        for neuron, t in zip(neurons, self.time_steps):
            neuron.set_time(t)
        hooks = [n.register_forward_hook(partial(self._after_layer, layer, batch)) for layer, n in enumerate(neurons)]
        try:
            out = self.snn.body(x_seq.flatten(0, 1))
        except RuntimeError as err:
            if len(set(self.time_steps)) == 1:
                raise
            raise ValueError(f"the network failed with per-layer timesteps {self.time_steps} ({err}); layers "
                             "whose outputs are added (residual blocks) must share one T") from err
        finally:
            for hook in hooks:
                hook.remove()
        return out.view(self.time_steps[-1], batch, *out.shape[1:])

    def _after_layer(self, layer, batch, neuron, inputs, spikes):
        t_in = self.time_steps[layer]
        train = spikes.view(t_in, batch, *spikes.shape[1:])
        self.activity[layer] = layer_activity(train)
        self.neurons_per_layer[layer] = train[0, 0].numel()
        if layer + 1 == len(self.time_steps) or self.time_steps[layer + 1] == t_in:
            return None
        current = inputs[0].view(t_in, batch, *inputs[0].shape[1:])
        potential = fire_potential(neuron, current, train)
        t_out = self.time_steps[layer + 1]
        return convert_train(train, potential, t_out, neuron.v_th, self.coding).flatten(0, 1)

    def rates(self) -> torch.Tensor:
        """[L] batch-mean firing rate of each layer in the last forward (activity / neurons), differentiable."""
        return torch.stack([a.mean() / n for a, n in zip(self.activity, self.neurons_per_layer)])


def layer_names(snn: nn.Module) -> list[str]:
    names = {id(m): name for name, m in snn.named_modules()}
    return [names[id(n)] for n in snn.neurons()]


@torch.no_grad()
def layer_parameters(snn: SpikingNet, x_seq: torch.Tensor) -> list[int]:
    """#Para(l): parameters of the modules that run after spiking layer l-1 and up to spiking layer l, found
    from the execution order of one forward pass (exact for residual blocks too). The classifier after the
    last spiking layer belongs to no spiking layer."""
    order: list[nn.Module] = []
    leaves = [m for m in snn.modules() if not list(m.children())]
    hooks = [m.register_forward_hook(lambda mod, i, o: order.append(mod)) for m in leaves]
    try:
        snn.eval()(x_seq)
    finally:
        for hook in hooks:
            hook.remove()
    counts, pending, seen = [], 0, set()
    for module in order:
        if isinstance(module, SpikingNeuron):
            counts.append(pending)
            pending = 0
        elif id(module) not in seen:
            seen.add(id(module))
            pending += sum(p.numel() for p in module.parameters(recurse=False))
    return counts


@contextmanager
def input_noise(neuron: SpikingNeuron, magnitude: float, seed: int = 0):
    """Add magnitude · N(0, 1) (in units of the input current, V_th = 1 in the smoke models) to one spiking
    layer's input current while the context is open (TEAS §3.1)."""
    if magnitude < 0:
        raise ValueError(f"noise magnitude must be >= 0, got {magnitude}")
    generators: dict = {}

    def add(module, inputs):
        x = inputs[0]
        gen = generators.setdefault(x.device, torch.Generator(device=x.device).manual_seed(seed))
        return (x + magnitude * torch.randn(x.shape, generator=gen, device=x.device, dtype=x.dtype),)

    handle = neuron.register_forward_pre_hook(add)
    try:
        yield
    finally:
        handle.remove()


@torch.no_grad()
def run_adaptive(net: TemporalAdaptiveNet, dataset, device="cpu", batch_size: int = 256,
                 progress: bool = True, desc: str = "TEAS eval") -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Evaluate `net` on a dataset: (correct [N] bool, activity [N, L] spikes/step, neurons [L])."""
    device = resolve_device(device)
    net.to(device).eval()
    correct, activity = [], []
    for x, y in tqdm(make_loader(dataset, batch_size, shuffle=False), desc=desc, disable=not progress, leave=False):
        out = net(repeat_time(x.to(device), net.input_steps))
        correct.append((out.mean(0).argmax(-1) == y.to(device)).cpu())
        activity.append(torch.stack(net.activity, 1).float().cpu())
    return torch.cat(correct), torch.cat(activity), torch.tensor(net.neurons_per_layer)


def activity_table(activity: torch.Tensor, neurons: torch.Tensor, time_steps: Sequence[int],
                   names: Sequence[str] | None = None) -> pd.DataFrame:
    """Tidy per-sample, per-layer table: sample, layer, name, time_steps, neurons, activity (Eq. 2: spikes
    per timestep), rate (activity / neurons: the mean firing probability of a neuron per step)."""
    n, n_layers = activity.shape
    names = names or [f"layer {i}" for i in range(n_layers)]
    return pd.DataFrame({
        "sample": np.repeat(np.arange(n), n_layers),
        "layer": np.tile(np.arange(n_layers), n),
        "name": np.tile(np.asarray(names, dtype=object), n),
        "time_steps": np.tile(np.asarray(time_steps), n),
        "neurons": np.tile(neurons.numpy(), n),
        "activity": activity.flatten().numpy(),
        "rate": (activity / neurons).flatten().numpy(),
    })


def layer_summary(per_sample: pd.DataFrame) -> pd.DataFrame:
    """Per-layer means of an activity_table."""
    keys = ["layer", "name", "time_steps", "neurons"]
    return per_sample.groupby(keys, as_index=False)[["activity", "rate"]].mean()


def rank_correlation(a: Sequence[float], b: Sequence[float]) -> float:
    """Spearman rank correlation (NaN when either side is constant)."""
    if len(a) != len(b) or len(a) < 2:
        raise ValueError(f"rank correlation needs two sequences of equal length >= 2, got {len(a)} and {len(b)}")
    if np.ptp(np.asarray(a, float)) == 0 or np.ptp(np.asarray(b, float)) == 0:
        return float("nan")
    return float(spearmanr(a, b).statistic)


def vulnerability_table(snn: SpikingNet, time_steps: int, dataset, magnitudes: Sequence[float] = (0.1,),
                        device="cpu", batch_size: int = 256, seed: int = 0, progress: bool = True) -> pd.DataFrame:
    """TEAS Fig. 3: for each noise magnitude u and spiking layer, accuracy with noise on that layer's input
    current only, beside the layer's activity in the clean network. One tidy row per (u, layer)."""
    net = TemporalAdaptiveNet(snn, [time_steps] * len(snn.neurons()))
    clean_correct, activity, neurons = run_adaptive(net, dataset, device, batch_size, progress, "clean")
    summary = layer_summary(activity_table(activity, neurons, net.time_steps, layer_names(snn)))
    summary["accuracy_clean"] = clean_correct.float().mean().item() * 100
    tables = []
    for magnitude in magnitudes:
        noisy = []
        for neuron in tqdm(net.neurons(), desc=f"noise u={magnitude}", disable=not progress):
            with input_noise(neuron, magnitude, seed):
                correct, _, _ = run_adaptive(net, dataset, device, batch_size, False)
            noisy.append(correct.float().mean().item() * 100)
        tables.append(summary.assign(noise=magnitude, accuracy_noisy=noisy))
    table = pd.concat(tables, ignore_index=True)
    table["accuracy_drop"] = table.accuracy_clean - table.accuracy_noisy
    return table


# ---- regulariser (Eq. 6), loss (Eq. 8), allocation and adjustment --------------------------------------

def activity_regularizer(activity: torch.Tensor, params: torch.Tensor, eps: float = 1e-6) -> torch.Tensor:
    """TEAS Eq. 6: ℓ_r = Σ_l (Σ_k #Act(k)·#Para(k)) / #Act(l).

    The 1/#Act(l) factors are the per-layer regularisation strengths and are held constant in the
    gradient: differentiating through them would *raise* the activity of quiet layers, against the
    paper's purpose of a weaker penalty on the vulnerable (active) layers."""
    if activity.shape != params.shape or activity.dim() != 1:
        raise ValueError(f"activity and params must both be [L], got {tuple(activity.shape)} and {tuple(params.shape)}")
    weighted = (activity * params).sum()
    return (weighted / activity.detach().clamp(min=eps)).sum()


def teas_loss(outputs: torch.Tensor, target: torch.Tensor, rates: torch.Tensor, params: torch.Tensor,
              lam: float, loss: str = "ce") -> torch.Tensor:
    """TEAS Eq. 8: L = L_CE + λ·ℓ_r, with L_CE the cross-entropy of the mean output (Eq. 7, loss='ce') or
    TET ('tet'), and ℓ_r (Eq. 6) divided by Σ #Para so one λ suits every network size."""
    base = LOSSES[loss](outputs, target)
    if lam == 0:
        return base
    return base + lam * activity_regularizer(rates, params) / params.sum()


def allocate(activity: Sequence[float], t_max: int, ratio: float, t_min: int = 1,
             caps: Sequence[int] | None = None) -> list[int]:
    """Initial allocation (§3.3): the most active layer keeps t_max, layer l gets round(t_max·(a_l/a_max)^γ)
    (at least t_min, at most caps[l] when given), with γ >= 0 the smallest exponent whose mean T is at most
    ratio·t_max; where no γ reaches it, the closest allocation (most active layers at t_max, others at t_min)."""
    _check_steps(t_max=t_max, t_min=t_min)
    if not 0 < ratio <= 1:
        raise ValueError(f"ratio (target mean T / t_max) must be in (0, 1], got {ratio}")
    a = np.asarray(activity, dtype=float)
    if a.ndim != 1 or len(a) == 0 or (a < 0).any() or a.max() == 0:
        raise ValueError(f"activity must be a non-empty list of non-negative numbers with at least one > 0, got {a}")
    relative, target = a / a.max(), ratio * t_max
    upper = t_max if caps is None else np.maximum(np.asarray(caps), t_min)

    def alloc(gamma: float) -> np.ndarray:
        return np.clip(np.floor(t_max * relative ** gamma + 0.5), t_min, upper)

    low, high = 0.0, 1.0
    while alloc(high).mean() > target and high < 1e4:
        low, high = high, high * 2
    for _ in range(60):
        mid = (low + high) / 2
        low, high = (mid, high) if alloc(mid).mean() > target else (low, mid)
    return [int(t) for t in (alloc(0.0) if alloc(0.0).mean() <= target else alloc(high))]


def adjust(current: Sequence[int], activity: Sequence[float], t_max: int, ratio: float, t_min: int = 1) -> list[int]:
    """Temporal adjustment (§3.3): re-allocate from the latest activity toward `ratio`, only ever removing
    timesteps (the least active layers lose the most). The search runs under the current T_l as caps, so a
    layer whose activity rose while it was short does not drag the others below the ratio."""
    return allocate(activity, t_max, ratio, t_min, caps=current)


# ---- training (§3.3) ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class TeasConfig:
    """TEAS-only knobs; the pretrained SNN is the row `experiment` of config.PROFILES[profile]."""
    experiment: str = "teas"
    time_steps: int = 0  # T of every layer before TEAS; 0: the SNN config's (converted SNNs: CONVERSION_T_MAX)
    target_ratio: float = 0.45  # final mean T_l / T
    init_ratio: float = 0.7  # mean T_l / T after the initial allocation
    t_min: int = 1
    lam: float = 0.5  # λ of Eq. 8
    adjust_epochs: int = 2  # training with periodic adjustment (Table 1: lr 5e-4)
    adjust_every: int = 1
    finetune_epochs: int = 1  # after the final adjustment (Table 1: lr 1e-4)
    lr: float = 5e-4
    finetune_lr: float = 1e-4
    batch_size: int = 128
    loss: str = "ce"
    coding: str = "rate"
    train_subset: int = 0  # 0: the pretrained SNN's training subset
    calib_samples: int = 2000  # training samples whose activity sets the initial allocation
    seed: int = 0

    def __post_init__(self):
        if self.time_steps < 0 or self.t_min < 1:
            raise ValueError(f"time_steps must be >= 0 (0: the SNN's own T) and t_min >= 1, got {self.time_steps}, {self.t_min}")
        if not 0 < self.target_ratio <= self.init_ratio <= 1:
            raise ValueError(f"need 0 < target_ratio <= init_ratio <= 1, got {self.target_ratio}, {self.init_ratio}")
        if self.lam < 0:
            raise ValueError(f"lam (λ of Eq. 8) must be >= 0, got {self.lam}")
        if self.adjust_epochs < 0 or self.finetune_epochs < 0 or self.adjust_every < 1:
            raise ValueError("adjust_epochs and finetune_epochs must be >= 0 and adjust_every >= 1, got "
                             f"{self.adjust_epochs}, {self.finetune_epochs}, {self.adjust_every}")
        if self.coding not in CODINGS or self.loss not in LOSSES:
            raise ValueError(f"coding must be one of {CODINGS} and loss one of {sorted(LOSSES)}, "
                             f"got {self.coding!r}, {self.loss!r}")

    def with_(self, **changes) -> "TeasConfig":
        return replace(self, **changes)


TEAS_PROFILES: dict[str, TeasConfig] = {
    # smoke: the regulariser at λ = 0.5 silences the two deeper layers of the 3-layer CNN and costs ~4
    # points; at 0.05 it still shapes the rates at no accuracy cost. Mean T 8 -> 4 (the 2x).
    "smoke": TeasConfig(adjust_epochs=2, finetune_epochs=2, train_subset=6000, calib_samples=1000, lam=0.05,
                        target_ratio=0.5),
    "ci": TeasConfig(adjust_epochs=1, finetune_epochs=1, batch_size=64, calib_samples=200),
    # TEAS Table 1: Adam, lr 5e-4 / 1e-4, 30 retraining epochs after the 150-epoch pretraining
    # TEAS Table 2 VGG-16 CIFAR-10: T = 2048 -> 40.5 on average (ratio 0.02)
    "paper": TeasConfig(experiment="teas_vgg16_cifar10", time_steps=2048, adjust_epochs=30, adjust_every=3,
                        finetune_epochs=30, batch_size=16, calib_samples=10000, target_ratio=0.02,
                        init_ratio=0.1),
}


def get_teas_config(profile: str) -> TeasConfig:
    if profile not in TEAS_PROFILES:
        raise ValueError(f"no TEAS settings for profile {profile!r}; choose one of {sorted(TEAS_PROFILES)}")
    return TEAS_PROFILES[profile]


def _accuracy(net: TemporalAdaptiveNet, dataset, device, batch_size) -> float:
    correct, _, _ = run_adaptive(net, dataset, device, batch_size, progress=False)
    return correct.float().mean().item() * 100


def _mean_rates(net, dataset, device, batch_size) -> np.ndarray:
    _, activity, neurons = run_adaptive(net, dataset, device, batch_size, progress=False, desc="activity")
    return (activity.mean(0) / neurons).numpy()


def _train_epoch(net, loader, opt, params, tcfg: TeasConfig, lam: float, device, desc) -> tuple[float, np.ndarray]:
    """One epoch of Eq. 8; returns the mean loss and the per-layer mean firing rate seen while training."""
    rates = []

    def batch_loss(x, y):
        out = net(repeat_time(x, net.input_steps))
        rate = net.rates()
        rates.append((rate.detach().cpu().numpy(), len(y)))
        return teas_loss(out, y, rate, params, lam, tcfg.loss)
    loss = run_epoch([net], loader, opt, None, batch_loss, device, desc)
    return loss, sum(r * n for r, n in rates) / max(sum(n for _, n in rates), 1)


def teas_dir(cfg: TrainConfig, tcfg: TeasConfig):
    return artifact_dir("teas", {"snn": cfg.to_dict(), "teas": asdict(tcfg)})


def pretrained_snn(cfg: TrainConfig, tcfg: TeasConfig, device, progress: bool = True) -> tuple[SpikingNet, int]:
    """(the SNN TEAS starts from, its T): a directly trained SNN, or the SNN converted from a QCFS ANN."""
    if cfg.model_kw.get("neuron") == "qcfs":
        return convert(train(cfg, device=device, progress=progress)), tcfg.time_steps or conversion_t_max(cfg)
    return copy.deepcopy(train(cfg, device=device, progress=progress)), tcfg.time_steps or cfg.time_steps


def run_teas(profile: str = "smoke", device="cpu", tcfg: TeasConfig | None = None, progress: bool = True) -> dict:
    """The TEAS pipeline on the profile's pretrained SNN (trained first if needed), cached by config.

    Returns a dict of tidy tables: `layers` (per layer: name, neurons, #Para, initial rate, T after the
    initial allocation, without retraining, and final; final rate), `history` (accuracy and mean T per
    epoch), `summary` (one Table 2 row plus the without-retraining accuracy) and `allocation` (final T_l)."""
    tcfg = tcfg or get_teas_config(profile)
    cfg = get_config(profile, tcfg.experiment)
    path = teas_dir(cfg, tcfg) / "result.pt"
    if path.exists():
        return load_torch(path)
    device = resolve_device(device)
    snn, t_max = pretrained_snn(cfg, tcfg, device, progress)
    snn.to(device)
    train_ds, test_ds = load_datasets(cfg.dataset)
    train_ds, test_ds = subset(train_ds, tcfg.train_subset or cfg.train_subset), subset(test_ds, cfg.test_subset)
    n_layers, bs = len(snn.neurons()), tcfg.batch_size
    seed_everything(tcfg.seed)

    net = TemporalAdaptiveNet(snn, [t_max] * n_layers, tcfg.coding).to(device)
    snn_acc = _accuracy(net, test_ds, device, 256)
    rates0 = _mean_rates(net, subset(train_ds, tcfg.calib_samples), device, 256)
    probe = repeat_time(train_ds[0][0].unsqueeze(0).to(device), t_max)
    params = torch.tensor(layer_parameters(snn, probe), dtype=torch.float32, device=device)

    no_retrain = allocate(rates0, t_max, tcfg.target_ratio, tcfg.t_min)
    net.set_time_steps(no_retrain)
    no_retrain_acc = _accuracy(net, test_ds, device, 256)
    initial = allocate(rates0, t_max, tcfg.init_ratio, tcfg.t_min)
    net.set_time_steps(initial)

    history = [{"phase": "initial allocation", "epoch": 0, "accuracy": _accuracy(net, test_ds, device, 256),
                "mean_T": float(np.mean(initial)), "loss": float("nan")}]
    opt = torch.optim.Adam(net.parameters(), lr=tcfg.lr)
    n_adjust = max(1, tcfg.adjust_epochs // tcfg.adjust_every)
    epochs = tqdm(range(tcfg.adjust_epochs + tcfg.finetune_epochs), desc="TEAS", disable=not progress)
    for epoch in epochs:
        finetuning = epoch >= tcfg.adjust_epochs
        if epoch == tcfg.adjust_epochs:  # final adjustment, then fine-tuning at the lower lr
            net.set_time_steps(adjust(net.time_steps, rates, t_max, tcfg.target_ratio, tcfg.t_min)
                               if tcfg.adjust_epochs else no_retrain)
            opt = torch.optim.Adam(net.parameters(), lr=tcfg.finetune_lr)
        loader = make_loader(train_ds, bs, shuffle=True, seed=tcfg.seed + epoch)
        loss, rates = _train_epoch(net, loader, opt, params, tcfg, tcfg.lam, device, f"TEAS epoch {epoch + 1}")
        done = epoch + 1
        if not finetuning and done % tcfg.adjust_every == 0 and done < tcfg.adjust_epochs:
            step = done // tcfg.adjust_every
            ratio = tcfg.init_ratio + (tcfg.target_ratio - tcfg.init_ratio) * step / n_adjust
            net.set_time_steps(adjust(net.time_steps, rates, t_max, ratio, tcfg.t_min))
        history.append({"phase": "fine-tuning" if finetuning else "adjustment", "epoch": done,
                        "accuracy": _accuracy(net, test_ds, device, 256), "mean_T": float(np.mean(net.time_steps)),
                        "loss": loss})
        epochs.set_postfix(acc=f"{history[-1]['accuracy']:.2f}", T=f"{history[-1]['mean_T']:.2f}")

    final_rates = _mean_rates(net, subset(train_ds, tcfg.calib_samples), device, 256)
    layers = pd.DataFrame({"layer": range(n_layers), "name": layer_names(snn), "neurons": net.neurons_per_layer,
                           "params": params.cpu().numpy().astype(int), "rate_initial": rates0,
                           "T_original": t_max, "T_initial": initial, "T_without_retraining": no_retrain,
                           "T_final": net.time_steps, "rate_final": final_rates})
    summary = {"model": cfg.model, "dataset": cfg.dataset, "ann_accuracy": float("nan"), "snn_accuracy": snn_acc,
               "original_T": t_max, "without_retraining_accuracy": no_retrain_acc,
               "without_retraining_T": float(np.mean(no_retrain)), "reduced_accuracy": history[-1]["accuracy"],
               "reduced_T": float(np.mean(net.time_steps)), "lam": tcfg.lam,
               "rank_corr_activity_T": rank_correlation(rates0, net.time_steps)}
    result = {"layers": layers, "history": pd.DataFrame(history), "summary": pd.DataFrame([summary]),
              "allocation": list(net.time_steps), "model": snn.state_dict()}
    save_torch(result, path)
    return result


def teas_network(profile: str = "smoke", device="cpu", tcfg: TeasConfig | None = None) -> TemporalAdaptiveNet:
    """The fine-tuned per-layer-T network of run_teas (from its cache)."""
    tcfg = tcfg or get_teas_config(profile)
    result = run_teas(profile, device, tcfg, progress=False)
    snn, _ = pretrained_snn(get_config(profile, tcfg.experiment), tcfg, device, progress=False)
    snn.load_state_dict(result["model"])
    return TemporalAdaptiveNet(snn, result["allocation"], tcfg.coding).to(resolve_device(device)).eval()


def ann_twin(cfg: TrainConfig) -> nn.Module:
    """The ANN of the same topology: the QCFS ANN itself for a converted SNN, else ReLU for the neurons."""
    if cfg.model_kw.get("neuron") == "qcfs":
        return build_model(cfg)
    return build_model(cfg.with_(model_kw={**cfg.model_kw, "neuron": "relu"}))


@torch.no_grad()
def energy_table(profile: str = "smoke", device="cpu", tcfg: TeasConfig | None = None,
                 samples: int = 256) -> pd.DataFrame:
    """TEAS Fig. 8(a): energy per inference of the ANN twin, the original SNN (every layer at T) and the
    TEAS network, from seenn_lib.energy.count_ops on `samples` test images (MACs at 4.6 pJ for the ANN
    and the SNN's encoding layer, one 0.9 pJ accumulate per arriving spike and synapse elsewhere),
    normalised to the ANN's. One tidy row per network."""
    tcfg = tcfg or get_teas_config(profile)
    cfg = get_config(profile, tcfg.experiment)
    device = resolve_device(device)
    teas_net = teas_network(profile, device, tcfg)
    snn, t_max = pretrained_snn(cfg, tcfg, device, progress=False)
    _, test_ds = load_datasets(cfg.dataset)
    x = next(iter(make_loader(subset(test_ds, cfg.test_subset), samples, shuffle=False)))[0].to(device)
    networks = {"ANN": (ann_twin(cfg).to(device), 1), f"SNN (T = {t_max})": (snn.to(device), t_max),
                "TEAS": (teas_net, teas_net.input_steps)}
    rows = []
    for name, (model, steps) in networks.items():
        totals = summarize_ops(count_ops(model, repeat_time(x, steps)))
        avg_t = float(np.mean(model.time_steps)) if model is teas_net else steps
        rows.append({"network": name, "average_T": avg_t, **totals})
    df = pd.DataFrame(rows)
    df["normalized_energy"] = df.energy_pj / df.energy_pj.iloc[0]
    return df
