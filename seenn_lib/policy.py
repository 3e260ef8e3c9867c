"""SEENN-II's policy network and its joint fine-tuning with the SNN (SEENN §3.5) on the training driver. The
equations (Eq. 7, 10, 12), the exit rule and the experiment setup are seenn_lib.seenn2's, importable from here
too (seenn_lib.policy.seenn2_objective is a stable entry point)."""
from __future__ import annotations

from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from . import distributed
from .artifacts import artifact_dir, cached
from .config import PolicySpec
from .data import dataset_spec, load_datasets, make_loader, to_time_first
from .devices import place, resolve_device
from .models import create_model
from .readout import running_mean
from .seenn2 import Seenn2Setup, seenn2_objective
from .train import Job, fit, seed_everything, subset, train, whole_run_optimizer

__all__ = ["JointSeenn2", "PolicyNet", "Seenn2Job", "build_policy", "collect_policy_logits", "seenn2_dir",
           "seenn2_objective", "train_seenn2"]

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
