"""The memory-layout benchmark: a training step and an evaluation pass of every model of a profile, NCHW
against channels_last (what devices.place picks where channels_last_safe allows it), timed side by side
on random data of the profile's batch and input shapes; `python -m seenn_lib bench layout`."""
from __future__ import annotations

import pandas as pd
import torch

from ..config import get_profile
from ..data.registry import dataset_spec
from ..devices import channels_last_safe, resolve_device
from ..layers import repeat_time
from ..train import build_model, tet_loss
from .timing import interleaved_seconds

LAYOUTS = {"NCHW": torch.contiguous_format, "channels_last": torch.channels_last}
COLUMNS = ["experiment", "model", "batch_size", "time_steps", "phase", "layout", "ms", "vs_nchw", "note"]


def _jobs(cfg, layout, device) -> dict:
    """A TET training step (SGD) and a no-grad forward of cfg's model at cfg's batch size and T."""
    spec = dataset_spec(cfg.dataset)
    x = repeat_time(torch.randn(cfg.batch_size, spec.in_channels, spec.image_size, spec.image_size,
                                device=device), cfg.time_steps)
    y = torch.randint(0, spec.num_classes, (cfg.batch_size,), device=device)
    torch.manual_seed(cfg.seed)
    model = build_model(cfg).to(device).to(memory_format=LAYOUTS[layout])
    opt = torch.optim.SGD(model.parameters(), lr=1e-3, momentum=0.9)

    def train_step():
        model.train()
        loss = tet_loss(model(x), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    @torch.no_grad()
    def evaluate():
        model.eval()
        model(x)
    return {(layout, "train step"): train_step, (layout, "evaluation"): evaluate}


def benchmark_layout(profile: str = "smoke", device="cpu", rounds: int = 3, progress: bool = True) -> pd.DataFrame:
    """One tidy row per (experiment, phase, layout): ms of the fastest round and the ratio to NCHW. An
    experiment whose model place() keeps in NCHW on this device is listed once, untimed, with the reason."""
    device = resolve_device(device)
    rows = []
    for name, cfg in get_profile(profile).experiments.items():
        base = {"experiment": name, "model": cfg.model, "batch_size": cfg.batch_size, "time_steps": cfg.time_steps}
        if not channels_last_safe(build_model(cfg), device):
            rows.append({**base, "note": "place() keeps NCHW here (devices.channels_last_safe)"})
            continue
        jobs = {key: job for layout in LAYOUTS for key, job in _jobs(cfg, layout, device).items()}
        ms = {key: 1000 * s for key, s in interleaved_seconds(jobs, device, rounds, progress).items()}
        rows += [{**base, "phase": phase, "layout": layout, "ms": ms[layout, phase],
                  "vs_nchw": ms[layout, phase] / ms["NCHW", phase], "note": ""} for layout, phase in jobs]
    return pd.DataFrame(rows, columns=COLUMNS)


def layout_ratios(df: pd.DataFrame) -> dict[str, float]:
    """Per phase, the geometric mean over models of channels_last time / NCHW time."""
    ratios = df[df.layout == "channels_last"].groupby("phase")["vs_nchw"]
    return ratios.apply(lambda r: float(r.prod() ** (1 / len(r)))).to_dict()
