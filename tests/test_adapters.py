"""Networks from elsewhere (seenn_lib.adapters): SpikingJelly's own models and a plain protocol module, through the
engine, the cached-logit simulation, energy and TEAS's activity analysis, against exact or hand-computed values."""
import pytest
import torch
from spikingjelly.activation_based import base, functional, layer, neuron, surrogate
from spikingjelly.activation_based.model import spiking_vgg
from torch import nn
from torch.utils.data import TensorDataset

from seenn_lib.adapters import AdaptedNet, adapt
from seenn_lib.analysis.byo import train_spikingjelly
from seenn_lib.bench import engine_energy, firing_batchnorm, spikingjelly_setup
from seenn_lib.energy import count_ops, firing_rates
from seenn_lib.evaluate import collect_logits
from seenn_lib.exits import calibrate_alpha, confidence_exit
from seenn_lib.explorer_state import ExplorerState, Run
from seenn_lib.inference import ConfidenceExit, FixedT, run_engine
from seenn_lib.layers import repeat_time
from seenn_lib.seenn2 import planned_exit, policy_exit
from seenn_lib.teas import layer_activity, run_fixed_t, vulnerability_table

T = 4
VGG11_EIGHTH = [8, "M", 16, "M", 32, 32, "M", 64, 64, "M", 64, 64, "M"]  # VGG-11's layout ("A") at 1/8 width


def sj_vgg11(step_mode: str):
    """SpikingJelly's SpikingVGG in VGG-11's layout at 1/8 width, ParametricLIF neurons at threshold 0.5 (at 1 a
    random VGG falls silent by the classifier); its classifier (the same Linear, neuron, Dropout stack) sized for
    that width, as the class hard-codes 512 x 7 x 7 inputs, and Kaiming-initialised so that it fires."""
    torch.manual_seed(2)
    kw = {"surrogate_function": surrogate.ATan(), "detach_reset": True, "v_threshold": 0.5}
    net = spiking_vgg.SpikingVGG(VGG11_EIGHTH, batch_norm=True, num_classes=10,
                                 spiking_neuron=neuron.ParametricLIFNode, **kw)
    net.classifier = nn.Sequential(layer.Linear(64 * 7 * 7, 256), neuron.ParametricLIFNode(**kw), layer.Dropout(),
                                   layer.Linear(256, 256), neuron.ParametricLIFNode(**kw), layer.Dropout(),
                                   layer.Linear(256, 10))
    for linear in net.classifier[::3]:
        nn.init.kaiming_normal_(linear.weight)
        nn.init.uniform_(linear.bias, 0.0, 0.5)
    functional.set_step_mode(net, step_mode)
    return adapt(firing_batchnorm(net)), torch.randn(24, 3, 32, 32)


def sj_model(name: str, step_mode: str):
    if name == "spiking_vgg11":
        return sj_vgg11(step_mode)
    return spikingjelly_setup(name, images=24, image_size=16, step_mode=step_mode)  # IF: random LIF ResNets fall silent


MODELS = ["spiking_resnet18", "sew_resnet18", "spiking_vgg11"]


def _simulated(net, x):
    mean_logits, _ = collect_logits(net, TensorDataset(x, torch.zeros(len(x), dtype=torch.long)), T,
                                    batch_size=128, progress=False)
    return mean_logits


@pytest.mark.parametrize("name", MODELS)
def test_adapted_steps_equal_spikingjellys_own_multi_step_forward(name):
    multi, x = sj_model(name, "m")
    single, _ = sj_model(name, "s")
    x_seq = repeat_time(x, T)
    with torch.no_grad():
        functional.reset_net(multi.model)
        own = multi.model(x_seq)  # SpikingJelly's own multi-step forward
        functional.reset_net(multi.model)
        assert own.abs().sum() > 0 and not torch.equal(own[0], own[-1])  # neurons fire, state carries over
        assert torch.equal(multi.forward_stepwise(x_seq), own)
        assert torch.equal(single.forward_stepwise(x_seq), own)
        assert torch.equal(single(x_seq), own) and torch.equal(multi(x_seq), own)


