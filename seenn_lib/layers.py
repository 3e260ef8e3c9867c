"""Time-first plumbing: [T, B, ...] <-> [T*B, ...] and the base class every spiking model shares."""
from __future__ import annotations

import torch
from torch import nn

from .neurons import SpikingNeuron


def repeat_time(x: torch.Tensor, time_steps: int) -> torch.Tensor:
    """Direct encoding: a static input [B, ...] enters every timestep -> [T, B, ...]."""
    return x.unsqueeze(0).expand(time_steps, *x.shape)


class SpikingNet(nn.Module):
    """A network whose stateless layers see time-folded [T*B, ...] tensors and whose neurons unfold time.

    Subclasses implement `body(x) -> logits` on folded input. They get, for free:
      forward(x_seq [T, B, ...]) -> per-timestep outputs h(x_t), [T, B, C]
      step(x_t [B, ...]) -> h(x_t) [B, C], with state carried between calls
      forward_stepwise(x_seq) -> forward's outputs, one timestep at a time
      reset(), keep(mask), restart(mask) and grow(n) over every neuron's state.
    Networks from elsewhere get the same interface from seenn_lib.adapters.adapt.
    """

    def body(self, x: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def neurons(self) -> list[SpikingNeuron]:
        return [m for m in self.modules() if isinstance(m, SpikingNeuron)]

    def _set_time(self, time_steps: int | None) -> None:
        for n in self.neurons():
            n.set_time(time_steps)

    def forward(self, x_seq: torch.Tensor) -> torch.Tensor:
        if x_seq.dim() < 3:
            raise ValueError(f"expected a time-first input [T, B, ...], got shape {tuple(x_seq.shape)}; "
                             "use seenn_lib.layers.repeat_time(x, T) for a static image batch")
        time_steps, batch = x_seq.shape[:2]
        self._set_time(time_steps)
        out = self.body(x_seq.flatten(0, 1))
        return out.view(time_steps, batch, *out.shape[1:])

    def step(self, x_t: torch.Tensor) -> torch.Tensor:
        neurons = self.neurons()
        if neurons and neurons[0].time_steps is not None:
            self._set_time(None)
        return self.body(x_t)

    def forward_stepwise(self, x_seq: torch.Tensor) -> torch.Tensor:
        """forward(x_seq), computed through step(): no [T*B] activations, so 1/T of the memory, and on a
        CPU the smaller tensors stay in cache (`bench inference`: ~1.5x faster than folded at T = 4).
        The folded forward stays the training path."""
        self.reset()
        try:
            return torch.stack([self.step(x_t) for x_t in x_seq])
        finally:
            self.reset()

    def reset(self) -> None:
        self._set_time(None)

    def keep(self, mask: torch.Tensor) -> None:
        for n in self.neurons():
            n.keep(mask)

    def restart(self, mask: torch.Tensor) -> None:
        """The samples where mask is True back at the initial state (the engine reuses their slots)."""
        for n in self.neurons():
            n.restart(mask)

    def grow(self, n: int) -> None:
        """n new samples appended to the state, at the initial state (the engine refills a shrunken batch)."""
        for neuron in self.neurons():
            neuron.grow(n)
