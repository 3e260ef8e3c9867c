"""Datasets by name: fashion-mnist (smoke), cifar10/100, imagenet (folder), cifar10_dvs, generated stand-ins."""
from . import cifar, dvs, fashion_mnist, imagenet, synthetic  # noqa: F401  (registration side effects)
from .cifar import load_cifar
from .dvs import load_dvs_folder, split_per_class
from .imagenet import load_image_folder
from .registry import (DEFAULT_ROOT, DatasetSpec, dataset_spec, list_datasets, load_datasets, make_loader,
                       register_dataset, to_time_first)
from .synthetic import write_dvs_events, write_image_folder

__all__ = ["DEFAULT_ROOT", "DatasetSpec", "dataset_spec", "list_datasets", "load_cifar", "load_datasets",
           "load_dvs_folder", "load_image_folder", "make_loader", "register_dataset", "split_per_class",
           "to_time_first", "write_dvs_events", "write_image_folder"]
