"""The inference benchmark (SEENN Fig. 3): static T_max, static T = 1, the early-exit engine and the
one-image-at-a-time loop, timed side by side, with realised average timesteps, energy from measured spikes
and peak memory; `python -m seenn_lib bench inference`."""
from __future__ import annotations

from typing import Callable

import numpy as np
import pandas as pd
import torch
from torch import nn

from ..adapters import adapt
from ..config import get_config
from ..data import load_datasets
from ..devices import resolve_device
from ..energy import WEIGHT_LAYERS, dense_macs, energy_pj, forward_hooks, synaptic_ops
from ..inference import ConfidenceExit, EngineResult, FixedT, PlannedExit, one_at_a_time, run_engine
from ..layers import repeat_time
from ..models import create_model
from ..train import train
from .timing import interleaved_seconds, interleaved_times, job_peak_memory_mb


def peak_memory_mb(model, x, t_max, spec, batch_size, device) -> float:
    """Peak memory (MB) one run of a benchmark method allocates over what its model and data hold."""
    return job_peak_memory_mb(method_job(model, x, t_max, spec, batch_size), device)


# ---- realised energy -------------------------------------------------------------------------------


def engine_energy(model: nn.Module, data: torch.Tensor, t_max: int, policy, batch_size: int = 256,
                  device="cpu") -> tuple[pd.DataFrame, EngineResult]:
    """Energy per image of an early-exit run, from the spikes it actually produced: per weight layer,
    MACs of the encoding layer (the first weight layer, fed the real-valued image every step) and
    synaptic operations (spikes x fan-out) of every other layer, summed over every step each sample
    ran, with seenn_lib.energy's costs (MAC 5.5 pJ, AC 0.9 pJ). Returns the table (columns layer, macs,
    sops, energy_pj) and the run's EngineResult."""
    names = {m: n for n, m in model.named_modules()}
    totals: dict[str, dict] = {}
    encoder: list[nn.Module] = []

    def hook(layer, inputs, out):
        row = totals.setdefault(names[layer], {"layer": names[layer], "macs": 0.0, "sops": 0.0})
        if not encoder:  # the first weight layer to run encodes the image
            encoder.append(layer)
        if layer is encoder[0]:
            row["macs"] += dense_macs(layer, inputs[0], out)
        else:
            row["sops"] += synaptic_ops(layer, inputs[0])

    with forward_hooks(model, WEIGHT_LAYERS, hook):
        result = run_engine(model, data, t_max, policy, batch_size=batch_size, device=device)
    df = pd.DataFrame(list(totals.values()))
    df[["macs", "sops"]] /= len(data)
    df["energy_pj"] = energy_pj(df["macs"], df["sops"])
    return df, result


# ---- inference benchmark ---------------------------------------------------------------------------


def quantile_plan(x: torch.Tensor) -> torch.Tensor:
    """A forced exit plan for random N(0, 1) inputs, a function of the input alone (so every method
    sees the same exits): t = 1, 2, 3, 4 when the first pixel is below 1.0, 1.5, 2.0, above; that is
    84 / 9 / 4.4 / 2.3 % of the samples, AET ~ 1.25, the shape of SEENN's exit distributions."""
    first = x.flatten(1)[:, 0]
    return 1 + (first >= 1.0).long() + (first >= 1.5).long() + (first >= 2.0).long()


def method_job(model, x, t_max, spec: tuple, batch_size: int) -> Callable[[], object]:
    """One benchmark method as a callable. spec: ("static", T, folded) runs every sample T steps, step by
    step (the evaluation path) or time-folded [T*B] (the training layout); ("engine", policy) and
    ("one-at-a-time", policy) run early exit."""
    kind, *args = spec
    if kind == "static":
        time_steps, folded = args

        def job():
            with torch.inference_mode():
                for chunk in x.split(batch_size):
                    x_seq = repeat_time(chunk, time_steps)
                    model(x_seq) if folded else model.forward_stepwise(x_seq)
        return job
    if kind == "engine":
        return lambda: run_engine(model, x, t_max, args[0], batch_size=batch_size, device=x.device)
    return lambda: one_at_a_time(model, x, t_max, args[0], x.device)


