"""TEAS: spike-train conversion (Eq. 3), activity (Eq. 2), regulariser (Eq. 6), loss (Eq. 8), allocation,
the per-layer-T network, noise injection and the paper profile's TEAS settings (Table 1), checked against
hand-computed values."""
import pytest
import torch
from torch import nn
from torch.utils.data import TensorDataset

from seenn_lib.config import get_config, get_profile
from seenn_lib.conversion import ConvertedIF, convert
from seenn_lib.layers import SpikingNet, repeat_time
from seenn_lib.models import create_model
from seenn_lib.neurons import SpikingNeuron
from seenn_lib.teas import (TeasConfig, TemporalAdaptiveNet, activity_column, activity_measure, activity_regularizer,
                            activity_table, adjust, allocate, convert_train, fire_potential, input_noise,
                            layer_parameters, rank_correlation, rate_convert, teas_loss, time_convert, time_groups,
                            vulnerability_table)
from seenn_lib.teas.training import decaying_adam, mean_activity


# ---- Eq. 3, SNN-R ----
def test_rate_convert_expanding_by_hand():
    # count 2 at mean firing potential 1.25: 2 + 1 - 1/1.25 = 2.2 -> x 8/4 = 4.4 -> 4
    # count 2 at 4.0: 2.75 -> 5.5 -> 6 (halves go up); count 4 at 10: 4.9 -> 9.8 -> 10 -> clamped to 8
    out = rate_convert(torch.tensor([2, 2, 4]), torch.tensor([1.25, 4.0, 10.0]), t_in=4, t_out=8)
    assert out.tolist() == [4, 6, 8]


def test_rate_convert_shrinking_and_silent_by_hand():
    # count 3 at 2.0: 3.5 -> x 4/8 = 1.75 -> 2; count 1 at threshold: 1 -> 0.5 -> 1; a silent neuron stays silent
    out = rate_convert(torch.tensor([3.0, 1.0, 0.0]), torch.tensor([2.0, 1.0, 0.0]), t_in=8, t_out=4)
    assert out.tolist() == [2, 1, 0]
    # the threshold enters as a ratio: v_th 0.5 firing at 0.5 keeps the count at equal T
    assert rate_convert(torch.tensor([3.0]), torch.tensor([0.5]), 4, 4, v_th=0.5).tolist() == [3]


def test_rate_convert_rejects_bad_input():
    with pytest.raises(ValueError, match="t_in"):
        rate_convert(torch.tensor([5.0]), torch.tensor([1.0]), t_in=4, t_out=8)
    with pytest.raises(ValueError, match="t_out"):
        rate_convert(torch.tensor([1.0]), torch.tensor([1.0]), t_in=4, t_out=0)


# ---- Eq. 3, SNN-T ----
def test_time_convert_by_hand():
    # step 1 at threshold: x~ = 2 -> x 8/4 = 4 -> step 3; step 1 at 4.0: 1.25 -> 2.5 -> 3 -> step 2;
    # step 0 at 10.0: 0.1 -> 0.2 -> 0 -> clamped to step 0; no spike stays -1
    out = time_convert(torch.tensor([1, 1, 0, -1]), torch.tensor([1.0, 4.0, 10.0, 0.0]), t_in=4, t_out=8)
    assert out.tolist() == [3, 2, 0, -1]
    # shrinking: step 5 at 2.0: 5.5 -> x 4/8 = 2.75 -> 3 -> step 2
    assert time_convert(torch.tensor([5]), torch.tensor([2.0]), t_in=8, t_out=4).tolist() == [2]


# ---- membrane potentials and whole trains ----
def test_fire_potential_matches_hand_trajectories():
    neuron = SpikingNeuron("if")
    neuron.set_time(4)
    current = torch.tensor([0.6, 0.6, 0.6, 1.5]).view(4, 1)
    spikes = neuron(current)
    assert spikes.flatten().tolist() == [0, 1, 0, 1]
    assert torch.allclose(fire_potential(neuron, current, spikes).flatten(), torch.tensor([0.6, 1.2, 0.8, 2.3]))
    lif = SpikingNeuron("lif", tau=0.5)
    lif.set_time(4)
    current = torch.tensor([0.8, 0.8, 1.5, 0.4]).view(4, 1)
    spikes = lif(current)
    assert spikes.flatten().tolist() == [0, 1, 1, 0]
    assert torch.allclose(fire_potential(lif, current, spikes).flatten(), torch.tensor([0.8, 1.2, 1.5, 0.4]))


