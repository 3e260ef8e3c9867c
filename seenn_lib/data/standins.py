"""Stand-ins for CIFAR-10, ImageNet and CIFAR10-DVS made offline from Fashion-MNIST, each written in its real
dataset's on-disk layout and read by that dataset's own loader and transforms (DESIGN rule 9):

  standin-cifar10      cifar-10-batches-py/ python-pickle batches, 32x32 RGB, 50,000 / 10,000 images
  standin-imagenet     an ImageFolder tree train/ val/ of 64x64 RGB JPEGs, one wnid-named folder per class
  standin-cifar10-dvs  SpikingJelly's events_np/<class>/*.npz (t, x, y, p) from simulated saccades

Each is made once under <data root>/<name>/: written to a temporary sibling, then renamed (all or nothing).
For the paper profile's dry run, make_paper_standins writes them (and a CIFAR-100 stand-in) where the real
datasets would be, under the dry run's own data root."""
from __future__ import annotations

import pickle
import shutil
import tempfile
from functools import partial
from pathlib import Path
from typing import Callable

import numpy as np
import torch
import torch.nn.functional as F

from ..artifacts import plain_mode
from .cifar import load_cifar
from .dvs import DVS_SENSOR, DVS_SIZE, DVS_TRAIN_FRACTION, load_dvs_folder
from .fashion_mnist import prepare_fashion_mnist
from .imagenet import load_image_folder
from .registry import DatasetSpec, register_dataset

Source = tuple[np.ndarray, np.ndarray]  # Fashion-MNIST images uint8 [N, 28, 28] and labels [N]
FASHION_CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
                   "Ankle boot")
CIFAR_TRAIN, CIFAR_BATCHES, CIFAR_PAD = 50_000, 5, 2  # CIFAR-10's 50,000 training images; 28 + 2 * 2 = 32
IMAGENET_TRAIN, IMAGENET_VAL, IMAGENET_FILE_SIZE, IMAGENET_JPEG_QUALITY = 12_000, 2_000, 64, 90
IMAGENET_CROP = 32  # the training crop (test: resize to 37, centre crop 32, as ImageNet 256 -> 224)
# The smallest training crop, as a fraction of the area. ImageNet's 8 % of an average photo (~470 x 390 pixels)
# is ~120 pixels wide and enlarged 1.9x to 224; 8 % of a garment that has 28 pixels of detail is 8 pixels wide,
# enlarged 4x to 32, a patch too small to tell the class. 35 % keeps ImageNet's 1.9x (17 of 28 pixels -> 32).
IMAGENET_MIN_CROP_SCALE = 0.35
DVS_PER_CLASS = 200  # recordings per class (CIFAR10-DVS has 1,000)
# the simulated recording (N-MNIST's protocol): the image, enlarged 4x on the 128x128 sensor, moves along
# three saccades of 100 ms that trace a triangle; a pixel fires whenever its log intensity has moved by
# CONTRAST since its last event (ON if it rose). LOG_OFFSET keeps the log of a black pixel finite.
SACCADE_SCALE, SACCADE_AMPLITUDE, SACCADE_STEPS, SACCADE_US = 4, 4, 4, 100_000
CONTRAST, LOG_OFFSET = 0.3, 0.1


def wnid(label: int) -> str:
    """An ImageNet-style class folder name (WordNet id) that sorts in label order."""
    return f"n{label:08d}"


def dvs_class_folder(label: int) -> str:
    return f"{label}_{FASHION_CLASSES[label].lower().replace('/', '-').replace(' ', '-')}"


