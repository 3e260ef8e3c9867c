"""CI executes every notebook through papermill in the `ci` profile (the smoke code path at test size)."""
import json

import pytest

from seenn_lib.claims import VERDICTS, ledger, load_claims
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
        assert not list(figures.glob(f"{prefix}_*vs_paper.csv")), "absolute numbers vs the papers outside `paper`"
    claims = load_claims()
    rows = ledger()
    assert set(rows.verdict) <= set(VERDICTS)
    for claim_id, claim in claims.iterrows():  # every claim judged by every notebook that names it
        judged_by = set(rows.notebook[rows.claim_id == claim_id])
        assert judged_by == set(claim.notebooks.split()), (claim_id, judged_by)
    report = (figures / "REPORT.md").read_text()
    assert report.index("The papers' claims on this run") < report.index("## This run")
    assert all(book in report for book in log.notebook)
    manifest = json.loads((figures / "run_manifest.json").read_text())
    assert [n["notebook"] for n in manifest["notebooks"]] == list(log.notebook)
    assert manifest["notebooks"][0]["artifacts"]  # notebook 01's kernel logged the cached logits it read
    assert manifest["date"] in report and manifest["versions"]["torch"] in report