def test_convert_train_expanding_shrinking_and_time_coding():
    spikes = torch.tensor([1.0, 0.0, 1.0, 0.0]).view(4, 1)
    potential = torch.tensor([1.5, 0.7, 1.0, 0.2]).view(4, 1)  # mean firing potential 1.25 -> x~ = 2.2
    assert convert_train(spikes, potential, 8).flatten().tolist() == [1, 1, 1, 1, 0, 0, 0, 0]
    assert convert_train(spikes, potential, 2).flatten().tolist() == [1, 0]  # 2.2 / 2 = 1.1 -> 1
    # SNN-T: first spike at step 0 with potential 1.5: x~ = 0.667 -> x 2 = 1.33 -> 1 -> step 0
    assert convert_train(spikes, potential, 8, coding="time").flatten().tolist() == [1, 0, 0, 0, 0, 0, 0, 0]
    assert convert_train(spikes, potential, 4) is spikes  # equal T: passed unchanged
    with pytest.raises(ValueError, match="coding"):
        convert_train(spikes, potential, 8, coding="burst")


def test_conversion_gradient_is_straight_through():
    spikes = torch.tensor([1.0, 0.0, 1.0, 0.0]).view(4, 1).requires_grad_()
    weights = torch.arange(1.0, 9.0).view(8, 1)
    (convert_train(spikes, torch.ones(4, 1) * 1.25, 8) * weights).sum().backward()
    # every input step receives (1/t_in) * sum_j dL/d out_j = 36 / 4
    assert torch.allclose(spikes.grad, torch.full((4, 1), 9.0))


# ---- the per-layer-T network and activity (Eq. 2) ----
class TwoIF(SpikingNet):
    """Two IF layers in a chain; the second layer's spikes are the 'logits'."""

    def __init__(self):
        super().__init__()
        self.n1, self.n2 = SpikingNeuron("if"), SpikingNeuron("if")

    def body(self, x):
        return self.n2(self.n1(x))


def test_activity_and_conversion_between_layers_by_hand():
    x = repeat_time(torch.tensor([[0.5, 1.0, 0.0]]), 4)
    net = TemporalAdaptiveNet(TwoIF(), [4, 2])
    out = net(x)
    # layer 1: 0.5/step fires at steps 2, 4; 1.0/step fires 4 times; 0 never: 6 spikes / 4 steps
    # both fire at potential 1.0, so x~ = count -> 2*2/4 = 1 and 4*2/4 = 2 leading spikes in 2 steps;
    # layer 2 (IF) repeats them: 1 + 2 spikes / 2 steps
    assert out.shape == (2, 1, 3)
    assert out[:, 0].tolist() == [[1, 1, 0], [0, 1, 0]]
    assert [a.item() for a in net.activity] == [1.5, 1.5]
    assert net.neurons_per_layer == [3, 3]
    assert torch.allclose(net.mean_activity(), torch.tensor([1.5, 1.5]))
    assert torch.allclose(net.mean_activity("rate"), torch.tensor([0.5, 0.5]))


class WideThenNarrow(SpikingNet):
    """IF layer of 4 neurons -> sum of its spikes -> IF layer of 1 neuron: layers of different sizes."""

    def __init__(self):
        super().__init__()
        self.n1, self.n2 = SpikingNeuron("if"), SpikingNeuron("if")

    def body(self, x):
        return self.n2(self.n1(x).sum(-1, keepdim=True))


