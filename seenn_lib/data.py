"""Dataset registry. Each entry knows its shape and how to make its train/test datasets from a root."""
from __future__ import annotations

import gzip
import os
import pickle
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Callable

import torch
from torch.utils.data import (BatchSampler, DataLoader, Dataset, DistributedSampler, RandomSampler,
                              SequentialSampler, TensorDataset)

from .layers import repeat_time

DEFAULT_ROOT = Path(os.environ.get("SEENN_DATA", Path(__file__).resolve().parent.parent / "data"))
DEBIAN_FASHION_MNIST = Path("/usr/share/datasets/fashion-mnist")
FASHION_MNIST_FILES = ["train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                       "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"]
NO_DOWNLOAD_NEEDED = ("The smoke and ci profiles need no download: they run on Fashion-MNIST and on generated "
                      "stand-ins.")


@dataclass(frozen=True)
class DatasetSpec:
    name: str
    num_classes: int
    in_channels: int
    image_size: int
    load: Callable[[Path], tuple[Dataset, Dataset]]  # root -> (train, test)
    prepare: Callable[[Path], Path] | None = None  # make the data available under root (may download)


_DATASETS: dict[str, DatasetSpec] = {}


def register_dataset(spec: DatasetSpec) -> DatasetSpec:
    _DATASETS[spec.name] = spec
    return spec


def list_datasets() -> list[str]:
    return sorted(_DATASETS)


def dataset_spec(name: str) -> DatasetSpec:
    if name not in _DATASETS:
        raise ValueError(f"unknown dataset {name!r}; choose one of {list_datasets()}")
    return _DATASETS[name]


def load_datasets(name: str, root: str | Path | None = None) -> tuple[Dataset, Dataset]:
    """(train, test) datasets of a registered name; prepares the data first where the entry can."""
    spec = dataset_spec(name)
    root = Path(root or DEFAULT_ROOT)
    if spec.prepare is not None:
        spec.prepare(root)
    return spec.load(root)


def make_loader(ds: Dataset, batch_size: int, shuffle: bool, seed: int = 0, workers: int = 0,
                rank: int = 0, world: int = 1) -> DataLoader:
    """Batches of `ds` in an order fixed by `seed`. With world > 1 (torchrun), a DistributedSampler gives
    each rank its share. In-memory TensorDatasets are sliced a whole batch at a time (no per-sample collate)."""
    gen = torch.Generator().manual_seed(seed)
    if world > 1:
        sampler = DistributedSampler(ds, world, rank, shuffle=shuffle, seed=seed)
    else:
        sampler = RandomSampler(ds, generator=gen) if shuffle else SequentialSampler(ds)
    if isinstance(ds, TensorDataset):
        return DataLoader(ds, sampler=BatchSampler(sampler, batch_size, drop_last=False), batch_size=None)
    return DataLoader(ds, batch_size=batch_size, sampler=sampler, num_workers=workers,
                      pin_memory=torch.cuda.is_available(), persistent_workers=workers > 0)


# ---- Fashion-MNIST (smoke profile) -------------------------------------------------------------
FASHION_MNIST_MEAN, FASHION_MNIST_STD = 0.2860, 0.3530


def _fmnist_raw(root: Path) -> Path:
    return root / "FashionMNIST" / "raw"


def _have_fmnist(raw: Path) -> bool:
    return all((raw / f).is_file() for f in FASHION_MNIST_FILES)


def _copy_debian_fmnist(raw: Path) -> bool:
    if not all((DEBIAN_FASHION_MNIST / f"{f}.gz").is_file() for f in FASHION_MNIST_FILES):
        return False
    raw.mkdir(parents=True, exist_ok=True)
    for f in FASHION_MNIST_FILES:
        tmp = raw / f"{f}.tmp"
        with gzip.open(DEBIAN_FASHION_MNIST / f"{f}.gz", "rb") as src, open(tmp, "wb") as dst:
            shutil.copyfileobj(src, dst)
        tmp.replace(raw / f)
    return True


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
    prepare=prepare_fashion_mnist))


# ---- layout of a batch in time ------------------------------------------------------------------
def to_time_first(x: torch.Tensor, time_steps: int) -> torch.Tensor:
    """A loader batch as model input [T, B, ...]: a static image batch [B, C, H, W] is repeated over T
    (direct encoding); an event-frame batch [B, T, C, H, W] is transposed (its T must equal time_steps)."""
    if x.dim() != 5:
        return repeat_time(x, time_steps)
    if x.shape[1] != time_steps:
        raise ValueError(f"the event data hold {x.shape[1]} frames per sample but time_steps is {time_steps}; "
                         f"set the config's time_steps to {x.shape[1]}")
    return x.transpose(0, 1)


# ---- CIFAR-10 / CIFAR-100 (torchvision's python-pickle batches) ---------------------------------
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
        load=partial(load_cifar, _name), prepare=partial(prepare_cifar, _name)))


