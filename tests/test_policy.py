"""SEENN-II: reward (Eq. 7), exact-expectation objective (Eq. 12) and its gradient (Eq. 10)."""
import math

import pytest
import torch
import torch.nn.functional as F
from torch.utils.data import TensorDataset

from seenn_lib.analysis.seenn2 import accuracy_at_timesteps, difficulty_bins, easy_hard_samples, policy_cost
from seenn_lib.artifacts import load_torch
from seenn_lib.config import PolicySpec, TrainConfig, get_profile
from seenn_lib.distributed import Context
from seenn_lib.models import create_model
from seenn_lib.neurons import SpikingNeuron
from seenn_lib.policy import JointSeenn2, PolicyNet, Seenn2Job, build_policy, seenn2_objective
from seenn_lib.seenn2 import Seenn2Setup, check_actions, get_seenn2, policy_exit, seenn2_reward
from seenn_lib.train import fit

# T = 3, N = 2, C = 2. Sample 0 (label 0) is right at t = 1 and 3, wrong at t = 2;
# sample 1 (label 1) is wrong at t = 1, right at t = 2 and 3.
MEAN_LOGITS = torch.tensor([[[2.0, 0.0], [1.0, 0.0]],
                            [[0.0, 1.0], [0.0, 2.0]],
                            [[1.0, 0.0], [0.0, 3.0]]])
TARGET = torch.tensor([0, 1])
ACTIONS = (1, 3)
BETA = 0.5


def _ce(z0, z1, label):
    """Cross-entropy of two logits, written out: log(e^z0 + e^z1) - z_label."""
    return math.log(math.exp(z0) + math.exp(z1)) - (z0, z1)[label]


def test_reward_by_hand_and_without_gradient():
    logits = MEAN_LOGITS.clone().requires_grad_()
    reward = seenn2_reward(logits, TARGET, ACTIONS, BETA)
    # actions t = 1, 3: sample 0 right at both (1/2, 1/8); sample 1 wrong at t=1 (-beta), right at t=3.
    assert reward.tolist() == [[0.5, 0.125], [-0.5, 0.125]]
    assert not reward.requires_grad
    assert seenn2_reward(MEAN_LOGITS, TARGET, (2,), 3.0).tolist() == [[-3.0], [0.25]]


def test_objective_value_by_hand():
    policy_logits = torch.tensor([[0.0, math.log(3.0)], [1.0, 1.0]])  # v = (1/4, 3/4) and (1/2, 1/2)
    ce = [[_ce(2, 0, 0), _ce(1, 0, 0)], [_ce(1, 0, 1), _ce(0, 3, 1)]]
    by_hand = (0.25 * (-0.5 + ce[0][0]) + 0.75 * (-0.125 + ce[0][1])
               + 0.5 * (0.5 + ce[1][0]) + 0.5 * (-0.125 + ce[1][1])) / 2
    value = seenn2_objective(policy_logits, MEAN_LOGITS, TARGET, ACTIONS, BETA)
    assert value.item() == pytest.approx(by_hand, rel=1e-6)


def test_gradient_wrt_policy_logits_is_eq10_plus_ce_term_by_hand():
    policy_logits = torch.tensor([[0.3, -0.2], [1.0, 0.4]], requires_grad=True)
    seenn2_objective(policy_logits, MEAN_LOGITS, TARGET, ACTIONS, BETA).backward()
    v = policy_logits.detach().softmax(-1).tolist()
    reward = [[0.5, 0.125], [-0.5, 0.125]]
    ce = [[_ce(2, 0, 0), _ce(1, 0, 0)], [_ce(1, 0, 1), _ce(0, 3, 1)]]
    expected = torch.zeros(2, 2)
    for i in range(2):
        for j in range(2):
            # d log v_k / d l_j = [k == j] - v_j
            eq10 = sum(reward[i][k] * v[i][k] * ((k == j) - v[i][j]) for k in range(2))
            ce_term = sum(ce[i][k] * v[i][k] * ((k == j) - v[i][j]) for k in range(2))
            expected[i, j] = (-eq10 + ce_term) / 2  # minimise -E[R] + E[CE]; mean over N = 2
    assert torch.allclose(policy_logits.grad, expected, atol=1e-6)


def _linear_policy_case(seed, n_actions, n_samples=3, features=5, t_max=4, classes=3):
    """A linear policy l = x @ theta over n_actions, and random per-t SNN logits."""
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(n_samples, features, generator=gen)
    theta = torch.randn(features, n_actions, generator=gen).requires_grad_()
    mean_logits = torch.randn(t_max, n_samples, classes, generator=gen) * 2
    target = torch.randint(0, classes, (n_samples,), generator=gen)
    return x, theta, mean_logits, target


