"""Faults: SIGKILL mid-epoch, corrupted / truncated / foreign artifacts, bad input."""
import os
import signal
import subprocess
import sys
import time

import pytest
import torch

from seenn_lib.artifacts import ArtifactError, load_cached, load_torch, save_torch
from seenn_lib.config import TrainConfig, get_config
from seenn_lib.devices import resolve_device

TRAIN_SNIPPET = """
import torch
torch.set_num_threads(1)
torch.use_deterministic_algorithms(True)
from seenn_lib.config import TrainConfig
from seenn_lib.train import train
cfg = TrainConfig(epochs=2, train_subset=4096, batch_size=64, model_kw={"width": 4})
train(cfg, progress=False, checkpoint_every=5)
"""


def _run_training(cache, kill_after_checkpoint=False):
    env = {**os.environ, "SEENN_CACHE": str(cache), "OMP_NUM_THREADS": "1"}
    proc = subprocess.Popen([sys.executable, "-c", TRAIN_SNIPPET], env=env)
    if kill_after_checkpoint:
        ckpt = next_ckpt = None
        deadline = time.time() + 120
        while time.time() < deadline and proc.poll() is None:
            found = list(cache.glob("models/*/checkpoint.pt"))
            if found:
                ckpt = found[0]
                step = load_torch(ckpt)["step"]
                if step >= 10:  # mid-epoch 1, after at least two step checkpoints
                    proc.send_signal(signal.SIGKILL)
                    next_ckpt = step
                    break
            time.sleep(0.02)
        proc.wait()
        return ckpt, next_ckpt
    assert proc.wait(timeout=300) == 0
    return None, None


@pytest.mark.slow
def test_sigkill_mid_epoch_then_resume_is_bit_identical(tmp_path):
    straight, killed = tmp_path / "straight", tmp_path / "killed"
    _run_training(straight)
    ckpt, step = _run_training(killed, kill_after_checkpoint=True)
    assert step is not None, "the training finished before it could be killed"
    assert not list(killed.glob("models/*/model.pt")), "killed run must not have a final model"
    _run_training(killed)  # resumes from the step checkpoint
    a = load_torch(next(straight.glob("models/*/model.pt")))["model"]
    b = load_torch(next(killed.glob("models/*/model.pt")))["model"]
    assert a.keys() == b.keys()
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_corrupted_truncated_and_foreign_artifacts_are_detected(tmp_path):
    path = tmp_path / "x.pt"
    save_torch({"w": torch.arange(1000.0)}, path, {"a": 1})
    assert torch.equal(load_torch(path, {"a": 1})["w"], torch.arange(1000.0))
    with pytest.raises(ArtifactError, match="another config"):
        load_torch(path, {"a": 2})
    raw = bytearray(path.read_bytes())
    raw[-100] ^= 0xFF
    path.write_bytes(bytes(raw))
    with pytest.raises(ArtifactError, match="corrupted"):
        load_torch(path)
    save_torch({"w": torch.arange(1000.0)}, path)
    path.write_bytes(path.read_bytes()[:-50])
    with pytest.raises(ArtifactError, match="truncated"):
        load_torch(path)
    with pytest.warns(UserWarning, match="recomputing"):
        assert load_cached(path) is None
    assert not path.exists()


def test_atomic_write_leaves_nothing_behind_on_failure(tmp_path):
    class Boom:
        def __reduce__(self):
            raise RuntimeError("cannot pickle")
    with pytest.raises(RuntimeError):
        save_torch({"x": Boom()}, tmp_path / "y.pt")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("kw,match", [
    ({"time_steps": 0}, "time_steps must be >= 1"),
    ({"loss": "mse"}, "loss must be"),
    ({"epochs": 0}, "epochs and batch_size"),
])
def test_bad_config_values(kw, match):
    with pytest.raises(ValueError, match=match):
        TrainConfig(**kw)


def test_unknown_names():
    with pytest.raises(ValueError, match="unknown profile"):
        get_config("huge", "direct")
    with pytest.raises(ValueError, match="has no experiment"):
        get_config("smoke", "nope")
    from seenn_lib.data import dataset_spec
    with pytest.raises(ValueError, match="unknown dataset"):
        dataset_spec("mnist-2")


@pytest.mark.parametrize("argv, match", [
    (["train", "--profile", "huge"], "unknown profile"),
    (["train-seenn2", "--experiment", "direct", "--beta", "1"], "no SEENN-II policy"),
    (["train-seenn2", "--beta", "-1"], "beta must be"),
    (["explorer", "--profile", "huge"], "unknown profile"),
])
def test_cli_bad_input_is_one_error_line(argv, match):
    from seenn_lib.cli import main
    with pytest.raises(SystemExit, match=f"^error: .*{match}"):
        main(argv)