def test_eq2_activity_and_per_neuron_rate_by_hand():
    # layer 1, inputs 0.5, 0.5, 0.25, 0 per step over 4 steps: spikes at steps 2, 4 | 2, 4 | 4 | none, so
    # 5 spikes / 4 steps: Eq. 2 = 1.25, rate = 1.25 / 4 = 0.3125; per step it sends 0, 2, 0, 3 to layer 2,
    # whose potential 0 -> 2 (fire, 1) -> 1 (fire, 0) -> 3 (fire): 3 spikes / 4 steps, Eq. 2 = rate = 0.75
    x = torch.tensor([[0.5, 0.5, 0.25, 0.0]])
    net = TemporalAdaptiveNet(WideThenNarrow(), [4, 4])
    net(repeat_time(x, 4))
    assert net.mean_activity("eq2").tolist() == [1.25, 0.75]
    assert net.mean_activity("rate").tolist() == [0.3125, 0.75]
    # the two definitions rank the layers oppositely, so the allocations flip (t_max 8, mean T <= 4)
    data = TensorDataset(x, torch.tensor([0]))
    eq2, rate = (mean_activity(net, data, "cpu", m) for m in ("eq2", "rate"))
    assert eq2.tolist() == [1.25, 0.75] and rate.tolist() == [0.3125, 0.75]
    assert allocate(eq2, 8, 0.5) == [8, 1] and allocate(rate, 8, 0.5) == [1, 8]
    table = activity_table(torch.tensor([[1.25, 0.75]]), torch.tensor([4, 1]), [4, 4])
    assert table[activity_column("eq2")].tolist() == [1.25, 0.75]
    assert table[activity_column("rate")].tolist() == [0.3125, 0.75]
    with pytest.raises(ValueError, match="activity measure"):
        activity_measure(torch.ones(2), [4, 1], "per_neuron")


def test_uniform_time_steps_reproduce_the_plain_snn():
    torch.manual_seed(0)
    snn = create_model("smoke_cnn", num_classes=10, in_channels=1, width=2).eval()
    x = repeat_time(torch.randn(3, 1, 28, 28), 4)
    net = TemporalAdaptiveNet(snn, [4, 4, 4])
    assert torch.equal(net(x), snn(x))
    mixed = TemporalAdaptiveNet(snn, [4, 2, 6])
    assert mixed(x).shape == (6, 3, 10)
    assert torch.equal(snn(x), net(x))  # the hooks are gone after the wrapper's forward
    with pytest.raises(ValueError, match="one timestep count per spiking layer"):
        TemporalAdaptiveNet(snn, [4, 4])
    with pytest.raises(ValueError, match="first layer"):
        mixed(repeat_time(torch.randn(3, 1, 28, 28), 3))


@pytest.mark.parametrize("coding", ["rate", "time"])
def test_gradients_reach_every_layer_through_conversions(coding):
    torch.manual_seed(0)
    snn = create_model("smoke_cnn", num_classes=10, in_channels=1, width=4)
    net = TemporalAdaptiveNet(snn, [6, 2, 4], coding=coding)
    out = net(repeat_time(torch.randn(4, 1, 28, 28) * 2, 6))
    teas_loss(out, torch.tensor([0, 1, 2, 3]), net.mean_activity(), torch.tensor([1.0, 2.0, 3.0]), lam=0.1).backward()
    convs = [m for m in snn.modules() if isinstance(m, nn.Conv2d)]
    assert all(c.weight.grad is not None and c.weight.grad.abs().sum() > 0 for c in convs)


def test_layer_parameters_by_hand():
    snn = create_model("smoke_cnn", num_classes=10, in_channels=1, width=2)
    # conv3x3 without bias + BN (2 per channel): 1*2*9 + 4, 2*4*9 + 8, 4*8*9 + 16; the classifier is no spiking layer
    assert layer_parameters(snn, repeat_time(torch.zeros(1, 1, 28, 28), 2)) == [22, 80, 304]


