"""The paper profile's dry run: `python -m seenn_lib reproduce --profile paper --dry-run [--data-root DIR]`.

Every notebook of the paper profile runs on the papers' configs, cut as config.dry_run says (a few optimiser
steps per training run, a few inputs per evaluation), on stand-ins written where the real datasets would be
under the data root and read by the real loaders; notebooks 02-04 then run again from state dicts written in
each official code's key layout (random weights), so the checkpoint import path runs end to end. Last, every
training run behind the paper tables is timed for one step (gpu-check's projection) with the peak memory of
that step: the budget of the real run. Everything goes under build/dry-run/ (its own cache and figures), and
build/dry-run/figures/REPORT.md opens with "dry run: the numbers mean nothing"."""
from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pandas as pd
import torch

from . import provenance
from .artifacts import REPO_ROOT, atomic_write
from .bench.gpu_check import Reduced, training_costs
from .checkpoints import LAYOUTS, official_state_dict
from .config import DRY_RUNS, DryRun, get_config, get_profile, group, notebook_parameters
from .data import DEFAULT_ROOT, dataset_spec
from .data.standins import make_paper_standins
from .devices import resolve_device
from .models import create_model
from .notebooks import markdown_table, run_all, select

DRY_RUN = REPO_ROOT / "build" / "dry-run"
# notebooks that run a second time from official checkpoints: (the code that saved them, the experiment group)
OFFICIAL = {"02": ("seenn", "table1"), "03": ("qcfs", "conversion"), "04": ("tet", "imagenet")}
BUDGET_COLUMNS = ["table", "experiment", "model", "dataset", "time_steps", "batch_size", "peak_memory_mb",
                  "seconds_per_step", "seconds_per_epoch", "gpu_hours", "note"]


def dry_run_of(profile: str, device: str) -> tuple[str, DryRun]:
    """(the dry-run profile, its cut) of `profile` on `device`; only profiles in config.DRY_RUNS have one."""
    if profile not in DRY_RUNS:
        raise ValueError(f"only the paper profile has a dry run (--dry-run), not {profile!r}: the {profile} "
                         "profile is small enough to run as it is")
    return DRY_RUNS[profile]["cuda" if str(device).startswith("cuda") else "cpu"]


def official_checkpoints(profile: str, folder: Path, numbers) -> dict[str, dict]:
    """For those of notebooks 02-04 in `numbers`, the parameters that make them read official checkpoints:
    {number: {"checkpoints": {experiment: file}, "checkpoint_source": source}}, each file a random model's state
    dict in `source`'s key layout (checkpoints.official_state_dict), for each experiment of the notebook's group
    that the layout covers."""
    folder.mkdir(parents=True, exist_ok=True)
    params = {}
    for number, (source, group_name) in OFFICIAL.items():
        if number not in numbers:
            continue
        files = {}
        for name in group(profile, group_name).values():
            cfg = get_config(profile, name)
            if (source, cfg.model) not in LAYOUTS:
                continue
            spec = dataset_spec(cfg.dataset)
            net = create_model(cfg.model, num_classes=spec.num_classes, in_channels=spec.in_channels,
                               **{**LAYOUTS[source, cfg.model].switches, **cfg.model_kw})
            path = folder / f"{source}_{name}.pth"
            atomic_write(path, lambda tmp, net=net, model=cfg.model: torch.save(
                official_state_dict(net, source, model), tmp))
            files[name] = str(path)
        params[number] = {"checkpoints": files, "checkpoint_source": source}
    return params


def training_budget(profile: str, cut: DryRun, device) -> pd.DataFrame:
    """gpu-check's projection of every training run behind the paper tables, with the peak memory of one step:
    at full width and the papers' T, at the papers' batch size or the cut's budget_batch."""
    reduced = Reduced(width_mult=1.0, batch_size=cut.budget_batch, max_time_steps=10**6) if cut.budget_batch else None
    costs = training_costs(profile, device, seconds=0.0, max_steps=2, reduced=reduced)
    return costs[BUDGET_COLUMNS]


