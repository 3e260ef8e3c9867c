"""Run the notebook suite with papermill and write figures/REPORT.md.

Sources are jupytext percent files (notebooks/NN_name.py); executed copies go to build/notebooks/.
"""
from __future__ import annotations

import ast
import json
import os
import sys
import time
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from tqdm.auto import tqdm

from . import claims, provenance
from .artifacts import ARTIFACT_LOG, REPO_ROOT, atomic_write
from .config import SEED_ENV, get_profile, notebook_parameters
from .results import FIGURES_ENV, figures_dir, ledger
from .trends import with_trends

NOTEBOOKS = REPO_ROOT / "notebooks"
BUILD = REPO_ROOT / "build" / "notebooks"
EXPLORER = NOTEBOOKS / "16_explorer.py"

# What each notebook needs finished before it starts when several run at once (reproduce's `jobs`), by number:
# the cached models and logits it shares with an earlier one (the cache's lock would make it wait, holding a
# worker idle) and what it reads that others write (the explorer lists every cached run of 03-05 and 08; the
# report reads every notebook's tables: "*"). A test checks this against the artifacts each notebook touched.
NEEDS = {"02": ("01",), "06": ("01",), "07": ("01",), "08": ("01",), "09": ("08",), "10": ("01",),
         "12": ("11",), "13": ("12",), "15": ("01",), "16": ("01", "03", "04", "05", "08"), "20": ("*",),
         "22": ("01", "03", "04", "08", "11", "12")}
# notebooks a profile runs only when it configures them: 22 needs the profile's budget levers
CONFIGURED = {"22": lambda prof: bool(prof.budget_levers)}


@dataclass(frozen=True)
class Run:
    """One seed's pass over the notebooks: its run id, the folder its tables went to, its log."""
    seed: int
    run_id: str
    folder: Path
    log: pd.DataFrame


def list_notebooks() -> list[Path]:
    return sorted(NOTEBOOKS.glob("[0-9][0-9]_*.py"))


def select(only: list[str] | None, profile: str | None = None) -> list[Path]:
    """Notebooks whose number or name prefix matches one of `only` (all when None); with a `profile`, only those it
    configures (CONFIGURED), and naming one it does not is an error."""
    books = list_notebooks()
    if profile is not None:
        prof = get_profile(profile)
        left_out = [b for b in books if not CONFIGURED.get(b.stem[:2], lambda _: True)(prof)]
        books = [b for b in books if b not in left_out]
    if not only:
        return books
    chosen = [b for b in books if any(b.stem.startswith(o.zfill(2)) or b.stem == o for o in only)]
    if not chosen:
        unconfigured = [b.stem for b in left_out if any(b.stem.startswith(o.zfill(2)) for o in only)] \
            if profile is not None else []
        why = f"; profile {profile!r} does not configure {unconfigured}" if unconfigured else ""
        raise ValueError(f"--only {only} matches no notebook{why}; available: {[b.stem for b in books]}")
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


def to_ipynb(source: Path, out: Path, parameters: dict | None = None, only_tag: str | None = None) -> Path:
    """A percent-format source as an .ipynb that papermill, JupyterLab and Voila open. `parameters` are
    injected after the `parameters` cell as papermill does; with `only_tag`, only the cells carrying that tag
    (and the parameters) are kept."""
    import jupytext
    import papermill

    nb = jupytext.read(source)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata.pop("jupytext", None)  # else jupytext's contents manager refuses the copy as an unpaired file
    if only_tag:
        nb.cells = [c for c in nb.cells if {only_tag, "parameters"} & set(c.metadata.get("tags", []))]
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    jupytext.write(nb, out)
    if parameters:
        papermill.execute_notebook(str(out), str(out), parameters=parameters, prepare_only=True,
                                   progress_bar=False)
    return Path(out)


