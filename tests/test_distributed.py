"""Data-parallel training under torchrun (2 CPU processes, gloo) against a single-process reference:
TET training of an SNN, then SEENN-II joint fine-tuning of that SNN with its policy."""
import os
import subprocess
import sys

import pytest
import torch

from seenn_lib import devices
from seenn_lib.config import PolicySpec, TrainConfig
from seenn_lib.data import load_datasets, make_loader
from seenn_lib.devices import place
from seenn_lib.layers import repeat_time
from seenn_lib.policy import JointSeenn2, build_policy, seenn2_objective
from seenn_lib.train import build_model, make_optimizer, seed_everything, subset, tet_loss, train

CFG = dict(epochs=1, train_subset=256, batch_size=32, model_kw={"width": 4})
FINETUNE = dict(CFG, lr=0.01)
POLICY = dict(warmup="direct", model_kw={"width": 2})
BETA = 2.0
RANK_SNIPPET = f"""
import sys, torch, torch.distributed as dist
torch.set_num_threads(1)
from seenn_lib.config import PolicySpec, TrainConfig
from seenn_lib.policy import train_seenn2
from seenn_lib.seenn2 import Seenn2Setup
from seenn_lib.train import train

def gather(*modules):
    flat = torch.cat([p.detach().flatten() for m in modules for p in m.parameters()])
    out = [None] * dist.get_world_size()
    dist.all_gather_object(out, flat)
    return out

snn = gather(train(TrainConfig(**{CFG!r}), progress=False))
setup = Seenn2Setup(TrainConfig(**{FINETUNE!r}), TrainConfig(**{CFG!r}), PolicySpec(**{POLICY!r}), (1, 2, 3, 4))
joint = gather(*train_seenn2(setup, {BETA!r}, progress=False))
if dist.get_rank() == 0:
    torch.save({{"tet": snn, "seenn2": joint}}, sys.argv[1])
dist.destroy_process_group()
"""


def _flat(model):
    return torch.cat([p.detach().flatten() for p in model.parameters()])


def _single_process_reference(cfg: TrainConfig, model, shard_loss, world: int) -> torch.Tensor:
    """The same global batches in one process: each rank's shard gets its own forward (as in DDP on CPU,
    BatchNorm statistics per shard), the loss is the mean over shards, and the BatchNorm running
    statistics follow shard 0 (DDP broadcasts rank 0's buffers before every forward). The model goes in the
    memory layout that fit() gives it (devices.place): NHWC batch statistics round off differently."""
    place(model, torch.device("cpu")).train()
    train_ds = subset(load_datasets(cfg.dataset)[0], cfg.train_subset)
    opt, sched = make_optimizer(cfg, model.parameters(), cfg.epochs * -(-len(train_ds) // cfg.batch_size))
    loaders = [make_loader(train_ds, cfg.batch_size // world, True, cfg.seed, rank=r, world=world)
               for r in range(world)]
    for shards in zip(*loaders):
        losses, kept = [], None
        for x, y in shards:
            losses.append(shard_loss(x, y))
            kept = kept or [b.clone() for b in model.buffers()]
        opt.zero_grad()
        (sum(losses) / world).backward()
        with torch.no_grad():
            for b, saved in zip(model.buffers(), kept):
                b.copy_(saved)
        opt.step()
        sched.step()
    return _flat(model)


def _tet_reference(world: int) -> torch.Tensor:
    cfg = TrainConfig(**CFG)
    seed_everything(cfg.seed)
    model = build_model(cfg)
    return _single_process_reference(cfg, model, lambda x, y: tet_loss(model(repeat_time(x, cfg.time_steps)), y),
                                     world)


def _seenn2_reference(world: int) -> torch.Tensor:
    """Fine-tunes the warm-up that the DDP run cached (so only the joint step is compared)."""
    cfg, actions = TrainConfig(**FINETUNE), (1, 2, 3, 4)
    snn = train(TrainConfig(**CFG), progress=False)
    joint = JointSeenn2(snn, build_policy(PolicySpec(**POLICY), cfg.dataset, len(actions)), actions)
    seed_everything(cfg.seed)
    return _single_process_reference(cfg, joint, lambda x, y: seenn2_objective(*joint(x), y, actions, BETA),
                                     world)


@pytest.mark.slow
def test_two_process_ddp_matches_single_process(tmp_path, monkeypatch):
    out = tmp_path / "params.pt"
    monkeypatch.setenv("SEENN_CACHE", str(tmp_path / "cache"))
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    script = tmp_path / "rank.py"
    script.write_text(RANK_SNIPPET)
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
           str(script), str(out)]
    subprocess.run(cmd, env=env, check=True, timeout=300)
    result = torch.load(out)
    cache = tmp_path / "cache"
    assert list(cache.glob("models/*/model.pt")) and list(cache.glob("seenn2/*/model.pt")), "rank 0 wrote no model"
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # as each rank, whose statistics sum in a thread-count order
    # as each rank: data-parallel CPU ranks keep NCHW (devices.channels_last_safe)
    monkeypatch.setattr(devices, "channels_last_safe", lambda model, device: False)
    try:
        references = {"tet": _tet_reference(2), "seenn2": _seenn2_reference(2)}
    finally:
        torch.set_num_threads(threads)
    for name, reference in references.items():
        rank0, rank1 = result[name]
        assert torch.equal(rank0, rank1), f"{name}: weights differ across ranks"
        # Float tolerance: all-reduce sums in another order, and a rare spike flips at a threshold; a wrong
        # gradient average or batch split moves the weights by ~1e-2 after these 8 steps.
        diff = (rank0 - reference).abs()
        assert diff.mean() < 1e-5 and diff.max() < 1e-3, (name, diff.mean(), diff.max())


def test_global_batch_must_split_over_ranks():
    from seenn_lib.distributed import Context, per_rank_batch
    assert per_rank_batch(32, Context(rank=0, world=4)) == 8
    with pytest.raises(ValueError, match="does not split over 3 processes"):
        per_rank_batch(32, Context(rank=0, world=3))
