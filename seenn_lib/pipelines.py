"""Config -> cached artifact: the one layer that trains on demand. Each function returns what a notebook
asks for (test logits, a converted SNN's logits, SEENN-II outputs, a TEAS result), from the artifact cache
when it is there, else by training what it needs first and evaluating it (artifacts.cached). Given an official
checkpoint (`checkpoint`, `source`: checkpoints.load_official), the test logits come from its weights instead
of training, cached under the checkpoint's content hash."""
from __future__ import annotations

import copy
from pathlib import Path

import torch

from .artifacts import artifact_dir, cached, find
from .checkpoints import checkpoint_identity, load_official
from .config import TeasConfig, TrainConfig, conversion_t_max, get_config, get_profile
from .conversion import check_qcfs_config, convert
from .data import dataset_spec, load_datasets, make_loader
from .devices import place, resolve_device
from .layers import SpikingNet
from .logits import collect_logits
from .policy import collect_policy_logits, train_seenn2
from .seenn2 import Seenn2Setup
from .teas import TeasTraining, TemporalAdaptiveNet, teas_key
from .train import subset, train


def experiment_model(cfg: TrainConfig, device="cpu", progress: bool = True, checkpoint: str = "",
                     source: str = "") -> torch.nn.Module:
    """The model of `cfg` in eval mode: trained (or read from the cache), or, given an official `checkpoint` of
    `source`, cfg.model with cfg.model_kw loaded from it (checkpoints.load_official; nothing is trained)."""
    if not checkpoint:
        return train(cfg, device=device, progress=progress)
    spec = dataset_spec(cfg.dataset)
    model = load_official(checkpoint, source, cfg.model, spec.num_classes, in_channels=spec.in_channels,
                          **cfg.model_kw)
    return place(model, resolve_device(device)).eval()


def checkpoint_args(checkpoints: dict[str, str], source: str, experiments) -> dict[str, dict]:
    """experiment -> the checkpoint / source keywords of cached_logits, converted_logits and experiment_model,
    from a notebook's `checkpoints` (experiment -> official checkpoint file; the others are trained). A name
    outside `experiments` is refused: a misspelt one would quietly train instead of loading."""
    experiments = list(experiments)
    unknown = sorted(set(checkpoints) - set(experiments))
    if unknown:
        raise ValueError(f"checkpoints names {unknown}, not among this notebook's experiments {experiments}")
    return {name: {"checkpoint": checkpoints.get(name, ""), "source": source} for name in experiments}


def _keyed(key: dict, checkpoint: str, source: str) -> dict:
    """A result key, plus the checkpoint's identity when the result comes from an official checkpoint."""
    return {**key, "checkpoint": checkpoint_identity(checkpoint, source)} if checkpoint else key


def logits_artifact(cfg: TrainConfig, time_steps: int | None = None, checkpoint: str = "",
                    source: str = "") -> tuple[dict, Path]:
    """(config key, path) under which cached_logits files the test logits of `cfg` at `time_steps`."""
    key = _keyed({**cfg.to_dict(), "eval_T": time_steps or cfg.time_steps}, checkpoint, source)
    return key, artifact_dir("logits", key) / "logits.pt"


def evaluation_set(cfg: TrainConfig, samples: int = 0):
    """cfg's test set (its test_subset samples), or `samples` of those spread evenly over it (0: all)."""
    return subset(subset(load_datasets(cfg.dataset)[1], cfg.test_subset), samples)


def evaluation_images(cfg: TrainConfig, n: int) -> torch.Tensor:
    """The first n inputs of cfg's test set (evaluation_set) as one batch."""
    return next(iter(make_loader(evaluation_set(cfg), n, shuffle=False)))[0]


def evaluation_logits(model: torch.nn.Module, cfg: TrainConfig, time_steps: int, device="cpu", batch_size: int = 256,
                progress: bool = True) -> dict:
    """{mean_logits [T, N, C], targets [N]} of `model` on cfg's test set."""
    mean_logits, targets = collect_logits(model, evaluation_set(cfg), time_steps, device, batch_size, progress)
    return {"mean_logits": mean_logits, "targets": targets}


def cached_logits(cfg: TrainConfig, time_steps: int | None = None, device="cpu", progress: bool = True,
                  checkpoint: str = "", source: str = "") -> tuple[torch.Tensor, torch.Tensor]:
    """Test-set per-t logits of the model trained by `cfg` (trained first if needed), or of an official
    `checkpoint` of `source` (experiment_model), from the cache."""
    time_steps = time_steps or cfg.time_steps
    key, _ = logits_artifact(cfg, time_steps, checkpoint, source)

    def compute() -> dict:
        model = experiment_model(cfg, device, progress, checkpoint, source)
        return evaluation_logits(model, cfg, time_steps, device, progress=progress)
    blob = cached("logits", key, compute, "logits.pt")
    return blob["mean_logits"], blob["targets"]


