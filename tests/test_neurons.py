import torch

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
