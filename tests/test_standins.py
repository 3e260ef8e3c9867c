"""The stand-ins, made from a small fake Fashion-MNIST written as IDX files: each is read by its real loader
with the right shapes and the source's labels, generation is deterministic, idempotent and all-or-nothing,
a missing Fashion-MNIST is named with its fix, and the simulated DVS fires where the edges move."""
import os
from pathlib import Path

import numpy as np
import pytest
import torch
from torchvision.transforms import RandomResizedCrop

from seenn_lib.cli import main
from seenn_lib.config import get_profile
from seenn_lib.data import dataset_spec, make_loader, standins, to_time_first
from seenn_lib.data.standins import (FASHION_CLASSES, IMAGENET_CROP, IMAGENET_MIN_CROP_SCALE, LOG_OFFSET,
                                     SACCADE_STEPS, SACCADE_US, make_standin, saccade_events, saccade_path, wnid)
from seenn_lib.policy import PolicyNet
from seenn_lib.models import create_model
from seenn_lib.train import subset

DVS_PER_CLASS = 10  # 9 recordings of training images and 1 of a test image per class


def write_idx(path: Path, array: np.ndarray) -> None:
    """The IDX format of (Fashion-)MNIST: zero, zero, 0x08 (unsigned bytes), the number of dimensions, each
    dimension as a big-endian int32, then the bytes."""
    dims = b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    path.write_bytes(bytes([0, 0, 8, array.ndim]) + dims + array.astype(np.uint8).tobytes())


