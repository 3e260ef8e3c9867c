"""Networks from elsewhere as SpikingNets: `adapt(model)` gives a network the engine, collect_logits, SEENN-I/II,
calibration, energy (count_ops) and TEAS's activity analysis accept, like a registry model.

SpikingJelly (`spikingjelly.activation_based`), single-step ('s') or multi-step ('m') mode: the state is what
its MemoryModules keep (`v` of every neuron, and any other registered memory), each with the batch as its first
dimension; reset is SpikingJelly's own `functional.reset_net`. In 'm' mode one step is a [1, B, ...] sequence,
and `forward(x_seq)` is SpikingJelly's own multi-step forward.

A plain PyTorch module follows this protocol instead:
    step(x_t [B, ...]) -> outputs h(x_t) [B, C]   one timestep; the module carries its state between calls
    reset()                                       forget all state: the next step starts a new batch
    keep(mask [B] bool)                           drop the samples where mask is False from every state
  optional:
    restart(mask [B] bool), grow(n)               samples where mask is True back at the initial state; n new
                                                  samples appended at it (the engine's refill; without them,
                                                  run_engine(..., refill=False))
    neurons() -> list of modules                  its spiking layers, for energy and TEAS activity (they must be
                                                  ours or SpikingJelly's IF / LIF / ParametricLIF)
"""
from __future__ import annotations

import torch
from torch import nn

from .layers import SpikingNet
from .neurons import SpikingNeuron

try:  # SpikingJelly is optional (extras dev / bench / dvs): without it, protocol modules still adapt
    from spikingjelly.activation_based import base as sj_base
    from spikingjelly.activation_based import functional as sj_functional
    from spikingjelly.activation_based import neuron as sj_neuron
    SJ_NEURONS = (sj_neuron.IFNode, sj_neuron.LIFNode, sj_neuron.ParametricLIFNode)
except ImportError:
    sj_base = sj_functional = sj_neuron = None
    SJ_NEURONS = ()

PROTOCOL = ("step", "reset", "keep")
REFILL = ("restart", "grow")


def memory_modules(model: nn.Module) -> list[nn.Module]:
    """SpikingJelly's stateful modules (neurons and any other MemoryModule) inside `model`."""
    if sj_base is None:
        return []
    return [m for m in model.modules() if isinstance(m, sj_base.MemoryModule)]


def is_neuron(module: nn.Module) -> bool:
    """Ours, or a SpikingJelly MemoryModule with a membrane potential `v` (any neuron type, known or not)."""
    if isinstance(module, SpikingNeuron):
        return True
    return sj_base is not None and isinstance(module, sj_base.MemoryModule) and "v" in module._memories


def known_neurons(neurons: list[nn.Module], purpose: str) -> list[nn.Module]:
    """`neurons`, after checking that each emits 0/1 spikes that `purpose` can count: ours, SpikingJelly's
    IFNode, LIFNode, ParametricLIFNode (exact types: a subclass may emit something else)."""
    unknown = sorted({type(n).__name__ for n in neurons
                      if not isinstance(n, SpikingNeuron) and type(n) not in SJ_NEURONS})
    if unknown:
        known = ["SpikingNeuron"] + [c.__name__ for c in SJ_NEURONS]
        raise ValueError(f"{purpose} does not know the neuron type(s) {unknown}, so it cannot read their output as "
                         f"spikes; it knows {known}. Use one of those, or count this network by hand")
    return neurons


def threshold(neuron: nn.Module):
    """A neuron's firing threshold: ours `v_th`, SpikingJelly's `v_threshold`."""
    for name in ("v_th", "v_threshold"):
        if hasattr(neuron, name):
            return getattr(neuron, name)
    raise ValueError(f"{type(neuron).__name__} has no firing threshold (v_th or v_threshold)")


class AdaptedNet(SpikingNet):
    """A network from elsewhere behind the SpikingNet interface (forward, step, forward_stepwise, reset, keep,
    restart, grow, neurons). `model` is the wrapped network."""

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model

    def forward(self, x_seq: torch.Tensor) -> torch.Tensor:
        if x_seq.dim() < 3:
            raise ValueError(f"expected a time-first input [T, B, ...], got shape {tuple(x_seq.shape)}; "
                             "use seenn_lib.layers.repeat_time(x, T) for a static image batch")
        return self.forward_stepwise(x_seq)

    def _set_time(self, time_steps: int | None) -> None:
        """Nothing to fold: an adapted network runs one step at a time (or its own multi-step forward)."""


