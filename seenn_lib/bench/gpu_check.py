"""`python -m seenn_lib gpu-check`: what a GPU user should know before `make reproduce PROFILE=paper`. It runs the
GPU-marked tests and both benchmarks on the device, then times a slice of one epoch of every training run
behind the papers' tables (the real Job of each run, on generated data of the real shape) and projects it
to the run's whole schedule: seconds per epoch and GPU-hours, summed per paper table. With --device cpu the
same steps run at reduced size (narrow networks, small batches, few timesteps), so CI exercises them; those
projections describe nothing but the code path."""
from __future__ import annotations

import math
import re
import subprocess
import sys
import time
from dataclasses import dataclass, replace

import pandas as pd
import torch
from torch.utils.data import TensorDataset

from ..artifacts import REPO_ROOT
from ..config import Profile, TrainConfig, conversion_t_max, get_profile
from ..data import dataset_spec
from ..devices import resolve_device
from ..policy import JointSeenn2, Seenn2Job, build_policy
from ..seenn2 import get_seenn2
from ..train import Job, SupervisedJob, build_model, run_epoch
from .inference import run_inference_bench
from .neurons import benchmark_neurons
from .timing import environment_for_run, job_peak_memory_mb


@dataclass(frozen=True)
class Reduced:
    """How a CPU run shrinks every training run: width multiplier, batch size and the most timesteps."""
    width_mult: float = 1 / 16
    batch_size: int = 2
    max_time_steps: int = 2


@dataclass(frozen=True)
class CostRun:
    """One training run behind a paper table: its config, its epochs and, for SEENN-II, the experiment."""
    table: str
    name: str
    cfg: TrainConfig
    epochs: int
    seenn2: str = ""
    note: str = ""


def cost_runs(profile: str, only: list[str] | None = None, experiments: list[str] | None = None) -> list[CostRun]:
    """The training runs of the profile's paper tables (all, or those of `only`, or the named `experiments`)."""
    prof = get_profile(profile)
    tables = prof.paper_tables
    unknown = [t for t in only or [] if t not in tables]
    if unknown:
        raise ValueError(f"no paper table {unknown[0]!r} in profile {profile!r}; it has {sorted(tables)}")
    runs = [_cost_run(prof, profile, table, name) for table in (only or tables) for name in tables[table]]
    if experiments:
        missing = sorted(set(experiments) - {r.name for r in runs})
        if missing:
            raise ValueError(f"no training run {missing[0]!r} behind the chosen tables; the runs are "
                             f"{sorted(r.name for r in runs)}")
        runs = [r for r in runs if r.name in experiments]
    return runs


def _cost_run(prof: Profile, profile: str, table: str, name: str) -> CostRun:
    if name in prof.finetune:
        return CostRun(table, name, prof.finetune[name], prof.finetune[name].epochs, seenn2=name)
    if name != "teas":
        return CostRun(table, name, prof.experiments[name], prof.experiments[name].epochs)
    # TEAS retraining trains the converted SNN with per-layer T; timed as one uniform T, the mean T of the
    # initial allocation (init_ratio of the original T), which the adjustment only lowers: an upper estimate
    teas = prof.teas
    snn = prof.experiments[teas.experiment]
    t_mean = max(1, round(teas.init_ratio * (teas.time_steps or conversion_t_max(snn))))
    cfg = snn.with_(time_steps=t_mean, batch_size=teas.batch_size, loss=teas.loss,
                    model_kw={k: v for k, v in snn.model_kw.items() if k != "neuron"})
    return CostRun(table, f"teas retraining ({teas.experiment})", cfg, teas.adjust_epochs + teas.finetune_epochs,
                   note=f"uniform T = {t_mean} (init_ratio x T): an upper estimate")


def shrink(cfg: TrainConfig, reduced: Reduced | None) -> TrainConfig:
    if reduced is None:
        return cfg
    kw = {k: v for k, v in cfg.model_kw.items() if k != "width_mult"}
    return cfg.with_(batch_size=reduced.batch_size, time_steps=min(cfg.time_steps, reduced.max_time_steps),
                     model_kw={**kw, "width_mult": reduced.width_mult})


def generated_data(cfg: TrainConfig, samples: int, device) -> TensorDataset:
    """Random inputs of cfg's dataset shape (event data: [frames, 2, 48, 48] per sample) and labels."""
    spec = dataset_spec(cfg.dataset)
    shape = (spec.in_channels, spec.image_size, spec.image_size)
    if cfg.dataset.startswith("cifar10_dvs"):
        shape = (cfg.time_steps, *shape)
    return TensorDataset(torch.randn(samples, *shape, device=device),
                         torch.randint(0, spec.num_classes, (samples,), device=device))


UNUSED_CHECKPOINT = REPO_ROOT / "build" / "gpu_check.pt"  # a Job names one; timing steps never writes it


def make_job(run: CostRun, cfg: TrainConfig, profile: str, data: TensorDataset, device) -> Job:
    """The Job the run trains with (SupervisedJob, or Seenn2Job around a fresh SNN + policy)."""
    if not run.seenn2:
        return SupervisedJob(cfg, build_model(cfg).to(device), data, UNUSED_CHECKPOINT)
    setup = get_seenn2(profile, run.seenn2)
    setup = replace(setup, finetune=cfg, warmup=cfg, actions=tuple(a for a in setup.actions if a <= cfg.time_steps))
    joint = JointSeenn2(build_model(cfg), build_policy(setup.policy, cfg.dataset, len(setup.actions)), setup.actions)
    return Seenn2Job(setup, 1.0, joint.to(device), data, UNUSED_CHECKPOINT)