def tint(gray: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """uint8 [N, H, W] -> RGB uint8 [N, H, W, 3]: each image gets its own object and background colour,
    drawn independently of its class, so the three channels differ yet only the shape tells the class.
    Grey level g becomes background + (object - background) * g / 255 (a 256-entry table per image)."""
    n = len(gray)
    fg, bg = rng.uniform(0.4, 1.0, (n, 1, 3)), rng.uniform(0.0, 0.3, (n, 1, 3))
    table = np.rint(255 * (bg + (fg - bg) * np.linspace(0, 1, 256)[None, :, None])).astype(np.uint8)
    index = gray.reshape(n, -1).astype(np.int64) + 256 * np.arange(n)[:, None]
    return table.reshape(n * 256, 3)[index].reshape(*gray.shape, 3)


def _cifar_rows(images: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """uint8 [N, 28, 28] -> CIFAR's rows, uint8 [N, 3072]: padded to 32x32, tinted, the red, green and blue
    planes row by row."""
    padded = np.pad(images, ((0, 0), (CIFAR_PAD, CIFAR_PAD), (CIFAR_PAD, CIFAR_PAD)))
    return tint(padded, rng).transpose(0, 3, 1, 2).reshape(len(images), -1)


def write_cifar10_standin(out: Path, train: Source, test: Source, seed: int = 0) -> None:
    """CIFAR-10's python-pickle batches in `out` (a cifar-10-batches-py folder): data_batch_1..5 and test_batch
    hold "data" (uint8 [N, 3072]) and "labels"; batches.meta the class names."""
    rng = np.random.default_rng(seed)
    out.mkdir(parents=True, exist_ok=True)
    train = (train[0][:CIFAR_TRAIN], train[1][:CIFAR_TRAIN])
    parts = [(f"data_batch_{i + 1}", "train", idx)
             for i, idx in enumerate(np.array_split(np.arange(len(train[1])), CIFAR_BATCHES))]
    for name, split, idx in parts + [("test_batch", "test", np.arange(len(test[1])))]:
        images, labels = train if split == "train" else test
        entry = {"batch_label": f"{name} of the Fashion-MNIST stand-in", "labels": labels[idx].tolist(),
                 "data": _cifar_rows(images[idx], rng),
                 "filenames": [f"fashion_mnist_{split}_{i:05d}.png" for i in idx]}
        (out / name).write_bytes(pickle.dumps(entry))
    meta = {"num_cases_per_batch": len(parts[0][2]), "label_names": list(FASHION_CLASSES), "num_vis": 3072}
    (out / "batches.meta").write_bytes(pickle.dumps(meta))


def write_cifar100_standin(out: Path, train: Source, test: Source, seed: int = 0) -> None:
    """CIFAR-100's python-pickle files in `out` (a cifar-100-python folder): train and test hold "data",
    "fine_labels" and "coarse_labels"; meta the names. The coarse label is the Fashion-MNIST class, the fine
    label one of ten sub-classes of it by image index: only the paper profile's dry run reads this stand-in, to
    exercise CIFAR-100's loader and 100-way models, so its fine labels need not be learnable."""
    rng = np.random.default_rng(seed)
    out.mkdir(parents=True, exist_ok=True)
    for name, (images, labels) in (("train", (train[0][:CIFAR_TRAIN], train[1][:CIFAR_TRAIN])), ("test", test)):
        fine = (10 * labels + np.arange(len(labels)) % 10).tolist()
        entry = {"batch_label": f"{name} of the Fashion-MNIST stand-in", "fine_labels": fine,
                 "coarse_labels": labels.tolist(), "data": _cifar_rows(images, rng),
                 "filenames": [f"fashion_mnist_{name}_{i:05d}.png" for i in range(len(labels))]}
        (out / name).write_bytes(pickle.dumps(entry))
    fine_names = [f"{c} {k}" for c in FASHION_CLASSES for k in range(10)]
    (out / "meta").write_bytes(pickle.dumps({"fine_label_names": fine_names,
                                             "coarse_label_names": list(FASHION_CLASSES)}))


def write_imagenet_standin(folder: Path, train: Source, test: Source, n_train: int = IMAGENET_TRAIN,
                           n_val: int = IMAGENET_VAL, size: int = IMAGENET_FILE_SIZE, seed: int = 0) -> None:
    """ImageNet's ImageFolder tree: train/<wnid>/<wnid>_<i>.JPEG and val/<wnid>/ILSVRC2012_val_<i+1>.JPEG,
    i the image's index in Fashion-MNIST's training or test set (the first n_train and n_val), enlarged to
    size x size and tinted."""
    from PIL import Image
    rng = np.random.default_rng(seed)
    for split, (images, labels) in (("train", (train[0][:n_train], train[1][:n_train])),
                                    ("val", (test[0][:n_val], test[1][:n_val]))):
        for k in np.unique(labels):
            (folder / split / wnid(k)).mkdir(parents=True)
        large = F.interpolate(torch.from_numpy(images).float()[:, None], size=(size, size), mode="bilinear",
                              align_corners=False)[:, 0].round().clamp(0, 255).byte().numpy()
        for i, (rgb, label) in enumerate(zip(tint(large, rng), labels)):
            name = f"{wnid(label)}_{i}.JPEG" if split == "train" else f"ILSVRC2012_val_{i + 1:08d}.JPEG"
            Image.fromarray(rgb).save(folder / split / wnid(label) / name, quality=IMAGENET_JPEG_QUALITY)


def saccade_path(amplitude: int = SACCADE_AMPLITUDE, steps: int = SACCADE_STEPS) -> np.ndarray:
    """[3 * steps + 1, 2] whole-pixel offsets (dx, dy) of the image: three saccades along the triangle
    (0, 0) -> (amplitude / 2, amplitude) -> (amplitude, 0) -> (0, 0), `steps` moves each."""
    corners = np.array([[0, 0], [amplitude / 2, amplitude], [amplitude, 0], [0, 0]])
    moves = [a + (b - a) * s / steps for a, b in zip(corners[:-1], corners[1:]) for s in range(1, steps + 1)]
    return np.rint(np.array([corners[0], *moves])).astype(int)


def sensor_log_intensity(images: torch.Tensor, scale: int, sensor: int, margin: int) -> np.ndarray:
    """Images [B, h, w] in [0, 1], enlarged `scale` times (bilinear) and centred on a black sensor of
    sensor x sensor pixels with `margin` extra on every side -> log(intensity + LOG_OFFSET), float32."""
    large = F.interpolate(images[:, None], scale_factor=scale, mode="bilinear", align_corners=False)[:, 0]
    h, w = large.shape[-2:]
    top, left = (sensor - h) // 2 + margin, (sensor - w) // 2 + margin
    bottom, right = sensor + 2 * margin - h - top, sensor + 2 * margin - w - left
    return torch.log(F.pad(large, (left, right, top, bottom)) + LOG_OFFSET).numpy()


def _crossings(prev: np.ndarray, cur: np.ndarray, ref: np.ndarray, contrast: float):
    """The events of one move, the log intensity going linearly from `prev` to `cur` (contiguous arrays of
    one shape): a pixel fires once per `contrast` its log intensity has moved from `ref` (the level of its
    last event), at the fraction of the move where it crosses that level. Updates ref in place.
    -> (flat pixel index, fraction of the move, ON) per event, pixel by pixel."""
    diff = (cur - ref).ravel()
    pixel = np.flatnonzero(np.abs(diff) >= contrast)
    n = np.floor(np.abs(diff[pixel]) / contrast).astype(np.int64)  # // may leave a remainder of a whole step
    sign, last = np.sign(diff[pixel]), ref.ravel()[pixel]
    ref.ravel()[pixel] = last + sign * n * contrast
    nth = np.arange(n.sum()) - np.repeat(np.cumsum(n) - n, n) + 1  # 1..n within a pixel
    level = np.repeat(last, n) + np.repeat(sign, n) * nth * contrast
    start, span = np.repeat(prev.ravel()[pixel], n), np.repeat((cur - prev).ravel()[pixel], n)
    fraction = np.divide(level - start, span, out=np.ones_like(span), where=span != 0)  # 0 / 0: rounding
    return np.repeat(pixel, n), np.clip(fraction, 0, 1), np.repeat(sign > 0, n)


def saccade_events(images: torch.Tensor, path: np.ndarray | None = None, scale: int = SACCADE_SCALE,
                   sensor: int = DVS_SENSOR, contrast: float = CONTRAST) -> list[dict[str, np.ndarray]]:
    """The events a DVS records while images [B, h, w] (in [0, 1]) move along `path` (whole-pixel offsets,
    default saccade_path()), each move lasting SACCADE_US / SACCADE_STEPS: per image a dict of t (µs,
    ascending), x (column), y (row), p (1 = ON, the log intensity rose by `contrast`; 0 = OFF)."""
    path = saccade_path() if path is None else path
    margin = int(np.abs(path).max())
    log = sensor_log_intensity(images.float(), scale, sensor, margin)

    def seen(dx, dy):  # sensor pixel X sees image pixel X - offset
        return np.ascontiguousarray(log[:, margin - dy:margin - dy + sensor, margin - dx:margin - dx + sensor])
    ref, prev, parts = seen(*path[0]), seen(*path[0]), []
    for k, offset in enumerate(path[1:]):
        cur = seen(*offset)
        pixel, fraction, on = _crossings(prev, cur, ref, contrast)
        parts.append((pixel, ((k + fraction) * (SACCADE_US / SACCADE_STEPS)).astype(np.int64), on))
        prev = cur
    pixel, t, on = (np.concatenate(column) for column in zip(*parts))
    b, y, x = np.unravel_index(pixel, ref.shape)
    order = np.argsort(b.astype(np.int64) << 32 | t, kind="stable")  # by image, then time
    bounds = np.cumsum(np.bincount(b, minlength=len(images)))[:-1]
    columns = [np.split(c[order].astype(dtype), bounds)
               for c, dtype in ((t, np.uint32), (x, np.uint16), (y, np.uint16), (on, np.uint8))]
    return [dict(zip("txyp", events)) for events in zip(*columns)]


def _dvs_sources(train: Source, test: Source, per_class: int) -> dict[int, list[tuple[str, int]]]:
    """label -> the (split, index) of the Fashion-MNIST images recorded: the first of its training images,
    then as many test images as dvs.split_per_class puts in the test set (the last tenth)."""
    cut, chosen = round(per_class * DVS_TRAIN_FRACTION), {}
    for k in range(len(FASHION_CLASSES)):
        own_train, own_test = np.flatnonzero(train[1] == k)[:cut], np.flatnonzero(test[1] == k)[:per_class - cut]
        if len(own_train) + len(own_test) < per_class:
            raise ValueError(f"{per_class} recordings per class need {cut} training and {per_class - cut} test "
                             f"images of each class; class {k} has {len(own_train)} and {len(own_test)}: "
                             "record fewer per class")
        chosen[k] = [("train", int(i)) for i in own_train] + [("test", int(i)) for i in own_test]
    return chosen


def write_dvs_standin(folder: Path, train: Source, test: Source, per_class: int = DVS_PER_CLASS,
                      batch: int = 256) -> None:
    """CIFAR10-DVS as SpikingJelly keeps it, events_np/<class>/<n>_<split><i>.npz (the n-th recording of its
    class, of image i of Fashion-MNIST's training or test set; see _dvs_sources). SpikingJelly then
    integrates the frames, as on a real dataset's first use, but here inside the all-or-nothing write: an
    interrupted integration would otherwise leave a half-built frames folder to delete by hand."""
    jobs = []  # (class folder, file name, image)
    for k, chosen in _dvs_sources(train, test, per_class).items():
        (folder / "events_np" / dvs_class_folder(k)).mkdir(parents=True)
        jobs += [(dvs_class_folder(k), f"{n:04d}_{split}{i:05d}.npz", {"train": train, "test": test}[split][0][i])
                 for n, (split, i) in enumerate(chosen)]
    for start in range(0, len(jobs), batch):
        chunk = jobs[start:start + batch]
        images = torch.from_numpy(np.stack([image for _, _, image in chunk])).float() / 255
        for (label_folder, name, _), events in zip(chunk, saccade_events(images)):
            np.savez(folder / "events_np" / label_folder / name, **events)
    load_dvs_folder(folder)


STANDINS: dict[str, Callable[[Path, Source, Source], None]] = {  # name -> writer(folder, train, test)
    "standin-cifar10": lambda folder, train, test: write_cifar10_standin(folder / "cifar-10-batches-py", train, test),
    "standin-imagenet": write_imagenet_standin,
    "standin-cifar10-dvs": write_dvs_standin,
}


# the folder each paper dataset's loader reads under the data root -> the writer of its stand-in there. A dry run
# reads a few batches of each, so they hold the first PAPER_STANDIN_IMAGES of Fashion-MNIST's training and test
# images (20 recordings per class for CIFAR10-DVS): written in seconds rather than a minute.
PAPER_LAYOUT: dict[str, Callable[[Path, Source, Source], None]] = {
    "cifar-10-batches-py": write_cifar10_standin, "cifar-100-python": write_cifar100_standin,
    "imagenet": write_imagenet_standin, "cifar10_dvs": partial(write_dvs_standin, per_class=20)}
PAPER_STANDIN_IMAGES = (5_000, 1_000)
STANDIN_MARK = ".seenn-standins"  # a data root whose dataset folders are stand-ins holds this file


def make_paper_standins(root: Path, fashion_root: Path) -> list[Path]:
    """Stand-ins of CIFAR-10, CIFAR-100, ImageNet and CIFAR10-DVS where the real datasets would be under `root`
    (PAPER_LAYOUT), made from Fashion-MNIST under `fashion_root`, for the paper profile's dry run: its real
    loaders read them. A root holding a real dataset's folder (one not made here) is refused: a dry run never
    touches real data. Folders made by an earlier call are kept. Returns the four folders."""
    root = Path(root)
    real = [name for name in PAPER_LAYOUT if (root / name).exists() and not (root / STANDIN_MARK).is_file()]
    if real:
        raise ValueError(f"{root} holds {', '.join(real)}: real datasets' folders, which a dry run never writes to "
                         "or reads; give --data-root an empty or new folder (default build/dry-run/data)")
    root.mkdir(parents=True, exist_ok=True)
    (root / STANDIN_MARK).write_text("stand-ins made from Fashion-MNIST by seenn_lib.data.standins\n")
    missing = [name for name in PAPER_LAYOUT if not (root / name).is_dir()]
    if missing:
        train, test = _fashion_mnist("the paper datasets' stand-ins", Path(fashion_root))
        n_train, n_test = PAPER_STANDIN_IMAGES
        train, test = (train[0][:n_train], train[1][:n_train]), (test[0][:n_test], test[1][:n_test])
        for name in missing:
            _write_atomically(root / name, lambda tmp, name=name: PAPER_LAYOUT[name](tmp, train, test))
    return [root / name for name in PAPER_LAYOUT]


def _fashion_mnist(name: str, root: Path) -> tuple[Source, Source]:
    from torchvision.datasets import FashionMNIST
    try:
        prepare_fashion_mnist(root)
    except FileNotFoundError as err:
        raise FileNotFoundError(f"{name} is made from Fashion-MNIST, which is missing. {err}") from err
    sets = [FashionMNIST(str(root), train=train, download=False) for train in (True, False)]
    return tuple((s.data.numpy(), s.targets.numpy()) for s in sets)


def _write_atomically(folder: Path, write: Callable[[Path], None]) -> None:
    """Write into a temporary sibling, then rename it into place: all or nothing."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=folder.parent, prefix=f".{folder.name}."))
    try:
        plain_mode(tmp, directory=True)
        write(tmp)
        tmp.rename(folder)
    except OSError:
        if not folder.is_dir():  # another process did not win the race: a real failure
            raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def make_standin(name: str, root: Path) -> tuple[Path, bool]:
    """Make stand-in `name` under root/name unless it is there -> (its folder, whether it was made now)."""
    if name not in STANDINS:
        raise ValueError(f"unknown stand-in {name!r}; choose one of {sorted(STANDINS)}")
    folder = Path(root) / name
    if folder.is_dir():
        return folder, False
    train, test = _fashion_mnist(name, Path(root))
    _write_atomically(folder, lambda tmp: STANDINS[name](tmp, train, test))
    return folder, True


def _register(name: str, load: Callable[[Path], tuple], in_channels: int, image_size: int, train_size: int):
    register_dataset(DatasetSpec(name=name, num_classes=len(FASHION_CLASSES), in_channels=in_channels,
                                 image_size=image_size, load=lambda root: load(Path(root) / name),
                                 prepare=lambda root: make_standin(name, root)[0], train_size=train_size))


_register("standin-cifar10", partial(load_cifar, "cifar10"), 3, 32, CIFAR_TRAIN)
_register("standin-imagenet", partial(load_image_folder, size=IMAGENET_CROP, min_scale=IMAGENET_MIN_CROP_SCALE), 3,
          IMAGENET_CROP, IMAGENET_TRAIN)
_register("standin-cifar10-dvs", load_dvs_folder, 2, DVS_SIZE, round(DVS_PER_CLASS * DVS_TRAIN_FRACTION) * 10)