class SpikingJellyNet(AdaptedNet):
    """A SpikingJelly network, all of whose step-mode modules share one step mode ('s' or 'm')."""

    def __init__(self, model: nn.Module, step_mode: str):
        super().__init__(model)
        self.step_mode = step_mode
        self._stateful = memory_modules(model)
        self._neurons = [m for m in self._stateful if is_neuron(m)]

    def neurons(self) -> list[nn.Module]:
        return self._neurons

    def forward(self, x_seq: torch.Tensor) -> torch.Tensor:
        """'m': SpikingJelly's own multi-step forward on [T, B, ...] from a fresh state; 's': step by step."""
        if self.step_mode == "s":
            return super().forward(x_seq)
        self.reset()
        try:
            return self._checked(self.model(x_seq), x_seq.shape[:2])
        finally:
            self.reset()

    def step(self, x_t: torch.Tensor) -> torch.Tensor:
        if self.step_mode == "s":
            return self._checked(self._run(x_t), x_t.shape[:1])
        return self._checked(self._run(x_t.unsqueeze(0)), (1, x_t.shape[0]))[0]

    def _run(self, x: torch.Tensor) -> torch.Tensor:
        try:
            return self.model(x)
        except RuntimeError as err:  # e.g. a plain torch layer fed [T, B, ...] in step mode 'm'
            raise ValueError(f"{type(self.model).__name__} failed in step mode '{self.step_mode}' on input "
                             f"{tuple(x.shape)} ({err}); the adapter needs every layer to take that mode's input: "
                             "build it from spikingjelly.activation_based.layer, or "
                             "functional.set_step_mode(model, 's')") from err

    def _checked(self, out: torch.Tensor, leading: tuple) -> torch.Tensor:
        if not isinstance(out, torch.Tensor) or tuple(out.shape[:len(leading)]) != tuple(leading) \
                or out.dim() != len(leading) + 1:
            shape = tuple(out.shape) if isinstance(out, torch.Tensor) else type(out).__name__
            raise ValueError(f"{type(self.model).__name__} in step mode '{self.step_mode}' returned {shape}; the "
                             f"adapter needs outputs {[*leading, 'C']} (is the model in the step mode it was built "
                             "for? functional.set_step_mode(model, 'm') switches every module)")
        return out

    def reset(self) -> None:
        sj_functional.reset_net(self.model)

    def keep(self, mask: torch.Tensor) -> None:
        self._update_state(mask, lambda state, initial: state[mask])

    def restart(self, mask: torch.Tensor) -> None:
        def refilled(state, initial):
            state[mask] = initial
            return state
        self._update_state(mask, refilled, history=False)

    def grow(self, n: int) -> None:
        self._update_state(None, lambda state, initial: torch.cat([state, initial.expand(n, *state.shape[1:])]),
                           history=False)

    def _update_state(self, mask: torch.Tensor | None, change, history: bool = True) -> None:
        """Apply `change(state, initial value)` to every tensor state of every MemoryModule; a neuron's recorded
        v_seq [T, B, ...] follows a keep (history) and is dropped otherwise (its rows would mix samples)."""
        for module in self._stateful:
            for name, state in module._memories.items():
                if isinstance(state, torch.Tensor):
                    _check_batch(module, name, state, mask)
                    initial = torch.as_tensor(module._memories_rv[name], dtype=state.dtype, device=state.device)
                    module._memories[name] = change(state, initial)
            if isinstance(getattr(module, "v_seq", None), torch.Tensor):
                module.v_seq = module.v_seq[:, mask] if history else None


def _check_batch(module: nn.Module, name: str, state: torch.Tensor, mask: torch.Tensor | None) -> None:
    if state.dim() == 0 or (mask is not None and state.shape[0] != mask.shape[0]):
        batch = "the batch" if mask is None else f"the batch of {mask.shape[0]}"
        raise ValueError(f"{type(module).__name__}.{name} has shape {tuple(state.shape)}, not one row per sample "
                         f"of {batch}; the adapter needs every state a SpikingJelly module keeps to have the batch "
                         "as its first dimension")


class ProtocolNet(AdaptedNet):
    """A plain module that follows the step / reset / keep protocol (see the module's docstring)."""

    def step(self, x_t: torch.Tensor) -> torch.Tensor:
        return self.model.step(x_t)

    def reset(self) -> None:
        self.model.reset()

    def keep(self, mask: torch.Tensor) -> None:
        self.model.keep(mask)

    def restart(self, mask: torch.Tensor) -> None:
        self._refill_method("restart")(mask)

    def grow(self, n: int) -> None:
        self._refill_method("grow")(n)

    def _refill_method(self, name: str):
        if not hasattr(self.model, name):
            raise ValueError(f"{type(self.model).__name__} offers no {name}(), which the engine's refill needs; "
                             "add restart(mask) and grow(n), or run the engine with refill=False")
        return getattr(self.model, name)

    def neurons(self) -> list[nn.Module]:
        if hasattr(self.model, "neurons"):
            return list(self.model.neurons())
        return [m for m in self.model.modules() if is_neuron(m)]


def step_mode(model: nn.Module) -> str:
    """The one step mode of a SpikingJelly network's step-mode modules; mixed modes are an error."""
    modes: dict[str, list[str]] = {}
    for name, module in model.named_modules():
        if sj_base is not None and isinstance(module, sj_base.StepModule):
            modes.setdefault(module.step_mode, []).append(name or type(module).__name__)
    if len(modes) != 1:
        found = {mode: names[:3] + (["..."] if len(names) > 3 else []) for mode, names in modes.items()}
        raise ValueError(f"{type(model).__name__} mixes step modes {found}; the adapter needs one: "
                         "spikingjelly.activation_based.functional.set_step_mode(model, 's' or 'm')")
    return next(iter(modes))


def adapt(model: nn.Module) -> SpikingNet:
    """`model` as a SpikingNet: a SpikingNet as it is; a SpikingJelly activation_based network (single- or
    multi-step mode); or a plain module with step / reset / keep (the protocol above)."""
    if isinstance(model, SpikingNet):
        return model
    if any(is_neuron(m) for m in memory_modules(model)):
        return SpikingJellyNet(model, step_mode(model))
    if all(callable(getattr(model, name, None)) for name in PROTOCOL):
        return ProtocolNet(model)
    missing = [name for name in PROTOCOL if not callable(getattr(model, name, None))]
    sj = "" if sj_base is not None else " (SpikingJelly is not installed here)"
    raise ValueError(f"{type(model).__name__} has no SpikingJelly neurons{sj} and no {missing} methods; the adapter "
                     "needs a spikingjelly.activation_based network or a module with step(x_t), reset() and "
                     "keep(mask) (see seenn_lib.adapters)")
