"""Shared fixtures. Every test writes its artifacts and figures under a temporary folder."""
from __future__ import annotations

import os
import socket

import pytest
import torch

from seenn_lib.data import fashion_mnist

# up to two threads per test process, the cores shared among pytest-xdist's workers (`make test` runs two)
torch.set_num_threads(max(1, min(2, os.cpu_count() or 1) // int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", 1))))


@pytest.fixture(scope="session")
def session_cache(tmp_path_factory):
    """One artifact cache and figures folder for the whole session, so notebooks reuse trained models."""
    root = tmp_path_factory.mktemp("seenn")
    os.environ["SEENN_CACHE"] = str(root / "cache")
    os.environ["SEENN_FIGURES"] = str(root / "figures")
    return root


def pytest_collection_modifyitems(config, items):
    skip_gpu = pytest.mark.skip(reason="needs a CUDA GPU")
    for item in items:
        if "gpu" in item.keywords and not torch.cuda.is_available():
            item.add_marker(skip_gpu)


@pytest.fixture
def no_fashion_mnist_source(tmp_path, monkeypatch):
    """No network, no Debian package and no apt: every way of getting Fashion-MNIST fails."""
    def offline(*args, **kwargs):
        raise OSError("no network in this test")
    monkeypatch.setattr(socket, "getaddrinfo", offline)
    monkeypatch.setattr(socket.socket, "connect", offline)
    monkeypatch.setattr(fashion_mnist, "DEBIAN_FASHION_MNIST", tmp_path / "no-debian-package")
    monkeypatch.setattr(fashion_mnist, "_apt_install_fmnist", lambda: False)
