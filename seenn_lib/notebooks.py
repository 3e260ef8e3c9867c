"""Run the notebook suite with papermill and write figures/REPORT.md.

Sources are jupytext percent files (notebooks/NN_name.py); executed copies go to build/notebooks/.
"""
from __future__ import annotations

import ast
import time
from pathlib import Path

import pandas as pd
from tqdm.auto import tqdm

from .artifacts import REPO_ROOT, atomic_write
from .config import notebook_parameters
from .results import figures_dir

NOTEBOOKS = REPO_ROOT / "notebooks"
BUILD = REPO_ROOT / "build" / "notebooks"


def list_notebooks() -> list[Path]:
    return sorted(NOTEBOOKS.glob("[0-9][0-9]_*.py"))


def select(only: list[str] | None) -> list[Path]:
    """Notebooks whose number or name prefix matches one of `only` (all when None)."""
    books = list_notebooks()
    if not only:
        return books
    chosen = [b for b in books if any(b.stem.startswith(o.zfill(2)) or b.stem == o for o in only)]
    if not chosen:
        raise ValueError(f"--only {only} matches no notebook; available: {[b.stem for b in books]}")
    return chosen


def _kind(value) -> type:
    if isinstance(value, bool):
        return bool
    if isinstance(value, (int, float)):
        return float
    return list if isinstance(value, tuple) else type(value)


def check_parameters(notebook: Path, parameters: dict) -> None:
    """Each given parameter must exist in the notebook's `parameters` cell and have its default's type."""
    import papermill

    declared = papermill.inspect_notebook(str(notebook))
    for name, value in parameters.items():
        if name not in declared:
            raise ValueError(f"notebook {notebook.stem} has no parameter {name!r}; its parameters are "
                             f"{sorted(declared)}")
        try:
            default = ast.literal_eval(declared[name]["default"])
        except (ValueError, SyntaxError):
            continue  # an expression default: nothing to compare with
        if default is not None and value is not None and _kind(value) is not _kind(default):
            raise ValueError(f"notebook {notebook.stem}: parameter {name!r} must be a {type(default).__name__} "
                             f"like its default {default!r}, got {type(value).__name__} {value!r}")


def run_notebook(source: Path, parameters: dict, build_dir: Path = BUILD) -> Path:
    """Convert a percent-format source to .ipynb and execute it with papermill; returns the output."""
    import jupytext
    import papermill

    build_dir.mkdir(parents=True, exist_ok=True)
    nb = jupytext.read(source)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    src_ipynb = build_dir / f"{source.stem}.source.ipynb"
    jupytext.write(nb, src_ipynb)
    check_parameters(src_ipynb, parameters)
    out = build_dir / f"{source.stem}.ipynb"
    papermill.execute_notebook(str(src_ipynb), str(out), parameters=parameters, kernel_name="python3",
                               cwd=str(NOTEBOOKS), progress_bar=False)
    return out


def reproduce(profile: str = "smoke", only: list[str] | None = None, device: str = "cpu") -> pd.DataFrame:
    """Run the chosen notebooks in order, keep going past failures, write REPORT.md; returns the log."""
    rows = []
    bar = tqdm(select(only), desc=f"reproduce ({profile})")
    for book in bar:
        bar.set_postfix_str(book.stem)
        start = time.perf_counter()
        try:
            run_notebook(book, {"profile": profile, "device": device, **notebook_parameters(profile, book.stem)})
            status, error = "ok", ""
        except Exception as err:  # report and continue with the next notebook
            status, error = "failed", str(err).strip().splitlines()[-1][:300] if str(err).strip() else repr(err)
        rows.append({"notebook": book.stem, "status": status, "seconds": round(time.perf_counter() - start, 1),
                     "error": error})
    log = pd.DataFrame(rows)
    write_report(log, profile)
    return log


def _markdown_table(df: pd.DataFrame) -> str:
    cols = list(df.columns)
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for _, r in df.iterrows():
        lines.append("| " + " | ".join(_fmt(r[c]) for c in cols) + " |")
    return "\n".join(lines)


def _fmt(v) -> str:
    if isinstance(v, float):
        return "" if pd.isna(v) else f"{v:.4g}"
    return str(v)


def write_report(log: pd.DataFrame, profile: str) -> Path:
    """figures/REPORT.md: per notebook, its status, its ours-vs-paper table and its figures."""
    out = figures_dir()
    parts = [f"# seenn reproduction report (profile: {profile})", "",
             "Each section: our numbers beside the paper's (`*_vs_paper.csv`), then the figures.", "",
             _markdown_table(log), ""]
    for _, row in log.iterrows():
        parts += [f"## {row['notebook']} — {row['status']}", ""]
        for table in sorted(out.glob(f"{row['notebook'][:2]}_*vs_paper.csv")):
            parts += [_markdown_table(pd.read_csv(table)), ""]
        for png in sorted(out.glob(f"{row['notebook'][:2]}_*.png")):
            parts += [f"![{png.stem}]({png.name})", ""]
    return atomic_write(out / "REPORT.md", lambda tmp: Path(tmp).write_text("\n".join(parts)))