def explorer_dashboard(out: Path, parameters: dict) -> Path:
    """The explorer notebook's cells tagged `dashboard` (its sliders, no tables), for Voila."""
    out = to_ipynb(EXPLORER, out, parameters, only_tag="dashboard")
    check_parameters(out, parameters)
    return out


def kernel_manager(env: dict[str, str], log: Path | None = None) -> type:
    """A kernel manager class whose kernels start in notebooks/ with `env` added to this process's environment
    and, given a `log` file, write what the kernel process itself prints (not the cells' output, which goes to
    the notebook) there instead of into our terminal. (papermill's own `cwd` changes this whole process's
    directory: notebooks run at once would race on it.)"""
    from jupyter_client import AsyncKernelManager

    class NotebookKernel(AsyncKernelManager):
        async def start_kernel(self, **kw):
            kw.setdefault("cwd", str(NOTEBOOKS))
            kw["env"] = {**os.environ, **env}
            if log is None:
                return await super().start_kernel(**kw)
            with open(log, "w") as sink:  # the kernel keeps its own copy of the descriptor
                return await super().start_kernel(**kw, stdout=sink, stderr=sink)
    return NotebookKernel


def run_notebook(source: Path, parameters: dict, build_dir: Path = BUILD, env: dict[str, str] | None = None,
                 kernel_log: Path | None = None) -> Path:
    """Convert a percent-format source to .ipynb and execute it with papermill (its kernel's environment: ours
    plus `env`; what the kernel process prints: `kernel_log`, else our terminal); returns the output."""
    import papermill

    src_ipynb = to_ipynb(source, build_dir / f"{source.stem}.source.ipynb")
    check_parameters(src_ipynb, parameters)
    out = build_dir / f"{source.stem}.ipynb"
    papermill.execute_notebook(str(src_ipynb), str(out), parameters=parameters, kernel_name="python3",
                               progress_bar=False, kernel_manager_class=kernel_manager(env or {}, kernel_log))
    return out


def reproduce(profile: str = "smoke", only: list[str] | None = None, device: str = "cpu",
              jobs: int = 0, seeds: tuple[int, ...] = (0,)) -> pd.DataFrame:
    """Run the chosen notebooks once per seed (every training run seeded by it), `jobs` at once (0:
    default_jobs), each after the ones it NEEDS; keep going past failures; write run_manifest.json and
    REPORT.md (one seed: into figures/; several: each seed's tables into figures/seed-<s>/, the combined ledger
    into figures/). Returns the log in notebook order (with a seed column)."""
    if jobs < 0:
        raise ValueError(f"jobs (notebooks run at once) must be >= 1, or 0 for default_jobs; got {jobs}")
    if not seeds or len(set(seeds)) != len(seeds) or min(seeds) < 0:
        raise ValueError(f"seeds must be distinct non-negative integers, e.g. --seeds 0 1 2; got {list(seeds)}")
    books, first = select(only, profile), get_profile(profile).start_first  # bad input fails before anything runs
    facts = provenance.run_facts(profile, device)  # before the notebooks run: the tree as it was
    jobs = jobs or default_jobs(device)
    params = {b: {"profile": profile, "device": device, **notebook_parameters(profile, b.stem)} for b in books}
    runs = []
    for seed in seeds:
        folder = figures_dir() if len(seeds) == 1 else figures_dir() / f"seed-{seed}"
        run = provenance.new_run_id(profile, seed)
        env = {SEED_ENV: str(seed), provenance.RUN_ID_ENV: run, FIGURES_ENV: str(folder)}
        rows = run_all(books, params, jobs, first, f"reproduce ({profile}, seed {seed}, {jobs} at once)", env,
                       BUILD if len(seeds) == 1 else BUILD / f"seed-{seed}")
        runs.append(Run(seed, run, folder, pd.DataFrame(rows)))
    log = pd.concat([r.log.assign(seed=r.seed) for r in runs], ignore_index=True)
    runs_facts = [{"seed": r.seed, "run_id": r.run_id, "folder": str(r.folder)} for r in runs]
    manifest = json.dumps({**facts, "seeds": list(seeds), "jobs": jobs, "runs": runs_facts,
                           "notebooks": log.to_dict("records")}, indent=2) + "\n"
    atomic_write(figures_dir() / "run_manifest.json", lambda tmp: Path(tmp).write_text(manifest))
    write_report(runs, facts)
    return log