def benchmark_inference(model: nn.Module, x: torch.Tensor, t_max: int, policies: dict[str, object],
                        batch_size: int = 256, device="cpu", rounds: int = 3, one_image: bool = True,
                        label: str = "model", target: torch.Tensor | None = None,
                        progress: bool = True, memory: bool = True) -> pd.DataFrame:
    """Images/s of static T_max, static T = 1, the engine under each named policy and (optionally) the
    one-image-at-a-time loop under the same policies, on the same model, data and device; with the
    realised average timesteps, accuracy (when `target` is given), energy per image from measured
    spikes and (with `memory`) peak memory from peak_memory_mb.
    One tidy row per method."""
    device = resolve_device(device)
    model, x = model.to(device).eval(), x.to(device)
    specs = {f"static T={t_max}": ("static", t_max, False), "static T=1": ("static", 1, False),
             f"static T={t_max} folded": ("static", t_max, True)}
    for name, policy in policies.items():
        specs[f"engine {name}"] = ("engine", policy)
        if one_image:
            specs[f"one-at-a-time {name}"] = ("one-at-a-time", policy)
    jobs = {name: method_job(model, x, t_max, spec, batch_size) for name, spec in specs.items()}
    seconds = interleaved_seconds(jobs, device, rounds, progress)
    rows = []
    for name, spec in specs.items():
        policy = FixedT(spec[1]) if spec[0] == "static" else spec[1]
        energy, result = engine_energy(model, x, t_max, policy, batch_size, device)
        memory_mb = peak_memory_mb(model, x, t_max, spec, batch_size, device) if memory else float("nan")
        rows.append({
            "model": label, "device": str(device), "batch_size": 1 if name.startswith("one-at") else batch_size,
            "method": name, "kind": name.split(" ")[0], "images": len(x), "t_max": t_max,
            "avg_timesteps": result.avg_timesteps,
            "accuracy": float((result.pred == target).float().mean() * 100) if target is not None else float("nan"),
            "seconds": seconds[name], "images_per_s": len(x) / seconds[name],
            "energy_uj": energy["energy_pj"].sum() / 1e6, "sops": energy["sops"].sum(),
            "macs": energy["macs"].sum(), "peak_memory_mb": memory_mb})
    return add_ratios(pd.DataFrame(rows))


def speedup_rounds(model: nn.Module, x: torch.Tensor, t_max: int, policy, batch_size: int = 256, device="cpu",
                   rounds: int = 5) -> np.ndarray:
    """The engine's speed-up over the static SNN at T_max (static seconds / engine seconds) in each of `rounds`
    interleaved timing rounds on the same model and images: the spread of the measured speed-up on this
    device."""
    device = resolve_device(device)
    model, x = model.to(device).eval(), x.to(device)
    jobs = {"static": method_job(model, x, t_max, ("static", t_max, False), batch_size),
            "engine": method_job(model, x, t_max, ("engine", policy), batch_size)}
    times = interleaved_times(jobs, device, rounds, progress=False)
    return np.asarray(times["static"]) / np.asarray(times["engine"])


def add_ratios(df: pd.DataFrame) -> pd.DataFrame:
    """Ideal throughput = static T = 1 images/s / realised average T; each method's fraction of it; the
    static T_max cost in units of T_max T = 1 passes; each method's speed-up over the static T_max run and its
    fraction of the ideal speed-up T_max / T̄; the engine's speed-up over one-at-a-time."""
    df = df.copy()
    t1 = df.loc[df.method == "static T=1", "images_per_s"].item()
    df["ideal_images_per_s"] = t1 / df["avg_timesteps"]
    df["fraction_of_ideal"] = df["images_per_s"] / df["ideal_images_per_s"]
    df["ideal_speedup"] = df["t_max"] / df["avg_timesteps"]
    static = df[df.method == df.t_max.map("static T={}".format)].set_index("model")["seconds"]
    df["speedup_vs_static"] = df.model.map(static) / df["seconds"]
    df["fraction_of_ideal_speedup"] = df["speedup_vs_static"] / df["ideal_speedup"]
    single = {m.removeprefix("one-at-a-time "): v for m, v in zip(df.method, df.images_per_s)
              if m.startswith("one-at-a-time ")}
    df["vs_one_at_a_time"] = [v / single[m.removeprefix("engine ")] if m.removeprefix("engine ") in single
                              and m.startswith("engine ") else float("nan")
                              for m, v in zip(df.method, df.images_per_s)]
    return df


def inference_targets(df: pd.DataFrame) -> pd.DataFrame:
    """The issue's targets, one row per (model, check): measured ratio, target, pass."""
    rows = []
    for label, g in df.groupby("model", sort=False):
        t_max = int(g.t_max.iloc[0])
        static = g.loc[g.method == f"static T={t_max}", "seconds"].item()
        one = g.loc[g.method == "static T=1", "seconds"].item()
        folded = g.loc[g.method == f"static T={t_max} folded", "seconds"].item()
        for name, secs in ((f"static T={t_max}", static), (f"static T={t_max} folded", folded)):
            rows.append({"model": label, "check": f"{name} cost / ({t_max} x T=1 cost)",
                         "ratio": secs / (t_max * one), "target": "<= 1.1"})
        for r in g[g.kind == "engine"].itertuples():
            rows.append({"model": label, "check": f"{r.method} / ideal (AET {r.avg_timesteps:.2f})",
                         "ratio": r.fraction_of_ideal, "target": ">= 0.85 (CPU), >= 0.9 (GPU)"})
            rows.append({"model": label, "check": f"{r.method} speed-up over static T={t_max} / ideal "
                         f"T_max / T̄ = {r.ideal_speedup:.2f}", "ratio": r.fraction_of_ideal_speedup,
                         "target": ">= 0.85 (CPU)"})
            if pd.notna(r.vs_one_at_a_time):
                rows.append({"model": label, "check": f"{r.method} / one-at-a-time", "ratio": r.vs_one_at_a_time,
                             "target": ">= 1.5 (CPU, smoke), >= 1.0 (CPU, full ResNet-19), >= 5 (GPU)"})
            for static in (f"static T={t_max}", f"static T={t_max} folded"):
                static_mem = g.loc[g.method == static, "peak_memory_mb"].item()
                if pd.notna(static_mem):
                    rows.append({"model": label, "check": f"{r.method} peak memory / {static}",
                                 "ratio": r.peak_memory_mb / static_mem, "target": "<= 1.0"})
    return pd.DataFrame(rows)


