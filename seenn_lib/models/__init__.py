"""Spiking model families behind one registry: `create_model(name, num_classes, **kw)`."""
from . import imagenet, resnet, smoke, vgg  # noqa: F401  (registration side effects)
from .registry import create_model, list_models, register

__all__ = ["create_model", "list_models", "register"]
