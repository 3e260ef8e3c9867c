"""The dataset registry (name -> shape and loader), batches in a seeded order, and batches as [T, B, ...]."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import torch
from torch.utils.data import (BatchSampler, DataLoader, Dataset, DistributedSampler, RandomSampler,
                              SequentialSampler, TensorDataset)

from ..artifacts import REPO_ROOT
from ..devices import loader_workers
from ..layers import repeat_time

DEFAULT_ROOT = Path(os.environ.get("SEENN_DATA", REPO_ROOT / "data"))
NO_DOWNLOAD_NEEDED = ("The smoke and ci profiles need no download: they run on Fashion-MNIST and on stand-ins "
                      "made from it.")


@dataclass(frozen=True)
class DatasetSpec:
    name: str
    num_classes: int
    in_channels: int
    image_size: int
    load: Callable[[Path], tuple[Dataset, Dataset]]  # root -> (train, test)
    prepare: Callable[[Path], Path] | None = None  # make the data available under root (may download)
    train_size: int = 0  # training samples of the real dataset (epoch length in gpu-check's projections)


_DATASETS: dict[str, DatasetSpec] = {}


def register_dataset(spec: DatasetSpec) -> DatasetSpec:
    _DATASETS[spec.name] = spec
    return spec


def list_datasets() -> list[str]:
    return sorted(_DATASETS)


def dataset_spec(name: str) -> DatasetSpec:
    if name not in _DATASETS:
        raise ValueError(f"unknown dataset {name!r}; choose one of {list_datasets()}")
    return _DATASETS[name]


def load_datasets(name: str, root: str | Path | None = None) -> tuple[Dataset, Dataset]:
    """(train, test) datasets of a registered name; prepares the data first where the entry can."""
    spec = dataset_spec(name)
    root = Path(root or DEFAULT_ROOT)
    if spec.prepare is not None:
        spec.prepare(root)
    return spec.load(root)


def make_loader(ds: Dataset, batch_size: int, shuffle: bool, seed: int = 0, workers: int | None = None,
                rank: int = 0, world: int = 1) -> DataLoader:
    """Batches of `ds` in an order fixed by `seed`. With world > 1 (torchrun), a DistributedSampler gives
    each rank its share. In-memory TensorDatasets are sliced a whole batch at a time (no per-sample collate);
    other datasets load in `workers` processes (default devices.loader_workers(): several when CUDA is there)
    into pinned memory on CUDA machines."""
    workers = loader_workers() if workers is None else workers
    gen = torch.Generator().manual_seed(seed)
    if world > 1:
        sampler = DistributedSampler(ds, world, rank, shuffle=shuffle, seed=seed)
    else:
        sampler = RandomSampler(ds, generator=gen) if shuffle else SequentialSampler(ds)
    if isinstance(ds, TensorDataset):
        return DataLoader(ds, sampler=BatchSampler(sampler, batch_size, drop_last=False), batch_size=None)
    return DataLoader(ds, batch_size=batch_size, sampler=sampler, num_workers=workers,
                      pin_memory=torch.cuda.is_available(), persistent_workers=workers > 0)


def to_time_first(x: torch.Tensor, time_steps: int) -> torch.Tensor:
    """A loader batch as model input [T, B, ...]: a static image batch [B, C, H, W] is repeated over T
    (direct encoding); an event-frame batch [B, T, C, H, W] is transposed (its T must equal time_steps)."""
    if x.dim() != 5:
        return repeat_time(x, time_steps)
    if x.shape[1] != time_steps:
        raise ValueError(f"the event data hold {x.shape[1]} frames per sample but time_steps is {time_steps}; "
                         f"set the config's time_steps to {x.shape[1]}")
    return x.transpose(0, 1)