def run_all(books: list[Path], params: dict[Path, dict], jobs: int, first: tuple[str, ...], desc: str,
            env: dict[str, str] | None = None, build: Path = BUILD) -> list[dict]:
    """run_logged for each book (into `build`, its kernel's environment ours plus `env`), `jobs` at once, each
    once all it needs are done (failed or not), in start_order(books, first); each kernel gets an equal share of
    the cores unless the user set OMP_NUM_THREADS. The rows, in the order of `books`, say when each started
    (seconds into the run)."""
    threads = {} if jobs == 1 or "OMP_NUM_THREADS" in os.environ else {
        "OMP_NUM_THREADS": str(max(1, usable_cores() // jobs))}
    env = {**(env or {}), **threads}
    deps, order = needs(books), start_order(books, first)
    rows, running, started = {}, {}, {}
    clock, bar = time.perf_counter(), tqdm(total=len(books), desc=desc)
    with ThreadPoolExecutor(jobs) as pool:
        while len(rows) < len(books):
            for book in [b for b in order if b not in started and deps[b] <= set(rows)][:jobs - len(running)]:
                running[pool.submit(run_logged, book, params[book], env, build)] = book
                started[book] = round(time.perf_counter() - clock, 1)
            bar.set_postfix_str(" + ".join(b.stem[:2] for b in running.values()))
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                book = running.pop(future)
                rows[book] = {**future.result(), "started": started[book]}
                bar.update()
    return [rows[b] for b in books]


def usable_cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def default_jobs(device: str) -> int:
    """Notebooks run at once. A GPU: one (the paper profile's models fill it). A CPU with >= 2 cores: two, each
    on half the cores; the small models of ci/smoke/mini leave cores idle in one kernel (here on 2 cores, two
    one-thread kernels did 1.2x (CNN) to 1.7x (SEW-ResNet-34) the training steps of one two-thread kernel)."""
    return 1 if str(device).startswith("cuda") or usable_cores() < 2 else 2


def needs(books: list[Path]) -> dict[Path, set[Path]]:
    """Each selected notebook's NEEDS among the selected ones, and what those need in turn."""
    by_number = {b.stem[:2]: b for b in books}
    direct = {b: ({o for o in books if o != b} if NEEDS.get(b.stem[:2]) == ("*",)
                  else {by_number[n] for n in NEEDS.get(b.stem[:2], ()) if n in by_number}) for b in books}
    closed = {}
    # number order, those that need every other one ("*", the report) last: a notebook's needs are closed before it
    for book in sorted(books, key=lambda b: NEEDS.get(b.stem[:2]) == ("*",)):
        closed[book] = set(direct[book]).union(*(closed[d] for d in direct[book]))
    return {book: closed[book] for book in books}


def start_order(books: list[Path], first: tuple[str, ...] = ()) -> list[Path]:
    """The notebooks numbered in `first`, in that order, then the others by number."""
    rank = {number: i for i, number in enumerate(first)}
    return sorted(books, key=lambda b: (rank.get(b.stem[:2], len(first)), b.stem))


def run_logged(book: Path, parameters: dict, env: dict[str, str] | None = None, build: Path = BUILD) -> dict:
    """Run one notebook into `build` (its kernel's environment: ours plus `env`) and keep going if it fails: its
    status, wall time and the `kind/key` of every cached artifact it read or wrote."""
    build.mkdir(parents=True, exist_ok=True)
    artifact_log, kernel_log = build / f"{book.stem}.artifacts.jsonl", build / f"{book.stem}.kernel.log"
    artifact_log.unlink(missing_ok=True)
    start = time.perf_counter()
    try:
        run_notebook(book, parameters, build, env={**(env or {}), ARTIFACT_LOG: str(artifact_log)},
                     kernel_log=kernel_log)
        status, error = "ok", ""
    except Exception as err:  # report and continue with the next notebook
        status, error = "failed", str(err).strip().splitlines()[-1][:300] if str(err).strip() else repr(err)
        error += f" (the kernel's own output: {os.path.relpath(kernel_log, REPO_ROOT)})"
    return {"notebook": book.stem, "status": status, "seconds": round(time.perf_counter() - start, 1),
            "error": error, "artifacts": provenance.logged_artifacts(artifact_log)}


def markdown_table(df: pd.DataFrame) -> str:
    cols = list(df.columns)
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for _, r in df.iterrows():
        lines.append("| " + " | ".join(_fmt(r[c]) for c in cols) + " |")
    return "\n".join(lines)


def _fmt(v) -> str:
    if isinstance(v, float):
        return "" if pd.isna(v) else f"{v:.4g}"
    return str(v)


def _provenance_lines(facts: dict, runs: list[Run]) -> list[str]:
    """The run's facts (provenance.run_facts) as a markdown list."""
    git, dev = facts["git"], facts["device"]
    tree = {True: "with uncommitted changes", False: "clean", None: "unknown"}[git["dirty"]]
    gpu = f"{dev['gpu']} (CUDA {dev['cuda']}, cuDNN {dev['cudnn']})" if dev["gpu"] else "none"
    return [f"- commit: {git['commit'] or 'not a git checkout'} (tree {tree})",
            f"- date: {facts['date']}; profile: {facts['profile']}; seeds: {[r.seed for r in runs]}",
            *[f"- seed {r.seed}: run `{r.run_id}`, tables in `{os.path.relpath(r.folder, REPO_ROOT)}`" for r in runs],
            f"- device: {dev['requested']}; CPU: {dev['cpu']}; GPU: {gpu}",
            "- versions: " + ", ".join(f"{name} {v}" for name, v in facts["versions"].items()),
            "- below, each notebook's wall time and the cached artifacts (`kind/key` under the cache) its tables "
            "came from; all of it also in `run_manifest.json`"]


def run_verdicts(runs: list[Run]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(every judged row of every seed, with a seed column; per claim its verdict per seed — columns `seed <s>`
    — and across seeds, `verdict`). A claim whose notebook failed in a seed is `not run` there."""
    rows, per_seed = [], []
    for run in runs:
        judged = with_trends(ledger(run.run_id, run.folder), run.folder, run.run_id).assign(seed=run.seed)
        failed = {n[:2] for n in run.log.notebook[run.log.status != "ok"]}
        per_seed.append(claims.claim_verdicts(judged, failed).set_index(["claim_id", "paper", "tier"]).verdict
                        .rename(f"seed {run.seed}"))
        rows.append(judged)
    table = pd.concat(per_seed, axis=1)
    table["verdict"] = [claims.across_seeds(v) for v in table.to_numpy()]
    return pd.concat(rows, ignore_index=True), table.reset_index()


def _claim_lines(title: str, rows: pd.DataFrame, why: bool, seeds: bool) -> list[str]:
    if not len(rows):
        return []
    lines = [f"- **{r.claim_id}** ({r.experiment}{', seed ' + str(r.seed) if seeds else ''}): ours "
             f"{_fmt(r.ours) or 'undefined'} [{_fmt(r.ci_low)}, {_fmt(r.ci_high)}], rule `{r.rule}`."
             + (f" {r.diagnosis}" if why else "") + (f" This run: {r.note}." if r.note else "")
             for r in rows.itertuples()]
    return [title, "", *lines, ""]


def _ledger_lines(runs: list[Run]) -> list[str]:
    """The claims ledger as markdown: the ledger's hash, counts of findings per paper, the consistency checks on
    one line, per-seed verdicts when there are several, the rows missed or inconclusive, every row."""
    rows, verdicts = run_verdicts(runs)
    several = len(runs) > 1
    stale = sorted(set(rows.claims_sha256) - {claims.claims_sha256()})
    checks = verdicts[verdicts.tier == "consistency"]
    parts = ["## The papers' claims on this run", "",
             f"Judged by `data/paper_claims.csv` sha256 `{claims.claims_sha256()}`" +
             (f" (rows judged by another version: {stale})" if stale else "") + ".", "",
             "A row is `reproduced` when the whole 95 % interval of its quantity meets the claim's rule, `not "
             "reproduced` when none of it does, `inconclusive` otherwise; a claim counts as reproduced when every "
             "experiment it was checked on is" + (", in every seed" if several else "") + ". Findings only "
             "(claims that could come out either way on a correct implementation):", "",
             markdown_table(claims.ledger_counts(verdicts)), "",
             "Consistency checks (true by construction when the code is right; a failure is a bug): " +
             ", ".join(f"{c.claim_id} {c.verdict}" for c in checks.itertuples()) + ".", ""]
    if several:
        parts += ["Verdicts per seed:", "", markdown_table(verdicts), ""]
    parts += _claim_lines("Not reproduced, and why:", rows[rows.verdict == claims.NOT_REPRODUCED], True, several)
    parts += _claim_lines("Inconclusive (the interval straddles the rule):", rows[rows.verdict == claims.INCONCLUSIVE],
                          False, several)
    not_run = verdicts[verdicts.verdict == claims.NOT_RUN].claim_id
    if len(not_run):
        parts += [f"Not run (a notebook that computes them failed): {', '.join(not_run)}.", ""]
    columns = ["claim_id", "tier", "statement", "experiment", "ours", "ci_low", "ci_high", "rule", "paper_value",
               "verdict", "interval", "note"]
    return parts + [markdown_table(rows[columns + (["seed"] if several else [])]), ""]


def write_report(runs: list[Run], facts: dict) -> Path:
    """figures/REPORT.md: the claims ledger first, then the run's provenance, then per notebook its status, its
    ours-vs-paper table (only in profiles that run the papers' data) and its figures (the first seed's)."""
    out, first = figures_dir(), runs[0]
    log = pd.concat([r.log.assign(seed=r.seed) for r in runs], ignore_index=True)
    parts = [f"# seenn reproduction report (profile: {facts['profile']})", "", *_ledger_lines(runs),
             "## This run", "", *_provenance_lines(facts, runs), "",
             markdown_table(log.assign(artifacts=log["artifacts"].map(", ".join))), ""]
    for _, row in first.log.iterrows():
        parts += [f"## {row['notebook']} — {row['status']}", ""]
        for table in sorted(first.folder.glob(f"{row['notebook'][:2]}_*vs_paper.csv")):
            parts += [markdown_table(pd.read_csv(table)), ""]
        for png in sorted(first.folder.glob(f"{row['notebook'][:2]}_*.png")):
            parts += [f"![{png.stem}]({os.path.relpath(png, out)})", ""]
    return atomic_write(out / "REPORT.md", lambda tmp: Path(tmp).write_text("\n".join(parts)))


def main(argv: list[str]) -> None:
    """`python -m seenn_lib.notebooks PROFILE DEVICE JOBS SEEDS [NOTEBOOK ...]` (SEEDS: comma-separated, e.g.
    0,1,2): where `python -m seenn_lib reproduce` continues; prints the log and exits 1 if a notebook failed."""
    profile, device, jobs, seeds, *only = argv
    try:
        log = reproduce(profile, only or None, device, int(jobs), tuple(int(s) for s in seeds.split(",")))
    except ValueError as err:  # bad input, said the way the CLI says it
        raise SystemExit(f"error: {err}") from err
    print(log.to_string(index=False))
    sys.exit(int((log["status"] != "ok").any()))


if __name__ == "__main__":
    main(sys.argv[1:])