@pytest.mark.parametrize("step_mode", ["s", "m"])
@pytest.mark.parametrize("name", MODELS)
def test_engine_equals_the_cached_logit_simulation_on_spikingjelly_models(name, step_mode):
    net, x = sj_model(name, step_mode)
    mean_logits = _simulated(net, x)
    alpha = float(mean_logits.softmax(-1).amax(-1).median())
    exit_sim, pred_sim = confidence_exit(mean_logits, alpha)
    assert (exit_sim < T).any() and (exit_sim == T).any()  # the threshold really splits the samples
    for batch_size, refill in [(7, True), (7, False), (24, False)]:
        result = run_engine(net, x, T, ConfidenceExit(alpha), batch_size=batch_size, refill=refill)
        assert torch.equal(result.exit_t, exit_sim) and torch.equal(result.pred, pred_sim)


def test_seenn2_policy_exit_calibration_and_the_explorer_take_an_adapted_network():
    net, x = sj_model("spiking_resnet18", "s")
    torch.manual_seed(0)
    policy = nn.Sequential(nn.Flatten(), nn.Linear(3 * 16 * 16, 3))
    actions = (1, 2, 4)
    mean_logits = _simulated(net, x)
    exit_sim, pred_sim = policy_exit(policy(x).detach(), mean_logits, actions)
    assert len(set(exit_sim.tolist())) > 1
    result = run_engine(net, x, T, planned_exit(policy, actions), batch_size=5)
    assert torch.equal(result.exit_t, exit_sim) and torch.equal(result.pred, pred_sim)
    own_answers = mean_logits[-1].argmax(-1)
    alpha = calibrate_alpha(mean_logits, own_answers, epsilon=0.1, delta=0.1)
    assert 0 < alpha <= 1
    state = ExplorerState({"SpikingJelly ResNet-18": Run(mean_logits, own_answers)}, alpha=0.0)
    assert state.summary()["accuracy"] < 100  # at α near 0 every sample exits at t = 1, before its T_max answer


def test_keep_drops_samples_from_every_spikingjelly_state():
    net, x = sj_model("spiking_resnet18", "s")
    with torch.no_grad():
        alone = net.forward_stepwise(repeat_time(x[[0, 2]], 2))
        net.reset()
        net.step(x[:3])
        net.keep(torch.tensor([True, False, True]))
        assert all(n.v.shape[0] == 2 for n in net.neurons())
        assert torch.equal(net.step(x[[0, 2]]), alone[1])
        net.reset()


class TwoLayerSJ(nn.Module):
    """Linear(3 -> 3) -> SpikingJelly neuron -> Linear(3 -> 4), the first layer's weights set by hand."""

    def __init__(self, spiking):
        super().__init__()
        self.fc1, self.sn, self.fc2 = nn.Linear(3, 3), spiking, nn.Linear(3, 4)
        with torch.no_grad():
            self.fc1.weight.copy_(torch.eye(3))
            self.fc1.bias.zero_()

    def forward(self, x):
        return self.fc2(self.sn(self.fc1(x)))


# Input currents per step and the spikes they make over 4 steps (threshold 1, hard reset to 0):
# IF: 2.0 fires every step (4), 0.5 every second step (2), 0 never -> 6.
# LIF and ParametricLIF at tau = 2 (v += (x - v) / 2): 2.0 -> v = 1.0 fires every step (4); 1.5 -> 0.75, 1.125
# fires every second step (2); 0 never -> 6.
HAND_COUNTED = [(neuron.IFNode, {}, (2.0, 0.5, 0.0)), (neuron.LIFNode, {"tau": 2.0}, (2.0, 1.5, 0.0)),
                (neuron.ParametricLIFNode, {"init_tau": 2.0}, (2.0, 1.5, 0.0))]


