"""The dynamic inference engine against the cached-logit simulation, batch compaction and refill."""
import pytest
import torch
from torch.utils.data import TensorDataset

from seenn_lib.bench import PeakTensorMemory, engine_energy, peak_memory_mb, quantile_plan, resnet19_setup
from seenn_lib.devices import amp_enabled, set_amp
from seenn_lib.energy import count_ops, summarize_ops
from seenn_lib.evaluate import collect_logits
from seenn_lib.exits import confidence, confidence_exit, fixed_exit
from seenn_lib.inference import (ConfidenceExit, FixedT, PlannedExit, early_exit, one_at_a_time,
                                 run_engine)
from seenn_lib.layers import repeat_time
from seenn_lib.models import create_model
from seenn_lib.neurons import neuron_backend
from seenn_lib.train import tet_loss


@pytest.fixture(scope="module")
def trained_smoke():
    """A smoke CNN (width 4, 12x12 input) trained for a few TET steps on synthetic images whose class
    is the position of a bright patch, so its confidences spread over (0, 1) as a real model's do."""
    torch.manual_seed(0)
    n, classes = 600, 4
    y = torch.randint(0, classes, (n,))
    x = torch.randn(n, 1, 12, 12) * 0.5
    for i in range(n):
        r, c = divmod(int(y[i]), 2)
        x[i, 0, 6 * r:6 * r + 4, 6 * c:6 * c + 4] += 2.0
    model = create_model("smoke_cnn", num_classes=classes, in_channels=1, width=4, image_size=12)
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    model.train()
    for xb, yb in zip(x[:400].split(50), y[:400].split(50)):
        loss = tet_loss(model(repeat_time(xb, 4)), yb)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return model.eval(), x[400:], y[400:]


@pytest.fixture(scope="module")
def random_resnet():
    model, x = resnet19_setup(width_mult=1 / 16, images=24)
    return model, x[..., :16, :16]  # 16x16 crops keep the test quick; the network pools globally


def _simulated(model, x, t_max):
    mean_logits, _ = collect_logits(model, TensorDataset(x, torch.zeros(len(x), dtype=torch.long)), t_max,
                                    batch_size=128, progress=False)
    return mean_logits


@pytest.mark.parametrize("quantile", [0.3, 0.7])
def test_engine_equals_cached_logit_simulation_on_trained_model(trained_smoke, quantile):
    model, x, y = trained_smoke
    mean_logits = _simulated(model, x, 4)
    assert (mean_logits[-1].argmax(-1) == y).float().mean() > 0.5  # it learned something
    conf = mean_logits.softmax(-1).amax(-1)
    later = conf[1:][conf[1:] > conf[0].max()]  # at t = 1 few neurons fire yet: conf[0] is nearly flat
    alpha = float(later.quantile(quantile))
    exit_sim, pred_sim = confidence_exit(mean_logits, alpha)
    assert 1.0 < exit_sim.double().mean() < 4.0  # the threshold really splits the samples over t
    for batch_size, refill in [(64, True), (64, False), (200, False)]:
        result = run_engine(model, x, 4, ConfidenceExit(alpha), batch_size=batch_size, refill=refill)
        assert torch.equal(result.exit_t, exit_sim)
        assert torch.equal(result.pred, pred_sim)
    pred, exit_t = early_exit(model, x[:50], 4, alpha)
    assert torch.equal(exit_t, exit_sim[:50]) and torch.equal(pred, pred_sim[:50])


def test_engine_equals_simulation_under_bf16_autocast(trained_smoke):
    """The CUDA default (bf16 autocast), forced on the CPU: the engine still makes the simulation's exits."""
    model, x, _ = trained_smoke
    fp32 = _simulated(model, x, 4)
    previous = set_amp("on")
    try:
        mean_logits = _simulated(model, x, 4)
        assert not torch.equal(mean_logits, fp32)  # autocast really ran in bf16
        conf = mean_logits.softmax(-1).amax(-1)
        alpha = float(conf[1:][conf[1:] > conf[0].max()].median())  # as above: t = 1 is nearly flat
        exit_sim, pred_sim = confidence_exit(mean_logits, alpha)
        assert 1.0 < exit_sim.double().mean() < 4.0
        for batch_size, refill in [(64, True), (200, False)]:
            result = run_engine(model, x, 4, ConfidenceExit(alpha), batch_size=batch_size, refill=refill)
            assert torch.equal(result.exit_t, exit_sim) and torch.equal(result.pred, pred_sim)
    finally:
        set_amp(previous)


