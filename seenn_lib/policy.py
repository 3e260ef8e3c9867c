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

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from . import distributed
from .artifacts import artifact_dir, cached
from .config import PolicySpec, TrainConfig, experiment_of, get_config, get_profile
from .data import dataset_spec, load_datasets, make_loader, to_time_first
from .devices import place, resolve_device
from .logits import running_mean
from .exits import check_mean_logits
from .inference import PlannedExit
from .models import create_model
from .train import Job, fit, seed_everything, subset, train, whole_run_optimizer

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


def get_seenn2(profile: str, experiment: str = "") -> Seenn2Setup:
    """The fine-tuning config, the warm-up config and the policy of a SEENN-II experiment of a profile
    (default: the first of its seenn2 group)."""
    experiment = experiment_of(profile, "seenn2", experiment)
    prof = get_profile(profile)
    if experiment not in prof.policies:
        raise ValueError(f"no SEENN-II policy for ({profile!r}, {experiment!r}); the profile has "
                         f"{sorted(prof.policies)} (add one to its table in seenn_lib.config)")
    spec = prof.policies[experiment]
    finetune, warmup = prof.finetune[experiment], get_config(profile, spec.warmup)
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

    def param_groups(self, snn_lr: float) -> list[dict]:
        """The optimizer's groups: the policy at the optimizer's lr, the SNN at `snn_lr`."""
        return [{"params": list(self.policy.parameters())}, {"params": list(self.snn.parameters()), "lr": snn_lr}]

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        frames = x.shape[1] if x.dim() == 5 else self.actions[-1]  # event data bring their own T
        return self.policy(x), running_mean(self.snn(to_time_first(x, frames)[:self.actions[-1]]))


class Seenn2Job(Job):
    """Joint fine-tuning of a JointSeenn2 on SEENN Eq. 12 (exact expectation over the actions)."""

    def __init__(self, setup: Seenn2Setup, beta: float, joint: JointSeenn2, dataset, checkpoint: Path):
        cfg = setup.finetune
        optimizer = whole_run_optimizer(cfg, lambda: joint.param_groups(cfg.lr * setup.policy.snn_lr_scale), dataset)
        super().__init__(joint, dataset, cfg.epochs, cfg.batch_size, cfg.seed, optimizer, checkpoint, setup.key(beta),
                         f"SEENN-II beta={beta:g}")
        self.actions, self.beta = setup.actions, beta

    def batch_loss(self, net, x, y):
        return seenn2_objective(*net(x), y, self.actions, self.beta)


def seenn2_dir(setup: Seenn2Setup, beta: float) -> Path:
    """The cache folder of one SEENN-II run: model.pt (the fine-tuned pair), outputs.pt (its test outputs)."""
    return artifact_dir("seenn2", setup.key(beta))


def train_seenn2(setup: Seenn2Setup, beta: float, device="cpu", progress: bool = True, checkpoint_every: int = 0):
    """Joint fine-tuning from the TET warm-up (trained first if needed) on the training driver (`train.fit`:
    checkpoints, resume, DDP). Returns (snn, policy) in eval mode; cached under the config + beta."""
    key = setup.key(beta)  # checks beta before anything trains
    ctx = distributed.setup(resolve_device(device))
    snn = train(setup.warmup, device=device, progress=progress)
    policy = build_policy(setup.policy, setup.finetune.dataset, len(setup.actions))
    joint = place(JointSeenn2(snn, policy, setup.actions), ctx.device)

    def compute() -> dict:
        seed_everything(setup.finetune.seed)
        train_ds = subset(load_datasets(setup.finetune.dataset)[0], setup.finetune.train_subset)
        job = Seenn2Job(setup, beta, joint, train_ds, seenn2_dir(setup, beta) / "checkpoint.pt")
        fit(job, ctx, progress, checkpoint_every)
        return {"model": joint.state_dict()}

    done = cached("seenn2", key, compute, "model.pt", write=ctx.main)
    distributed.barrier(ctx)
    joint.load_state_dict(done["model"])
    return snn.eval(), policy.eval()


@torch.no_grad()
def collect_policy_logits(policy: nn.Module, dataset, device="cpu", batch_size: int = 256) -> torch.Tensor:
    """[N, n] policy logits of every sample, in the dataset's order."""
    device = resolve_device(device)
    place(policy, device).eval()
    return torch.cat([policy(x.to(device)).float().cpu()
                      for x, _ in make_loader(dataset, batch_size, shuffle=False)])
