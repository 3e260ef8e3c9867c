import math

import pytest
import torch

from seenn_lib.layers import repeat_time
from seenn_lib.models import create_model
from seenn_lib.neurons import SpikingNeuron, if_step, lif_step, spike_fn


def test_lif_hand_trajectory():
    # tau = 0.5, V = 1: u = 0.6 -> 0.9 -> 1.05 (fire, reset to 0) -> 0.6; fires only when u > 1.
    u = torch.zeros(1)
    spikes, us = [], []
    for _ in range(4):
        s, u = lif_step(u, torch.tensor([0.6]))
        spikes.append(s.item())
        us.append(u.item())
    assert spikes == [0.0, 0.0, 1.0, 0.0]
    assert torch.allclose(torch.tensor(us), torch.tensor([0.6, 0.9, 0.0, 0.6]))
    s, _ = lif_step(torch.zeros(1), torch.ones(1))  # u == V exactly: no spike (strict >)
    assert s.item() == 0.0


def test_if_resets_by_subtraction_and_fires_at_threshold():
    u = torch.zeros(1)
    out = []
    for _ in range(4):
        s, u = if_step(u, torch.tensor([0.7]))
        out.append((s.item(), round(u.item(), 6)))
    assert out == [(0.0, 0.7), (1.0, 0.4), (1.0, 0.1), (0.0, 0.8)]
    s, u = if_step(torch.zeros(1), torch.ones(1))
    assert s.item() == 1.0 and u.item() == 0.0


def test_if_reset_to_zero_drops_the_residue():
    # x = 0.7, V = 1: u = 0.7, 1.4 (fire, reset to 0), 0.7, 1.4 (fire) -> spikes 0 1 0 1; by subtraction 0 1 1 0
    u, out = torch.zeros(1), []
    for _ in range(4):
        s, u = if_step(u, torch.tensor([0.7]), reset="zero")
        out.append((s.item(), round(u.item(), 6)))
    assert out == [(0.0, 0.7), (1.0, 0.0), (0.0, 0.7), (1.0, 0.0)]
    neuron = SpikingNeuron("if", if_reset="zero")
    neuron.set_time(4)
    x = torch.full((4, 1), 0.7)
    assert neuron(x).flatten().tolist() == [0, 1, 0, 1]
    with torch.no_grad():  # the in-place evaluation path
        assert neuron(x).flatten().tolist() == [0, 1, 0, 1]
    with pytest.raises(ValueError, match="if_reset"):
        SpikingNeuron("if", if_reset="soft")


def test_triangle_surrogate_gradient():
    x = torch.tensor([-1.5, -0.5, 0.0, 0.25, 2.0], requires_grad=True)
    spike_fn(x, 1.0).sum().backward()
    assert torch.allclose(x.grad, torch.tensor([0.0, 0.5, 1.0, 0.75, 0.0]))
    x2 = torch.tensor([0.0, 1.0], requires_grad=True)
    spike_fn(x2, 2.0).sum().backward()  # width 2: max(0, 2 - |x|) / 4
    assert torch.allclose(x2.grad, torch.tensor([0.5, 0.25]))


def test_multi_step_equals_single_step_and_keep():
    torch.manual_seed(0)
    x = torch.randn(5, 6, 3) * 1.5
    neuron = SpikingNeuron("lif")
    neuron.set_time(5)
    multi = neuron(x.flatten(0, 1)).view(5, 6, 3)
    neuron.set_time(None)
    single = torch.stack([neuron(x_t) for x_t in x])
    assert torch.equal(multi, single)
    neuron.reset()
    neuron(x[0])
    keep = torch.tensor([True, False, True, False, False, True])
    neuron.keep(keep)
    assert torch.equal(neuron(x[1, keep]), single[1, keep])


def test_dspike_surrogate_by_hand():
    """Dspike at γ = 3: d/dx [tanh(3·clamp(x, −1, 1)) / (2·tanh 3) + 1/2] = 3·(1 − tanh²(3x)) / (2·tanh 3)."""
    x = torch.tensor([-1.5, -0.5, 0.0, 0.5, 1.5], requires_grad=True)
    spike_fn(x, surrogate="dspike", temperature=3.0).sum().backward()
    slope = [0.0] + [3 * (1 - math.tanh(3 * v) ** 2) / (2 * math.tanh(3)) for v in (-0.5, 0.0, 0.5)] + [0.0]
    assert torch.allclose(x.grad, torch.tensor(slope), atol=1e-6)
    assert abs(x.grad[2].item() - 1.5075) < 1e-3  # the peak, 3 / (2 tanh 3)


def test_dspike_lif_fires_at_the_threshold_and_trains_differently():
    """Under Dspike (the official training) an LIF neuron fires at u >= V; the triangle default at u > V."""
    u, x = torch.zeros(1), torch.ones(1)
    assert lif_step(u, x)[0].item() == 0.0 and lif_step(u, x, surrogate="dspike")[0].item() == 1.0
    torch.manual_seed(0)
    grads = {}
    for surrogate in ("triangle", "dspike"):
        torch.manual_seed(0)
        model = create_model("smoke_cnn", in_channels=1, width=4, surrogate=surrogate)
        x_seq = repeat_time(torch.randn(3, 1, 28, 28), 2)
        model(x_seq).sum().backward()
        grads[surrogate] = next(model.parameters()).grad.clone()  # the encoding conv: behind every surrogate
        model.eval()
        with torch.no_grad():  # single-step (in place) and multi-step agree under either surrogate
            assert torch.allclose(model(x_seq), model.forward_stepwise(x_seq), atol=1e-6)
    assert not torch.allclose(grads["triangle"], grads["dspike"])
    with pytest.raises(ValueError, match="surrogate 'sigmoid' is unknown"):
        SpikingNeuron(surrogate="sigmoid")
