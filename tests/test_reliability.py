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

SNIPPET_HEAD = """
import torch
torch.set_num_threads(1)
torch.use_deterministic_algorithms(True)
"""
# what each kind of training runs: (code, its checkpoint, the least step to kill at, its final artifact)
KILL_AND_RESUME = {
    "tet": ("""
from seenn_lib.config import TrainConfig
from seenn_lib.train import train
train(TrainConfig(epochs=2, train_subset=4096, batch_size=64, model_kw={"width": 4}), progress=False,
      checkpoint_every=5)
""", "models/*/checkpoint.pt", 10, "models/*/model.pt"),
    "qcfs": ("""
from seenn_lib.config import TrainConfig
from seenn_lib.train import train
train(TrainConfig(time_steps=1, loss="ce", epochs=2, train_subset=4096, batch_size=64, optimizer="adam", lr=1e-3,
                  model_kw={"width": 4, "neuron": "qcfs", "threshold": 2.0}), progress=False, checkpoint_every=5)
""", "models/*/checkpoint.pt", 10, "models/*/model.pt"),
    "seenn2": ("""
from seenn_lib.config import PolicySpec, TrainConfig
from seenn_lib.policy import train_seenn2
from seenn_lib.seenn2 import Seenn2Setup
warmup = TrainConfig(epochs=1, train_subset=1024, batch_size=64, model_kw={"width": 4})
finetune = warmup.with_(epochs=2, optimizer="adam", lr=1e-3)
setup = Seenn2Setup(finetune, warmup, PolicySpec(warmup="direct", model_kw={"width": 2}), (1, 2, 3, 4))
train_seenn2(setup, 4.0, progress=False, checkpoint_every=5)
""", "seenn2/*/checkpoint.pt", 10, "seenn2/*/model.pt"),
    # killed in the fine-tuning phase, so the resumed run also crosses the adjustment phase's checkpoint
    "teas": ("""
from seenn_lib.config import get_profile
from seenn_lib.pipelines import run_teas
run_teas("ci", tcfg=get_profile("ci").teas.with_(finetune_epochs=2), progress=False, checkpoint_every=3)
""", "teas/*/fine-tuning.pt", 3, "teas/*/result.pt"),
}


def _run_training(code, cache, checkpoint=None, kill_at_step=0):
    """Run a training snippet in a fresh process; with `checkpoint`, SIGKILL it once that checkpoint holds a
    step >= kill_at_step (mid-epoch) and return that step (None if it finished first)."""
    env = {**os.environ, "SEENN_CACHE": str(cache), "OMP_NUM_THREADS": "1"}
    proc = subprocess.Popen([sys.executable, "-c", SNIPPET_HEAD + code], env=env)
    if checkpoint is None:
        assert proc.wait(timeout=600) == 0
        return None
    deadline = time.time() + 300
    while time.time() < deadline and proc.poll() is None:
        for ckpt in cache.glob(checkpoint):
            step = load_torch(ckpt)["step"]
            if step >= kill_at_step:
                proc.send_signal(signal.SIGKILL)
                proc.wait()
                return step
        time.sleep(0.02)
    proc.wait()
    return None


@pytest.mark.slow
@pytest.mark.parametrize("kind", sorted(KILL_AND_RESUME))
def test_sigkill_mid_epoch_then_resume_is_bit_identical(tmp_path, kind):
    """TET, QCFS ANNs, SEENN-II joint fine-tuning and TEAS all train on one driver: each resumes bit-identically."""
    code, checkpoint, kill_at_step, final = KILL_AND_RESUME[kind]
    straight, killed = tmp_path / "straight", tmp_path / "killed"
    _run_training(code, straight)
    step = _run_training(code, killed, checkpoint, kill_at_step)
    assert step is not None, "the training finished before it could be killed"
    assert not list(killed.glob(final)), "killed run must not have a final artifact"
    _run_training(code, killed)  # resumes from the step checkpoint
    a, b = (load_torch(next(run.glob(final))) for run in (straight, killed))
    assert a["model"].keys() == b["model"].keys()
    assert all(torch.equal(a["model"][k], b["model"][k]) for k in a["model"])
    if kind == "teas":
        assert a["allocation"] == b["allocation"]
        assert a["history"].equals(b["history"]) and a["layers"].equals(b["layers"])


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


def test_atomic_write_gives_the_umask_mode_not_mkstemps_0600(tmp_path):
    old = os.umask(0o022)
    try:
        save_torch({"x": 1}, tmp_path / "y.pt")
    finally:
        os.umask(old)
    assert (tmp_path / "y.pt").stat().st_mode & 0o777 == 0o644


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
real_fit = train_mod.fit
def counted_fit(*args, **kwargs):
    with open(sys.argv[1], "a") as f:
        f.write("fit\\n")
    return real_fit(*args, **kwargs)
train_mod.fit = counted_fit
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
