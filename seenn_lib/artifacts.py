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
from typing import Any, Callable

from filelock import FileLock


REPO_ROOT = Path(__file__).resolve().parent.parent
FORMAT = "seenn-artifact-1"
ARTIFACT_LOG = "SEENN_ARTIFACT_LOG"  # reproduce() names a file per notebook: the provenance of its tables


class ArtifactError(RuntimeError):
    """An artifact on disk cannot be trusted (corrupt, truncated, or made from another config)."""


def cache_root() -> Path:
    return Path(os.environ.get("SEENN_CACHE", REPO_ROOT / "cache"))


def config_key(config: dict) -> str:
    """Stable short hash of a JSON-able config."""
    blob = json.dumps(config, sort_keys=True, default=str).encode()
    return hashlib.sha1(blob).hexdigest()[:12]


def artifact_folder(kind: str, config: dict) -> Path:
    """Where the artifacts of `kind` made from `config` live: cache_root()/kind/<hash of config>."""
    return cache_root() / kind / config_key(config)


def artifact_dir(kind: str, config: dict) -> Path:
    """artifact_folder, created when missing."""
    path = artifact_folder(kind, config)
    path.mkdir(parents=True, exist_ok=True)
    return path


def lock(path: Path) -> FileLock:
    """Inter-process lock for one artifact file: two runs sharing a cache compute each thing once. One lock
    per file, so computing one artifact may make another in the same folder (a model, then its outputs)."""
    path = Path(path)
    return FileLock(str(path.parent / f".{path.name}.lock"))


def plain_mode(path, directory: bool = False) -> None:
    """Give `path` the mode that open() / mkdir() would under the umask: mkstemp's 0600 and mkdtemp's 0700 would
    hide a shared cache, data/ or figures/ from its other users."""
    mask = os.umask(0)
    os.umask(mask)
    os.chmod(path, (0o777 if directory else 0o666) & ~mask)


def atomic_write(path: Path, write) -> Path:
    """Call write(tmp_path), then rename onto `path`: readers never see a half-written file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        plain_mode(tmp)
        write(tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


def record_artifact(path: Path) -> None:
    """Append {kind, key, path} of an artifact read or written (cache_root/kind/key/file) to the file named by
    $SEENN_ARTIFACT_LOG; nothing when it is unset."""
    log = os.environ.get(ARTIFACT_LOG)
    if log:
        with open(log, "a") as f:
            f.write(json.dumps({"kind": Path(path).parent.parent.name, "key": Path(path).parent.name,
                                "path": str(path)}) + "\n")


def save_torch(obj: Any, path: Path, config: dict | None = None) -> Path:
    """torch.save `obj` with a header line {format, sha256 of the payload, config key}."""
    import torch  # here, not above: reproduce's coordinator reads this module and need not hold torch

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
    record_artifact(path)
    return Path(path)


def load_torch(path: Path, config: dict | None = None) -> Any:
    """Read an artifact written by save_torch; raise ArtifactError if it is corrupt or from another config."""
    import torch
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
    record_artifact(path)
    return obj


def cached(kind: str, key: dict, compute: Callable[[], Any], filename: str = "result.pt", write: bool = True) -> Any:
    """The artifact cache_root()/kind/<hash of key>/filename: loaded when it is there and intact, else made by
    compute(), written atomically and returned. A file lock makes runs sharing a cache compute it once; a
    corrupt, truncated or foreign file is reported and recomputed. write=False (a torchrun rank other than 0)
    computes what is missing without taking the lock or writing."""
    path = artifact_dir(kind, key) / filename
    if not write:
        found = load_cached(path, key)
        return compute() if found is None else found
    with lock(path):
        found = load_cached(path, key)
        if found is None:
            found = compute()
            save_torch(found, path, key)
    return found


def find(kind: str, key: dict, filename: str = "result.pt") -> Any | None:
    """The artifact `cached` would return, when it is already there and intact; None otherwise (nothing is
    computed, and no empty folder is left behind)."""
    path = artifact_folder(kind, key) / filename
    return load_cached(path, key) if path.exists() else None
