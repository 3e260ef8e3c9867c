"""Data-parallel training with PyTorch's own engine, launched by torchrun (gloo on CPU, NCCL on GPU).

Without torchrun's environment (WORLD_SIZE unset or 1) everything here is a no-op, so single-process code
and multi-process code are one path. Only rank 0 writes artifacts.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as dist
from torch import nn


@dataclass(frozen=True)
class Context:
    rank: int = 0
    world: int = 1
    device: torch.device = torch.device("cpu")

    @property
    def main(self) -> bool:
        return self.rank == 0


def setup(device: torch.device) -> Context:
    """Join the process group that torchrun describes in the environment (once per process)."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world == 1:
        return Context(device=device)
    if device.type == "cuda":
        device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))
        torch.cuda.set_device(device)
    if not dist.is_initialized():
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
    return Context(dist.get_rank(), world, device)


def wrap(model: nn.Module, ctx: Context) -> nn.Module:
    """DDP-wrap for world > 1. On GPU BatchNorm becomes SyncBatchNorm (one set of batch statistics over
    the global batch); PyTorch has no CPU SyncBatchNorm, so on CPU each rank normalises its own shard."""
    if ctx.world == 1:
        return model
    if ctx.device.type == "cuda":
        model = nn.SyncBatchNorm.convert_sync_batchnorm(model)
        return nn.parallel.DistributedDataParallel(model, device_ids=[ctx.device.index])
    return nn.parallel.DistributedDataParallel(model)


def unwrap(model: nn.Module) -> nn.Module:
    return model.module if isinstance(model, nn.parallel.DistributedDataParallel) else model


def barrier(ctx: Context) -> None:
    if ctx.world > 1:
        dist.barrier()


def per_rank_batch(batch_size: int, ctx: Context) -> int:
    if batch_size % ctx.world:
        raise ValueError(f"batch_size {batch_size} does not split over {ctx.world} processes; use a multiple "
                         f"of {ctx.world} (batch_size is the global batch)")
    return batch_size // ctx.world
