"""Content-addressed artifact cache. Every artifact is written atomically (temp file + rename) and carries
a checksum of its payload and the hash of the config it was made from, so a truncated, corrupted or
foreign file is detected instead of silently used."""
from __future__ import annotations

import hashlib
import io
import json
import os
import tempfile
import warnings
from pathlib import Path
from typing import Any

import torch
from filelock import FileLock

from .provenance import record_artifact

REPO_ROOT = Path(__file__).resolve().parent.parent
FORMAT = "seenn-artifact-1"


class ArtifactError(RuntimeError):
    """An artifact on disk cannot be trusted (corrupt, truncated, or made from another config)."""


def cache_root() -> Path:
    return Path(os.environ.get("SEENN_CACHE", REPO_ROOT / "cache"))


def config_key(config: dict) -> str:
    """Stable short hash of a JSON-able config."""
    blob = json.dumps(config, sort_keys=True, default=str).encode()
    return hashlib.sha1(blob).hexdigest()[:12]


def artifact_dir(kind: str, config: dict) -> Path:
    path = cache_root() / kind / config_key(config)
    path.mkdir(parents=True, exist_ok=True)
    return path


def lock(directory: Path) -> FileLock:
    """Inter-process lock for one artifact folder: two runs sharing a cache compute each thing once."""
    return FileLock(str(Path(directory) / ".lock"))


def atomic_write(path: Path, write) -> Path:
    """Call write(tmp_path), then rename onto `path`: readers never see a half-written file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


def save_torch(obj: Any, path: Path, config: dict | None = None) -> Path:
    """torch.save `obj` with a header line {format, sha256 of the payload, config key}."""
    buf = io.BytesIO()
    torch.save(obj, buf)
    payload = buf.getvalue()
    header = {"format": FORMAT, "sha256": hashlib.sha256(payload).hexdigest(),
              "config_key": config_key(config) if config is not None else None}

    def write(tmp):
        with open(tmp, "wb") as f:
            f.write(json.dumps(header).encode() + b"\n" + payload)
            f.flush()
            os.fsync(f.fileno())
    atomic_write(path, write)
    record_artifact(Path(path).parent.parent.name, Path(path).parent.name, path)  # cache_root/kind/key/file
    return Path(path)


def load_torch(path: Path, config: dict | None = None) -> Any:
    """Read an artifact written by save_torch; raise ArtifactError if it is corrupt or from another config."""
    raw = Path(path).read_bytes()
    head, _, payload = raw.partition(b"\n")
    try:
        header = json.loads(head)
        assert header.get("format") == FORMAT
    except (ValueError, AssertionError, AttributeError):
        raise ArtifactError(f"{path} is not a seenn artifact or its header is damaged; delete it to recompute")
    if hashlib.sha256(payload).hexdigest() != header["sha256"]:
        raise ArtifactError(f"{path} is truncated or corrupted (checksum mismatch); delete it to recompute")
    if config is not None and header["config_key"] != config_key(config):
        raise ArtifactError(f"{path} was made from another config (key {header['config_key']}, expected "
                            f"{config_key(config)}); delete it or pass the config it was made from")
    return torch.load(io.BytesIO(payload), map_location="cpu", weights_only=False)


def load_cached(path: Path, config: dict | None = None) -> Any | None:
    """A cached artifact, or None when it is missing or cannot be trusted (then it is recomputed)."""
    if not Path(path).exists():
        return None
    try:
        obj = load_torch(path, config)
    except ArtifactError as err:
        warnings.warn(f"{err} — recomputing it", stacklevel=2)
        Path(path).unlink(missing_ok=True)
        return None
    record_artifact(Path(path).parent.parent.name, Path(path).parent.name, path)
    return obj