def train_steps(job: Job, opt, sched, n: int, device) -> None:
    """n optimisation steps of `job` on its one generated batch."""
    x, y = job.dataset.tensors
    run_epoch(job.module, [(x, y)] * n, opt, sched, lambda xb, yb: job.batch_loss(job.module, xb, yb), device,
              "gpu-check")


def seconds_per_step(job: Job, device, seconds: float, max_steps: int) -> tuple[float, int]:
    """(wall seconds per optimisation step, steps timed): one warm-up step, then steps on one generated batch
    until `seconds` have passed or `max_steps` ran (at least 2)."""
    opt, sched = job.optimizer()

    def steps(n: int) -> float:
        start = time.perf_counter()
        train_steps(job, opt, sched, n, device)
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        return time.perf_counter() - start
    first = steps(1)  # warm-up (and torch.compile), also a first estimate
    n = max(2, min(max_steps, int(seconds / max(first, 1e-6))))
    return steps(n) / n, n


def step_peak_memory_mb(job: Job, device) -> float:
    """Peak memory (MB) of one optimisation step of `job` on its generated batch, beyond the model and data."""
    opt, sched = job.optimizer()
    return job_peak_memory_mb(lambda: train_steps(job, opt, sched, 1, device), device)


def time_run(run: CostRun, profile: str, device, reduced: Reduced | None, seconds: float, max_steps: int) -> dict:
    cfg = shrink(run.cfg, reduced)
    job = make_job(run, cfg, profile, generated_data(cfg, cfg.batch_size, device), device)
    per_step, n = seconds_per_step(job, device, seconds, max_steps)
    memory = step_peak_memory_mb(job, device)
    train_size = dataset_spec(run.cfg.dataset).train_size
    steps_per_epoch = math.ceil(train_size / run.cfg.batch_size)
    return {"table": run.table, "experiment": run.name, "model": run.cfg.model, "dataset": run.cfg.dataset,
            "time_steps": cfg.time_steps, "batch_size": cfg.batch_size, "steps_timed": n,
            "seconds_per_step": per_step, "steps_per_epoch": steps_per_epoch, "epochs": run.epochs,
            "seconds_per_epoch": per_step * steps_per_epoch,
            "gpu_hours": per_step * steps_per_epoch * run.epochs / 3600, "peak_memory_mb": memory, "note": run.note}


def training_costs(profile: str = "paper", device="cuda", only=None, experiments=None, seconds: float = 8.0,
                   max_steps: int = 300, reduced: Reduced | None = None) -> pd.DataFrame:
    """One tidy row per training run: seconds per step (timed) and per epoch, GPU-hours of its schedule."""
    device = resolve_device(device)
    return pd.DataFrame([time_run(run, profile, device, reduced, seconds, max_steps)
                         for run in cost_runs(profile, only, experiments)])


def per_table(costs: pd.DataFrame) -> pd.DataFrame:
    return costs.groupby("table", as_index=False)["gpu_hours"].sum()


def gpu_tests() -> dict:
    """Run the GPU-marked tests (they skip without CUDA); the counts pytest reports and its exit code."""
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-m", "gpu", "-p", "no:cacheprovider"],
                          cwd=REPO_ROOT, capture_output=True, text=True)
    counts = dict((k, int(v)) for v, k in re.findall(r"(\d+) (passed|failed|skipped|error|deselected)", proc.stdout))
    return {"returncode": proc.returncode, **counts}


def benchmarks(device, reduced: Reduced | None) -> dict[str, pd.DataFrame]:
    """Both benchmarks on the device; at reduced size the ci model, 256 images and the small LIF shape."""
    if reduced is None:
        inference = run_inference_bench("smoke", device=device, progress=False)
        neurons = benchmark_neurons(device=device, progress=False)
    else:
        inference = run_inference_bench("ci", alphas=(0.9,), images=256, resnets=(), device=device, rounds=1,
                                        progress=False)
        neurons = benchmark_neurons(((2, 4, 8, 8, 8),), device=device, rounds=1, progress=False)
    return {"inference": inference, "neurons": neurons}


def gpu_check(device="cuda", only=None, experiments=None, seconds: float = 8.0, run_tests: bool = True,
              run_benchmarks: bool = True) -> dict:
    """The whole check: {"summary": environment and GPU-test counts, "costs": one row per training run,
    "tables": GPU-hours per paper table, and the benchmarks' tables ("inference", "neurons")}."""
    device = resolve_device(device)
    cost_runs("paper", only, experiments)  # a misnamed table or run fails here, before any work
    if seconds <= 0:
        raise ValueError(f"seconds per training run must be > 0, got {seconds}")
    reduced = None if device.type == "cuda" else Reduced()
    summary = {**environment_for_run(device), "reduced": reduced is not None}
    if run_tests:
        summary["gpu_tests"] = gpu_tests()
    tables = benchmarks(device, reduced) if run_benchmarks else {}
    costs = training_costs("paper", device, only, experiments, seconds, reduced=reduced)
    return {"summary": summary, "costs": costs, **tables, "tables": per_table(costs)}
