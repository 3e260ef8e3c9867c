"""What both benchmarks share: interleaved wall-clock timing, a steady CPU allocator, exact peak tensor
memory on CPU (PeakTensorMemory) and of one job on either device, and the run's environment. Writing the
outputs is seenn_lib.results'."""
from __future__ import annotations

import platform
import time
import weakref
from collections import defaultdict
from typing import Callable

import torch
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_flatten
from tqdm.auto import tqdm

from ..devices import resolve_device


# ---- timing ----------------------------------------------------------------------------------------


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def interleaved_seconds(jobs: dict[str, Callable[[], object]], device, rounds: int = 3,
                        progress: bool = True) -> dict[str, float]:
    """Fastest wall time of each job over `rounds` (the least disturbed by other load), from interleaved_times."""
    return {name: min(t) for name, t in interleaved_times(jobs, device, rounds, progress).items()}


def interleaved_times(jobs: dict[str, Callable[[], object]], device, rounds: int = 3,
                      progress: bool = True) -> dict[str, list[float]]:
    """Wall time of each job in each of `rounds`, after one warm-up call each; the jobs take turns in every
    round, so a load spike on a shared machine hits them all alike and round r of two jobs is a paired pair."""
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
    return dict(times)


def steady_cpu_allocator() -> bool:
    """Keep freed memory in glibc's heap (no mmap for large blocks, no trimming), as jemalloc / tcmalloc
    setups do. By default glibc returns large blocks to the OS, so a job pays page faults for fresh pages
    (for the LIF kernel on [8, 32, 128, 16, 16], more than the kernel costs), and how many depends on which
    jobs ran before it. Returns whether it applied (glibc only)."""
    import ctypes  # stdlib, imported here as only glibc's mallopt needs it
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


def job_peak_memory_mb(job: Callable[[], object], device) -> float:
    """Peak memory (MB) one call of `job` allocates beyond what is allocated before it. CUDA: the allocator's
    counter (torch.cuda.max_memory_allocated); CPU: PeakTensorMemory."""
    device = resolve_device(device)
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


# ---- environment -----------------------------------------------------------------------------------


def environment(device) -> dict:
    device = resolve_device(device)
    info = {"device": str(device), "torch": torch.__version__, "threads": torch.get_num_threads(),
            "cpu": platform.processor() or platform.machine(),
            "note": "wall-clock timings; on a shared CPU they are noisy, ratios were measured side by side"}
    if device.type == "cuda":
        info["gpu"] = torch.cuda.get_device_name(device)
    try:  # spikingjelly: heavy optional dependency (the `bench` extra), imported only to report it
        import spikingjelly
        info["spikingjelly"] = getattr(spikingjelly, "__version__", "installed")
    except ImportError:
        info["spikingjelly"] = None
    return info


def environment_for_run(device) -> dict:
    """environment(device), after putting a CPU run under steady_cpu_allocator (every method alike)."""
    device = resolve_device(device)
    return {**environment(device), "steady_cpu_allocator": device.type == "cpu" and steady_cpu_allocator()}
