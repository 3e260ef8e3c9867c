"""The per-layer-T network (TEAS §3): layer activity (Eq. 2), TemporalAdaptiveNet, #Para(l), noise on one
layer's input current (§3.1), and evaluating such a network on a dataset."""
from __future__ import annotations

from contextlib import contextmanager
from functools import partial
from typing import Sequence

import torch
from torch import nn
from tqdm.auto import tqdm

from ..adapters import AdaptedNet, threshold
from ..config import ACTIVITY_MEASURES, CODINGS
from ..data import make_loader
from ..devices import place, resolve_device
from ..layers import SpikingNet, repeat_time
from ..neurons import SpikingNeuron
from .spike_trains import check_steps, convert_train, fire_potential


def layer_activity(spikes: torch.Tensor) -> torch.Tensor:
    """TEAS Eq. 2 per sample: a layer's fired spikes / timesteps, from its train [T, B, ...] -> [B]."""
    return spikes.flatten(2).sum((0, 2)) / spikes.shape[0]


def activity_measure(activity: torch.Tensor, neurons, measure: str = "eq2") -> torch.Tensor:
    """#Act(l) as TeasConfig.activity defines it, from Eq. 2 activity [..., L] and neurons per layer [L]:
    "eq2" the activity itself (fired spikes of the whole layer per timestep, the paper's definition), "rate"
    activity / neurons (the firing probability of one neuron per step, blind to the layer's size)."""
    if measure not in ACTIVITY_MEASURES:
        raise ValueError(f"activity measure must be one of {ACTIVITY_MEASURES}, got {measure!r}")
    if measure == "eq2":
        return activity
    return activity / torch.as_tensor(neurons, dtype=activity.dtype, device=activity.device)


def time_groups(snn: nn.Module) -> list[int]:
    """A group id per spiking layer (snn.neurons() order): layers whose trains meet at a residual sum (a block's
    same_time_neurons(), or the neurons inside them, as a converted SNN wraps its IF neurons) share their first
    member's id and must run one T; the others have their own."""
    index = {id(n): i for i, n in enumerate(snn.neurons())}
    groups = list(range(len(index)))
    for module in snn.modules():
        if hasattr(module, "same_time_neurons"):
            first, *rest = [index[id(n)] for m in module.same_time_neurons() for n in m.modules() if id(n) in index]
            for layer in rest:
                groups[layer] = groups[first]
    return groups


