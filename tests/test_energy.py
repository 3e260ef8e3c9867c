"""Operation, spike and energy counts against hand-computed values."""
import pytest
import torch
from torch import nn

from seenn_lib.conversion import QCFS, convert
from seenn_lib.energy import AC_PJ, INT32_45NM, MAC_PJ, count_ops, energy_pj, firing_rates, summarize_ops
from seenn_lib.layers import SpikingNet, repeat_time
from seenn_lib.models import create_model
from seenn_lib.neurons import SpikingNeuron


class TwoLayer(SpikingNet):
    """Linear(3 -> 2) -> IF neuron -> Linear(2 -> 4), weights set by hand."""

    def __init__(self):
        super().__init__()
        self.fc1, self.sn, self.fc2 = nn.Linear(3, 2), SpikingNeuron("if"), nn.Linear(2, 4)
        with torch.no_grad():
            self.fc1.weight.copy_(torch.tensor([[1.0, 0.0, 0.0], [0.0, 0.5, 0.0]]))
            self.fc1.bias.zero_()

    def body(self, x):
        return self.fc2(self.sn(self.fc1(x)))


def test_two_layer_counts_by_hand():
    # input (1, 1, 0) every step: neuron 0 gets 1.0 per step -> spikes at t = 1, 2;
    # neuron 1 gets 0.5 per step -> potential 0.5, 1.0 -> spikes at t = 2 only. Spikes = 1 + 2 = 3.
    x_seq = repeat_time(torch.tensor([[1.0, 1.0, 0.0]]), 2)
    ops = count_ops(TwoLayer(), x_seq)
    assert list(ops.layer) == ["fc1", "fc2"]
    assert list(ops.params) == [3 * 2 + 2, 2 * 4 + 4]
    assert list(ops.macs_per_step) == [6, 8]
    # fc1 is the encoding layer: 6 MACs per step over 2 steps; fc2: 3 spikes x fan-out 4 = 12 accumulates
    assert list(ops.macs) == [12, 0] and list(ops.sops) == [0, 12]
    assert ops.input_rate.iloc[1] == pytest.approx(3 / 4)  # 3 spikes over 2 neurons x 2 steps
    assert ops.energy_pj.sum() == pytest.approx(12 * (4.6 + 0.9) + 12 * 0.9)  # MAC = multiply + add
    rates = firing_rates(TwoLayer(), x_seq)
    assert rates.spikes.item() == 3 and rates.neurons.item() == 2 and rates.firing_rate.item() == 0.75
    assert summarize_ops(ops)["energy_pj"] == pytest.approx(76.8)


def test_conv_synaptic_ops_count_the_true_fanout_and_spike_counts():
    """A 3x3 conv (padding 1) on a 3x3 map: a spike in the corner reaches 4 outputs, in the centre 9;
    an input of 2 (two spikes summed, as in SEW-ResNet) counts twice."""

    class Net(SpikingNet):
        def __init__(self):
            super().__init__()
            self.enc, self.sn = nn.Conv2d(1, 1, 1, bias=False), SpikingNeuron("if")
            self.conv = nn.Conv2d(1, 5, 3, padding=1)

        def body(self, x):
            return self.conv(self.sn(self.enc(x)) * x.new_tensor(self.scale))

    net = Net()
    nn.init.ones_(net.enc.weight)
    x = torch.zeros(1, 1, 3, 3)
    x[0, 0, 0, 0] = x[0, 0, 1, 1] = 1.0
    net.scale = [[[1.0, 1.0, 1.0], [1.0, 2.0, 1.0], [1.0, 1.0, 1.0]]]
    ops = count_ops(net, repeat_time(x, 1))
    assert ops.sops.iloc[1] == (4 + 2 * 9) * 5  # times 5 output channels
    assert ops.macs.iloc[0] == 9 and ops.macs_per_step.iloc[1] == 9 * 5 * 9


def test_ann_twin_counts_only_macs():
    ann = create_model("resnet8", num_classes=10, neuron="relu")
    ops = count_ops(ann, repeat_time(torch.randn(2, 3, 32, 32), 1))
    assert (ops.sops == 0).all() and (ops.macs == ops.macs_per_step).all()
    assert ops.params.sum() + sum(p.numel() for m in ann.modules() if isinstance(m, nn.BatchNorm2d)
                                  for p in m.parameters()) == sum(p.numel() for p in ann.parameters())


def test_policy_resnet8_costs_0547_percent_of_resnet19():
    """SEENN §4.1 / App. E: the ResNet-8 policy network has 0.547% of ResNet-19's operations (CIFAR)."""
    x = repeat_time(torch.randn(1, 3, 32, 32), 1)
    with torch.no_grad():
        small = count_ops(create_model("resnet8", neuron="relu"), x).macs_per_step.sum()
        big = count_ops(create_model("resnet19", neuron="relu"), x).macs_per_step.sum()
    assert small / big == pytest.approx(0.00547, rel=0.10)
    assert big == pytest.approx(2.285e9, rel=0.01)  # by hand: 3.5M stem + 906M + 839M + 537M + 5k FC


def test_energy_constants_and_spiking_input_check():
    assert (MAC_PJ, AC_PJ) == (5.5, 0.9)  # SEENN App. D: multiplication 4.6 pJ, addition 0.9 pJ
    assert energy_pj(10, 100) == pytest.approx(145.0)
    assert energy_pj(10, 100, INT32_45NM) == pytest.approx(10 * 3.2 + 100 * 0.1)  # 45 nm int32: 3.1 + 0.1

    class Bad(TwoLayer):
        def body(self, x):
            return self.fc2(self.sn(self.fc1(x)) - 1)

    with pytest.raises(ValueError, match="negative inputs"):
        count_ops(Bad(), repeat_time(torch.ones(1, 3), 1))
    with pytest.raises(ValueError, match="time-first"):
        count_ops(TwoLayer(), torch.ones(1, 3))


class QcfsNet(SpikingNet):
    """conv -> QCFS -> (average pool) -> linear: converted, its spikes carry λ into the next layer."""

    def __init__(self, threshold: float, pool: bool):
        super().__init__()
        self.conv, self.act = nn.Conv2d(1, 3, 3, padding=1), QCFS(4, threshold)
        self.pool, self.fc = (nn.AvgPool2d(2) if pool else nn.Identity()), nn.Linear(3 * (2 if pool else 4) ** 2, 5)

    def body(self, x):
        return self.fc(self.pool(self.act(self.conv(x))).flatten(1))


@pytest.mark.parametrize("pool", [False, True])
def test_converted_spikes_count_as_spikes_whatever_charge_they_carry(pool):
    """λ = 3: a spike carries 3 into the classifier, yet it is one addition per synapse (issue 17)."""
    torch.manual_seed(0)
    snn = convert(QcfsNet(3.0, pool))
    x_seq = repeat_time(torch.rand(2, 1, 4, 4) * 12, 4)
    spikes = {}
    with torch.no_grad():
        hook = snn.act.neuron.register_forward_hook(lambda m, i, out: spikes.update(s=out))
        ops = count_ops(snn, x_seq)
        hook.remove()
    s = spikes["s"]  # binary spikes [T*B, 3, 4, 4]
    assert set(s.unique().tolist()) <= {0.0, 1.0} and s.sum() > 0
    arriving = nn.functional.avg_pool2d(s, 2) if pool else s  # a pooled spike map counts at its value
    assert ops.sops.iloc[1] == pytest.approx(arriving.sum().item() * 5 / 2)  # fan-out 5, per sample of 2
    assert ops.input_rate.iloc[1] == pytest.approx(arriving.mean().item())
