"""Bring your own SNN (notebook 21): a SpikingJelly network trained briefly with SpikingJelly's own tools on a
Fashion-MNIST subset. Everything after training (per-t logits, SEENN-I, the engine, energy, TEAS activity) is the
library's own code on seenn_lib.adapters.adapt(model)."""
from __future__ import annotations

import torch
import torch.nn.functional as F
from spikingjelly.activation_based import functional  # this module exists for SpikingJelly networks
from torch import nn
from torch.utils.data import Subset, TensorDataset

from ..adapters import step_mode
from ..data import load_datasets, make_loader
from ..devices import resolve_device
from ..layers import repeat_time
from ..train import subset


def fashion_mnist(train_samples: int, test_samples: int) -> tuple[TensorDataset, TensorDataset]:
    """(train, test) Fashion-MNIST subsets, samples spread evenly over each set (0: all of it), in memory
    (make_loader slices a TensorDataset a batch at a time instead of collating sample by sample)."""
    return tuple(_in_memory(subset(ds, n)) for ds, n in zip(load_datasets("fashion-mnist"),
                                                           (train_samples, test_samples)))


def _in_memory(ds) -> TensorDataset:
    if isinstance(ds, Subset):
        return TensorDataset(*(t[ds.indices] for t in ds.dataset.tensors))
    return ds


def train_spikingjelly(model: nn.Module, dataset, time_steps: int, steps: int, batch_size: int = 32,
                       lr: float = 1e-3, device="cpu", seed: int = 0) -> tuple[nn.Module, list[float]]:
    """SpikingJelly's usual recipe, `steps` Adam steps: a multi-step network fed the image at every one of
    `time_steps` steps, cross-entropy on the time-averaged output, its surrogate gradients, and
    functional.reset_net after each batch. Returns (the model in eval mode, the loss per step)."""
    if step_mode(model) != "m":
        raise ValueError("train_spikingjelly takes a multi-step network: "
                         "spikingjelly.activation_based.functional.set_step_mode(model, 'm')")
    device = resolve_device(device)
    torch.manual_seed(seed)
    model.to(device).train()
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    losses: list[float] = []
    while len(losses) < steps:
        for x, y in make_loader(dataset, batch_size, shuffle=True, seed=seed + len(losses)):
            loss = F.cross_entropy(model(repeat_time(x.to(device), time_steps)).mean(0), y.to(device))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            functional.reset_net(model)
            losses.append(loss.item())
            if len(losses) == steps:
                break
    return model.eval(), losses