def smoke_setup(profile: str = "smoke", experiment: str = "direct", images: int = 2000, device="cpu"):
    """The profile's trained model and `images` test images (trained first when not cached)."""
    cfg = get_config(profile, experiment)
    model = train(cfg, device=device)
    x, y = first_samples(load_datasets(cfg.dataset)[1], images)
    return model, x, y, cfg.time_steps


def first_samples(dataset, n: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The first n (image, label) pairs as two tensors; labels may be ints (torchvision's sets) or tensors."""
    images, labels = zip(*[dataset[i] for i in range(min(n, len(dataset)))])
    return torch.stack(images), torch.tensor([int(label) for label in labels])


def firing_batchnorm(model: nn.Module) -> nn.Module:
    """Non-trivial BN statistics for a random-weight network, so that its neurons fire."""
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.running_var.uniform_(0.5, 1.5)
            m.weight.data.uniform_(1.0, 2.0)
            m.bias.data.uniform_(0.0, 0.5)
    return model.eval()


def resnet19_setup(width_mult: float = 0.125, images: int = 1024, seed: int = 0):
    """A random-weight ResNet-19 (CIFAR-10 shape) with non-trivial BN statistics, so its neurons fire,
    and random N(0, 1) images for the forced quantile_plan."""
    torch.manual_seed(seed)
    model = create_model("resnet19", num_classes=10, width_mult=width_mult)
    return firing_batchnorm(model), torch.randn(images, 3, 32, 32)


SPIKINGJELLY_MODELS = ("spiking_resnet18", "sew_resnet18")


def spikingjelly_setup(name: str = "spiking_resnet18", images: int = 1024, image_size: int = 32,
                       step_mode: str = "s", neuron: str = "IFNode", seed: int = 0):
    """A random-weight network of SpikingJelly's own model zoo (spikingjelly.activation_based.model, 10 classes,
    `neuron` from its neuron module, in `step_mode`) with firing BN statistics, adapted (seenn_lib.adapters), and
    random N(0, 1) images [images, 3, image_size, image_size] for the forced quantile_plan."""
    from spikingjelly.activation_based import functional, surrogate  # optional dependency: imported on use
    from spikingjelly.activation_based import neuron as sj_neuron
    from spikingjelly.activation_based.model import sew_resnet, spiking_resnet
    if name not in SPIKINGJELLY_MODELS:
        raise ValueError(f"SpikingJelly model {name!r} is not benchmarked; use one of {SPIKINGJELLY_MODELS}")
    torch.manual_seed(seed)
    zoo = sew_resnet if name.startswith("sew") else spiking_resnet
    extra = {"cnf": "ADD"} if name.startswith("sew") else {}
    net = getattr(zoo, name)(spiking_neuron=getattr(sj_neuron, neuron), num_classes=10,
                             surrogate_function=surrogate.ATan(), detach_reset=True, **extra)
    functional.set_step_mode(net, step_mode)
    return adapt(firing_batchnorm(net)), torch.randn(images, 3, image_size, image_size)


DEFAULT_RESNETS = ((0.125, 1024, 64), (1.0, 256, 32))


def run_inference_bench(profile="smoke", alphas=(0.7, 0.9, 0.99), batch_size=256, images=2000,
                        resnets=DEFAULT_RESNETS, device="cpu", rounds=3, progress=True,
                        spikingjelly=()) -> pd.DataFrame:
    """The `bench inference` suite: the profile's trained smoke model under SEENN-I at each α, a random
    ResNet-19 under the forced plan for each (width multiplier, images, batch size) in `resnets` (default: 1/8
    width, and full width at batch 32, where a batch-1 step already keeps a CPU busy), and a random adapted
    SpikingJelly model (spikingjelly_setup, 32x32 inputs) for each (name, images, batch size) in `spikingjelly`."""
    model, x, y, t_max = smoke_setup(profile, images=images, device=device)
    tables = [benchmark_inference(model, x, t_max, {f"α={a:g}": ConfidenceExit(a) for a in alphas},
                                  batch_size, device, rounds, label=f"smoke_cnn ({profile})", target=y,
                                  progress=progress)]
    runs = [(resnet19_setup(width, n_images), batch, f"resnet19 x{width:g} (random)")
            for width, n_images, batch in resnets]
    runs += [(spikingjelly_setup(name, n_images), batch, f"spikingjelly {name} (random)")
             for name, n_images, batch in spikingjelly]
    for (net, xr), batch, label in runs:
        tables.append(benchmark_inference(net, xr, 4, {"forced plan": PlannedExit(quantile_plan)}, batch,
                                          device, rounds, label=label, progress=progress))
    return pd.concat(tables, ignore_index=True)
