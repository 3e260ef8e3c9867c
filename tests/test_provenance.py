"""Provenance of a reproduction run: the facts, the artifact log the notebooks' kernels append to, the dirty
flag, and the head of REPORT.md."""
import json
import re
import subprocess
from datetime import datetime

import pandas as pd

from seenn_lib import provenance
from seenn_lib.artifacts import ARTIFACT_LOG, artifact_dir, config_key, load_cached, save_torch
from seenn_lib.notebooks import Run, write_report


def test_run_facts_have_every_field_with_its_type():
    facts = provenance.run_facts("ci", "cpu")
    assert set(facts) == {"git", "date", "profile", "device", "versions", "seeds"}
    assert re.fullmatch("[0-9a-f]{40}", facts["git"]["commit"]) and isinstance(facts["git"]["dirty"], bool)
    assert datetime.fromisoformat(facts["date"]).tzinfo is not None
    assert facts["profile"] == "ci" and facts["seeds"] and all(isinstance(s, int) for s in facts["seeds"])
    device = facts["device"]
    assert device["requested"] == "cpu" and isinstance(device["cpu"], str) and device["cpu"]
    assert all(device[k] is None for k in ("gpu", "cuda", "cudnn")) or isinstance(device["gpu"], str)
    assert set(facts["versions"]) == {"python", "torch", "torchvision", "numpy"}
    assert all(isinstance(v, str) for v in facts["versions"].values())
    assert json.loads(json.dumps(facts)) == facts  # goes into run_manifest.json as it is


def test_gpu_facts_from_the_child_interpreter_are_torchs_here():
    import torch

    device = provenance.device_info("cuda")
    assert device["requested"] == "cuda"
    assert device["gpu"] == (torch.cuda.get_device_name(0) if torch.cuda.is_available() else None)
    assert device["cudnn"] == (torch.backends.cudnn.version() if torch.cuda.is_available() else None)


def test_artifacts_are_logged_only_while_the_variable_is_set(tmp_path, monkeypatch):
    monkeypatch.setenv("SEENN_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv(ARTIFACT_LOG, raising=False)
    config, log = {"a": 1}, tmp_path / "artifacts.jsonl"
    path = artifact_dir("logits", config) / "logits.pt"
    save_torch({"x": 1}, path, config)
    assert load_cached(path, config) == {"x": 1} and not log.exists()
    monkeypatch.setenv(ARTIFACT_LOG, str(log))
    assert load_cached(path.with_name("missing.pt"), config) is None  # nothing read, nothing logged
    load_cached(path, config)
    save_torch({"x": 2}, path, config)
    entry = {"kind": "logits", "key": config_key(config), "path": str(path)}
    assert [json.loads(line) for line in log.read_text().splitlines()] == [entry, entry]
    assert provenance.logged_artifacts(log) == [f"logits/{config_key(config)}"]
    assert provenance.logged_artifacts(tmp_path / "none.jsonl") == []


def test_tree_is_dirty_after_a_tracked_file_changes(tmp_path):
    def git(*args):
        subprocess.run(["git", "-C", str(tmp_path / "repo"), *args], check=True, capture_output=True)
    (tmp_path / "repo").mkdir()
    git("init", "-q")
    (tmp_path / "repo" / "tracked.txt").write_text("a")
    git("add", "tracked.txt")
    git("-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "-q", "-m", "one file")
    clean = provenance.git_state(tmp_path / "repo")
    (tmp_path / "repo" / "untracked.txt").write_text("new")  # untracked files leave the tree clean
    assert provenance.git_state(tmp_path / "repo") == clean and clean["dirty"] is False
    (tmp_path / "repo" / "tracked.txt").write_text("b")
    assert provenance.git_state(tmp_path / "repo") == {"commit": clean["commit"], "dirty": True}
    assert provenance.git_state(tmp_path) == {"commit": None, "dirty": None}  # not a git checkout


def test_report_gives_the_run_facts_after_the_claims_ledger(tmp_path, monkeypatch):
    monkeypatch.setenv("SEENN_FIGURES", str(tmp_path))
    facts = provenance.run_facts("ci", "cpu")
    log = pd.DataFrame([{"notebook": "01_x", "status": "ok", "seconds": 12.5, "error": "",
                         "artifacts": ["logits/0123456789ab", "models/ba9876543210"]}])
    text = write_report([Run(0, "run-a", tmp_path, log)], facts).read_text()
    assert text.index("## The papers' claims on this run") < text.index("## This run")
    head = text.split("\n## This run")[1].split("\n## ")[0]
    for fact in [facts["git"]["commit"], facts["date"], "profile: ci", facts["device"]["cpu"],
                 f"torch {facts['versions']['torch']}", f"numpy {facts['versions']['numpy']}", "seeds: [0]",
                 "| 01_x | ok | 12.5 |  | logits/0123456789ab, models/ba9876543210 | 0 |"]:
        assert fact in head, fact
