"""Paper datasets on tiny fake data in each on-disk layout, and every `paper` config built on them."""
import pickle
import sys

import numpy as np
import pytest
import torch

from seenn_lib.cli import main
from seenn_lib.config import profile_configs
from seenn_lib.conversion import convert
from seenn_lib.data import (dataset_spec, load_cifar, load_dvs_folder, load_image_folder, make_loader,
                            split_per_class, to_time_first)
from seenn_lib.data.standins import wnid, write_dvs_standin, write_imagenet_standin
from seenn_lib.models import create_model
from seenn_lib.policy import PolicyNet
from seenn_lib.train import LOSSES, build_model
from test_standins import fake_fashion_images


def write_fake_cifar(root, name, per_file=6, seed=0):
    """torchvision's python-pickle layout with a few random images per batch file."""
    rng = np.random.default_rng(seed)
    classes = 10 if name == "cifar10" else 100
    folder, label_key, files, meta = (
        ("cifar-10-batches-py", "labels", [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"],
         ("batches.meta", "label_names")) if name == "cifar10" else
        ("cifar-100-python", "fine_labels", ["train", "test"], ("meta", "fine_label_names")))
    (root / folder).mkdir(parents=True)
    for f in files:
        entry = {"data": rng.integers(0, 256, (per_file, 3072), dtype=np.uint8),
                 label_key: rng.integers(0, classes, per_file).tolist()}
        (root / folder / f).write_bytes(pickle.dumps(entry))
    (root / folder / meta[0]).write_bytes(pickle.dumps({meta[1]: [f"c{i}" for i in range(classes)]}))


@pytest.fixture(scope="module")
def fake_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("fake_data")
    write_fake_cifar(root, "cifar10")
    write_fake_cifar(root, "cifar100")
    train, test = fake_fashion_images(40, 0), fake_fashion_images(10, 1)
    write_imagenet_standin(root / "imagenet", train, test, n_train=6, n_val=3, size=40)  # ImageNet's layout
    write_dvs_standin(root / "cifar10_dvs", train, test, per_class=5)  # SpikingJelly's CIFAR10-DVS layout
    return root


def _one_training_step(model, x, y, time_steps):
    out = model.train()(to_time_first(x, time_steps))
    loss = LOSSES["tet"](out, y)
    loss.backward()
    assert torch.isfinite(loss) and out.shape[:2] == (time_steps, len(y))
    assert all(p.grad is not None for p in model.parameters() if p.requires_grad)


@pytest.mark.parametrize("name,model,classes,train_len", [("cifar10", "resnet20", 10, 30),
                                                          ("cifar100", "resnet19", 100, 6)])
def test_cifar_layout_transforms_and_a_training_step(fake_root, name, model, classes, train_len):
    torch.manual_seed(0)
    train, test = load_cifar(name, fake_root)
    assert len(train) == train_len and len(test) == 6
    x, _ = train[0]
    assert x.shape == (3, 32, 32)
    # Cutout: a 16x16 hole of zeros (after normalisation) in every channel
    zero = (x == 0).all(0)
    rows, cols = zero.any(1).nonzero().flatten(), zero.any(0).nonzero().flatten()
    assert zero.sum() >= 256 and zero[rows.min():rows.min() + 16, cols.min():cols.min() + 16].all()
    assert not (test[0][0] == 0).all(0).any()  # no augmentation at test time
    xb, yb = next(iter(make_loader(train, 4, shuffle=True)))
    _one_training_step(create_model(model, classes, width_mult=0.0625), xb, yb, 2)


def test_imagenet_folder_views_and_a_training_step(fake_root):
    train, test = load_image_folder(fake_root / "imagenet")
    first_six = fake_fashion_images(40, 0)[1][:6]
    assert len(train) == 6 and len(test) == 3 and train.classes == [wnid(k) for k in sorted(set(first_six))]
    assert train[0][0].shape == test[0][0].shape == (3, 224, 224)
    assert train.transform.transforms[0].scale == (0.08, 1.0)  # RandomResizedCrop's ImageNet default
    with pytest.raises(ValueError, match="min_scale"):
        load_image_folder(fake_root / "imagenet", min_scale=0.0)
    xb, yb = next(iter(make_loader(train, 2, shuffle=True)))
    policy = PolicyNet(create_model("resnet8", 4, in_channels=3, neuron="relu"), input_size=112)  # SEENN §4.1
    assert policy.prepare(xb).shape == (2, 3, 112, 112)
    _one_training_step(create_model("sew_resnet34", len(train.classes), width_mult=0.0625), xb, yb, 1)


def test_cifar10_dvs_frames_split_and_a_training_step(fake_root):
    torch.manual_seed(0)
    train, test = load_dvs_folder(fake_root / "cifar10_dvs")
    assert len(train) == 40 and len(test) == 10  # 4 : 1 of 5 per class (9 : 1 of 1000 on the real set)
    x, y = test[0]
    assert x.shape == (10, 2, 48, 48) and x.sum() > 0 and x.min() >= 0
    xb, yb = next(iter(make_loader(train, 2, shuffle=True)))
    _one_training_step(create_model("vggsnn", 10, width_mult=0.0625), xb, yb, 10)


def test_split_per_class_is_nine_to_one_in_file_order():
    targets = [0] * 10 + [1] * 10
    train, test = split_per_class(targets)
    assert test == [9, 19] and len(train) == 18


def test_to_time_first():
    static, events = torch.randn(4, 3, 8, 8), torch.randn(4, 5, 2, 8, 8)
    assert to_time_first(static, 3).shape == (3, 4, 3, 8, 8)
    assert torch.equal(to_time_first(events, 5)[2, 1], events[1, 2])
    with pytest.raises(ValueError, match="set the config's time_steps to 5"):
        to_time_first(events, 4)


@pytest.mark.parametrize("name,expect", [("cifar10", "data_batch_1"), ("cifar100", "cifar-100-python"),
                                         ("imagenet", "train/<wnid>"), ("cifar10_dvs", "airplane.zip")])
def test_missing_data_names_the_layout(tmp_path, name, expect):
    with pytest.raises(FileNotFoundError, match="not available under") as err:
        dataset_spec(name).load(tmp_path)
    assert expect in str(err.value)


@pytest.mark.parametrize("name,expect", [
    ("cifar10", ["cifar-10-python.tar.gz", "cifar-10-batches-py", "data_batch_1"]),
    ("cifar100", ["cifar-100-python.tar.gz", "cifar-100-python", "meta"]),
    ("imagenet", ["image-net.org", "imagenet/train/<wnid>/*.JPEG"]),
    ("cifar10_dvs", ["10.6084/m9.figshare.4724671", "cifar10_dvs/download"]),
    ("fashion-mnist", ["train-images-idx3-ubyte.gz", "FashionMNIST/raw"])])
def test_data_command_offline_says_what_to_download_and_where(tmp_path, no_fashion_mnist_source, name, expect):
    with pytest.raises(SystemExit) as exit:
        main(["data", name, "--root", str(tmp_path / "data")])
    message = str(exit.value)
    assert all(e in message for e in expect), message
    assert "python -m seenn_lib data" not in message  # not the command that just failed


def test_missing_spikingjelly_says_how_to_install(fake_root, monkeypatch):
    monkeypatch.setitem(sys.modules, "spikingjelly.datasets.cifar10_dvs", None)
    with pytest.raises(ModuleNotFoundError, match=r"seenn\[dvs\]"):
        load_dvs_folder(fake_root / "cifar10_dvs")


def test_every_paper_row_builds_its_model_and_data_pipeline(fake_root):
    """Every row's full-size model (shapes only, on the meta device) and its data pipeline on the fake
    data, through one forward pass of the same model at 1/32 width (once per distinct model and data)."""
    batches, checked = {}, set()
    for name, cfg in profile_configs("paper").items():
        spec = dataset_spec(cfg.dataset)
        with torch.device("meta"):
            assert sum(p.numel() for p in build_model(cfg).parameters()) > 1e5, name
        if cfg.dataset not in batches:
            train, _ = spec.load(fake_root)
            batches[cfg.dataset] = next(iter(make_loader(train, 1, shuffle=False)))
        x, _ = batches[cfg.dataset]
        time_steps = cfg.time_steps if x.dim() == 5 else 1  # static images: T only repeats the input
        key = (cfg.model, cfg.dataset, str(cfg.model_kw), time_steps)
        if key in checked:
            continue
        checked.add(key)
        small = create_model(cfg.model, spec.num_classes, in_channels=spec.in_channels,
                             **{**cfg.model_kw, "width_mult": 1 / 32})
        with torch.no_grad():
            out = small.eval()(to_time_first(x, time_steps))
        assert out.shape == (time_steps, 1, spec.num_classes), name
        if cfg.model_kw.get("neuron") == "qcfs":  # and every QCFS ANN converts and runs as an SNN
            with torch.no_grad():
                assert convert(small)(to_time_first(x, 2)).shape == (2, 1, spec.num_classes), name


def test_debian_copy_does_not_collide_with_another_writers_temporary_file(tmp_path, monkeypatch):
    """Two notebooks may prepare Fashion-MNIST at once: each writes a temporary file of its own, so another
    writer's (here a directory squatting on the name the copy once always used) cannot break it."""
    import gzip

    from seenn_lib.data import fashion_mnist
    package = tmp_path / "package"
    package.mkdir()
    for i, name in enumerate(fashion_mnist.FASHION_MNIST_FILES):
        (package / f"{name}.gz").write_bytes(gzip.compress(bytes([i]) * 64))
    monkeypatch.setattr(fashion_mnist, "DEBIAN_FASHION_MNIST", package)
    raw = tmp_path / "FashionMNIST" / "raw"
    for name in fashion_mnist.FASHION_MNIST_FILES:
        (raw / f"{name}.tmp").mkdir(parents=True)
    assert fashion_mnist._copy_debian_fmnist(raw)
    for i, name in enumerate(fashion_mnist.FASHION_MNIST_FILES):
        assert (raw / name).read_bytes() == bytes([i]) * 64
    assert sorted(p.name for p in raw.iterdir() if p.is_file()) == sorted(fashion_mnist.FASHION_MNIST_FILES)
