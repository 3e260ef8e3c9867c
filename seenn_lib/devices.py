"""One `device` parameter for CPU and CUDA, and what a GPU run gets by default: bf16 autocast (SEENN_AMP or
set_amp: 'auto' = on CUDA only, 'on', 'off'), DataLoader workers and pinned memory; on CUDA and x86 CPUs
channels_last convolutions. The compiled LIF backend on CUDA is chosen in seenn_lib.neurons (neuron_backend)."""
from __future__ import annotations

import os

import torch
from torch import nn

AMP_MODES = ("auto", "on", "off")
_AMP = os.environ.get("SEENN_AMP", "auto")


def resolve_device(device: str | torch.device = "cpu") -> torch.device:
    """'cpu', 'cuda', 'cuda:N' or 'auto' (CUDA when available)."""
    if str(device) == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    dev = torch.device(device)
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise RuntimeError(f"device {str(device)!r} was asked for but no CUDA GPU is visible; "
                           "pass device='cpu' (or 'auto' to use a GPU only when there is one)")
    return dev


def set_amp(mode: str) -> str:
    """bf16 autocast for training and evaluation: 'auto' (on CUDA only), 'on', 'off'. Returns the previous."""
    global _AMP
    if mode not in AMP_MODES:
        raise ValueError(f"amp mode {mode!r} is unknown: use one of {AMP_MODES}")
    previous, _AMP = _AMP, mode
    return previous


def amp_enabled(device: torch.device) -> bool:
    return _AMP == "on" or (_AMP == "auto" and device.type == "cuda")


def autocast(device: torch.device) -> torch.autocast:
    """The precision context of every forward pass: bf16 autocast where amp_enabled, else full fp32."""
    return torch.autocast(device.type, dtype=torch.bfloat16, enabled=amp_enabled(device))


def place(model: nn.Module, device: torch.device) -> nn.Module:
    """model.to(device), in channels_last where channels_last_safe and in NCHW otherwise: tensor cores want
    NHWC, and on a CPU oneDNN's NHWC kernels ran the spiking CNNs here 10-30 % faster (`python -m seenn_lib
    bench layout`)."""
    model.to(device)
    return model.to(memory_format=torch.channels_last if channels_last_safe(model, device) else
                    torch.contiguous_format)


def channels_last_safe(model: nn.Module, device: torch.device) -> bool:
    """Whether `model` has convolutions and may run them channels_last on `device`: not if the model says
    `prefers_nchw`; always on CUDA; on an x86 CPU (AVX2 / AVX-512) unless a strided 1x1 convolution has fewer
    input channels than oneDNN's channel block (8 / 16), whose NHWC weight gradient writes past its buffer
    (uxlfoundation/oneDNN#6035: here a 4-channel one crashed the QCFS ResNet-20 at 1/4 width); other CPUs
    were not measured, so they keep NCHW. Data-parallel CPU ranks keep NCHW too: the two-rank DDP test (gloo)
    aborted in about one run of three with channels_last and never in NCHW (cause not isolated)."""
    convs = [m for m in model.modules() if isinstance(m, nn.Conv2d)]
    if not convs or getattr(model, "prefers_nchw", False) or device.type not in ("cuda", "cpu"):
        return False
    if device.type == "cuda":
        return True
    if torch.distributed.is_available() and torch.distributed.is_initialized():
        return False
    block = {"AVX2": 8, "AVX512": 16}.get(torch.backends.cpu.get_cpu_capability())
    return block is not None and all(c.in_channels >= block for c in convs
                                     if c.kernel_size == (1, 1) and c.stride != (1, 1))


def loader_workers() -> int:
    """DataLoader worker processes: several when a GPU is fed (decoding and augmentation off its critical
    path), none on a CPU-only machine, where workers would compete with the model for the same cores."""
    return min(8, (os.cpu_count() or 1) // 2) if torch.cuda.is_available() else 0