def _cost(mean_logits, target, actions, beta):
    """[N, n] -R_k + CE_k, the CE written independently of seenn2_objective."""
    ce = torch.stack([F.cross_entropy(mean_logits[t - 1], target, reduction="none") for t in actions], 1)
    return ce - seenn2_reward(mean_logits, target, actions, beta)


def test_gradient_wrt_theta_equals_eq10_through_log_v():
    """Independent path: Eq. 10 assembled from autograd of each log v_k separately."""
    actions, beta = (1, 2, 3, 4), 1.5
    x, theta, mean_logits, target = _linear_policy_case(0, len(actions))
    seenn2_objective(x @ theta, mean_logits, target, actions, beta).backward()
    cost = _cost(mean_logits, target, actions, beta)
    log_v = (x @ theta).log_softmax(-1)
    expected = torch.zeros_like(theta)
    for i in range(len(x)):
        for k in range(len(actions)):
            (g,) = torch.autograd.grad(log_v[i, k], theta, retain_graph=True)
            expected += cost[i, k] * log_v[i, k].exp().detach() * g / len(x)
    assert torch.allclose(theta.grad, expected, atol=1e-5)
    assert theta.grad.abs().max() > 0.05  # a non-trivial gradient, not 0 == 0


def test_gradient_matches_monte_carlo_reinforce():
    """REINFORCE with many sampled actions z ~ v (Eq. 9) estimates the exact gradient."""
    actions, beta = (1, 3, 4), 2.0
    x, theta, mean_logits, target = _linear_policy_case(1, len(actions))
    seenn2_objective(x @ theta, mean_logits, target, actions, beta).backward()
    theta_mc = theta.detach().clone().requires_grad_()
    log_v = (x @ theta_mc).log_softmax(-1)
    z = torch.multinomial(log_v.detach().exp(), 400_000, replacement=True,
                          generator=torch.Generator().manual_seed(2))  # [N, S] sampled action indices
    cost = _cost(mean_logits, target, actions, beta)
    (cost.gather(1, z) * log_v.gather(1, z)).mean(1).mean().backward()
    assert torch.allclose(theta_mc.grad, theta.grad, atol=0.01), (theta_mc.grad, theta.grad)
    assert theta.grad.abs().max() > 0.05


def test_reward_is_constant_wrt_parameters():
    """The SNN receives gradient only through CE_k (weighted by v), never through correctness."""
    logits = MEAN_LOGITS.clone().requires_grad_()
    policy_logits = torch.tensor([[0.3, -0.2], [1.0, 0.4]])
    seenn2_objective(policy_logits, logits, TARGET, ACTIONS, BETA).backward()
    v = policy_logits.softmax(-1)
    only_ce = logits.detach().clone().requires_grad_()
    ce = torch.stack([F.cross_entropy(only_ce[t - 1], TARGET, reduction="none") for t in ACTIONS], 1)
    (v * ce).sum(-1).mean().backward()
    assert torch.allclose(logits.grad, only_ce.grad)
    assert logits.grad[1].abs().sum() == 0  # t = 2 is not an action: no gradient reaches it


def test_policy_exit_over_any_increasing_subset():
    policy_logits = torch.tensor([[5.0, 0.0], [0.0, 5.0]])
    exit_t, pred = policy_exit(policy_logits, MEAN_LOGITS, (2, 3))
    assert exit_t.tolist() == [2, 3]
    assert pred.tolist() == [1, 1]  # sample 0 at t=2 -> class 1; sample 1 at t=3 -> class 1
    exit_t, pred = policy_exit(torch.tensor([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]), MEAN_LOGITS)
    assert exit_t.tolist() == [1, 2] and pred.tolist() == [0, 1]


@pytest.mark.parametrize("actions", [(2, 1), (0, 1), (1, 4), (1, 1, 2), (), (1.5, 2)])
def test_bad_actions_raise(actions):
    with pytest.raises(ValueError, match="strictly increasing"):
        check_actions(actions, 3)


@pytest.mark.parametrize("beta", [-0.1, float("nan"), float("inf")])
def test_bad_beta_raises(beta):
    with pytest.raises(ValueError, match="beta must be"):
        seenn2_objective(torch.zeros(2, 2), MEAN_LOGITS, TARGET, ACTIONS, beta)


def test_policy_logits_must_match_the_action_set():
    with pytest.raises(ValueError, match=r"\[N, n\] = \[2, 2\]"):
        seenn2_objective(torch.zeros(2, 3), MEAN_LOGITS, TARGET, ACTIONS, BETA)


