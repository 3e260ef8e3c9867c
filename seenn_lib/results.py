"""Tidy result tables and figures written to figures/, and the papers' reference numbers."""
from __future__ import annotations

import os
from pathlib import Path

import matplotlib
import pandas as pd

from .artifacts import REPO_ROOT, atomic_write
from .config import get_profile

REFERENCE_CSV = REPO_ROOT / "data" / "paper_reference.csv"


def figures_dir() -> Path:
    path = Path(os.environ.get("SEENN_FIGURES", REPO_ROOT / "figures"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def save_table(df: pd.DataFrame, name: str) -> Path:
    """Write a tidy table as figures/<name>.csv (atomically)."""
    return atomic_write(figures_dir() / f"{name}.csv", lambda tmp: df.to_csv(tmp, index=False))


def save_figure(fig: matplotlib.figure.Figure, name: str) -> list[Path]:
    """Write figures/<name>.png and .pdf (atomically)."""
    paths = []
    for ext in ("png", "pdf"):
        paths.append(atomic_write(figures_dir() / f"{name}.{ext}",
                                  lambda tmp, ext=ext: fig.savefig(tmp, format=ext, dpi=150,
                                                                   bbox_inches="tight")))
    return paths


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
