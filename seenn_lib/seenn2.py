"""SEENN-II (SEENN §3.4-3.5), its equations and setup: a policy network picks each input's number of timesteps.

The policy f_p maps an image to n logits over an action set T = {t_1 < ... < t_n} of timestep
candidates; v = softmax(f_p(x)) (Eq. 6). The reward of action k is R_k = 1/2^{t_k} when f_{t_k}(x)
predicts the label, else -beta (Eq. 7). SNN and policy are fine-tuned jointly on the exact expectation
of Eq. 12 over the categorical distribution (no sampling):

    E_z[-R(z) + CE(f_{t_k}(x), y)] = sum_k v_k * (-R_k + CE_k).

R_k is a constant w.r.t. every parameter, so d/dtheta of -sum_k v_k R_k is minus Eq. 10,
sum_k R_k v_k d/dtheta log v_k. At inference the policy picks argmax_k v_k and the SNN runs t_k steps.
The policy network and the joint fine-tuning are seenn_lib.policy's.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Iterable, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .config import PolicySpec, TrainConfig, experiment_of, get_config, get_profile
from .exits import check_mean_logits
from .inference import PlannedExit

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


# ---- the setup of a SEENN-II experiment -----------------------------------------------------------


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
