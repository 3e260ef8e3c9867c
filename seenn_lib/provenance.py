"""Provenance of a reproduction run: the code's commit, the machine, the library versions and the cached
artifacts each notebook read or wrote. Notebooks run in their own kernels, so artifacts are logged through a
file named by an environment variable (one JSON line per artifact)."""
from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
from datetime import datetime, timezone
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from .artifacts import REPO_ROOT
from .config import profile_configs, run_seed

RUN_ID_ENV = "SEENN_RUN_ID"  # set by reproduce for every notebook of one run

# the GPU facts, asked of a child interpreter: reproduce's coordinator does not import torch (an import holds
# ~450 MB of memory here, and the notebooks' kernels import it anyway)
GPU_PROBE = ("import json, torch; gpu = torch.cuda.is_available(); print(json.dumps({"
             "'gpu': torch.cuda.get_device_name(0) if gpu else None, 'cuda': torch.version.cuda if gpu else None, "
             "'cudnn': torch.backends.cudnn.version() if gpu else None}))")


def logged_artifacts(log: Path) -> list[str]:
    """The distinct `kind/key` of the artifacts in a log, sorted (none when the log does not exist)."""
    if not Path(log).exists():
        return []
    lines = Path(log).read_text().splitlines()
    return sorted({f"{entry['kind']}/{entry['key']}" for entry in map(json.loads, lines)})


def git_state(repo: Path | None = None) -> dict:
    """{commit, dirty} of the repository (tracked files only); both None outside a git checkout."""
    def git(*args) -> str:
        return subprocess.run(["git", "-C", str(repo or REPO_ROOT), *args], capture_output=True, text=True,
                              check=True).stdout.strip()
    try:
        return {"commit": git("rev-parse", "HEAD"),
                "dirty": bool(git("status", "--porcelain", "--untracked-files=no"))}
    except (OSError, subprocess.CalledProcessError):
        return {"commit": None, "dirty": None}


def cpu_model() -> str:
    cpuinfo = Path("/proc/cpuinfo")
    names = [line.split(":", 1)[1].strip() for line in cpuinfo.read_text().splitlines()
             if line.startswith("model name")] if cpuinfo.exists() else []
    return names[0] if names else platform.processor() or platform.machine()


def device_info(device: str) -> dict:
    """The requested device, the CPU model and, when CUDA is usable, the GPU with its CUDA and cuDNN versions."""
    probe = subprocess.run([sys.executable, "-c", GPU_PROBE], capture_output=True, text=True, check=True)
    return {"requested": device, "cpu": cpu_model(), **json.loads(probe.stdout)}


def versions() -> dict:
    def installed(name: str) -> str | None:
        try:
            return version(name)
        except PackageNotFoundError:
            return None
    return {"python": platform.python_version(), **{n: installed(n) for n in ("torch", "torchvision", "numpy")}}


def run_facts(profile: str, device: str) -> dict:
    """What a run's results depend on beyond the notebooks: code, date, profile, machine, versions, seeds."""
    return {"git": git_state(), "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "profile": profile, "device": device_info(device), "versions": versions(),
            "seeds": sorted({cfg.seed for cfg in profile_configs(profile).values()})}


def new_run_id(profile: str, seed: int) -> str:
    """`<commit>-<profile>-seed<seed>-<UTC start>`: names one run's claims rows."""
    commit = (git_state()["commit"] or "nogit")[:10]
    return f"{commit}-{profile}-seed{seed}-{datetime.now(timezone.utc).strftime('%Y%m%dT%H%M%SZ')}"


_PROCESS_RUN: dict[str, str] = {}


def run_id(profile: str) -> str:
    """This run's id: RUN_ID_ENV when reproduce set it, else one made when this process first asked (a
    notebook run on its own in JupyterLab is its own run)."""
    if os.environ.get(RUN_ID_ENV):
        return os.environ[RUN_ID_ENV]
    return _PROCESS_RUN.setdefault(profile, new_run_id(profile, run_seed()))
