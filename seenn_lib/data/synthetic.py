"""Generated stand-ins for the smoke / ci profiles: the real ImageFolder and DVS loaders on small data."""
from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Callable

import numpy as np
import torch

from ..artifacts import cache_root
from .dvs import DVS_CLASSES, DVS_SENSOR, DVS_SIZE, load_dvs_folder
from .imagenet import load_image_folder
from .registry import DatasetSpec, register_dataset

def synthetic_root(name: str) -> Path:
    """Generated data are artifacts: they live in the artifact cache, not under the data root."""
    return cache_root() / "synthetic" / name


def _generate_once(folder: Path, write: Callable[[Path], None]) -> Path:
    """Write a generated dataset into a temporary sibling, then rename it into place (all or nothing)."""
    if folder.is_dir():
        return folder
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=folder.parent, prefix=f".{folder.name}."))
    try:
        write(tmp)
        tmp.rename(folder)
    except OSError:
        if not folder.is_dir():  # another process did not win the race: a real failure
            raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return folder


def write_image_folder(folder: Path, classes: int = 10, train_per_class: int = 12, val_per_class: int = 4,
                       size: int = 64, seed: int = 0) -> None:
    """An ImageFolder tree train/ val/ of PNGs; class k is a noisy image of its own colour and stripe
    frequency, so a network can learn it."""
    from PIL import Image
    gen = torch.Generator().manual_seed(seed)
    ramp = torch.linspace(0, 1, size)
    for split, count in (("train", train_per_class), ("val", val_per_class)):
        for k in range(classes):
            out = folder / split / f"class{k:03d}"
            out.mkdir(parents=True)
            colour = torch.tensor([(k * 37 % 101) / 100, (k * 59 % 103) / 102, (k * 83 % 107) / 106])
            stripes = 0.5 + 0.5 * torch.sin(2 * torch.pi * (k % 5 + 1) * ramp).view(1, 1, -1)
            for i in range(count):
                img = colour.view(3, 1, 1) * stripes + 0.25 * torch.rand(3, size, size, generator=gen)
                array = (img.clamp(0, 1) * 255).byte().permute(1, 2, 0).numpy()
                Image.fromarray(array).save(out / f"{split}_{k}_{i}.png")


def write_dvs_events(folder: Path, per_class: int = 10, events: int = 20000, seed: int = 0) -> None:
    """SpikingJelly's raw layout events_np/<class>/cifar10_<class>_<i>.npz (t, x, y, p) on the 128x128
    sensor; class k's events gather around its own point and drift with time, one polarity leading."""
    rng = np.random.default_rng(seed)
    for k, name in enumerate(DVS_CLASSES):
        out = folder / "events_np" / name
        out.mkdir(parents=True)
        angle = 2 * np.pi * k / len(DVS_CLASSES)
        centre = DVS_SENSOR / 2 + 36 * np.array([np.cos(angle), np.sin(angle)])
        for i in range(per_class):
            t = np.sort(rng.integers(0, 1_000_000, events))
            drift = np.outer(t / 1_000_000 - 0.5, [np.sin(angle), -np.cos(angle)]) * 20
            xy = np.clip(np.rint(centre + drift + rng.normal(0, 10, (events, 2))), 0, DVS_SENSOR - 1)
            p = (rng.random(events) < 0.3 + 0.4 * (k % 2)).astype(np.int64)
            np.savez(out / f"cifar10_{name}_{i}.npz", t=t, x=xy[:, 0].astype(np.int64),
                     y=xy[:, 1].astype(np.int64), p=p)


register_dataset(DatasetSpec(
    name="imagenet_synthetic", num_classes=10, in_channels=3, image_size=224,
    load=lambda root: load_image_folder(synthetic_root("imagenet")),
    prepare=lambda root: _generate_once(synthetic_root("imagenet"), write_image_folder)))
register_dataset(DatasetSpec(
    name="cifar10_dvs_synthetic", num_classes=10, in_channels=2, image_size=DVS_SIZE,
    load=lambda root: load_dvs_folder(synthetic_root("cifar10_dvs")),
    prepare=lambda root: _generate_once(synthetic_root("cifar10_dvs"), write_dvs_events)))