# ---- Eq. 6, Eq. 8 ----
def test_regularizer_and_loss_by_hand():
    act = torch.tensor([0.5, 0.25], requires_grad=True)
    params = torch.tensor([10.0, 20.0])
    reg = activity_regularizer(act, params)
    assert reg.item() == pytest.approx(10 / 0.5 + 10 / 0.25)  # sum_k act*para = 10
    reg.backward()
    assert act.grad.tolist() == pytest.approx([10 / 0.5, 20 / 0.25])  # para_l / act_l
    outputs = torch.zeros(3, 2, 4)  # uniform logits: CE = log 4
    loss = teas_loss(outputs, torch.tensor([0, 3]), torch.tensor([0.5, 0.25]), params, lam=0.3)
    assert loss.item() == pytest.approx(torch.log(torch.tensor(4.0)).item() + 0.3 * 60 / 30)


def test_regularizer_is_weaker_per_parameter_on_more_active_layers():
    """Eq. 6 read layer by layer: three layers of equal #Para = 100 at activities 0.5, 0.1, 0.02. The value is
    Eq. 6's, (Σ_k act·para) · Σ_l 1/act_l = 62 · (2 + 10 + 50) = 3844; the gradient on layer l is para/act_l
    = 200, 1000, 5000, i.e. 2, 10, 50 per parameter: strictly less on the more active layer. (Holding every
    1/act constant instead gives para · 62 = 6200 on each, the same pressure everywhere.)"""
    act = torch.tensor([0.5, 0.1, 0.02], requires_grad=True)
    params = torch.full((3,), 100.0)
    reg = activity_regularizer(act, params)
    assert reg.item() == pytest.approx(3844.0)
    reg.backward()
    assert act.grad.tolist() == pytest.approx([200.0, 1000.0, 5000.0])
    per_parameter = act.grad / params
    assert per_parameter[0] < per_parameter[1] < per_parameter[2]


def test_regularizer_gradient_on_the_weights_does_not_depend_on_the_activity_unit():
    """Each layer's term #Act(l)·#Para(l) / sg(#Act(l)) is unit-free, so Eq. 2 and the per-neuron rate (Eq. 2
    over a constant) send the same gradient to the weights, while the regulariser's values differ."""
    torch.manual_seed(0)
    snn = create_model("smoke_cnn", num_classes=10, in_channels=1, width=2)
    net = TemporalAdaptiveNet(snn, [4, 4, 4])
    x, params = repeat_time(torch.randn(4, 1, 28, 28) * 2, 4), torch.tensor([22.0, 80.0, 304.0])
    grads, values = {}, {}
    for measure in ("eq2", "rate"):
        snn.zero_grad()
        net(x)
        reg = activity_regularizer(net.mean_activity(measure), params)
        reg.backward()
        values[measure] = reg.item()
        grads[measure] = [m.weight.grad.clone() for m in snn.modules() if isinstance(m, nn.Conv2d)]
    assert all(g.abs().sum() > 0 for g in grads["eq2"])
    assert all(torch.allclose(a, b, rtol=1e-4, atol=1e-7) for a, b in zip(grads["eq2"], grads["rate"]))
    assert values["eq2"] != pytest.approx(values["rate"])


# ---- allocation and adjustment ----
def test_allocation_keeps_the_most_active_layer_and_meets_the_ratio():
    alloc = allocate([0.1, 0.4, 0.2], t_max=8, ratio=0.5)
    assert alloc[1] == 8 and sum(alloc) / 3 <= 4 and alloc[2] >= alloc[0] >= 1
    assert allocate([0.1, 0.4, 0.2], 8, ratio=1.0) == [8, 8, 8]
    assert allocate([1.0, 0.0, 0.0], 8, ratio=0.1) == [8, 1, 1]  # unreachable ratio: the closest allocation
    assert allocate([0.3, 0.3], 8, ratio=0.5) == [8, 8]  # equal activity gives no reason to shrink either
    # adjustment re-allocates under the current T as caps: [8, 3, 1] is the smallest-γ allocation of mean <= 4
    assert adjust([8, 6, 4], [0.4, 0.2, 0.1], 8, 0.5) == [8, 3, 1]
    # a short layer that became the most active keeps its T and does not push the others below the ratio
    assert adjust([8, 1, 1], [0.1, 0.4, 0.2], 8, 0.45) == [8, 1, 1]
    with pytest.raises(ValueError, match="at least one > 0"):
        allocate([0.0, 0.0], 8, 0.5)
    with pytest.raises(ValueError, match="ratio"):
        allocate([0.1], 8, 1.5)
    with pytest.raises(ValueError, match="target_ratio"):
        TeasConfig(target_ratio=0.8, init_ratio=0.5)


