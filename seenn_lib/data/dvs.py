"""CIFAR10-DVS: events read and integrated into frames by SpikingJelly (extra `dvs`), TET's augmentation."""
from __future__ import annotations

from pathlib import Path

import torch
from torch.utils.data import Dataset

from .registry import NO_DOWNLOAD_NEEDED, DatasetSpec, register_dataset

DVS_FRAMES, DVS_SIZE, DVS_SHIFT = 10, 48, 5
DVS_CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")
DVS_SENSOR = 128
DVS_TRAIN_FRACTION = 0.9  # CIFAR10-DVS's 9:1 split, per class


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


def split_per_class(targets: list[int], train_fraction: float = DVS_TRAIN_FRACTION) -> tuple[list[int], list[int]]:
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
                             load=lambda root: load_dvs_folder(Path(root) / "cifar10_dvs"), train_size=9_000))
