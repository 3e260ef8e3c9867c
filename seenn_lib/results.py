"""Tidy result tables and figures written to figures/ (the claims rows among them, and the ledger read back from
them), and the papers' reference numbers."""
from __future__ import annotations

import json
import os
from pathlib import Path

import matplotlib
import pandas as pd

from .artifacts import REPO_ROOT, atomic_write
from . import provenance
from .claims import COLUMNS as CLAIM_COLUMNS, claims_sha256, with_statements
from .config import get_profile, run_seed

REFERENCE_CSV = REPO_ROOT / "data" / "paper_reference.csv"
RUN_COLUMNS = ["run_id", "seed", "claims_sha256"]


FIGURES_ENV = "SEENN_FIGURES"  # where the tables and figures go (default figures/)


def figures_dir() -> Path:
    path = Path(os.environ.get(FIGURES_ENV, REPO_ROOT / "figures"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def save_table(df: pd.DataFrame, name: str, folder: Path | None = None) -> Path:
    """Write a tidy table as <folder>/<name>.csv (atomically; default folder figures/)."""
    folder = Path(folder) if folder is not None else figures_dir()
    return atomic_write(folder / f"{name}.csv", lambda tmp: df.to_csv(tmp, index=False))


def save_figure(fig: matplotlib.figure.Figure, name: str, folder: Path | None = None) -> list[Path]:
    """Write <folder>/<name>.png and .pdf (atomically; default folder figures/)."""
    folder = Path(folder) if folder is not None else figures_dir()
    paths = []
    for ext in ("png", "pdf"):
        paths.append(atomic_write(folder / f"{name}.{ext}",
                                  lambda tmp, ext=ext: fig.savefig(tmp, format=ext, dpi=150,
                                                                   bbox_inches="tight")))
    return paths


def write_outputs(tables: dict[str, pd.DataFrame], summary: dict, figure, name: str, out: Path) -> list[Path]:
    """A benchmark's outputs: out/<name>_<table>.csv for each table, out/<name>.json (the summary and every
    table), out/<name>.png + .pdf."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    paths = [save_table(df, f"{name}_{k}", out) for k, df in tables.items()]
    blob = json.dumps({**summary, **{k: df.to_dict(orient="records") for k, df in tables.items()}},
                      indent=1, default=str)
    paths.append(atomic_write(out / f"{name}.json", lambda tmp: Path(tmp).write_text(blob)))
    return paths + save_figure(figure, name, out)


def paper_reference(**filters) -> pd.DataFrame:
    """Rows of data/paper_reference.csv, filtered by column == value (e.g. table='SEENN Table 1')."""
    df = pd.read_csv(REFERENCE_CSV)
    for col, value in filters.items():
        if col not in df.columns:
            raise ValueError(f"paper_reference has no column {col!r}; columns: {list(df.columns)}")
        df = df[df[col] == value]
    return df.reset_index(drop=True)


def versus_paper(rows: list[dict]) -> pd.DataFrame:
    """Our numbers beside the paper's: rows of {quantity, ours, paper, note}; adds gap = ours - paper."""
    df = pd.DataFrame(rows, columns=["quantity", "ours", "paper", "note"])
    df["gap"] = pd.to_numeric(df["ours"]) - pd.to_numeric(df["paper"])
    return df[["quantity", "ours", "paper", "gap", "note"]]


def save_versus_paper(rows: list[dict], notebook: str, profile: str) -> pd.DataFrame | None:
    """figures/<notebook>_vs_paper.csv, only where the profile runs the papers' own data and models: elsewhere
    absolute numbers say nothing about the papers (the claims ledger does), so nothing is written, a stale
    table is removed, and None is returned."""
    path = figures_dir() / f"{notebook}_vs_paper.csv"
    if not get_profile(profile).papers_data:
        path.unlink(missing_ok=True)
        return None
    df = versus_paper(rows)
    save_table(df, f"{notebook}_vs_paper")
    return df


def save_claims(rows: pd.DataFrame, notebook: str) -> pd.DataFrame:
    """Write figures/<notebook>_claims.csv (notebook: its two-digit number), each row stamped with this run's id,
    seed and the sha256 of data/paper_claims.csv, and return it with the claims' rules and statements beside,
    for display."""
    profile = rows.profile.iloc[0] if len(rows) else ""
    stamped = rows.assign(run_id=provenance.run_id(profile), seed=run_seed(), claims_sha256=claims_sha256())
    save_table(stamped, f"{notebook}_claims")
    return with_statements(stamped)


def _claims_tables(folder: Path) -> pd.DataFrame:
    tables = sorted(folder.glob("[0-9][0-9]_claims.csv"))
    if not tables:
        return pd.DataFrame(columns=CLAIM_COLUMNS + ["paper_value", *RUN_COLUMNS, "notebook"])
    rows = pd.concat([pd.read_csv(p, dtype={"experiment": str, "note": str, "run_id": str}).assign(
        notebook=p.name[:2], written=p.stat().st_mtime) for p in tables], ignore_index=True)
    return rows.fillna({"experiment": "", "note": ""})


def ledger(run: str | None = None, folder: Path | None = None) -> pd.DataFrame:
    """The claims rows of one run (figures/NN_claims.csv whose run_id is `run`; default: this process's run
    when reproduce named it, else the run that wrote the newest claims file), with the claims' statements,
    rules and tiers. Rows an earlier run left behind (a notebook that failed this time) are not this run's."""
    rows = _claims_tables(Path(folder) if folder is not None else figures_dir())
    if run is None and len(rows):
        run = os.environ.get(provenance.RUN_ID_ENV) or rows.run_id[rows.written.idxmax()]
    return with_statements(rows[rows.run_id == run].drop(columns="written", errors="ignore")
                           .reset_index(drop=True))
