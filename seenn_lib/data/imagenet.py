"""ImageNet as an ImageFolder tree given by the user (train/ and val/, one folder per class)."""
from __future__ import annotations

from pathlib import Path

from torch.utils.data import Dataset

from .registry import NO_DOWNLOAD_NEEDED, DatasetSpec, register_dataset

IMAGENET_MEAN, IMAGENET_STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)


IMAGENET_SIZE = 224
MIN_CROP_SCALE = 0.08  # RandomResizedCrop's smallest crop, as a fraction of the image's area


def imagenet_transforms(train: bool, size: int = IMAGENET_SIZE, min_scale: float = MIN_CROP_SCALE):
    """Training: RandomResizedCrop 224 (8-100 % of the area; `min_scale` sets the 8 %) + horizontal flip;
    test: resize 256 + centre crop 224. Another crop `size` keeps the ratio: resize to round(size * 256 / 224),
    so 56 -> 64."""
    from torchvision import transforms as T
    if not 0 < min_scale <= 1:
        raise ValueError(f"min_scale is a fraction of the image's area in (0, 1], got {min_scale}")
    head = ([T.RandomResizedCrop(size, scale=(min_scale, 1.0)), T.RandomHorizontalFlip()] if train else
            [T.Resize(round(size * 256 / IMAGENET_SIZE)), T.CenterCrop(size)])
    return T.Compose([*head, T.ToTensor(), T.Normalize(IMAGENET_MEAN, IMAGENET_STD)])


def load_image_folder(folder: Path, size: int = IMAGENET_SIZE,
                      min_scale: float = MIN_CROP_SCALE) -> tuple[Dataset, Dataset]:
    from torchvision.datasets import ImageFolder
    folder = Path(folder)
    missing = [s for s in ("train", "val") if not (folder / s).is_dir() or not any((folder / s).iterdir())]
    if missing:
        raise FileNotFoundError(
            f"ImageNet is not available under {folder} (missing {', '.join(s + '/' for s in missing)}): expected "
            f"{folder}/train/<wnid>/*.JPEG and {folder}/val/<wnid>/*.JPEG, one folder per class, the validation "
            "images sorted into class folders. Get ILSVRC2012 from image-net.org (registration needed), "
            f"unpack it there, or set SEENN_DATA to the folder that holds imagenet/. {NO_DOWNLOAD_NEEDED}")
    return (ImageFolder(str(folder / "train"), transform=imagenet_transforms(True, size, min_scale)),
            ImageFolder(str(folder / "val"), transform=imagenet_transforms(False, size)))


register_dataset(DatasetSpec(name="imagenet", num_classes=1000, in_channels=3, image_size=IMAGENET_SIZE,
                             load=lambda root: load_image_folder(Path(root) / "imagenet"), train_size=1_281_167))