def converted_logits(cfg: TrainConfig, t_max: int | None = None, device="cpu", batch_size: int = 256,
                     progress: bool = True, checkpoint: str = "",
                     source: str = "") -> tuple[torch.Tensor, torch.Tensor]:
    """Test-set running-mean logits [t_max, N, C] of the SNN converted from cfg's QCFS ANN (the ANN is
    trained first if needed, or read from an official `checkpoint`; t_max defaults to config.conversion_t_max),
    cached like cached_logits."""
    check_qcfs_config(cfg)
    t_max = t_max or conversion_t_max(cfg)
    key = _keyed({**cfg.to_dict(), "eval_T": t_max, "converted": "qcfs-if"}, checkpoint, source)

    def compute() -> dict:
        snn = convert(experiment_model(cfg, device, progress, checkpoint, source))
        return evaluation_logits(snn, cfg, t_max, device, batch_size, progress)
    blob = cached("logits", key, compute, "logits.pt")
    return blob["mean_logits"], blob["targets"]


def seenn2_outputs(setup: Seenn2Setup, beta: float, device="cpu", progress: bool = True) -> dict:
    """Test-set outputs of the jointly fine-tuned SNN + policy (fine-tuned first if needed), cached:
    mean_logits [T, N, C] of the SNN, policy_logits [N, n], targets [N]."""
    def compute() -> dict:
        snn, policy = train_seenn2(setup, beta, device, progress)
        test_ds = evaluation_set(setup.finetune)
        mean_logits, targets = collect_logits(snn, test_ds, setup.actions[-1], device, progress=progress)
        return {"mean_logits": mean_logits, "policy_logits": collect_policy_logits(policy, test_ds, device),
                "targets": targets}
    return cached("seenn2", setup.key(beta), compute, "outputs.pt")


def seenn2_models(setup: Seenn2Setup, beta: float, device="cpu", progress: bool = True):
    """(snn, policy) jointly fine-tuned at β, in eval mode (fine-tuned first if not cached)."""
    return train_seenn2(setup, beta, device, progress)


def cached_seenn2_outputs(setup: Seenn2Setup, beta: float) -> dict | None:
    """seenn2_outputs when they are already cached, else None (nothing is trained)."""
    return find("seenn2", setup.key(beta), "outputs.pt")


def pretrained_snn(cfg: TrainConfig, tcfg: TeasConfig, device="cpu", progress: bool = True) -> tuple[SpikingNet, int]:
    """(the SNN TEAS starts from, its T): a directly trained SNN, or the SNN converted from a QCFS ANN (its IF
    neurons reset as tcfg.conversion_reset says)."""
    if cfg.model_kw.get("neuron") == "qcfs":
        snn = convert(train(cfg, device=device, progress=progress), if_reset=tcfg.conversion_reset)
        return snn, tcfg.time_steps or conversion_t_max(cfg)
    return copy.deepcopy(train(cfg, device=device, progress=progress)), tcfg.time_steps or cfg.time_steps


def run_teas(profile: str = "smoke", device="cpu", tcfg: TeasConfig | None = None, progress: bool = True,
             checkpoint_every: int = 0) -> dict:
    """The TEAS pipeline (teas.TeasTraining) on the profile's pretrained SNN (trained first if needed), cached
    by config; a killed run resumes from its last checkpoint."""
    tcfg = tcfg or get_profile(profile).teas
    cfg = get_config(profile, tcfg.experiment)
    key = teas_key(cfg, tcfg)

    def compute() -> dict:
        snn, t_max = pretrained_snn(cfg, tcfg, device, progress)
        run = TeasTraining(snn, t_max, cfg, tcfg, load_datasets(cfg.dataset), artifact_dir("teas", key), device)
        return run.train(progress, checkpoint_every)
    return cached("teas", key, compute)


def teas_network(profile: str = "smoke", device="cpu", tcfg: TeasConfig | None = None) -> TemporalAdaptiveNet:
    """The fine-tuned per-layer-T network of run_teas (from its cache)."""
    tcfg = tcfg or get_profile(profile).teas
    result = run_teas(profile, device, tcfg, progress=False)
    snn, _ = pretrained_snn(get_config(profile, tcfg.experiment), tcfg, device, progress=False)
    snn.load_state_dict(result["model"])
    return TemporalAdaptiveNet(snn, result["allocation"], tcfg.coding).to(resolve_device(device)).eval()
