"""Benchmarks: realised early-exit speed and energy (SEENN Fig. 3), and the LIF kernel against SpikingJelly.

`python -m seenn_lib bench inference` / `python -m seenn_lib bench neurons` write a tidy CSV, a JSON of
the headline ratios and a seaborn figure. Every method of one benchmark is timed in the same process,
on the same device, model and data, in interleaved rounds (the fastest round of each), so ratios hold even
on a busy machine; absolute numbers on a shared CPU are noisy.
"""
from __future__ import annotations

import argparse
import json
import platform
import time
import weakref
from collections import defaultdict
from pathlib import Path
from typing import Callable

import pandas as pd
import torch
from torch import nn
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_flatten
from tqdm.auto import tqdm

from .devices import resolve_device
from .energy import WEIGHT_LAYERS, dense_macs, energy_pj, forward_hooks, synaptic_ops
from .inference import ConfidenceExit, EngineResult, FixedT, PlannedExit, one_at_a_time, run_engine
from .layers import repeat_time
from .neurons import SpikingNeuron, set_neuron_backend

DEFAULT_OUT = Path("build") / "bench"


# ---- timing ----------------------------------------------------------------------------------------


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def interleaved_seconds(jobs: dict[str, Callable[[], object]], device, rounds: int = 3,
                        progress: bool = True) -> dict[str, float]:
    """Fastest wall time of each job over `rounds` (the least disturbed by other load), after one warm-up
    call each; the jobs take turns in
    every round, so a load spike on a shared machine hits them all alike."""
    device = resolve_device(device)
    times = defaultdict(list)
    for name, job in jobs.items():
        job()
    for _ in tqdm(range(rounds), desc="timing rounds", disable=not progress, leave=False):
        for name, job in jobs.items():
            _sync(device)
            start = time.perf_counter()
            job()
            _sync(device)
            times[name].append(time.perf_counter() - start)
    return {name: min(t) for name, t in times.items()}


def steady_cpu_allocator() -> bool:
    """Keep freed memory in glibc's heap (no mmap for large blocks, no trimming), as jemalloc / tcmalloc
    setups do. By default glibc returns large blocks to the OS, so a job pays page faults for fresh pages
    (for the LIF kernel on [8, 32, 128, 16, 16], more than the kernel costs), and how many depends on which
    jobs ran before it. Returns whether it applied (glibc only)."""
    import ctypes
    import ctypes.util
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c"))
        m_trim_threshold, m_mmap_threshold = -1, -3
        return bool(libc.mallopt(m_mmap_threshold, 2**30) and libc.mallopt(m_trim_threshold, 2**31 - 1))
    except (OSError, AttributeError):
        return False


class PeakTensorMemory(TorchDispatchMode):
    """Peak bytes of CPU tensor storage allocated inside the `with` block and alive at once (storages that
    existed before, such as the model and the data, are not counted). Exact and the same on every run,
    unlike the process's peak RSS, which moves by tens of MB with malloc's arenas and trimming; kernel
    scratch space outside PyTorch's tensors is not seen."""

    def __init__(self):
        super().__init__()
        self.live: dict[int, int] = {}
        self.now = self.peak = 0

    def _freed(self, key: int) -> None:
        self.now -= self.live.pop(key)

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        inputs = {t.untyped_storage()._cdata for t in tree_flatten((args, kwargs))[0] if isinstance(t, torch.Tensor)}
        for t in tree_flatten(out)[0]:
            if isinstance(t, torch.Tensor) and t.device.type == "cpu":
                storage = t.untyped_storage()
                if storage._cdata not in self.live and storage._cdata not in inputs:  # new, not a view or out=
                    self.live[storage._cdata] = storage.nbytes()
                    self.now += storage.nbytes()
                    self.peak = max(self.peak, self.now)
                    weakref.finalize(storage, self._freed, storage._cdata)
        return out