class TemporalAdaptiveNet(nn.Module):
    """A SpikingNet whose l-th spiking layer (in `snn.neurons()` order) runs time_steps[l] steps.

    The output train of layer l is converted (convert_train) to the T of layer l+1 whenever they differ,
    inside a forward hook, so the wrapped model is unchanged outside this wrapper's forward. The input
    x_seq has time_steps[0] steps (direct encoding: repeat_time(x, net.input_steps)); the output is
    [time_steps[-1], B, C]. Layers whose trains meet at a residual sum (`groups`, time_groups) run one T.
    After each forward, `activity[l]` holds layer l's spikes/step per sample (Eq. 2, [B], differentiable) and
    `neurons_per_layer[l]` its number of neurons; mean_activity(measure) gives their batch means.
    """
    # devices.place keeps it in NCHW: the trains converted between layers meet the layers' saved tensors in
    # other layouts, and in channels_last training and evaluation ran 1.3x slower (smoke TEAS CNN, T 8/4/4)
    prefers_nchw = True

    def __init__(self, snn: SpikingNet, time_steps: Sequence[int], coding: str = "rate"):
        super().__init__()
        if not isinstance(snn, SpikingNet):
            raise ValueError(f"TemporalAdaptiveNet wraps a SpikingNet (a registry model), got {type(snn).__name__}")
        if coding not in CODINGS:
            raise ValueError(f"coding must be one of {CODINGS}, got {coding!r}")
        self.snn, self.coding, self.groups = snn, coding, time_groups(snn)
        self.set_time_steps(time_steps)

    def neurons(self) -> list[SpikingNeuron]:
        return self.snn.neurons()

    def set_time_steps(self, time_steps: Sequence[int]) -> None:
        n_layers = len(self.neurons())
        if len(time_steps) != n_layers:
            raise ValueError(f"need one timestep count per spiking layer ({n_layers}), got {len(time_steps)}")
        check_steps(**{f"time_steps[{i}]": t for i, t in enumerate(time_steps)})
        split = [(g, i) for i, g in enumerate(self.groups) if time_steps[i] != time_steps[g]]  # g: first member
        if split:
            raise ValueError(f"layers {split[0]} meet at a residual sum and must run one T, got time_steps "
                             f"{list(time_steps)}; allocate with groups=net.groups")
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
                             "whose outputs are added must share one T (a block's same_time_neurons)") from err
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

    def mean_activity(self, measure: str = "eq2") -> torch.Tensor:
        """[L] batch mean of each layer's #Act(l) in the last forward (activity_measure), differentiable."""
        return activity_measure(torch.stack([a.mean() for a in self.activity]), self.neurons_per_layer, measure)


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
def input_noise(neuron: nn.Module, magnitude: float, seed: int = 0):
    """Add magnitude · V_th · N(0, 1) to one spiking layer's input current (ours or SpikingJelly's) while the
    context is open (TEAS §3.1): the noise is in units of that layer's firing threshold, so a converted SNN
    (V_th = λ, one per layer) and a directly trained one (V_th = 1) see the same relative disturbance at the
    same magnitude."""
    if magnitude < 0:
        raise ValueError(f"noise magnitude must be >= 0, got {magnitude}")
    generators: dict = {}
    v_th = threshold(neuron)

    def add(module, inputs):
        x = inputs[0]
        gen = generators.setdefault(x.device, torch.Generator(device=x.device).manual_seed(seed))
        noise = torch.randn(x.shape, generator=gen, device=x.device, dtype=x.dtype)
        return (x + noise * (magnitude * v_th),)

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
    place(net, device).eval()
    correct, activity = [], []
    for x, y in tqdm(make_loader(dataset, batch_size, shuffle=False), desc=desc, disable=not progress, leave=False):
        out = net(repeat_time(x.to(device), net.input_steps))
        correct.append((out.mean(0).argmax(-1) == y.to(device)).cpu())
        activity.append(torch.stack(net.activity, 1).float().cpu())
    return torch.cat(correct), torch.cat(activity), torch.tensor(net.neurons_per_layer)


@torch.no_grad()
def run_stepwise(net: AdaptedNet, time_steps: int, dataset, device="cpu", batch_size: int = 256,
                 progress: bool = True, desc: str = "activity") -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """run_adaptive for an adapted network (seenn_lib.adapters), every layer at `time_steps`, through its own
    forward: (correct [N] bool, activity [N, L] spikes/step (Eq. 2), neurons [L]), from hooks on net.neurons()."""
    device = resolve_device(device)
    place(net, device).eval()
    neurons = net.neurons()
    time_major = getattr(net, "step_mode", "s") == "m"  # a multi-step neuron emits [T, B, ...] in one call
    correct, activity, sizes = [], [], [0] * len(neurons)
    for x, y in tqdm(make_loader(dataset, batch_size, shuffle=False), desc=desc, disable=not progress, leave=False):
        spikes = torch.zeros(len(x), len(neurons), device=device)

        def count(layer, module, inputs, out):
            per_sample = out.flatten(2).sum((0, 2)) if time_major else out.flatten(1).sum(1)
            spikes[:, layer] += per_sample
            sizes[layer] = out[0, 0].numel() if time_major else out[0].numel()
        hooks = [n.register_forward_hook(partial(count, layer)) for layer, n in enumerate(neurons)]
        try:
            out = net(repeat_time(x.to(device), time_steps))
        finally:
            for hook in hooks:
                hook.remove()
        correct.append((out.mean(0).argmax(-1) == y.to(device)).cpu())
        activity.append((spikes / time_steps).cpu())
    return torch.cat(correct), torch.cat(activity), torch.tensor(sizes)


def run_fixed_t(snn: SpikingNet, time_steps: int, dataset, device="cpu", batch_size: int = 256,
                progress: bool = True, desc: str = "activity") -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(correct, activity [N, L], neurons [L]) with every spiking layer at `time_steps`: a registry model through
    TemporalAdaptiveNet (run_adaptive), an adapted network step by step (run_stepwise)."""
    if isinstance(snn, AdaptedNet):
        return run_stepwise(snn, time_steps, dataset, device, batch_size, progress, desc)
    net = TemporalAdaptiveNet(snn, [time_steps] * len(snn.neurons()))
    return run_adaptive(net, dataset, device, batch_size, progress, desc)