def test_grouped_layers_share_one_t_from_their_most_active_member():
    """Layers 0 and 1 tied: both at their larger activity (0.4 -> T_max), layer 2 alone; no γ reaches mean 4,
    so the closest allocation. Under caps the tied layers take their smaller cap."""
    assert allocate([0.1, 0.4, 0.2], 8, 0.5, groups=[0, 0, 2]) == [8, 8, 1]
    assert allocate([0.1, 0.4, 0.2], 8, 0.5) != [8, 8, 1]  # untied, layer 0 would be the one to shrink
    assert adjust([8, 4, 8], [0.4, 0.1, 0.4], 8, 1.0, groups=[0, 0, 2]) == [4, 4, 8]
    with pytest.raises(ValueError, match="one group id per layer"):
        allocate([0.1, 0.4], 8, 0.5, groups=[0])


def test_a_residual_snn_runs_grouped_per_layer_t_and_names_a_split_group():
    """ResNet-20, direct (LIF) and converted from QCFS (IF neurons wrapped): each block's two neurons share a
    group, so a grouped allocation from any activity runs; a per-layer T that splits a block is refused before
    the forward, naming the two layers."""
    for snn in (create_model("resnet20", 10, width_mult=0.0625).eval(),
                convert(create_model("resnet20", 10, width_mult=0.0625, neuron="qcfs"))):
        check_residual_groups(snn)


def check_residual_groups(snn):
    groups = time_groups(snn)
    blocks = [m for m in snn.modules() if hasattr(m, "same_time_neurons")]
    assert len(set(groups)) == len(groups) - len(blocks) and groups[:3] == [0, 1, 1]
    steps = allocate(torch.rand(len(groups)).tolist(), 6, 0.5, groups=groups)
    net = TemporalAdaptiveNet(snn, steps)
    with torch.no_grad():
        assert net(repeat_time(torch.rand(2, 3, 32, 32), net.input_steps)).shape == (steps[-1], 2, 10)
    split = [6] * len(groups)
    split[2] = 3
    with pytest.raises(ValueError, match=r"layers \(1, 2\) meet at a residual sum"):
        TemporalAdaptiveNet(snn, split)


# ---- vulnerable layers ----
def test_input_noise_and_vulnerability_table():
    torch.manual_seed(0)
    snn = create_model("smoke_cnn", num_classes=10, in_channels=1, width=2).eval()
    data = TensorDataset(torch.randn(16, 1, 28, 28), torch.randint(0, 10, (16,)))
    x = repeat_time(data.tensors[0][:2], 3)
    clean = snn(x)
    with input_noise(snn.neurons()[-1], 5.0):
        assert not torch.equal(snn(x), clean)
    assert torch.equal(snn(x), clean)
    table = vulnerability_table(snn, 3, data, magnitudes=[0.0, 9.0], progress=False)
    quiet = table[table.noise == 0.0]
    assert list(quiet.layer) == [0, 1, 2] and (quiet.accuracy_noisy == quiet.accuracy_clean).all()
    assert len(table) == 6 and (table.accuracy_drop == table.accuracy_clean - table.accuracy_noisy).all()
    assert set(table.columns) >= {"activity", "rate", "accuracy_drop", "name"}