def peak_memory_mb(model, x, t_max, spec, batch_size, device) -> float:
    """Peak memory (MB) one run of a benchmark method allocates over what its model and data hold. CUDA: the
    allocator's counter; CPU: PeakTensorMemory."""
    device = resolve_device(device)
    job = method_job(model, x, t_max, spec, batch_size)
    if device.type == "cuda":
        torch.cuda.synchronize(device)
        torch.cuda.reset_peak_memory_stats(device)
        before = torch.cuda.memory_allocated(device)
        job()
        torch.cuda.synchronize(device)
        return (torch.cuda.max_memory_allocated(device) - before) / 2**20
    with PeakTensorMemory() as tracker:
        job()
    return tracker.peak / 2**20


# ---- realised energy -------------------------------------------------------------------------------


def engine_energy(model: nn.Module, data: torch.Tensor, t_max: int, policy, batch_size: int = 256,
                  device="cpu") -> tuple[pd.DataFrame, EngineResult]:
    """Energy per image of an early-exit run, from the spikes it actually produced: per weight layer,
    MACs of the encoding layer (the first weight layer, fed the real-valued image every step) and
    synaptic operations (spikes x fan-out) of every other layer, summed over every step each sample
    ran, with seenn_lib.energy's costs (MAC 4.6 pJ, AC 0.9 pJ). Returns the table (columns layer, macs,
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


def add_ratios(df: pd.DataFrame) -> pd.DataFrame:
    """Ideal throughput = static T = 1 images/s / realised average T; each method's fraction of it; the
    static T_max cost in units of T_max T = 1 passes; the engine's speed-up over one-at-a-time."""
    df = df.copy()
    t1 = df.loc[df.method == "static T=1", "images_per_s"].item()
    df["ideal_images_per_s"] = t1 / df["avg_timesteps"]
    df["fraction_of_ideal"] = df["images_per_s"] / df["ideal_images_per_s"]
    df["ideal_speedup"] = df["t_max"] / df["avg_timesteps"]
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
    from .config import get_config
    from .data import load_datasets
    from .train import train
    cfg = get_config(profile, experiment)
    model = train(cfg, device=device)
    _, test = load_datasets(cfg.dataset)
    n = min(images, len(test))
    x, y = map(torch.stack, zip(*[test[i] for i in range(n)]))
    return model, x, y, cfg.time_steps


def resnet19_setup(width_mult: float = 0.125, images: int = 1024, seed: int = 0):
    """A random-weight ResNet-19 (CIFAR-10 shape) with non-trivial BN statistics, so its neurons fire,
    and random N(0, 1) images for the forced quantile_plan."""
    from .models import create_model
    torch.manual_seed(seed)
    model = create_model("resnet19", num_classes=10, width_mult=width_mult)
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.running_var.uniform_(0.5, 1.5)
            m.weight.data.uniform_(1.0, 2.0)
            m.bias.data.uniform_(0.0, 0.5)
    return model.eval(), torch.randn(images, 3, 32, 32)


DEFAULT_RESNETS = ((0.125, 1024, 64), (1.0, 256, 32))


def run_inference_bench(profile="smoke", alphas=(0.7, 0.9, 0.99), batch_size=256, images=2000,
                        resnets=DEFAULT_RESNETS, device="cpu", rounds=3, progress=True) -> pd.DataFrame:
    """The `bench inference` suite: the profile's trained smoke model under SEENN-I at each α, and a
    random ResNet-19 under the forced plan for each (width multiplier, images, batch size) in `resnets`
    (default: 1/8 width, and full width at batch 32, where a batch-1 step already keeps a CPU busy)."""
    model, x, y, t_max = smoke_setup(profile, images=images, device=device)
    tables = [benchmark_inference(model, x, t_max, {f"α={a:g}": ConfidenceExit(a) for a in alphas},
                                  batch_size, device, rounds, label=f"smoke_cnn ({profile})", target=y,
                                  progress=progress)]
    for width, n_images, batch in resnets:
        resnet, xr = resnet19_setup(width, n_images)
        tables.append(benchmark_inference(resnet, xr, 4, {"forced plan": PlannedExit(quantile_plan)}, batch,
                                          device, rounds, label=f"resnet19 x{width:g} (random)", progress=progress))
    return pd.concat(tables, ignore_index=True)