def test_cuda_without_gpu_is_a_clear_error():
    if torch.cuda.is_available():
        pytest.skip("a GPU is present")
    with pytest.raises(RuntimeError, match="no CUDA GPU"):
        resolve_device("cuda")


def test_checkpoint_of_another_model_is_rejected(tmp_path, monkeypatch):
    monkeypatch.setenv("SEENN_CACHE", str(tmp_path))
    from seenn_lib.train import load_weights
    from seenn_lib.models import create_model
    path = tmp_path / "resnet.pt"
    save_torch({"model": create_model("resnet19", width_mult=0.125).state_dict()}, path)
    with pytest.raises(ValueError, match="does not fit"):
        load_weights(create_model("smoke_cnn", in_channels=1, width=4), path)


def test_notebook_parameter_of_the_wrong_type(tmp_path):
    from seenn_lib.notebooks import list_notebooks, run_notebook
    book = list_notebooks()[0]
    with pytest.raises(ValueError, match="parameter 'profile' must be a str"):
        run_notebook(book, {"profile": 3}, build_dir=tmp_path)
    with pytest.raises(ValueError, match="has no parameter 'profle'"):
        run_notebook(book, {"profle": "smoke"}, build_dir=tmp_path)


def test_non_finite_loss_stops_with_the_step_and_keeps_the_checkpoint(tmp_path, monkeypatch):
    monkeypatch.setenv("SEENN_CACHE", str(tmp_path))
    from seenn_lib import train as train_mod
    calls = {"n": 0}
    real = train_mod.LOSSES["tet"]

    def poisoned(out, y):
        calls["n"] += 1
        loss = real(out, y)
        return loss * float("nan") if calls["n"] == 7 else loss
    monkeypatch.setitem(train_mod.LOSSES, "tet", poisoned)
    cfg = TrainConfig(epochs=1, train_subset=640, batch_size=64, model_kw={"width": 4})
    with pytest.raises(FloatingPointError, match="step 7: loss became nan"):
        train_mod.train(cfg, progress=False, checkpoint_every=5)
    ckpt = load_torch(train_mod.model_dir(cfg) / "checkpoint.pt", cfg.to_dict())
    assert ckpt["step"] == 5 and all(torch.isfinite(v).all() for v in ckpt["model"].values()
                                     if v.is_floating_point())
    assert not (train_mod.model_dir(cfg) / "model.pt").exists()


SHARED_CACHE_SNIPPET = """
import sys, torch
torch.set_num_threads(1)
from seenn_lib import train as train_mod
from seenn_lib.config import TrainConfig
from seenn_lib.evaluate import cached_logits
real_fit = train_mod._fit
def counted_fit(*args, **kwargs):
    with open(sys.argv[1], "a") as f:
        f.write("fit\\n")
    return real_fit(*args, **kwargs)
train_mod._fit = counted_fit
logits, _ = cached_logits(TrainConfig(epochs=1, train_subset=1024, test_subset=256, model_kw={"width": 4}),
                          progress=False)
print(float(logits.sum()))
"""


@pytest.mark.slow
def test_two_runs_sharing_a_cache_train_once(tmp_path):
    env = {**os.environ, "SEENN_CACHE": str(tmp_path / "cache"), "OMP_NUM_THREADS": "1"}
    log = tmp_path / "fits.log"
    procs = [subprocess.Popen([sys.executable, "-c", SHARED_CACHE_SNIPPET, str(log)], env=env,
                              stdout=subprocess.PIPE, text=True) for _ in range(2)]
    outs = [p.communicate(timeout=300)[0].strip() for p in procs]
    assert [p.returncode for p in procs] == [0, 0]
    assert outs[0] == outs[1]
    assert log.read_text().count("fit") == 1, "the model was trained twice"
    assert not list((tmp_path / "cache").rglob("*.tmp"))


def test_training_works_when_called_under_no_grad(tmp_path, monkeypatch):
    """Cached results train their model lazily; a caller inside torch.no_grad must not break that."""
    monkeypatch.setenv("SEENN_CACHE", str(tmp_path))
    from seenn_lib.train import train
    cfg = TrainConfig(epochs=1, train_subset=256, batch_size=64, model_kw={"width": 4})
    with torch.no_grad():
        model = train(cfg, progress=False)
    assert all(torch.isfinite(p).all() for p in model.parameters())