# ---- ImageNet (an ImageFolder root given by the user) --------------------------------------------
IMAGENET_MEAN, IMAGENET_STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)
POLICY_IMAGE_SIZE = {"imagenet": 112, "imagenet_synthetic": 112}  # SEENN §4.1: the policy net sees 112x112


def imagenet_transforms(train: bool):
    """Training: RandomResizedCrop 224 + horizontal flip; test: resize 256 + centre crop 224."""
    from torchvision import transforms as T
    head = [T.RandomResizedCrop(224), T.RandomHorizontalFlip()] if train else [T.Resize(256), T.CenterCrop(224)]
    return T.Compose([*head, T.ToTensor(), T.Normalize(IMAGENET_MEAN, IMAGENET_STD)])


def policy_view(x: torch.Tensor, dataset: str) -> torch.Tensor:
    """The image batch [B, C, H, W] as SEENN-II's policy network sees it (112x112 on ImageNet, unchanged
    elsewhere)."""
    size = POLICY_IMAGE_SIZE.get(dataset)
    if size is None or x.shape[-1] == size:
        return x
    return torch.nn.functional.interpolate(x, size=(size, size), mode="bilinear", antialias=True,
                                           align_corners=False)


def load_image_folder(folder: Path) -> tuple[Dataset, Dataset]:
    from torchvision.datasets import ImageFolder
    folder = Path(folder)
    missing = [s for s in ("train", "val") if not (folder / s).is_dir() or not any((folder / s).iterdir())]
    if missing:
        raise FileNotFoundError(
            f"ImageNet is not available under {folder} (missing {', '.join(s + '/' for s in missing)}): expected "
            f"{folder}/train/<wnid>/*.JPEG and {folder}/val/<wnid>/*.JPEG, one folder per class, the validation "
            "images sorted into class folders. Get ILSVRC2012 from image-net.org (registration needed), "
            f"unpack it there, or set SEENN_DATA to the folder that holds imagenet/. {NO_DOWNLOAD_NEEDED}")
    return (ImageFolder(str(folder / "train"), transform=imagenet_transforms(True)),
            ImageFolder(str(folder / "val"), transform=imagenet_transforms(False)))


register_dataset(DatasetSpec(name="imagenet", num_classes=1000, in_channels=3, image_size=224,
                             load=lambda root: load_image_folder(Path(root) / "imagenet")))


# ---- CIFAR10-DVS (events read and integrated into frames by SpikingJelly, extra `dvs`) -----------
DVS_FRAMES, DVS_SIZE, DVS_SHIFT = 10, 48, 5
DVS_CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")
DVS_SENSOR = 128


def _spikingjelly_cifar10dvs():
    try:
        from spikingjelly.datasets.cifar10_dvs import CIFAR10DVS
    except ImportError as err:
        raise ModuleNotFoundError(
            "CIFAR10-DVS needs SpikingJelly to read the events and integrate them into frames: "
            "pip install 'seenn[dvs]' (or pip install spikingjelly)") from err
    return CIFAR10DVS


class DVSFrames(Dataset):
    """Frames [T, 2, 128, 128] of a SpikingJelly folder -> float [T, 2, 48, 48]; training adds TET's
    augmentation: a random horizontal flip and a random translation of up to 5 pixels (torch.roll)."""

    def __init__(self, frames: Dataset, indices: list[int], train: bool):
        self.frames, self.indices, self.train = frames, indices, train

    def __len__(self) -> int:
        return len(self.indices)

    def __getitem__(self, i):
        frames, label = self.frames[self.indices[i]]
        x = torch.nn.functional.interpolate(torch.as_tensor(frames, dtype=torch.float32),
                                            size=(DVS_SIZE, DVS_SIZE), mode="bilinear", antialias=True,
                                            align_corners=False)
        if self.train:
            if torch.rand(()) < 0.5:
                x = x.flip(-1)
            shift = torch.randint(-DVS_SHIFT, DVS_SHIFT + 1, (2,))
            x = x.roll((int(shift[0]), int(shift[1])), dims=(-2, -1))
        return x, label


def split_per_class(targets: list[int], train_fraction: float = 0.9) -> tuple[list[int], list[int]]:
    """The first `train_fraction` of every class (in file order) for training, the rest for testing:
    CIFAR10-DVS's 9:1 split (900 / 100 recordings per class)."""
    train, test = [], []
    for label in sorted(set(targets)):
        idx = [i for i, t in enumerate(targets) if t == label]
        cut = round(len(idx) * train_fraction)
        train += idx[:cut]
        test += idx[cut:]
    return train, test