@pytest.mark.parametrize("score", ["sum", "entropy"])
def test_engine_equals_simulation_with_the_official_scores(trained_smoke, score):
    model, x, _ = trained_smoke
    mean_logits = _simulated(model, x, 4)
    conf = confidence(mean_logits, score)
    alpha = float(conf[1:][conf[1:] > conf[0].max()].median())
    exit_sim, pred_sim = confidence_exit(mean_logits, alpha, score)
    assert 1.0 < exit_sim.double().mean() < 4.0
    result = run_engine(model, x, 4, ConfidenceExit(alpha, score), batch_size=64, refill=True)
    assert torch.equal(result.exit_t, exit_sim) and torch.equal(result.pred, pred_sim)


def test_amp_and_neuron_backend_defaults_follow_the_device():
    cpu, cuda = torch.device("cpu"), torch.device("cuda")
    assert not amp_enabled(cpu) and amp_enabled(cuda)
    assert neuron_backend(cpu) == "plain" and neuron_backend(cuda) == "compiled"
    with pytest.raises(ValueError, match="amp mode"):
        set_amp("fp8")


def test_engine_equals_simulation_on_random_resnet19(random_resnet):
    model, x = random_resnet
    mean_logits = _simulated(model, x, 4)
    alpha = float(mean_logits.softmax(-1).amax(-1).median())  # about half the samples exit at some t < 4
    exit_sim, pred_sim = confidence_exit(mean_logits, alpha)
    assert (exit_sim < 4).any() and (exit_sim == 4).any()
    result = run_engine(model, x, 4, ConfidenceExit(alpha), batch_size=8, refill=True)
    assert torch.equal(result.exit_t, exit_sim) and torch.equal(result.pred, pred_sim)
    for t in (1, 3):  # the static SNN is the fixed-T policy
        exit_fixed, pred_fixed = fixed_exit(mean_logits, t)
        result = run_engine(model, x, 4, FixedT(t), batch_size=10)
        assert torch.equal(result.exit_t, exit_fixed) and torch.equal(result.pred, pred_fixed)


def test_planned_exit_runs_each_sample_its_chosen_steps(random_resnet):
    model, x = random_resnet
    mean_logits = _simulated(model, x, 4)
    chosen = torch.tensor([1, 4, 2, 3] * 6)
    plan = {tuple(xi.flatten()[:4].tolist()): t for xi, t in zip(x, chosen)}

    def policy(xb):  # a SEENN-II-like callable: x -> timesteps per sample
        return torch.tensor([plan[tuple(xi.flatten()[:4].tolist())] for xi in xb])

    result = run_engine(model, x, 4, policy, batch_size=5, refill=True)
    assert torch.equal(result.exit_t, chosen)
    assert torch.equal(result.pred, mean_logits[chosen - 1, torch.arange(len(x))].argmax(-1))
    single = one_at_a_time(model, x, 4, PlannedExit(policy))
    assert torch.equal(single.exit_t, chosen) and torch.equal(single.pred, result.pred)
    assert single.steps == int(chosen.sum())


def test_keep_and_refill_match_separate_runs(random_resnet):
    """Batch compaction and refill change nothing about any sample: outputs step by step equal those of
    each sample run alone, though samples join mid-way and leave at different t."""
    model, x = random_resnet
    x = x[:6]
    with torch.inference_mode():
        alone = model(repeat_time(x, 4))  # [4, 6, C], every sample for 4 steps
        model.reset()
        out0 = model.step(x[:3])  # samples 0, 1, 2 at t=1
        keep = torch.tensor([True, False, True])
        model.keep(keep)  # sample 1 exits
        for n in model.neurons():
            n.grow(2)  # samples 3, 4 join
        out1 = model.step(torch.cat([x[[0, 2]], x[3:5]]))
        model.reset()
    assert torch.allclose(out0, alone[0, :3], atol=1e-5)
    assert torch.allclose(out1[:2], alone[1, [0, 2]], atol=1e-5)  # second step of the kept samples
    assert torch.allclose(out1[2:], alone[0, 3:5], atol=1e-5)  # first step of the newcomers
    assert not torch.allclose(alone[0, [0, 2]], alone[1, [0, 2]])  # state really carried