@pytest.mark.parametrize("step_mode", ["s", "m"])
@pytest.mark.parametrize("kind, kw, currents", HAND_COUNTED, ids=["IF", "LIF", "PLIF"])
def test_energy_counts_the_spikes_that_arrive_by_hand(kind, kw, currents, step_mode):
    net = TwoLayerSJ(kind(step_mode=step_mode, **kw))
    x_seq = repeat_time(torch.tensor([currents, currents]), T)  # two identical samples
    ops = count_ops(net, x_seq)
    assert list(ops.layer) == ["model.fc1", "model.fc2"]
    assert list(ops.macs_per_step) == [9, 12]
    # fc1 encodes: 9 MACs per step over 4 steps; fc2: 6 spikes per sample x fan-out 4 = 24 accumulates
    assert list(ops.macs) == [36, 0] and list(ops.sops) == [0, 24]
    assert ops.input_rate.iloc[1] == pytest.approx(6 / 12)  # 6 spikes over 3 neurons x 4 steps
    assert ops.energy_pj.sum() == pytest.approx(36 * 5.5 + 24 * 0.9)
    rates = firing_rates(net, x_seq)
    assert rates.spikes.item() == 6 and rates.neurons.item() == 3 and rates.firing_rate.item() == 0.5
    _, activity, neurons = run_fixed_t(adapt(net), T, TensorDataset(torch.tensor([currents]), torch.zeros(1).long()),
                                       progress=False)
    assert activity.tolist() == [[6 / T]] and neurons.tolist() == [3]  # TEAS Eq. 2: spikes per timestep


def test_energy_refuses_a_neuron_type_it_does_not_know():
    net = TwoLayerSJ(neuron.KLIFNode())
    with pytest.raises(ValueError, match=r"KLIFNode.*cannot read their output as spikes"):
        count_ops(net, repeat_time(torch.ones(1, 3), T))

    class Custom(neuron.IFNode):  # a subclass may emit anything: known types are matched exactly
        pass
    with pytest.raises(ValueError, match="Custom"):
        firing_rates(TwoLayerSJ(Custom()), repeat_time(torch.ones(1, 3), T))


def test_realised_energy_of_a_static_adapted_run_equals_count_ops():
    net, x = sj_model("sew_resnet18", "m")
    table, _ = engine_energy(net, x, T, FixedT(T), batch_size=8)
    ops = count_ops(net, repeat_time(x, T))
    assert ops.sops.sum() > 0
    assert table.sops.sum() == pytest.approx(ops.sops.sum(), rel=1e-6)
    assert table.macs.sum() == pytest.approx(ops.macs.sum(), rel=1e-6)


def test_vulnerable_layer_sweep_on_an_adapted_network():
    net, x = sj_model("spiking_resnet18", "m")
    with torch.no_grad():
        y = net(repeat_time(x, T)).mean(0).argmax(-1)  # its own answers: clean accuracy 100 %
    table = vulnerability_table(net, T, TensorDataset(x, y), magnitudes=(0.0, 5.0), progress=False)
    assert len(table) == 2 * len(net.neurons()) and table.name.iloc[0] == "model.sn1"
    assert (table.accuracy_clean == 100).all()
    assert (table[table.noise == 0].accuracy_drop == 0).all()
    assert table[table.noise == 5.0].accuracy_drop.max() > 0
    with torch.no_grad():
        functional.reset_net(net.model)
        spikes = []
        hook = net.neurons()[0].register_forward_hook(lambda m, i, o: spikes.append(o))
        net(repeat_time(x, T))
        hook.remove()
    first = table[table.noise == 0].activity.iloc[0]
    assert first == pytest.approx(layer_activity(spikes[0]).mean().item(), rel=1e-6)  # multi-step: [T, B, ...]


class PlainRecurrent(nn.Module):
    """A plain module following the protocol: a leaky state h = h / 2 + W x_t, logits C h."""

    def __init__(self, refill: bool):
        super().__init__()
        self.w, self.c, self.h = nn.Linear(3, 5), nn.Linear(5, 2), None
        if refill:
            self.restart, self.grow = self._restart, self._grow

    def step(self, x_t):
        self.h = self.w(x_t) if self.h is None else self.h / 2 + self.w(x_t)
        return self.c(self.h)

    def reset(self):
        self.h = None

    def keep(self, mask):
        self.h = self.h[mask]

    def _restart(self, mask):
        self.h[mask] = 0.0  # a zero state and h = W x_t on the next step are the same

    def _grow(self, n):
        self.h = torch.cat([self.h, self.h.new_zeros(n, self.h.shape[1])])