def test_noise_is_in_units_of_the_layer_threshold():
    """input_noise adds u·V_th·N(0, 1): at the same u and seed, a layer of threshold 3 (plain IF or converted
    with λ = 3) gets exactly 3x the noise of a threshold-1 layer."""
    seen = {}
    neurons = {"1": SpikingNeuron("if", v_th=1.0), "3": SpikingNeuron("if", v_th=3.0),
               "λ3": ConvertedIF(torch.tensor(3.0))}
    for name, neuron in neurons.items():
        neuron.set_time(1)
        with input_noise(neuron, 0.1, seed=4):
            hook = neuron.register_forward_pre_hook(lambda m, i, name=name: seen.__setitem__(name, i[0].clone()))
            neuron(torch.zeros(1, 1000))
            hook.remove()
    assert torch.allclose(seen["3"], 3 * seen["1"]) and torch.allclose(seen["λ3"], seen["3"])
    assert seen["1"].std().item() == pytest.approx(0.1, rel=0.1)


# ---- the paper profile (TEAS Table 1) ----
def test_paper_profile_follows_teas_table_1():
    tcfg = get_profile("paper").teas
    assert (tcfg.experiment, tcfg.time_steps, tcfg.conversion_reset, tcfg.activity) == \
        ("teas_vgg16_cifar10", 2048, "zero", "eq2")
    assert (tcfg.adjust_epochs, tcfg.adjust_every, tcfg.finetune_epochs) == (30, 3, 20)  # N_r = 30, then fine-tuning
    assert (tcfg.lr, tcfg.finetune_lr, tcfg.lr_decay, tcfg.batch_size) == (1e-4, 1e-4, 0.99, 16)
    assert tcfg.target_ratio == pytest.approx(40.5 / 2048, abs=5e-4)  # Table 2: T = 2048 -> 40.5
    for name in ("teas_vgg16_cifar10", "teas_resnet20_cifar10", "teas_resnet34_imagenet"):
        cfg = get_config("paper", name)  # N_p = 150 pretraining epochs, Adam at 5e-4, batch size 64
        assert (cfg.optimizer, cfg.lr, cfg.epochs, cfg.batch_size, cfg.model_kw["neuron"]) == \
            ("adam", 5e-4, 150, 64, "qcfs")
    assert TeasConfig(**{**tcfg.__dict__}) == tcfg  # validates


@pytest.mark.parametrize("bad, message", [({"activity": "per_neuron"}, "TeasConfig.activity must be one of"),
                                          ({"conversion_reset": "soft"}, "TeasConfig.conversion_reset"),
                                          ({"lr_decay": 0.0}, "lr_decay"), ({"coding": "burst"}, "TeasConfig.coding")])
def test_teas_config_rejects_bad_values_clearly(bad, message):
    with pytest.raises(ValueError, match=message):
        TeasConfig(**bad)


def test_learning_rate_decays_once_per_epoch():
    opt, sched = decaying_adam(nn.Linear(2, 1), lr=1e-3, decay=0.5, steps_per_epoch=3)
    lrs = []
    for _ in range(7):
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    assert lrs == pytest.approx([1e-3] * 3 + [5e-4] * 3 + [2.5e-4])


def test_rank_correlation_by_hand():
    assert rank_correlation([1, 2, 3], [10, 30, 20]) == pytest.approx(0.5)  # 1 - 6*2 / (3*8)


def test_teas_training_takes_its_own_subsets_or_the_snns(tmp_path):
    from seenn_lib.teas.training import TeasTraining
    snn = create_model("smoke_cnn", num_classes=10, in_channels=1, width=2)
    data = (TensorDataset(torch.randn(40, 1, 28, 28), torch.arange(40) % 10),
            TensorDataset(torch.randn(30, 1, 28, 28), torch.arange(30) % 10))
    cfg = get_config("ci", "teas").with_(train_subset=20, test_subset=12)
    own = TeasTraining(snn, 4, cfg, TeasConfig(train_subset=16, test_subset=8, calib_samples=4), data, tmp_path)
    assert (len(own.train_ds), len(own.test_ds), len(own.calib_ds)) == (16, 8, 4)
    snns = TeasTraining(snn, 4, cfg, TeasConfig(calib_samples=4), data, tmp_path)
    assert (len(snns.train_ds), len(snns.test_ds)) == (20, 12)
    with pytest.raises(ValueError, match="test_subset"):
        TeasConfig(test_subset=-1)