def resnet_run(text: str) -> tuple[float, int, int]:
    """argparse type for --resnet WIDTH:IMAGES:BATCH."""
    try:
        width, n_images, batch = text.split(":")
        run = float(width), int(n_images), int(batch)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not WIDTH:IMAGES:BATCH, e.g. 0.125:1024:64") from None
    if not (run[0] > 0 and run[1] > 0 and run[2] > 0):
        raise argparse.ArgumentTypeError(f"{text!r}: width, images and batch size must be > 0")
    return run


# ---- neuron benchmark ------------------------------------------------------------------------------


def _ours(backend: str, time_steps: int) -> Callable:
    neuron = SpikingNeuron("lif", tau=0.5)

    def run(x_seq):
        previous = set_neuron_backend(backend)
        try:
            neuron.set_time(time_steps)
            return neuron(x_seq.flatten(0, 1))
        finally:
            set_neuron_backend(previous)
    return run


def spikingjelly_lif(backend: str | None = None) -> nn.Module:
    """SpikingJelly's multi-step LIFNode with our dynamics: tau = 2 with decay_input=False and
    v_reset = 0 is u = 0.5 u + x, hard reset to 0; PiecewiseQuadratic(alpha=1) is our triangle
    surrogate max(0, 1 - |u - V|). backend 'reference' forces its autograd Torch path."""
    from spikingjelly.activation_based import neuron, surrogate
    sg = surrogate.PiecewiseQuadratic(alpha=1.0)
    if backend == "reference":  # a callable that is not a built-in surrogate object selects the Torch reference
        sg = _Callable(sg)
    return neuron.LIFNode(tau=2.0, decay_input=False, v_reset=0.0, v_threshold=1.0,
                          surrogate_function=sg, detach_reset=False, step_mode="m")


class _Callable:
    def __init__(self, fn):
        self.fn = fn

    def __call__(self, x):
        return self.fn(x)


def _sj(backend: str | None, compiled: bool) -> Callable:
    from spikingjelly.activation_based import functional
    node = spikingjelly_lif(backend)
    forward = torch.compile(node) if compiled else node

    def run(x_seq):
        # the reset stays outside torch.compile: dynamo guards on SpikingJelly's weak cache of modules to
        # reset, and such a guard fails (IndexError) once that cache shrinks
        functional.reset_net(node)
        return forward(x_seq)
    return run


def _select_sj_cuda(name: str) -> None:
    """SpikingJelly picks its CUDA implementation (cuda / triton / torch) once per process from the
    env var SJ_LIF_CUDA_IMPLEMENTATION; the benchmark switches it between runs."""
    from spikingjelly._ops.lif import _selection
    _selection._requested = name
    _selection._selections.clear()


def neuron_implementations(device: torch.device) -> dict[str, Callable]:
    """name -> callable building a fresh run(x_seq) for (time_steps)."""
    impls = {f"seenn {b}": (lambda t, b=b: _ours(b, t)) for b in ("plain", "fused", "compiled")}
    try:
        import spikingjelly  # noqa: F401
    except ImportError:
        return impls
    sj_backends = ["cuda", "triton", "torch"] if device.type == "cuda" else ["cpu op"]
    for b in sj_backends + ["reference"]:
        for compiled in (False, True):
            impls[f"spikingjelly {b}{' + torch.compile' if compiled else ''}"] = (
                lambda t, b=b, c=compiled: _sj(None if b in ("cpu op", "cuda", "triton", "torch") else b, c))
    return impls