def test_restart_reuses_a_slot_in_place(random_resnet):
    model, x = random_resnet
    x = x[:4]
    with torch.inference_mode():
        alone = model(repeat_time(x, 2))
        model.reset()
        model.step(x[:2])
        for n in model.neurons():
            n.restart(torch.tensor([False, True]))  # slot 1 now holds a new sample (x[2]) from t = 1
        out = model.step(torch.stack([x[0], x[2]]))
        model.reset()
    assert torch.allclose(out[0], alone[1, 0], atol=1e-5)  # slot 0 carried on to its second step
    assert torch.allclose(out[1], alone[0, 2], atol=1e-5)


def test_refill_keeps_the_batch_full_and_saves_steps(trained_smoke):
    model, x, _ = trained_smoke
    plan = PlannedExit(lambda xb: torch.where(xb.flatten(1)[:, 0] > 0, 1, 4))
    full = run_engine(model, x, 4, plan, batch_size=50, refill=True)
    batched = run_engine(model, x, 4, plan, batch_size=50, refill=False)
    assert torch.equal(full.exit_t, batched.exit_t) and torch.equal(full.pred, batched.pred)
    # every step of the refilled run holds 50 samples until the stream runs dry: ceil(sum exit_t / 50)
    # steps plus the drain at the end (at most t_max more); without refill each batch waits for 4 steps
    assert full.steps <= -(-int(full.exit_t.sum()) // 50) + 4
    assert batched.steps == 4 * (len(x) // 50)  # each batch of 50 holds both kinds


def test_realised_energy_of_static_run_equals_count_ops(random_resnet):
    model, x = random_resnet
    energy, result = engine_energy(model, x, 4, FixedT(3), batch_size=7)
    ops = summarize_ops(count_ops(model, repeat_time(x, 3)))
    assert energy["macs"].sum() == pytest.approx(ops["macs"], rel=1e-6)
    assert energy["sops"].sum() == pytest.approx(ops["sops"], rel=1e-4)
    assert energy["energy_pj"].sum() == pytest.approx(ops["energy_pj"], rel=1e-4)
    early, result = engine_energy(model, x, 4, PlannedExit(quantile_plan), batch_size=7)
    assert result.avg_timesteps < 3 and early["energy_pj"].sum() < energy["energy_pj"].sum()


def test_bad_inputs_are_rejected(random_resnet):
    model, x = random_resnet
    with pytest.raises(ValueError, match="alpha must lie in"):
        ConfidenceExit(1.5)
    with pytest.raises(ValueError, match="t_max and batch_size"):
        run_engine(model, x, 0, FixedT(1))
    with pytest.raises(ValueError, match="policy must be"):
        run_engine(model, x, 4, 0.9)
    with pytest.raises(ValueError, match="one timestep >= 1 per sample"):
        run_engine(model, x, 4, lambda xb: torch.zeros(len(xb)))
    with pytest.raises(ValueError, match="needs a seenn_lib.layers.SpikingNet"):
        run_engine(torch.nn.Linear(3, 3), x, 4, FixedT(1))


def test_peak_tensor_memory_counts_new_storage_alive_at_once():
    data = torch.empty(4000, 1000)  # exists before: not counted, nor are views of it
    with PeakTensorMemory() as m:
        view = data[:10]
        a, b = torch.empty(1000, 1000), torch.ones(500, 1000)  # 4 MB + 2 MB
        del a
        c = b.add_(1).mul(2).view(-1)  # in place: nothing new; mul: 2 MB; view: nothing new
        d = torch.empty(2000, 1000)  # 8 MB beside b and c
    assert m.peak == (2 + 2 + 8) * 1_000_000 and view.shape[0] == 10 and c.numel() == d.numel() // 4


def test_cpu_peak_memory_sees_the_time_folded_activations():
    """T = 16 folded holds [16*256, 16, 28, 28] activations (~200 MB each); step by step 1/16 of that."""
    model, x = create_model("smoke_cnn", in_channels=1, width=16).eval(), torch.randn(256, 1, 28, 28)
    folded = peak_memory_mb(model, x, 16, ("static", 16, True), 256, "cpu")
    stepwise = peak_memory_mb(model, x, 16, ("static", 16, False), 256, "cpu")
    one_layer = 256 * 16 * 28 * 28 * 4 / 2**20
    assert folded > 2 * 16 * one_layer and stepwise < 5 * one_layer, (folded, stepwise)
    assert stepwise >= 2 * one_layer  # the first layer's input current and state at least
