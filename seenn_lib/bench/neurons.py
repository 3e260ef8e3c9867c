"""The neuron benchmark: our multi-step LIF (plain, fused, compiled backends) against SpikingJelly's
LIFNode, alone and inside a ResNet-19 TET training step; `python -m seenn_lib bench neurons`.
spikingjelly is a heavy optional dependency (the `bench` extra), so it is imported inside the functions
that use it; without it only our backends run."""
from __future__ import annotations

from typing import Callable

import pandas as pd
import torch
from torch import nn

from ..devices import resolve_device
from ..layers import repeat_time
from ..models import create_model
from ..neurons import SpikingNeuron, set_neuron_backend
from ..train import tet_loss
from .timing import interleaved_seconds


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
    from spikingjelly.activation_based import neuron, surrogate  # heavy optional dependency: imported on use
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
    from spikingjelly.activation_based import functional  # heavy optional dependency: imported on use
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
    from spikingjelly._ops.lif import _selection  # heavy optional dependency: imported on use
    _selection._requested = name
    _selection._selections.clear()


def neuron_implementations(device: torch.device) -> dict[str, Callable]:
    """name -> callable building a fresh run(x_seq) for (time_steps)."""
    impls = {f"seenn {b}": (lambda t, b=b: _ours(b, t)) for b in ("plain", "fused", "compiled")}
    try:
        import spikingjelly  # noqa: F401  (heavy optional dependency, imported on use)
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
    device = resolve_device(device)
    x = torch.randn(batch_size, 3, 32, 32, device=device)
    y = torch.randint(0, 10, (batch_size,), device=device)
    variants = {f"seenn {b}": (b, None) for b in ("plain", "fused", "compiled")}
    try:
        import spikingjelly  # noqa: F401  (heavy optional dependency, imported on use)
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
        from spikingjelly.activation_based import functional  # heavy optional dependency: imported on use
        functional.reset_net(self.node)
        return self.node(x.view(self.time_steps, -1, *x.shape[1:])).flatten(0, 1)