def run(profile: str = "paper", device: str = "cpu", data_root: str | Path | None = None, jobs: int = 1,
        only: list[str] | None = None, budget: bool = True, out: Path = DRY_RUN) -> pd.DataFrame:
    """The whole dry run, everything under `out` (its data root by default, cache, figures, executed notebooks);
    returns the notebooks' log (both passes). Inputs are checked before any work."""
    device = str(resolve_device(device))  # "auto" becomes what it means; a missing GPU fails here
    name, cut = dry_run_of(profile, device)
    books = select(only, name)
    if jobs < 1:
        raise ValueError(f"jobs (notebooks run at once) must be >= 1, got {jobs}")
    out, start = Path(out).resolve(), time.perf_counter()
    data_root = Path(data_root or out / "data").resolve()  # the kernels run in notebooks/
    make_paper_standins(data_root, DEFAULT_ROOT)
    os.environ.update({"SEENN_DATA": str(data_root), "SEENN_CACHE": str(out / "cache"),
                       "SEENN_FIGURES": str(out / "figures")})
    facts = provenance.run_facts(name, device)
    params = {b: {"profile": name, "device": device, **notebook_parameters(name, b.stem)} for b in books}
    log = pd.DataFrame(run_all(books, params, jobs, get_profile(name).start_first, f"dry run ({name})",
                               build=out / "notebooks")).assign(checkpoints="trained")
    official = official_checkpoints(name, out / "checkpoints", {b.stem[:2] for b in books})
    again = [b for b in books if b.stem[:2] in official]
    if again:
        params = {b: {**params[b], **official[b.stem[:2]]} for b in again}
        rows = run_all(again, params, jobs, (), "dry run, official checkpoints",
                       env={"SEENN_FIGURES": str(out / "figures-official")}, build=out / "notebooks-official")
        log = pd.concat([log, pd.DataFrame(rows).assign(checkpoints="official")], ignore_index=True)
    costs = training_budget("paper", cut, device) if budget else pd.DataFrame(columns=BUDGET_COLUMNS)
    write_report(log, costs, cut, {**facts, "wall_minutes": round((time.perf_counter() - start) / 60, 1)},
                 out / "figures")
    return log


def write_report(log: pd.DataFrame, costs: pd.DataFrame, cut: DryRun, facts: dict, out: Path) -> Path:
    """out/REPORT.md: the warning, what was cut, each notebook's status and time, the budget; and
    out/run_manifest.json."""
    out.mkdir(parents=True, exist_ok=True)
    parts = ["# dry run: the numbers mean nothing", "",
             f"The paper profile's code path on stand-ins (profile `{facts['profile']}`, device "
             f"`{facts['device']['requested']}`, commit {facts['git']['commit']}, {facts['wall_minutes']} minutes). "
             "It checks that every notebook runs on the papers' configs; no number below says anything about the "
             "papers except the budget's memory and time, which are the real run's.", "",
             "## What the dry run cuts (everything else is the paper profile's)", "",
             *[f"- {line}" for line in cut.cuts()], "",
             "## Notebooks", "", markdown_table(log.drop(columns=["artifacts"])), "",
             "## Budget of the real run: one step of every training run behind the paper tables", "",
             "Peak memory of one optimisation step and gpu-check's projection of the whole schedule "
             "(seconds per step x steps per epoch at the paper's batch size x epochs)"
             + (f"; each step timed at batch {cut.budget_batch}, not the paper's, so the hours are far too low and "
                "the memory is that batch's" if cut.budget_batch else "") + ".", "",
             markdown_table(costs) if len(costs) else "(not measured: --skip-budget)", ""]
    manifest = json.dumps({**facts, "notebooks": log.to_dict("records"), "budget": costs.to_dict("records")},
                          indent=2, default=str) + "\n"
    atomic_write(out / "run_manifest.json", lambda tmp: Path(tmp).write_text(manifest))
    return atomic_write(out / "REPORT.md", lambda tmp: Path(tmp).write_text("\n".join(parts)))