def benchmark_neurons(shapes=((4, 32, 128, 16, 16), (8, 32, 128, 16, 16)), device="cpu", rounds=5,
                      progress=True) -> pd.DataFrame:
    """Forward + backward time (ms) of a multi-step LIF layer on x [T, B, C, H, W] for every
    implementation, interleaved per shape; one tidy row per (shape, implementation)."""
    device = resolve_device(device)
    rows = []
    for shape in shapes:
        x = torch.randn(*shape, device=device).mul_(1.5).requires_grad_()
        jobs = {}
        for name, make in neuron_implementations(device).items():
            run = make(shape[0])
            sj_cuda = name.split(" ")[1] if name.startswith("spikingjelly") and device.type == "cuda" else None

            def job(run=run, sj_cuda=sj_cuda):
                if sj_cuda in ("cuda", "triton", "torch"):
                    _select_sj_cuda(sj_cuda)
                run(x).sum().backward()
                x.grad = None
            try:
                job()
                jobs[name] = job
            except Exception as err:  # a backend missing on this device is reported, not fatal
                rows.append({"shape": "x".join(map(str, shape)), "time_steps": shape[0], "device": str(device),
                             "implementation": name, "ms": float("nan"), "error": f"{type(err).__name__}: {err}"[:200]})
        for name, s in interleaved_seconds(jobs, device, rounds, progress).items():
            rows.append({"shape": "x".join(map(str, shape)), "time_steps": shape[0], "device": str(device),
                         "implementation": name, "ms": s * 1000, "error": ""})
    df = pd.DataFrame(rows)
    fastest_sj = df[df.implementation.str.startswith("spikingjelly")].groupby("shape")["ms"].min()
    df["vs_fastest_spikingjelly"] = df["ms"] / df["shape"].map(fastest_sj)
    return df


def benchmark_training_step(width_mult: float = 0.25, batch_size: int = 16, time_steps: int = 4, device="cpu",
                            rounds: int = 3, progress: bool = True) -> pd.DataFrame:
    """One TET training step (forward, loss, backward, SGD) of ResNet-19 on CIFAR-shaped random data,
    with each of our LIF backends and with SpikingJelly's LIFNode in the same network."""
    from .models import create_model
    from .train import tet_loss
    device = resolve_device(device)
    x = torch.randn(batch_size, 3, 32, 32, device=device)
    y = torch.randint(0, 10, (batch_size,), device=device)
    variants = {f"seenn {b}": (b, None) for b in ("plain", "fused", "compiled")}
    try:
        import spikingjelly  # noqa: F401
        variants["spikingjelly"] = ("plain", lambda: _FoldedSJ(time_steps))
    except ImportError:
        pass
    jobs = {}
    for name, (backend, act) in variants.items():
        torch.manual_seed(0)
        model = create_model("resnet19", num_classes=10, width_mult=width_mult, act=act).to(device).train()
        opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)

        def job(model=model, opt=opt, backend=backend):
            previous = set_neuron_backend(backend)
            try:
                loss = tet_loss(model(repeat_time(x, time_steps)), y)
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
            finally:
                set_neuron_backend(previous)
        jobs[name] = job
    seconds = interleaved_seconds(jobs, device, rounds, progress)
    df = pd.DataFrame([{"model": f"resnet19 x{width_mult:g}", "batch_size": batch_size, "time_steps": time_steps,
                        "device": str(device), "implementation": k, "ms": v * 1000} for k, v in seconds.items()])
    if "spikingjelly" in seconds:
        df["vs_spikingjelly"] = df["ms"] / (seconds["spikingjelly"] * 1000)
    return df


class _FoldedSJ(nn.Module):
    """SpikingJelly's LIFNode inside our time-folded models: [T*B, ...] -> [T, B, ...] -> back."""

    def __init__(self, time_steps: int):
        super().__init__()
        self.time_steps, self.node = time_steps, spikingjelly_lif()

    def forward(self, x):
        from spikingjelly.activation_based import functional
        functional.reset_net(self.node)
        return self.node(x.view(self.time_steps, -1, *x.shape[1:])).flatten(0, 1)


# ---- output ----------------------------------------------------------------------------------------


def environment(device) -> dict:
    device = resolve_device(device)
    info = {"device": str(device), "torch": torch.__version__, "threads": torch.get_num_threads(),
            "cpu": platform.processor() or platform.machine(),
            "note": "wall-clock timings; on a shared CPU they are noisy, ratios were measured side by side"}
    if device.type == "cuda":
        info["gpu"] = torch.cuda.get_device_name(device)
    try:
        import spikingjelly
        info["spikingjelly"] = getattr(spikingjelly, "__version__", "installed")
    except ImportError:
        info["spikingjelly"] = None
    return info


