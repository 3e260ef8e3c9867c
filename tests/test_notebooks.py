"""CI executes every notebook through papermill in the `ci` profile (the smoke code path at test size)."""
import json

import pandas as pd
import pytest

from seenn_lib.notebooks import list_notebooks, reproduce


@pytest.mark.slow
def test_every_notebook_runs_and_writes_its_outputs(session_cache):
    log = reproduce(profile="ci")
    failed = log[log.status != "ok"]
    assert failed.empty, failed.to_string()
    assert set(log.notebook) == {b.stem for b in list_notebooks()}
    figures = session_cache / "figures"
    for book in log.notebook:
        prefix = book[:2]
        assert list(figures.glob(f"{prefix}_*.png")), f"{book} wrote no PNG figure"
        assert list(figures.glob(f"{prefix}_*.pdf")), f"{book} wrote no PDF figure"
        vs = list(figures.glob(f"{prefix}_*vs_paper.csv"))
        assert vs, f"{book} wrote no ours-vs-paper table"
        assert {"quantity", "ours", "paper", "gap"} <= set(pd.read_csv(vs[0]).columns)
    report = (figures / "REPORT.md").read_text()
    assert all(book in report for book in log.notebook)
    manifest = json.loads((figures / "run_manifest.json").read_text())
    assert [n["notebook"] for n in manifest["notebooks"]] == list(log.notebook)
    assert manifest["notebooks"][0]["artifacts"]  # notebook 01's kernel logged the cached logits it read
    assert manifest["date"] in report and manifest["versions"]["torch"] in report