def test_a_plain_module_that_follows_the_protocol_runs_in_the_engine():
    torch.manual_seed(0)
    module = PlainRecurrent(refill=True)
    net, x = adapt(module), torch.randn(30, 3)
    assert isinstance(net, AdaptedNet) and adapt(net) is net
    mean_logits = _simulated(net, x)
    alpha = float(mean_logits.softmax(-1).amax(-1).median())
    exit_sim, pred_sim = confidence_exit(mean_logits, alpha)
    for refill in (True, False):
        result = run_engine(net, x, T, ConfidenceExit(alpha), batch_size=8, refill=refill)
        assert torch.equal(result.exit_t, exit_sim) and torch.equal(result.pred, pred_sim)
    bare = adapt(PlainRecurrent(refill=False))
    with pytest.raises(ValueError, match=r"no restart\(\).*refill=False"):
        run_engine(bare, x, T, ConfidenceExit(alpha), batch_size=8, refill=True)
    with pytest.raises(ValueError, match="shows no spiking neurons"):
        count_ops(bare, repeat_time(x, T))


def test_bad_networks_get_one_clear_error():
    with pytest.raises(ValueError, match=r"no SpikingJelly neurons.*step\(x_t\), reset\(\) and keep\(mask\)"):
        adapt(nn.Sequential(nn.Linear(3, 2)))
    mixed = nn.Sequential(layer.Linear(3, 3), neuron.IFNode(), layer.Linear(3, 2))
    functional.set_step_mode(mixed, "m")
    mixed[2].step_mode = "s"
    with pytest.raises(ValueError, match=r"mixes step modes.*set_step_mode"):
        adapt(mixed)
    plain_layers = nn.Sequential(nn.Conv2d(1, 2, 3), neuron.IFNode(step_mode="m"), nn.Flatten(), nn.Linear(2, 2))
    with pytest.raises(ValueError, match=r"failed in step mode 'm'.*activation_based.layer"):
        adapt(plain_layers).step(torch.ones(4, 1, 3, 3))
    flattens_time = nn.Sequential(layer.Linear(3, 3), neuron.IFNode(), nn.Flatten(0))  # [T*B*C]: not [B, C]
    with pytest.raises(ValueError, match=r"step mode 's' returned \(12,\); the adapter needs outputs \[4, 'C'\]"):
        adapt(flattens_time).step(torch.ones(4, 3))


class ChannelNeuron(base.MemoryModule):
    """A neuron with one potential per channel, shared by the whole batch: a state without a batch dimension."""

    def __init__(self):
        super().__init__()
        self.register_memory("v", 0.0)
        self.step_mode = "s"

    def forward(self, x):
        self.v = self.v + x.mean(0)
        return (self.v >= 1.0).to(x.dtype).expand_as(x)


def test_a_state_without_a_batch_dimension_is_refused():
    net = adapt(nn.Sequential(nn.Linear(3, 3), ChannelNeuron(), nn.Linear(3, 2)))
    with pytest.raises(ValueError, match=r"ChannelNeuron.v has shape \(3,\), not one row per sample"):
        run_engine(net, torch.randn(10, 3), T, FixedT(2), batch_size=4, refill=False)


def test_spikingjelly_training_takes_a_multi_step_network():
    single = nn.Sequential(layer.Linear(3, 3), neuron.LIFNode(), layer.Linear(3, 2))
    with pytest.raises(ValueError, match=r"multi-step network.*set_step_mode\(model, 'm'\)"):
        train_spikingjelly(single, TensorDataset(torch.randn(8, 3), torch.zeros(8).long()), T, steps=1)