def write_outputs(tables: dict[str, pd.DataFrame], summary: dict, figure, name: str, out: Path) -> list[Path]:
    """out/<name>_<table>.csv for each table, out/<name>.json, out/<name>.png + .pdf."""
    from .artifacts import atomic_write
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    paths = [atomic_write(out / f"{name}_{k}.csv", lambda tmp, df=df: df.to_csv(tmp, index=False))
             for k, df in tables.items()]
    blob = json.dumps({**summary, **{k: df.to_dict(orient="records") for k, df in tables.items()}},
                      indent=1, default=str)
    paths.append(atomic_write(out / f"{name}.json", lambda tmp: Path(tmp).write_text(blob)))
    for ext in ("png", "pdf"):
        paths.append(atomic_write(out / f"{name}.{ext}",
                                  lambda tmp, ext=ext: figure.savefig(tmp, format=ext, dpi=150, bbox_inches="tight")))
    return paths


# ---- command line ----------------------------------------------------------------------------------


def _environment_for_run(device) -> dict:
    """environment(device), after putting a CPU run under steady_cpu_allocator (every method alike)."""
    device = resolve_device(device)
    return {**environment(device), "steady_cpu_allocator": device.type == "cpu" and steady_cpu_allocator()}


def inference_command(args) -> list[Path]:
    from .plots import throughput_energy
    summary = _environment_for_run(args.device)
    df = run_inference_bench(args.profile, args.alphas, args.batch_size, args.images, args.resnet, args.device,
                             args.rounds)
    targets = inference_targets(df)
    print(df[["model", "method", "batch_size", "avg_timesteps", "images_per_s", "fraction_of_ideal",
              "vs_one_at_a_time", "energy_uj"]].to_string(index=False))
    print(targets.to_string(index=False))
    fig = throughput_energy(df, f"throughput and energy per method ({args.device})")
    return write_outputs({"results": df, "targets": targets}, summary, fig, "bench_inference", args.out)


def neurons_command(args) -> list[Path]:
    from .plots import neuron_benchmark
    device = resolve_device(args.device)
    summary = _environment_for_run(device)
    shapes = [(4, 32, 128, 16, 16), (8, 32, 128, 16, 16)] + ([(8, 64, 128, 32, 32)] if device.type == "cuda" else [])
    neurons = benchmark_neurons(shapes, device, args.rounds)
    step = benchmark_training_step(args.resnet_width, args.batch_size, 4, device, args.rounds)
    print(neurons.to_string(index=False))
    print(step.to_string(index=False))
    fig = neuron_benchmark(neurons, f"multi-step LIF, forward + backward ({device})")
    return write_outputs({"neurons": neurons, "training_step": step}, summary, fig, "bench_neurons", args.out)


def add_bench_parser(sub) -> None:
    """`bench inference` and `bench neurons` subcommands for seenn_lib.cli."""
    b = sub.add_parser("bench", help="throughput/energy of early exit (SEENN Fig. 3); LIF vs SpikingJelly")
    which = b.add_subparsers(dest="bench", required=True)
    inf = which.add_parser("inference", help="static T_max, T=1, the engine at several α, one-at-a-time")
    inf.add_argument("--profile", default="smoke")
    inf.add_argument("--alphas", type=float, nargs="+", default=[0.7, 0.9, 0.99])
    inf.add_argument("--batch-size", type=int, default=256)
    inf.add_argument("--images", type=int, default=2000)
    inf.add_argument("--resnet", type=resnet_run, nargs="*", default=list(DEFAULT_RESNETS), metavar="W:N:B",
                     help="random ResNet-19 runs as width multiplier:images:batch size "
                          "(default 0.125:1024:64 1:256:32; none to skip)")
    inf.set_defaults(func=inference_command)
    neu = which.add_parser("neurons", help="multi-step LIF forward+backward and a ResNet-19 TET training step")
    neu.add_argument("--resnet-width", type=float, default=0.25)
    neu.add_argument("--batch-size", type=int, default=16)
    neu.set_defaults(func=neurons_command)
    for p in (inf, neu):
        p.add_argument("--device", default="cpu")
        p.add_argument("--rounds", type=int, default=3)
        p.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder (default build/bench)")
