"""CIFAR-10 / CIFAR-100 in torchvision's python-pickle batches, with SEENN's training augmentation."""
from __future__ import annotations

import pickle
from functools import partial
from pathlib import Path

from torch.utils.data import Dataset

from .registry import NO_DOWNLOAD_NEEDED, DatasetSpec, register_dataset

CIFAR_STATS = {  # per-channel mean and std of the training images
    "cifar10": ((0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616)),
    "cifar100": ((0.5071, 0.4865, 0.4409), (0.2673, 0.2564, 0.2762)),
}


def cifar_transforms(name: str, train: bool):
    """SEENN §4.1 augmentation: random crop 32 (pad 4), horizontal flip, AutoAugment (torchvision's CIFAR-10
    policy, also used for CIFAR-100), normalisation, then Cutout. Cutout (DeVries & Taylor 2017, one 16x16
    hole filled with 0 after normalisation) is torchvision's RandomErasing with p=1, a fixed 16x16 square
    (scale 0.25 of 32x32, ratio 1) and value 0; unlike Cutout the hole always lies fully inside the image."""
    from torchvision import transforms as T
    mean, std = CIFAR_STATS[name]
    tail = [T.ToTensor(), T.Normalize(mean, std)]
    if not train:
        return T.Compose(tail)
    return T.Compose([T.RandomCrop(32, padding=4), T.RandomHorizontalFlip(),
                      T.AutoAugment(T.AutoAugmentPolicy.CIFAR10), *tail,
                      T.RandomErasing(p=1.0, scale=(0.25, 0.25), ratio=(1.0, 1.0), value=0)])


def _cifar_class(name: str):
    from torchvision.datasets import CIFAR10, CIFAR100

    class CifarFiles(CIFAR10 if name == "cifar10" else CIFAR100):
        """torchvision's reader, checking that the batch files exist rather than their md5: torchvision
        verifies the archive when it downloads it, and tests read small batches they write themselves."""

        def _check_integrity(self) -> bool:
            return all(Path(self.root, self.base_folder, f).is_file() for f, _ in self.train_list + self.test_list)

        def _load_meta(self) -> None:
            with open(Path(self.root, self.base_folder, self.meta["filename"]), "rb") as f:
                self.classes = pickle.load(f, encoding="latin1")[self.meta["key"]]
            self.class_to_idx = {c: i for i, c in enumerate(self.classes)}

    return CifarFiles


def _cifar_missing(name: str, root: Path, why: str = "") -> FileNotFoundError:
    cls = _cifar_class(name)
    files = [f for f, _ in cls.train_list + cls.test_list] + [cls.meta["filename"]]
    return FileNotFoundError(
        f"{name} is not available under {Path(root) / cls.base_folder}{f' ({why})' if why else ''}: expected "
        f"the python-pickle batches {', '.join(files)}. Download {cls.url} (md5 {cls.tgz_md5}) and unpack it "
        f"into {root} (tar -xzf {cls.filename} -C {root}). {NO_DOWNLOAD_NEEDED}")


def load_cifar(name: str, root: Path) -> tuple[Dataset, Dataset]:
    cls = _cifar_class(name)
    folder = Path(root) / cls.base_folder
    if not all((folder / f).is_file() for f in [f for f, _ in cls.train_list + cls.test_list] + [cls.meta["filename"]]):
        raise _cifar_missing(name, root)
    return (cls(str(root), train=True, transform=cifar_transforms(name, True)),
            cls(str(root), train=False, transform=cifar_transforms(name, False)))


def prepare_cifar(name: str, root: Path) -> Path:
    """Download the archive with torchvision unless the batches are already under root."""
    cls = _cifar_class(name)
    try:
        cls(str(root), train=True, download=not (Path(root) / cls.base_folder).is_dir())
    except Exception as err:  # no network, or a partial folder
        raise _cifar_missing(name, root, f"torchvision's download failed: {err}") from err
    return Path(root) / cls.base_folder


for _name, _classes in (("cifar10", 10), ("cifar100", 100)):
    register_dataset(DatasetSpec(
        name=_name, num_classes=_classes, in_channels=3, image_size=32,
        load=partial(load_cifar, _name), prepare=partial(prepare_cifar, _name), train_size=50_000))