def test_policy_nets_fold_one_timestep_and_downsample():
    spec = get_profile("smoke").policies["seenn2"]
    policy = build_policy(spec, "fashion-mnist", 4)
    out = policy(torch.randn(5, 1, 28, 28))
    assert out.shape == (5, 4)
    assert not any(isinstance(m, SpikingNeuron) for m in policy.modules())  # ReLU, not spiking
    shrink = PolicyNet(create_model("smoke_cnn", num_classes=2, neuron="relu", width=2, image_size=14), 14)
    assert shrink(torch.randn(3, 1, 28, 28)).shape == (3, 2)


def test_seenn2_setups_are_consistent():
    setup = get_seenn2("smoke")
    assert setup.actions == (1, 2, 3, 4)
    assert setup.warmup.loss == "tet" and setup.finetune.model_kw == setup.warmup.model_kw
    paper = get_seenn2("paper", "seenn2_resnet19_cifar10")
    assert paper.finetune.epochs == 75 and paper.finetune.lr == 0.01 and paper.policy.model == "resnet8"
    with pytest.raises(ValueError, match="no SEENN-II policy"):
        get_seenn2("smoke", "direct")


def test_joint_fine_tuning_on_the_driver_updates_snn_and_policy(tmp_path):
    torch.manual_seed(0)
    snn = create_model("smoke_cnn", in_channels=1, width=2)
    spec = PolicySpec(warmup="direct", model_kw={"width": 2})
    policy = build_policy(spec, "fashion-mnist", 2)
    data = TensorDataset(torch.randn(16, 1, 28, 28), torch.randint(0, 10, (16,)))
    both = JointSeenn2(snn, policy, (1, 3))
    before = {k: v.clone() for k, v in both.state_dict().items()}
    cfg = TrainConfig(lr=0.05, batch_size=8, epochs=1, model_kw={"width": 2})
    job = Seenn2Job(Seenn2Setup(cfg, cfg, spec, (1, 3)), 1.0, both, data, tmp_path / "checkpoint.pt")
    losses = []
    job.end_epoch = lambda done, loss: losses.append(loss)
    fit(job, Context(), progress=False)
    assert len(losses) == 1 and math.isfinite(losses[0])
    assert load_torch(tmp_path / "checkpoint.pt")["epoch"] == 1
    after = both.state_dict()
    assert not torch.equal(before["snn.classifier.weight"], after["snn.classifier.weight"])
    assert not torch.equal(before["policy.backbone.classifier.weight"],
                           after["policy.backbone.classifier.weight"])


def test_joint_fine_tuning_gives_the_snn_its_own_learning_rate(tmp_path):
    torch.manual_seed(0)
    snn, data = create_model("smoke_cnn", in_channels=1, width=2), TensorDataset(torch.randn(16, 1, 28, 28),
                                                                                 torch.randint(0, 10, (16,)))
    cfg = TrainConfig(lr=0.05, batch_size=8, epochs=1, model_kw={"width": 2})

    def job(scale):
        spec = PolicySpec(warmup="direct", model_kw={"width": 2}, snn_lr_scale=scale)
        both = JointSeenn2(snn, build_policy(spec, "fashion-mnist", 2), (1, 3))
        return both, Seenn2Job(Seenn2Setup(cfg, cfg, spec, (1, 3)), 1.0, both, data, tmp_path / f"{scale}.pt")
    opt, _ = job(0.25)[1].optimizer()
    assert [g["lr"] for g in opt.param_groups] == [0.05, 0.0125]  # policy, SNN
    both, frozen = job(0.0)
    before = {k: v.clone() for k, v in both.state_dict().items()}
    fit(frozen, Context(), progress=False)
    after = both.state_dict()
    assert torch.equal(before["snn.classifier.weight"], after["snn.classifier.weight"])
    assert not torch.equal(before["policy.backbone.classifier.weight"], after["policy.backbone.classifier.weight"])
    with pytest.raises(ValueError, match="snn_lr_scale"):
        PolicySpec(warmup="direct", snn_lr_scale=-0.1)


def test_accuracy_at_timesteps_interpolates():
    import pandas as pd
    curve = pd.DataFrame({"avg_timesteps": [1.0, 2.0, 2.0, 4.0], "accuracy": [80.0, 85.0, 84.0, 90.0]})
    assert accuracy_at_timesteps(curve, 1.5) == pytest.approx(82.5)
    assert accuracy_at_timesteps(curve, 3.0) == pytest.approx(87.5)
    assert math.isnan(accuracy_at_timesteps(curve, 4.5))


