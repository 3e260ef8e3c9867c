"""Fashion-MNIST (the smoke profile): from files already there, Debian's package, or torchvision's downloader."""
from __future__ import annotations

import gzip
import os
import shutil
import subprocess
from functools import partial
from pathlib import Path

from torch.utils.data import TensorDataset

from ..artifacts import atomic_write
from .registry import DatasetSpec, register_dataset

DEBIAN_FASHION_MNIST = Path("/usr/share/datasets/fashion-mnist")
FASHION_MNIST_FILES = ["train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                       "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"]
FASHION_MNIST_MEAN, FASHION_MNIST_STD = 0.2860, 0.3530


def _fmnist_raw(root: Path) -> Path:
    return root / "FashionMNIST" / "raw"


def _have_fmnist(raw: Path) -> bool:
    return all((raw / f).is_file() for f in FASHION_MNIST_FILES)


def _copy_debian_fmnist(raw: Path) -> bool:
    if not all((DEBIAN_FASHION_MNIST / f"{f}.gz").is_file() for f in FASHION_MNIST_FILES):
        return False
    for f in FASHION_MNIST_FILES:  # a temporary file of its own: two notebooks may prepare the data at once
        atomic_write(raw / f, partial(_gunzip, DEBIAN_FASHION_MNIST / f"{f}.gz"))
    return True


def _gunzip(source: Path, target: str) -> None:
    with gzip.open(source, "rb") as src, open(target, "wb") as dst:
        shutil.copyfileobj(src, dst)


def _apt_install_fmnist() -> bool:
    if shutil.which("apt-get") is None or os.geteuid() != 0:
        return False
    install = "apt-get install -y -qq dataset-fashion-mnist"
    cmd = f"{install} || (apt-get update -qq && {install})"
    return subprocess.run(["bash", "-c", cmd], capture_output=True).returncode == 0


def _torchvision_download_fmnist(root: Path) -> bool:
    from torchvision.datasets import FashionMNIST
    try:
        for train in (True, False):
            FashionMNIST(str(root), train=train, download=True)
        return True
    except Exception:  # no network is the common case; the caller reports every option
        return False


def prepare_fashion_mnist(root: Path) -> Path:
    """Make Fashion-MNIST's IDX files available under root/FashionMNIST/raw, trying in order: files
    already there, Debian's dataset-fashion-mnist (installed with apt when possible), torchvision."""
    raw = _fmnist_raw(Path(root))
    if _have_fmnist(raw) or _copy_debian_fmnist(raw):
        return raw
    if _apt_install_fmnist() and _copy_debian_fmnist(raw):
        return raw
    if _torchvision_download_fmnist(Path(root)) and _have_fmnist(raw):
        return raw
    from torchvision.datasets import FashionMNIST
    raise FileNotFoundError(
        f"Fashion-MNIST is not available under {raw} (torchvision's download failed too: it needs internet "
        f"access). Provide it one of two ways, then rerun:\n"
        f"  1. download {', '.join(f + '.gz' for f in FASHION_MNIST_FILES)} from {FashionMNIST.mirrors[0]} and "
        f"gunzip them into {raw};\n"
        f"  2. install Debian's package: sudo apt-get install dataset-fashion-mnist "
        f"(files in {DEBIAN_FASHION_MNIST}).")


def _fmnist_tensors(root: Path, train: bool) -> TensorDataset:
    from torchvision.datasets import FashionMNIST
    ds = FashionMNIST(str(root), train=train, download=False)
    x = (ds.data.float().div_(255).sub_(FASHION_MNIST_MEAN).div_(FASHION_MNIST_STD)).unsqueeze(1)
    return TensorDataset(x, ds.targets.long())


register_dataset(DatasetSpec(
    name="fashion-mnist", num_classes=10, in_channels=1, image_size=28,
    load=lambda root: (_fmnist_tensors(root, True), _fmnist_tensors(root, False)),
    prepare=prepare_fashion_mnist, train_size=60_000))
