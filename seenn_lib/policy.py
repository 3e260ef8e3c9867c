"""SEENN-II (SEENN §3.4-3.5): a policy network picks each input's number of timesteps.

The policy f_p maps an image to n logits over an action set T = {t_1 < ... < t_n} of timestep
candidates; v = softmax(f_p(x)) (Eq. 6). The reward of action k is R_k = 1/2^{t_k} when f_{t_k}(x)
predicts the label, else -beta (Eq. 7). SNN and policy are fine-tuned jointly on the exact expectation
of Eq. 12 over the categorical distribution (no sampling):

    E_z[-R(z) + CE(f_{t_k}(x), y)] = sum_k v_k * (-R_k + CE_k).

R_k is a constant w.r.t. every parameter, so d/dtheta of -sum_k v_k R_k is minus Eq. 10,
sum_k R_k v_k d/dtheta log v_k. At inference the policy picks argmax_k v_k and the SNN runs t_k steps.
"""
from __future__ import annotations

import time
from contextlib import nullcontext
from dataclasses import asdict, dataclass, field
from typing import Iterable, Sequence

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from torch import nn
from tqdm.auto import tqdm

from . import distributed
from .artifacts import artifact_dir, load_cached, lock, save_torch
from .config import FINETUNE_PROFILES, TrainConfig, get_config
from .data import dataset_spec, load_datasets, make_loader, to_time_first
from .devices import resolve_device
from .energy import count_ops, summarize_ops
from .evaluate import collect_logits, running_mean
from .exits import alpha_sweep, check_mean_logits
from .inference import PlannedExit
from .layers import repeat_time
from .metrics import policy_summary
from .models import create_model
from .train import make_optimizer, run_epoch, seed_everything, subset, train

# ---- checks ------------------------------------------------------------------------------------


def check_beta(beta: float) -> float:
    beta = float(beta)
    if not (np.isfinite(beta) and beta >= 0):
        raise ValueError(f"beta must be a finite number >= 0 (the penalty of a wrong prediction, Eq. 7), "
                         f"got {beta}")
    return beta


def check_actions(actions: Iterable[int] | None, t_max: int) -> tuple[int, ...]:
    """The action set as a tuple of strictly increasing timesteps in 1..t_max (None = all of 1..t_max)."""
    if actions is None:
        return tuple(range(1, t_max + 1))
    acts = tuple(actions)
    if (not acts or any(int(a) != a for a in acts) or acts[0] < 1 or acts[-1] > t_max
            or any(b <= a for a, b in zip(acts, acts[1:]))):
        raise ValueError(f"actions must be a non-empty strictly increasing sequence of integers in "
                         f"1..{t_max} (T_max), e.g. (1, 2, 4); got {actions}")
    return tuple(int(a) for a in acts)


def _check_policy_logits(policy_logits: torch.Tensor, mean_logits: torch.Tensor, n_actions: int) -> None:
    n = mean_logits.shape[1]
    if policy_logits.shape != (n, n_actions):
        raise ValueError(f"policy_logits must be [N, n] = [{n}, {n_actions}] (one logit per action), "
                         f"got {tuple(policy_logits.shape)}")


# ---- the objective (Eq. 7, 10, 12) ---------------------------------------------------------------


def action_logits(mean_logits: torch.Tensor, actions: Iterable[int] | None) -> tuple[torch.Tensor, tuple]:
    """f_{t_k}(x) for every action: [n, N, C] rows of the running-mean logits, and the checked actions."""
    acts = check_actions(actions, check_mean_logits(mean_logits).shape[0])
    index = torch.tensor(acts, device=mean_logits.device) - 1
    return mean_logits.index_select(0, index), acts


def seenn2_reward(mean_logits: torch.Tensor, target: torch.Tensor, actions: Iterable[int] | None,
                  beta: float) -> torch.Tensor:
    """Eq. 7 for every action: [N, n], 1/2^{t_k} where f_{t_k} predicts the label, else -beta.
    Built from argmax correctness, so it carries no gradient."""
    beta = check_beta(beta)
    f, acts = action_logits(mean_logits.detach(), actions)
    correct = (f.argmax(-1) == target.unsqueeze(0)).T  # [N, n]
    bonus = torch.tensor([2.0 ** -t for t in acts], device=mean_logits.device, dtype=torch.float32)
    return torch.where(correct, bonus, torch.full_like(bonus, -beta))