def fake_fashion_images(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """n 28x28 images in shuffled class order, class k a bar 4 + k pixels wide of a random grey."""
    rng = np.random.default_rng(seed)
    labels = rng.permutation(np.arange(n) % 10).astype(np.uint8)
    images = np.zeros((n, 28, 28), np.uint8)
    for image, k in zip(images, labels):
        image[4:24, 12 - k // 2:16 + (k + 1) // 2] = rng.integers(120, 256)
    return images, labels


def write_fake_fashion_mnist(root: Path, n_train: int = 100, n_test: int = 20) -> tuple:
    """root/FashionMNIST/raw as torchvision reads it -> ((train images, labels), (test images, labels))."""
    raw = root / "FashionMNIST" / "raw"
    raw.mkdir(parents=True)
    sets = []
    for prefix, n, seed in (("train", n_train, 0), ("t10k", n_test, 1)):
        images, labels = fake_fashion_images(n, seed)
        write_idx(raw / f"{prefix}-images-idx3-ubyte", images)
        write_idx(raw / f"{prefix}-labels-idx1-ubyte", labels)
        sets.append((images, labels))
    return tuple(sets)


def write_all(root: Path, source) -> None:
    """Every stand-in under root/<name>, the DVS one with DVS_PER_CLASS recordings per class."""
    (train, test), writers = source, dict(standins.STANDINS)
    for name, write in writers.items():
        kwargs = {"per_class": DVS_PER_CLASS} if name == "standin-cifar10-dvs" else {}
        write(root / name, train, test, **kwargs)


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    root = tmp_path_factory.mktemp("standins")
    source = write_fake_fashion_mnist(root)
    write_all(root, source)
    return root, source


def folder_bytes(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_cifar10_standin_is_read_by_the_cifar_loader(made):
    root, ((train_x, train_y), (_, test_y)) = made
    train, test = dataset_spec("standin-cifar10").load(root)
    assert train.targets == train_y.tolist() and test.targets == test_y.tolist()
    assert train.classes == list(FASHION_CLASSES)
    assert train[0][0].shape == test[0][0].shape == (3, 32, 32)
    rgb = train.data.astype(int)  # [N, 32, 32, 3], the batches' planes as torchvision assembles them
    assert (rgb[:, :2] == rgb[:, :1, :1]).all()  # the 2-pixel padding is the background colour
    assert (rgb[..., 0] != rgb[..., 1]).any() and (rgb[..., 1] != rgb[..., 2]).any()
    for image, grey in zip(rgb[:, 2:30, 2:30], train_x):  # each channel rises with the source's grey
        order = np.argsort(grey.ravel(), kind="stable")
        assert (np.diff(image.reshape(-1, 3)[order], axis=0) >= 0).all()


def test_imagenet_standin_is_read_by_the_image_folder_loader(made):
    root, ((_, train_y), (_, test_y)) = made
    train, test = dataset_spec("standin-imagenet").load(root)
    assert train.classes == [wnid(k) for k in range(10)] and len(train) == 100 and len(test) == 20
    for path, label in train.samples:
        assert label == train_y[int(Path(path).stem.split("_")[1])]
    for path, label in test.samples:
        assert label == test_y[int(Path(path).stem[-8:]) - 1]  # ILSVRC2012_val_<i + 1>
    assert train[0][0].shape == test[0][0].shape == (3, IMAGENET_CROP, IMAGENET_CROP)
    crop = train.transform.transforms[0]  # the stand-in's smallest crop keeps ImageNet's enlargement
    assert isinstance(crop, RandomResizedCrop) and crop.scale == (IMAGENET_MIN_CROP_SCALE, 1.0)
    xb, _ = next(iter(make_loader(train, 2, shuffle=True)))
    policy = PolicyNet(create_model("resnet8", 4, in_channels=3, neuron="relu"), input_size=IMAGENET_CROP // 2)
    assert policy.prepare(xb).shape == (2, 3, IMAGENET_CROP // 2, IMAGENET_CROP // 2)  # SEENN's half-size view


def test_dvs_standin_is_read_by_the_spikingjelly_loader(made):
    root, ((_, train_y), (_, test_y)) = made
    train, test = dataset_spec("standin-cifar10-dvs").load(root)
    assert len(train) == 90 and len(test) == 10
    sources = {"train": train_y, "test": test_y}
    for ds, splits in ((train, {"train"}), (test, {"test"})):  # file <n>_<split><i>.npz records image i
        for i in ds.indices:
            path, label = ds.frames.samples[i]
            split, index = Path(path).stem.split("_")[1][:-5], int(Path(path).stem[-5:])
            assert split in splits and label == sources[split][index]
    x, _ = test[0]
    assert x.shape == (10, 2, 48, 48) and x[:, 0].sum() > 0 and x[:, 1].sum() > 0


def test_generation_is_deterministic(made, tmp_path):
    _, source = made
    write_all(tmp_path / "first", source)
    write_all(tmp_path / "second", source)
    for name in standins.STANDINS:
        first = folder_bytes(tmp_path / "first" / name)
        assert first and first == folder_bytes(tmp_path / "second" / name), name


def test_make_standin_is_idempotent_and_all_or_nothing(tmp_path, monkeypatch, capsys):
    write_fake_fashion_mnist(tmp_path, n_train=20, n_test=10)
    folder, fresh = make_standin("standin-cifar10", tmp_path)
    before = {p: p.stat().st_mtime_ns for p in folder.rglob("*")}
    assert fresh and make_standin("standin-cifar10", tmp_path) == (folder, False)
    main(["data", "standin-cifar10", "--root", str(tmp_path)])
    assert "already there: nothing to do" in capsys.readouterr().out
    assert {p: p.stat().st_mtime_ns for p in folder.rglob("*")} == before

    def fail_halfway(out, train, test):
        (out / "half-written").write_text("")
        raise RuntimeError("killed")
    monkeypatch.setitem(standins.STANDINS, "standin-imagenet", fail_halfway)
    with pytest.raises(RuntimeError, match="killed"):
        make_standin("standin-imagenet", tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["FashionMNIST", "standin-cifar10"]


def test_a_standin_folder_gets_the_umask_mode_not_mkdtemps_0700(tmp_path):
    write_fake_fashion_mnist(tmp_path, n_train=20, n_test=10)
    old = os.umask(0o022)
    try:
        folder, _ = make_standin("standin-cifar10", tmp_path)
    finally:
        os.umask(old)
    assert folder.stat().st_mode & 0o777 == 0o755


def test_missing_fashion_mnist_names_the_fix(tmp_path, no_fashion_mnist_source):
    with pytest.raises(SystemExit) as exit:
        main(["data", "standin-cifar10-dvs", "--root", str(tmp_path / "data")])
    message = str(exit.value)
    assert "standin-cifar10-dvs is made from Fashion-MNIST" in message
    assert all(s in message for s in ("train-images-idx3-ubyte.gz", "FashionMNIST/raw", "apt-get install")), message
    assert not (tmp_path / "data" / "standin-cifar10-dvs").exists()


def test_too_few_images_for_the_dvs_recordings_is_a_clear_error(tmp_path):
    (train_x, train_y), test = fake_fashion_images(30, 0), fake_fashion_images(10, 1)
    with pytest.raises(ValueError, match="record fewer per class"):
        standins.write_dvs_standin(tmp_path / "dvs", (train_x, train_y), test, per_class=10)


def test_saccade_path_is_a_closed_triangle_of_unit_moves():
    path = saccade_path(4, 4)
    assert path.tolist() == [[0, 0], [0, 1], [1, 2], [2, 3], [2, 4], [2, 3], [3, 2], [4, 1], [4, 0],
                             [3, 0], [2, 0], [1, 0], [0, 0]]
    assert np.abs(np.diff(path, axis=0)).max() == 1


def test_a_moved_square_fires_only_at_its_edges_with_the_right_polarity():
    """A bright square (log 1.1 against log 0.1 of black: 2.398, seven steps of 0.3) moved one pixel right:
    its right edge column brightens (ON) and its left edge column darkens (OFF), seven events a pixel,
    the j-th at fraction 0.3 j / 2.398 of the move; nothing fires anywhere else."""
    image = torch.zeros(1, 28, 28)
    image[0, 10:18, 10:18] = 1.0
    events, = saccade_events(image, path=np.array([[0, 0], [1, 0]]), scale=1, sensor=28, contrast=0.3)
    on, off = events["p"] == 1, events["p"] == 0
    assert set(events["x"][on]) == {18} and set(events["x"][off]) == {10}
    assert set(events["y"]) == set(range(10, 18)) and on.sum() == off.sum() == 8 * 7
    jump = np.log(1 + LOG_OFFSET) - np.log(LOG_OFFSET)
    expected = [int(0.3 * j / jump * SACCADE_US / SACCADE_STEPS) for j in range(1, 8)]
    pixel = on & (events["y"] == 12)
    assert np.allclose(events["t"][pixel], expected, atol=1) and (np.diff(events["t"].astype(int)) >= 0).all()


def test_no_motion_or_no_edges_no_events():
    square = torch.zeros(1, 28, 28)
    square[0, 10:18, 10:18] = 1.0
    assert len(saccade_events(square, path=np.zeros((5, 2), int), scale=1, sensor=28)[0]["t"]) == 0
    uniform = torch.full((1, 28, 28), 0.7)  # wider than the 20-pixel sensor plus the 4-pixel saccades
    assert len(saccade_events(uniform, scale=1, sensor=20)[0]["t"]) == 0


def test_every_mini_experiment_runs_a_batch_of_its_standin(made):
    """The mini profile's models (reduced width, the papers' families) on a batch from their stand-in, read by
    the real loader: T-first input, [T, B, 10] logits; and the profile's SEENN-II and TEAS rows name them."""
    root, _ = made
    mini = get_profile("mini")
    for name, cfg in mini.experiments.items():
        spec = dataset_spec(cfg.dataset)
        x, y = next(iter(make_loader(spec.load(root)[0], 2, shuffle=False)))
        model = create_model(cfg.model, spec.num_classes, in_channels=spec.in_channels, **cfg.model_kw).eval()
        with torch.no_grad():
            out = model(to_time_first(x, cfg.time_steps))
        assert out.shape == (cfg.time_steps, 2, 10) and torch.isfinite(out).all(), name
    assert mini.policies["seenn2"].warmup in mini.experiments and mini.teas.experiment in mini.experiments


def test_a_training_subset_of_a_class_ordered_folder_keeps_every_class(made):
    """The ImageFolder and DVS loaders list samples class by class; subset(n) spreads over them, so a
    train_subset of a quarter still has all ten classes in equal shares (the first quarter would have three)."""
    root, _ = made
    for name in ("standin-imagenet", "standin-cifar10-dvs"):
        train_ds = dataset_spec(name).load(root)[0]
        labels = [y for _, y in subset(train_ds, len(train_ds) // 4)]
        counts = np.bincount(labels, minlength=10)
        assert (counts > 0).all() and counts.max() - counts.min() <= 1, (name, counts)
