"""Our multi-step LIF backends (plain loop, fused, torch.compile'd) agree with each other and with
SpikingJelly's LIFNode (tau = 2, decay_input=False, v_reset = 0, PiecewiseQuadratic(1) surrogate)."""
import pytest
import torch

from seenn_lib.neurons import SpikingNeuron, lif_sequence, set_neuron_backend


def _spikes_and_grad(run, x, weight):
    x = x.clone().requires_grad_()
    out = run(x)
    (out * weight).sum().backward()  # a non-uniform upstream gradient exercises every term
    return out.detach(), x.grad


def _ours(backend):
    def run(x):
        previous = set_neuron_backend(backend)
        try:
            neuron = SpikingNeuron("lif", tau=0.5)
            neuron.set_time(x.shape[0])
            return neuron(x.flatten(0, 1)).view_as(x)
        finally:
            set_neuron_backend(previous)
    return run


@pytest.fixture(scope="module")
def inputs():
    torch.manual_seed(0)
    return torch.randn(6, 4, 3, 5) * 1.5, torch.randn(6, 4, 3, 5)


@pytest.mark.parametrize("backend", ["fused", "compiled"])
def test_backends_match_the_plain_loop(inputs, backend):
    x, weight = inputs
    spikes, grad = _spikes_and_grad(_ours("plain"), x, weight)
    assert 0.1 < spikes.mean() < 0.6  # neurons fire and stay silent: the reset path is exercised
    spikes_b, grad_b = _spikes_and_grad(_ours(backend), x, weight)
    assert torch.equal(spikes_b, spikes)
    assert torch.allclose(grad_b, grad, atol=1e-5)


def test_fused_gradient_by_hand():
    # one neuron, two steps, x = (1.2, 0.3): h1 = 1.2 fires (u1 = 0), h2 = 0.3 silent.
    # surrogate g(h) = max(0, 1 - |h - 1|): g1 = 0.8, g2 = 0.3. dL/ds = (1, 1):
    # dL/dh2 = g2 = 0.3; dL/du1 = 0.5 * 0.3 = 0.15; dL/dh1 = g1 + 0.15 * ((1 - s1) - h1 g1) = 0.8 - 0.144
    x = torch.tensor([[1.2], [0.3]], requires_grad=True)
    spikes = lif_sequence(x)
    spikes.sum().backward()
    assert spikes.flatten().tolist() == [1.0, 0.0]
    assert torch.allclose(x.grad.flatten(), torch.tensor([0.8 - 0.15 * 1.2 * 0.8, 0.3]))


def test_bad_backend_is_rejected():
    with pytest.raises(ValueError, match="neuron backend 'cuda' is unknown"):
        set_neuron_backend("cuda")


@pytest.mark.parametrize("sj_backend", [None, "reference"])
def test_our_lif_matches_spikingjelly(inputs, sj_backend):
    pytest.importorskip("spikingjelly", reason="spikingjelly is the `bench` extra")
    from spikingjelly.activation_based import functional

    from seenn_lib.bench import spikingjelly_lif
    x, weight = inputs
    node = spikingjelly_lif(sj_backend)

    def run_sj(x_seq):
        functional.reset_net(node)
        return node(x_seq)

    spikes, grad = _spikes_and_grad(_ours("plain"), x, weight)
    sj_spikes, sj_grad = _spikes_and_grad(run_sj, x, weight)
    assert torch.equal(sj_spikes, spikes)  # (SpikingJelly fires at u >= V, ours at u > V: ties have measure 0)
    assert torch.allclose(sj_grad, grad, atol=1e-5)
