"""Shared fixtures. Every test writes its artifacts and figures under a temporary folder."""
from __future__ import annotations

import os

import pytest
import torch

torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))


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
