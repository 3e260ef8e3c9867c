"""`python -m seenn_lib train | train-seenn2 | evaluate`: one experiment of a profile."""
from __future__ import annotations

from ..config import experiment_of, get_config
from ..exits import alpha_sweep, fixed_sweep
from ..pipelines import cached_logits
from ..policy import seenn2_dir, train_seenn2
from ..seenn2 import get_seenn2
from ..train import model_dir, train


def train_experiment(args) -> None:
    cfg = get_config(args.profile, experiment_of(args.profile, "main", args.experiment))
    train(cfg, device=args.device)
    print(model_dir(cfg) / "model.pt")


def train_seenn2_experiment(args) -> None:
    setup = get_seenn2(args.profile, args.experiment)
    train_seenn2(setup, args.beta, device=args.device)
    print(seenn2_dir(setup, args.beta) / "model.pt")


def evaluate(args) -> None:
    cfg = get_config(args.profile, experiment_of(args.profile, "main", args.experiment))
    mean_logits, targets = cached_logits(cfg, device=args.device)
    print(fixed_sweep(mean_logits, targets).to_string(index=False))
    print(alpha_sweep(mean_logits, targets, args.alphas).to_string(index=False))