def seenn2_objective(policy_logits: torch.Tensor, mean_logits: torch.Tensor, target: torch.Tensor,
                     actions: Iterable[int] | None, beta: float) -> torch.Tensor:
    """SEENN Eq. 12 with the exact expectation: mean over samples of sum_k v_k * (-R_k + CE_k).
    Gradients reach the policy through v and the SNN through CE_k = CE(f_{t_k}(x), y)."""
    f, acts = action_logits(mean_logits, actions)
    _check_policy_logits(policy_logits, mean_logits, len(acts))
    n_actions, n = f.shape[:2]
    ce = F.cross_entropy(f.flatten(0, 1).float(), target.repeat(n_actions), reduction="none")
    cost = ce.view(n_actions, n).T - seenn2_reward(mean_logits, target, acts, beta)
    return (policy_logits.float().softmax(-1) * cost).sum(-1).mean()


# ---- inference -----------------------------------------------------------------------------------


def policy_exit(policy_logits: torch.Tensor, mean_logits: torch.Tensor,
                actions: Iterable[int] | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """SEENN-II over cached logits: each sample runs t_k steps, k = argmax v. Returns (exit_t, pred)."""
    f, acts = action_logits(mean_logits, actions)
    _check_policy_logits(policy_logits, mean_logits, len(acts))
    choice = policy_logits.argmax(-1)
    pred = f.argmax(-1).gather(0, choice.unsqueeze(0)).squeeze(0)
    return torch.tensor(acts, device=choice.device)[choice], pred


def planned_exit(policy: nn.Module, actions: Sequence[int]) -> PlannedExit:
    """SEENN-II for the dynamic engine (seenn_lib.inference.run_engine): before the first step the policy
    picks t_k = actions[argmax v] for each sample, which then leaves the batch after t_k steps."""
    acts = torch.tensor(check_actions(actions, max(actions)))
    return PlannedExit(lambda x: acts.to(x.device)[policy(x).argmax(-1)])


# ---- the policy network --------------------------------------------------------------------------


class PolicyNet(nn.Module):
    """A non-spiking (ReLU) registry model folded to one timestep: image [B, ...] -> logits [B, n].
    `input_size` down-samples the image first (the paper's 112x112 for ImageNet)."""

    def __init__(self, backbone: nn.Module, input_size: int | None = None):
        super().__init__()
        self.backbone, self.input_size = backbone, input_size

    def prepare(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() == 5:  # event frames [B, T, C, H, W]: the paper does not say; we show the mean frame
            x = x.mean(1)
        if self.input_size is None or x.shape[-2:] == (self.input_size, self.input_size):
            return x
        return F.interpolate(x, size=(self.input_size, self.input_size), mode="bilinear",
                             align_corners=False, antialias=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.backbone(self.prepare(x).unsqueeze(0))[0]


@dataclass(frozen=True)
class PolicySpec:
    """What a SEENN-II experiment adds to its fine-tuning TrainConfig (config.FINETUNE_PROFILES)."""
    warmup: str  # experiment of the same profile whose TET-trained SNN starts the joint fine-tuning
    model: str = "smoke_cnn"  # registry name, built with neuron='relu'
    model_kw: dict = field(default_factory=dict)
    input_size: int | None = None
    actions: tuple[int, ...] | None = None  # None = 1..T_max


# (profile, experiment) -> policy; the experiment's TrainConfig in config.FINETUNE_PROFILES is the joint
# fine-tuning run. SEENN §4.1: ResNet-8 (ReLU) on CIFAR; on ImageNet its input is down-sampled to 112x112.
POLICY_SPECS: dict[tuple[str, str], PolicySpec] = {
    ("smoke", "seenn2"): PolicySpec(warmup="direct", model="smoke_cnn", model_kw={"width": 4}),
    ("ci", "seenn2"): PolicySpec(warmup="direct", model="smoke_cnn", model_kw={"width": 2}),
    **{("paper", f"seenn2_{w}"): PolicySpec(warmup=w, model="resnet8", input_size=112 if "imagenet" in w else None)
       for w in ("resnet19_cifar10", "resnet19_cifar100", "vgg16_cifar10", "vgg16_cifar100",
                 "resnet34_imagenet", "sew_resnet34_imagenet", "vggsnn_cifar10_dvs")},
}


def build_policy(spec: PolicySpec, dataset: str, n_actions: int) -> PolicyNet:
    ds = dataset_spec(dataset)
    backbone = create_model(spec.model, num_classes=n_actions, in_channels=ds.in_channels, neuron="relu",
                            **spec.model_kw)
    return PolicyNet(backbone, spec.input_size)


@dataclass(frozen=True)
class Seenn2Setup:
    finetune: TrainConfig
    warmup: TrainConfig
    policy: PolicySpec
    actions: tuple[int, ...]

    def key(self, beta: float) -> dict:
        return {"finetune": self.finetune.to_dict(), "warmup": self.warmup.to_dict(),
                "policy": asdict(self.policy), "actions": self.actions, "beta": check_beta(beta)}


def get_seenn2(profile: str, experiment: str = "seenn2") -> Seenn2Setup:
    """The fine-tuning config, the warm-up config and the policy of a SEENN-II experiment."""
    if (profile, experiment) not in POLICY_SPECS:
        raise ValueError(f"no SEENN-II policy for ({profile!r}, {experiment!r}); "
                         f"known: {sorted(POLICY_SPECS)} (add one to seenn_lib.policy.POLICY_SPECS)")
    spec = POLICY_SPECS[(profile, experiment)]
    finetune, warmup = FINETUNE_PROFILES[profile][experiment], get_config(profile, spec.warmup)
    for name in ("dataset", "model", "model_kw", "time_steps"):
        if getattr(finetune, name) != getattr(warmup, name):
            raise ValueError(f"SEENN-II fine-tuning {experiment!r} and its warm-up {spec.warmup!r} differ in "
                             f"{name} ({getattr(finetune, name)!r} vs {getattr(warmup, name)!r}); "
                             "they must describe the same SNN")
    return Seenn2Setup(finetune, warmup, spec, check_actions(spec.actions, finetune.time_steps))


# ---- joint fine-tuning (SEENN §3.5) --------------------------------------------------------------


class JointSeenn2(nn.Module):
    """SNN + policy as one module, so that one DDP wrapper all-reduces both gradients. forward(x) gives
    (policy logits [B, n], running-mean SNN logits [T_max, B, K]): one SNN pass gives every f_{t_k}.
    Its state dict keys ("snn.*", "policy.*") are the checkpoint format of joint fine-tuning."""

    def __init__(self, snn: nn.Module, policy: nn.Module, actions: tuple[int, ...]):
        super().__init__()
        self.snn, self.policy, self.actions = snn, policy, actions

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        frames = x.shape[1] if x.dim() == 5 else self.actions[-1]  # event data bring their own T
        return self.policy(x), running_mean(self.snn(to_time_first(x, frames)[:self.actions[-1]]))


def joint_epoch(joint: nn.Module, loader, opt, sched, actions: tuple[int, ...], beta: float, device,
                desc: str = "joint") -> float:
    """One epoch of Eq. 12 on a JointSeenn2 (or its DDP wrapper)."""
    return run_epoch([joint], loader, opt, sched, lambda x, y: seenn2_objective(*joint(x), y, actions, beta),
                     device, desc)


def _resume(ckpt_path, key: dict, joint: nn.Module, opt, sched) -> int:
    """Restore a joint fine-tuning checkpoint; returns the number of epochs already done."""
    ckpt = load_cached(ckpt_path, key)
    if ckpt is None:
        return 0
    joint.load_state_dict(ckpt["model"])
    opt.load_state_dict(ckpt["optimizer"])
    sched.load_state_dict(ckpt["scheduler"])
    torch.set_rng_state(ckpt["rng"])
    return ckpt["epoch"]


def train_seenn2(setup: Seenn2Setup, beta: float, device="cpu", progress: bool = True):
    """Joint fine-tuning from the TET warm-up (trained first if needed), with atomic per-epoch
    checkpoints and resume. Returns (snn, policy) in eval mode; cached under the config + beta.
    Under torchrun it trains data-parallel like `train`: `batch_size` is the global batch, rank 0 writes."""
    ctx = distributed.setup(resolve_device(device))
    key = setup.key(beta)
    out = artifact_dir("seenn2", key)
    final = out / "model.pt"
    snn = train(setup.warmup, device=device, progress=progress)
    policy = build_policy(setup.policy, setup.finetune.dataset, len(setup.actions))
    joint = JointSeenn2(snn, policy, setup.actions).to(ctx.device)
    with lock(out) if ctx.main else nullcontext():
        done = load_cached(final, key)
        if done is None:
            _fit_joint(setup, beta, joint, ctx, out / "checkpoint.pt", progress)
            if ctx.main:
                save_torch({"model": joint.state_dict()}, final, key)
            distributed.barrier(ctx)
        else:
            joint.load_state_dict(done["model"])
    return snn.eval(), policy.eval()


def _fit_joint(setup: Seenn2Setup, beta: float, joint: JointSeenn2, ctx, ckpt_path, progress: bool) -> None:
    cfg, key = setup.finetune, setup.key(beta)
    seed_everything(cfg.seed)
    train_ds = subset(load_datasets(cfg.dataset)[0], cfg.train_subset)
    batch = distributed.per_rank_batch(cfg.batch_size, ctx)
    opt, sched = make_optimizer(cfg, joint, cfg.epochs * -(-len(train_ds) // cfg.batch_size))
    start = _resume(ckpt_path, key, joint, opt, sched)
    net = distributed.wrap(joint, ctx)
    epochs = tqdm(range(start, cfg.epochs), desc=f"SEENN-II beta={beta:g}", disable=not (progress and ctx.main))
    for epoch in epochs:
        loader = make_loader(train_ds, batch, shuffle=True, seed=cfg.seed + epoch, rank=ctx.rank, world=ctx.world)
        loss = joint_epoch(net, loader, opt, sched, setup.actions, beta, ctx.device,
                           f"epoch {epoch + 1}/{cfg.epochs}")
        epochs.set_postfix(loss=f"{loss:.3f}")
        if ctx.main:
            save_torch({"model": joint.state_dict(), "optimizer": opt.state_dict(),
                        "scheduler": sched.state_dict(), "rng": torch.get_rng_state(), "epoch": epoch + 1},
                       ckpt_path, key)


@torch.no_grad()
def collect_policy_logits(policy: nn.Module, dataset, device="cpu", batch_size: int = 256) -> torch.Tensor:
    """[N, n] policy logits of every sample, in the dataset's order."""
    device = resolve_device(device)
    policy.to(device).eval()
    return torch.cat([policy(x.to(device)).float().cpu()
                      for x, _ in make_loader(dataset, batch_size, shuffle=False)])


def seenn2_outputs(setup: Seenn2Setup, beta: float, device="cpu", progress: bool = True) -> dict:
    """Test-set outputs of the jointly fine-tuned pair, cached: mean_logits [T, N, C] of the SNN,
    policy_logits [N, n], targets [N]."""
    key = setup.key(beta)
    path = artifact_dir("seenn2", key) / "outputs.pt"
    blob = load_cached(path, key)
    if blob is None:
        snn, policy = train_seenn2(setup, beta, device, progress)
        test_ds = subset(load_datasets(setup.finetune.dataset)[1], setup.finetune.test_subset)
        mean_logits, targets = collect_logits(snn, test_ds, setup.actions[-1], device, progress=progress)
        blob = {"mean_logits": mean_logits, "policy_logits": collect_policy_logits(policy, test_ds, device),
                "targets": targets}
        save_torch(blob, path, key)
    return blob


# ---- sweeps and comparisons ----------------------------------------------------------------------

# confidence thresholds dense enough that a SEENN-I curve can be read at any average T
DENSE_ALPHAS = tuple(np.round(np.concatenate([np.linspace(0.1, 0.9, 17), 1 - np.logspace(-1.1, -6, 30)]), 8))


def accuracy_at_timesteps(curve: pd.DataFrame, avg_timesteps: float) -> float:
    """Accuracy of an (avg_timesteps, accuracy) curve at a given average T, linearly interpolated
    (the best accuracy where several points share an average T); NaN outside the curve's range."""
    pts = curve.groupby("avg_timesteps", as_index=False)["accuracy"].max()
    x, y = pts["avg_timesteps"].to_numpy(), pts["accuracy"].to_numpy()
    if not x[0] <= avg_timesteps <= x[-1]:
        return float("nan")
    return float(np.interp(avg_timesteps, x, y))


def beta_sweep(setup: Seenn2Setup, betas: Sequence[float], alphas: Sequence[float] = DENSE_ALPHAS,
               device="cpu", progress: bool = True) -> pd.DataFrame:
    """Tidy table, one row per beta: SEENN-II accuracy (%), average timesteps, share exiting at each
    action, and SEENN-I (alpha sweep) on the same fine-tuned SNN read at the same average T."""
    rows = []
    for beta in tqdm(betas, desc="beta sweep", disable=not progress):
        out = seenn2_outputs(setup, beta, device, progress)
        exit_t, pred = policy_exit(out["policy_logits"], out["mean_logits"], setup.actions)
        row = {"beta": float(beta), **policy_summary(exit_t, pred, out["targets"])}
        row |= {f"share_t{t}": float((exit_t == t).double().mean()) for t in setup.actions}
        same_snn = alpha_sweep(out["mean_logits"], out["targets"], alphas)
        row["seenn1_same_snn_accuracy"] = accuracy_at_timesteps(same_snn, row["avg_timesteps"])
        rows.append(row)
    return pd.DataFrame(rows)


def versus_seenn1(seenn2: pd.DataFrame, curve: pd.DataFrame, name: str = "seenn1") -> pd.DataFrame:
    """SEENN-II's sweep with a SEENN-I alpha curve's accuracy at the same average T, and the gap."""
    df = seenn2.copy()
    df[f"{name}_accuracy"] = [accuracy_at_timesteps(curve, t) for t in df["avg_timesteps"]]
    df[f"gap_vs_{name}"] = df["accuracy"] - df[f"{name}_accuracy"]
    return df


# ---- easy / hard samples (SEENN Fig. 5) -----------------------------------------------------------

# index -> name of the classes shown per dataset: the paper's six ImageNet classes (standard 1k indices);
# for Fashion-MNIST, tops that look alike (hard) beside distinct shapes (easy)
FIG5_CLASSES: dict[str, dict[int, str]] = {
    "imagenet": {950: "orange", 943: "cucumber", 971: "bubble", 937: "broccoli", 403: "aircraft carrier",
                 862: "torch"},
    "fashion-mnist": {0: "T-shirt/top", 2: "Pullover", 4: "Coat", 6: "Shirt", 7: "Sneaker", 8: "Bag"},
}


def fig5_classes(dataset: str) -> dict[int, str]:
    """The classes to show for a dataset: FIG5_CLASSES, else its first six class indices."""
    return FIG5_CLASSES.get(dataset) or {c: str(c) for c in range(min(6, dataset_spec(dataset).num_classes))}


def expected_timesteps(policy_logits: torch.Tensor, actions: Sequence[int]) -> torch.Tensor:
    """[N] E_v[t] = sum_k v_k t_k: the policy's graded view of how hard each input is."""
    return policy_logits.double().softmax(-1) @ torch.tensor(actions, dtype=torch.float64)


def easy_hard_samples(policy_logits: torch.Tensor, targets: torch.Tensor, classes: Iterable[int],
                      actions: Sequence[int], per_group: int = 6) -> pd.DataFrame:
    """For each class, up to `per_group` test indices the policy sends to its earliest timestep, lowest
    E_v[t] first (easy), and to its latest, highest E_v[t] first (hard). Where the policy sends everything
    to one t, the two groups are the two ends of the E_v[t] ranking. Tidy: class, group, t, expected_t, index."""
    expected = expected_timesteps(policy_logits, actions)
    exit_t = torch.tensor(actions)[policy_logits.argmax(-1)]
    rows = []
    for c in classes:
        for group, t, hardest_first in (("easy", int(exit_t.min()), False), ("hard", int(exit_t.max()), True)):
            idx = torch.nonzero((targets == c) & (exit_t == t)).flatten()
            idx = idx[expected[idx].argsort(descending=hardest_first)][:per_group]
            rows += [{"class": int(c), "group": group, "t": t, "expected_t": float(expected[i]), "index": int(i)}
                     for i in idx]
    return pd.DataFrame(rows, columns=["class", "group", "t", "expected_t", "index"])


def difficulty_bins(policy_logits: torch.Tensor, mean_logits: torch.Tensor, targets: torch.Tensor,
                    actions: Sequence[int], bins: int = 5) -> pd.DataFrame:
    """Test inputs in `bins` equal-size bins of the policy's E_v[t], easiest first: the SNN's accuracy (%)
    at the earliest action and at T_max in each. A policy that sees difficulty gives rising gains."""
    order = expected_timesteps(policy_logits, actions).argsort()
    correct = (mean_logits.argmax(-1) == targets.unsqueeze(0)).double() * 100
    rows = []
    for b, idx in enumerate(order.tensor_split(bins)):
        first, last = correct[actions[0] - 1, idx].mean().item(), correct[-1, idx].mean().item()
        rows.append({"bin": b + 1, "samples": len(idx),
                     "expected_t": float(expected_timesteps(policy_logits[idx], actions).mean()),
                     "accuracy_first_t": first, "accuracy_t_max": last, "gain": last - first})
    return pd.DataFrame(rows)


def exit_by_class(exit_t: torch.Tensor, pred: torch.Tensor, targets: torch.Tensor,
                  classes: dict[int, str]) -> pd.DataFrame:
    """Per chosen class: samples, SEENN-II accuracy (%), average timesteps and share sent to t = 1."""
    rows = []
    for c, name in classes.items():
        mask = targets == c
        if mask.any():
            rows.append({"class": c, "name": name, "samples": int(mask.sum()),
                         **policy_summary(exit_t[mask], pred[mask], targets[mask]),
                         "share_t1": float((exit_t[mask] == 1).double().mean())})
    return pd.DataFrame(rows)


# ---- cost of the policy next to the SNN's ----------------------------------------------------------


def _ms_per_batch(fn, repeats: int) -> float:
    with torch.no_grad():
        fn()  # warm-up
        start = time.perf_counter()
        for _ in range(repeats):
            fn()
    return (time.perf_counter() - start) / repeats * 1000


def policy_cost(snn: nn.Module, policy: PolicyNet, x: torch.Tensor, time_steps: int, device="cpu",
                repeats: int = 3) -> pd.DataFrame:
    """The policy (one pass) next to the SNN (time_steps steps) on a batch x: parameters, MACs, SOPs and
    energy per sample (seenn_lib.energy's model), wall time per batch, and each one's share of the SNN's;
    dense_ops_vs_snn compares the layers' MACs of one pass (spikes or not), as the paper's 0.547% does."""
    device = resolve_device(device)
    snn, policy, x = snn.to(device).eval(), policy.to(device).eval(), x.to(device)
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    runs = [("policy", policy.backbone, policy.prepare(x).unsqueeze(0), lambda: (policy(x), sync())),
            (f"snn (T={time_steps})", snn, repeat_time(x, time_steps),
             lambda: (snn(repeat_time(x, time_steps)), sync()))]
    rows = [{"network": name, **summarize_ops(count_ops(net, x_seq)), "ms_per_batch": _ms_per_batch(fn, repeats),
             "batch": len(x), "device": device.type} for name, net, x_seq, fn in runs]
    df = pd.DataFrame(rows)
    df["dense_ops_vs_snn"] = df["macs_per_step"] / df["macs_per_step"].iloc[-1]  # the paper's 0.547%
    df["energy_vs_snn"] = df["energy_pj"] / df["energy_pj"].iloc[-1]
    df["time_vs_snn"] = df["ms_per_batch"] / df["ms_per_batch"].iloc[-1]
    return df
