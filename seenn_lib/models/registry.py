"""Model registry: `create_model(name, num_classes, **kw)`, timm style."""
from __future__ import annotations

from typing import Callable

from torch import nn

_REGISTRY: dict[str, Callable[..., nn.Module]] = {}


def register(name: str):
    def wrap(fn):
        _REGISTRY[name] = fn
        return fn
    return wrap


def list_models() -> list[str]:
    return sorted(_REGISTRY)


def create_model(name: str, num_classes: int = 10, **kw) -> nn.Module:
    """Build a registered model. Every spiking model maps [T, B, ...] -> [T, B, num_classes]."""
    if name not in _REGISTRY:
        raise ValueError(f"unknown model {name!r}; choose one of {list_models()}")
    if num_classes < 1:
        raise ValueError(f"num_classes must be >= 1, got {num_classes}")
    return _REGISTRY[name](num_classes=num_classes, **kw)