def load_dvs_folder(folder: Path) -> tuple[Dataset, Dataset]:
    folder = Path(folder)
    layouts = [folder / "events_np", folder / "download"]
    if not any(p.is_dir() and any(p.iterdir()) for p in layouts):
        raise FileNotFoundError(
            f"CIFAR10-DVS is not available under {folder}: put the ten class archives airplane.zip ... "
            f"truck.zip (figshare, doi 10.6084/m9.figshare.4724671) in {folder}/download/. On first use "
            f"SpikingJelly checks them, unpacks them to extract/, converts the events to events_np/<class>/*.npz "
            f"and integrates {DVS_FRAMES} frames per recording. {NO_DOWNLOAD_NEEDED}")
    cifar10dvs = _spikingjelly_cifar10dvs()
    frames = cifar10dvs(str(folder), data_type="frame", frames_number=DVS_FRAMES, split_by="number")
    train_idx, test_idx = split_per_class(frames.targets)
    return DVSFrames(frames, train_idx, True), DVSFrames(frames, test_idx, False)


register_dataset(DatasetSpec(name="cifar10_dvs", num_classes=10, in_channels=2, image_size=DVS_SIZE,
                             load=lambda root: load_dvs_folder(Path(root) / "cifar10_dvs")))


# ---- synthetic stand-ins (smoke / ci profiles): the real loaders on small generated data ---------
def synthetic_root(name: str) -> Path:
    """Generated data are artifacts: they live in the artifact cache, not under the data root."""
    from .artifacts import cache_root
    return cache_root() / "synthetic" / name


def _generate_once(folder: Path, write: Callable[[Path], None]) -> Path:
    """Write a generated dataset into a temporary sibling, then rename it into place (all or nothing)."""
    if folder.is_dir():
        return folder
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=folder.parent, prefix=f".{folder.name}."))
    try:
        write(tmp)
        tmp.rename(folder)
    except OSError:
        if not folder.is_dir():  # another process did not win the race: a real failure
            raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return folder


def write_image_folder(folder: Path, classes: int = 10, train_per_class: int = 12, val_per_class: int = 4,
                       size: int = 64, seed: int = 0) -> None:
    """An ImageFolder tree train/ val/ of PNGs; class k is a noisy image of its own colour and stripe
    frequency, so a network can learn it."""
    from PIL import Image
    gen = torch.Generator().manual_seed(seed)
    ramp = torch.linspace(0, 1, size)
    for split, count in (("train", train_per_class), ("val", val_per_class)):
        for k in range(classes):
            out = folder / split / f"class{k:03d}"
            out.mkdir(parents=True)
            colour = torch.tensor([(k * 37 % 101) / 100, (k * 59 % 103) / 102, (k * 83 % 107) / 106])
            stripes = 0.5 + 0.5 * torch.sin(2 * torch.pi * (k % 5 + 1) * ramp).view(1, 1, -1)
            for i in range(count):
                img = colour.view(3, 1, 1) * stripes + 0.25 * torch.rand(3, size, size, generator=gen)
                array = (img.clamp(0, 1) * 255).byte().permute(1, 2, 0).numpy()
                Image.fromarray(array).save(out / f"{split}_{k}_{i}.png")


def write_dvs_events(folder: Path, per_class: int = 10, events: int = 20000, seed: int = 0) -> None:
    """SpikingJelly's raw layout events_np/<class>/cifar10_<class>_<i>.npz (t, x, y, p) on the 128x128
    sensor; class k's events gather around its own point and drift with time, one polarity leading."""
    import numpy as np
    rng = np.random.default_rng(seed)
    for k, name in enumerate(DVS_CLASSES):
        out = folder / "events_np" / name
        out.mkdir(parents=True)
        angle = 2 * np.pi * k / len(DVS_CLASSES)
        centre = DVS_SENSOR / 2 + 36 * np.array([np.cos(angle), np.sin(angle)])
        for i in range(per_class):
            t = np.sort(rng.integers(0, 1_000_000, events))
            drift = np.outer(t / 1_000_000 - 0.5, [np.sin(angle), -np.cos(angle)]) * 20
            xy = np.clip(np.rint(centre + drift + rng.normal(0, 10, (events, 2))), 0, DVS_SENSOR - 1)
            p = (rng.random(events) < 0.3 + 0.4 * (k % 2)).astype(np.int64)
            np.savez(out / f"cifar10_{name}_{i}.npz", t=t, x=xy[:, 0].astype(np.int64),
                     y=xy[:, 1].astype(np.int64), p=p)


register_dataset(DatasetSpec(
    name="imagenet_synthetic", num_classes=10, in_channels=3, image_size=224,
    load=lambda root: load_image_folder(synthetic_root("imagenet")),
    prepare=lambda root: _generate_once(synthetic_root("imagenet"), write_image_folder)))
register_dataset(DatasetSpec(
    name="cifar10_dvs_synthetic", num_classes=10, in_channels=2, image_size=DVS_SIZE,
    load=lambda root: load_dvs_folder(synthetic_root("cifar10_dvs")),
    prepare=lambda root: _generate_once(synthetic_root("cifar10_dvs"), write_dvs_events)))