def test_easy_hard_samples_and_cost_table():
    # actions (1, 4): samples 0, 2, 5 go to t=1 (sample 5 the most surely), 1 and 4 to t=4
    policy_logits = torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0], [0.0, 0.5], [0.0, 2.0], [3.0, 0.0]])
    targets = torch.tensor([0, 0, 1, 1, 1, 0])
    df = easy_hard_samples(policy_logits, targets, classes=[0, 1], actions=(1, 4), per_group=1)
    assert df[["class", "group", "t", "index"]].values.tolist() == [
        [0, "easy", 1, 5], [0, "hard", 4, 1], [1, "easy", 1, 2], [1, "hard", 4, 4]]
    v = 1 / (1 + math.exp(-3.0))  # softmax([3, 0])[0]
    assert df.expected_t.iloc[0] == pytest.approx(v * 1 + (1 - v) * 4)
    # everything sent to t=1: easy and hard are the two ends of the E_v[t] ranking
    all_first = torch.tensor([[1.0, 0.0], [0.2, 0.0], [0.5, 0.0], [0.1, 0.0], [0.3, 0.0], [3.0, 0.0]])
    one_t = easy_hard_samples(all_first, torch.zeros(6, dtype=torch.long), [0], (1, 4), per_group=2)
    assert one_t.groupby("group")["index"].apply(list).to_dict() == {"easy": [5, 0], "hard": [3, 1]}
    # class 1 all at t=4 while class 0 has a t=1 sample: class 1 still gets both ends of its own ranking
    mixed = easy_hard_samples(policy_logits, torch.tensor([0, 1, 0, 1, 1, 0]), [1], (1, 4), per_group=1)
    assert mixed[["group", "t", "index"]].values.tolist() == [["easy", 4, 3], ["hard", 4, 4]]
    bins = difficulty_bins(all_first, MEAN_LOGITS[:, [0, 1, 0, 1, 0, 1]], torch.tensor([0, 1, 0, 1, 0, 1]),
                           (1, 3), bins=2)
    # easiest half = samples 5, 0, 2 (labels 1, 0, 0); at t=1 sample 0/2 right, 5 wrong; at t=3 all right
    assert bins.samples.tolist() == [3, 3]
    assert bins.accuracy_first_t.iloc[0] == pytest.approx(200 / 3) and bins.accuracy_t_max.iloc[0] == 100
    snn = create_model("smoke_cnn", in_channels=1, width=4)
    policy = build_policy(PolicySpec(warmup="direct", model_kw={"width": 2}), "fashion-mnist", 4)
    cost = policy_cost(snn, policy, torch.randn(8, 1, 28, 28), 4, repeats=1)
    assert list(cost.network) == ["policy", "snn (T=4)"]
    assert cost.params.iloc[0] < cost.params.iloc[1]
    # the policy is an ANN: every op a MAC; width 2 on 28x28: 9*1*2*784 + 9*2*4*196 + 9*4*8*49 + 392*4
    assert cost.macs.iloc[0] == 9 * 2 * 784 + 9 * 8 * 196 + 9 * 32 * 49 + 392 * 4
    assert cost.sops.iloc[0] == 0 and cost.sops.iloc[1] > 0
    assert cost.energy_vs_snn.iloc[1] == 1.0 and cost.time_vs_snn.iloc[1] == 1.0


def test_cache_key_separates_betas_and_rejects_bad_beta():
    setup = get_seenn2("ci")
    assert setup.key(0.5) != setup.key(2.0)
    assert setup.key(2) == setup.key(2.0)
    with pytest.raises(ValueError, match="beta must be"):
        setup.key(-1.0)


def test_engine_with_the_policy_matches_the_cached_lookup():
    """SEENN-II through the dynamic engine (samples leave the batch at their chosen t) gives the same
    exits and predictions as policy_exit on the cached logits."""
    from seenn_lib.evaluate import collect_logits
    from seenn_lib.inference import run_engine
    from seenn_lib.policy import collect_policy_logits
    from seenn_lib.seenn2 import planned_exit
    from seenn_lib.models import create_model
    from torch.utils.data import TensorDataset
    torch.manual_seed(0)
    snn = create_model("smoke_cnn", in_channels=1, width=4).eval()
    policy = PolicyNet(create_model("smoke_cnn", num_classes=3, in_channels=1, width=2, neuron="relu")).eval()
    x = torch.randn(40, 1, 28, 28) * 2
    data = TensorDataset(x, torch.zeros(40, dtype=torch.long))
    actions = (1, 2, 4)
    mean_logits, _ = collect_logits(snn, data, 4, progress=False)
    exit_t, pred = policy_exit(collect_policy_logits(policy, data), mean_logits, actions)
    assert len(set(exit_t.tolist())) > 1  # the random policy really sends samples to different t
    result = run_engine(snn, x, 4, planned_exit(policy, actions), batch_size=16)
    assert torch.equal(result.exit_t.cpu(), exit_t) and torch.equal(result.pred.cpu(), pred)
