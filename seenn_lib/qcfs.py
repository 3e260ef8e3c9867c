"""The QCFS activation of the ANN and its spiking counterpart (SEENN §4.1; Bu et al., ICLR 2022).

The ANN is trained with the quantization-clip-floor-shift activation

    h(x) = λ · clamp(floor(x·L/λ + 1/2) / L, 0, 1)          (L quantization levels, trainable λ per layer)

whose floor gets a straight-through gradient. Its spiking counterpart is an IF neuron (τ = 1, reset by
subtraction) with threshold λ and initial potential λ/2 whose spikes carry λ: for constant input x it fires
floor(T·x/λ + 1/2) times in T steps (clamped to [0, T]), so at T = L its rate × λ is h(x). A reset to 0
(if_reset="zero", TEAS Table 1's V_reset = 0) drops the residue instead: in the long run a rate of
1/ceil(λ/x), not x/λ. seenn_lib.conversion swaps the one for the other.
"""
from __future__ import annotations

import torch
from torch import nn

from .neurons import SpikingNeuron


def floor_ste(x: torch.Tensor) -> torch.Tensor:
    """floor(x) forward, identity backward (straight-through estimator)."""
    return x + (x.floor() - x).detach()


DEFAULT_THRESHOLD = 8.0  # λ's initial value in the QCFS code (its authors start CIFAR at 4)


class QCFS(nn.Module):
    """Quantization-clip-floor-shift activation with a trainable threshold λ (one scalar per layer).

    Computed as in the QCFS code: clamp(x/λ, 0, 1) first, then the shifted floor, so that
    d h/d x = 1 on (0, λ) and 0 outside, and d h/d λ = h/λ - x/λ on (0, λ), 1 above λ, 0 below 0.
    """

    def __init__(self, levels: int = 4, threshold: float = DEFAULT_THRESHOLD):
        super().__init__()
        if int(levels) != levels or levels < 1:
            raise ValueError(f"QCFS levels (the quantization step L) must be an integer >= 1, got {levels}")
        if not threshold > 0:
            raise ValueError(f"QCFS threshold λ must be > 0, got {threshold}")
        self.levels = int(levels)
        self.threshold = nn.Parameter(torch.tensor(float(threshold)))

    def extra_repr(self) -> str:
        return f"levels={self.levels}, threshold={self.threshold.item():.4g}"

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        unit = (x / self.threshold).clamp(0, 1)
        return self.threshold * floor_ste(unit * self.levels + 0.5) / self.levels


class ConvertedIF(SpikingNeuron):
    """The IF neuron that replaces a QCFS: threshold λ (a buffer, so it follows .to(device) and is saved
    in the state dict), initial potential λ/2. Emits binary spikes like every SpikingNeuron."""

    def __init__(self, threshold: torch.Tensor, u_init: float = 0.5, if_reset: str = "subtract"):
        super().__init__(kind="if", u_init=u_init, if_reset=if_reset)
        del self.v_th  # the float default of SpikingNeuron, replaced by the layer's λ
        self.register_buffer("v_th", threshold.detach().clone().float())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.time_steps is None or torch.is_grad_enabled():
            return super().forward(x)
        return self._spikes_in_place(x.view(self.time_steps, -1, *x.shape[1:])).flatten(0, 1)

    def _spikes_in_place(self, x_seq: torch.Tensor) -> torch.Tensor:
        """The spikes of the if_step loop, bit for bit, without autograd's temporaries: converted SNNs run
        tens of steps at inference only, where the neuron loop dominates the cost."""
        u = torch.empty_like(x_seq[0]).fill_(self.u_init * self.v_th)
        spikes = torch.empty_like(x_seq)
        fired = torch.empty_like(x_seq[0], dtype=torch.bool)
        for x_t, spike in zip(x_seq, spikes):
            u.add_(x_t)
            torch.ge(u, self.v_th, out=fired)
            spike.copy_(fired)
            if self.if_reset == "subtract":
                u.addcmul_(spike, self.v_th, value=-1)
            else:
                u.masked_fill_(fired, 0.0)
        return spikes


class SpikingQCFS(nn.Module):
    """Drop-in for a QCFS layer in the converted SNN: IF spikes scaled by λ (a spike carries λ of charge,
    which is what the next layer's weights were trained to receive)."""

    def __init__(self, threshold: torch.Tensor, u_init: float = 0.5, if_reset: str = "subtract"):
        super().__init__()
        self.neuron = ConvertedIF(threshold, u_init, if_reset)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.neuron(x) * self.neuron.v_th
