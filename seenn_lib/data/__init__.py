"""Datasets by name: fashion-mnist (smoke), cifar10/100, imagenet (folder), cifar10_dvs, and stand-ins of the
last three made from Fashion-MNIST (standin-cifar10, standin-imagenet, standin-cifar10-dvs)."""
from . import cifar, dvs, fashion_mnist, imagenet, standins  # noqa: F401  (registration side effects)
from .cifar import load_cifar
from .dvs import load_dvs_folder, split_per_class
from .imagenet import load_image_folder
from .registry import (DEFAULT_ROOT, DatasetSpec, dataset_spec, list_datasets, load_datasets, make_loader,
                       register_dataset, to_time_first)
from .standins import STANDINS, make_standin, saccade_events

__all__ = ["DEFAULT_ROOT", "STANDINS", "DatasetSpec", "dataset_spec", "list_datasets", "load_cifar",
           "load_datasets", "load_dvs_folder", "load_image_folder", "make_loader", "make_standin",
           "register_dataset", "saccade_events", "split_per_class", "to_time_first"]
