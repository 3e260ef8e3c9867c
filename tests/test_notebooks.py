"""CI executes every notebook through papermill in the `ci` profile (the smoke code path at test size)."""
import json
import subprocess
import sys
from dataclasses import replace

import pandas as pd
import pytest

from seenn_lib.analysis.budget import trend_table
from seenn_lib.artifacts import REPO_ROOT
from seenn_lib.claims import VERDICTS, load_claims
from seenn_lib.results import ledger
from seenn_lib.config import PROFILES, get_profile
from seenn_lib.notebooks import NEEDS, default_jobs, list_notebooks, needs, reproduce, run_logged, start_order


@pytest.fixture(scope="module")
def ci_run(session_cache):
    return reproduce(profile="ci")  # two notebooks at once on a CPU with >= 2 cores (default_jobs)


@pytest.mark.slow
def test_every_notebook_runs_and_writes_its_outputs(ci_run, session_cache):
    log = ci_run
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
    assert manifest["jobs"] == default_jobs("cpu") and manifest["seeds"] == [0]
    assert manifest["notebooks"][0]["artifacts"]  # notebook 01's kernel logged the cached logits it read
    assert manifest["date"] in report and manifest["versions"]["torch"] in report


@pytest.mark.slow
def test_needs_orders_every_notebook_after_those_whose_artifacts_it_shares(ci_run):
    """Of the notebooks touching one cached artifact, the first in number order made it: every other one must
    (transitively) need that one, else with several notebooks at once it could start too early and wait."""
    deps = {b.stem: {d.stem for d in ds} for b, ds in needs(list_notebooks()).items()}
    touched = ci_run.explode("artifacts").dropna(subset=["artifacts"])
    for artifact, rows in touched.groupby("artifacts"):
        maker, *users = sorted(rows.notebook.unique())
        for user in users:
            assert maker in deps[user], f"{user} shares {artifact} with {maker} but does not need it"


@pytest.mark.slow
def test_budget_trends_at_1x_repeat_the_ledger_and_reach_its_notes(ci_run, session_cache):
    """Notebook 22 judges each claim again through the same evidence functions: at 1x (the profile's own cached
    models, the same seed) every row equals the row of the claim's own notebook, interval included; and the
    report's ledger carries the trend in the claim's note."""
    figures = session_cache / "figures"
    trends = pd.read_csv(figures / "22_budget_trends.csv", dtype={"experiment": str})
    levers = get_profile("ci").budget_levers
    assert {(c, m) for lv in levers for c in lv.claims for m in lv.multipliers} == set(
        zip(trends.claim_id, trends.multiplier))
    own = ledger(trends.run_id.iloc[0]).set_index(["claim_id", "experiment"])
    for row in trends[trends.multiplier == 1].itertuples():
        judged = own.loc[(row.claim_id, row.experiment)]
        assert row.verdict == judged.verdict, row
        assert (row.ours, row.ci_low, row.ci_high) == pytest.approx(
            (judged.ours, judged.ci_low, judged.ci_high), nan_ok=True), row
    report = (figures / "REPORT.md").read_text()
    assert "budget trend: training epochs:" in report
    assert list(figures.glob("22_budget_trend_*.png"))


@pytest.mark.slow
def test_budget_settings_in_worker_processes_give_the_in_process_table_in_lever_order(ci_run, session_cache):
    levers = get_profile("ci").budget_levers[:1]  # SEENN-04 on the ci ResNet at 1x and 2x: cached by notebook 22
    alone = trend_table("ci", levers, workers=1)
    assert list(alone.multiplier) == [1.0, 2.0] and set(alone.claim_id) == {"SEENN-04"}
    pd.testing.assert_frame_equal(trend_table("ci", levers, workers=2), alone)


def test_needs_name_earlier_notebooks_so_number_order_is_a_valid_sequence():
    numbers = {b.stem[:2] for b in list_notebooks()}
    for book, needed in NEEDS.items():
        assert book in numbers
        assert needed == ("*",) or all(n in numbers and n < book for n in needed), (book, needed)


def test_the_report_waits_for_every_other_notebook_whatever_its_number():
    books = list_notebooks()
    report = next(b for b in books if b.stem.startswith("20"))
    assert any(b.stem > report.stem for b in books)  # 21 comes after the report in number order
    assert needs(books)[report] == set(books) - {report}


def test_start_order_takes_the_profiles_first_notebooks_then_number_order():
    books = list_notebooks()
    order = [b.stem[:2] for b in start_order(books, ("11", "01"))]
    assert order[:2] == ["11", "01"] and order[2:] == sorted(order[2:])
    chosen = [b for b in books if b.stem[:2] in ("09", "20")]  # needs outside the selection are dropped
    assert {b.stem[:2]: {n.stem[:2] for n in ns} for b, ns in needs(chosen).items()} == {"09": set(), "20": {"09"}}


@pytest.mark.parametrize("profile", PROFILES)
def test_each_profile_starts_first_only_notebooks_that_exist(profile):
    numbers = {b.stem[:2] for b in list_notebooks()}
    assert set(get_profile(profile).start_first) <= numbers


def test_a_profile_names_its_first_notebooks_by_number():
    with pytest.raises(ValueError, match="two-digit number"):
        replace(get_profile("ci"), start_first=("1",))


@pytest.mark.slow
def test_several_at_once_start_each_notebook_after_all_it_needs(ci_run):
    log = ci_run.set_index("notebook")
    for book, needed in needs(list_notebooks()).items():
        for n in needed:
            done = log.started[n.stem] + log.seconds[n.stem]
            assert log.started[book.stem] >= done - 0.5, f"{book.stem} started before {n.stem} ended"


@pytest.mark.slow
def test_reproduce_one_at_a_time_logs_in_number_order(ci_run):
    log = reproduce(profile="ci", only=["07", "02"], jobs=1)  # the models are cached by the run above
    assert list(log.notebook) == ["02_table1_direct_training", "07_alpha_tradeoff"]
    assert (log.status == "ok").all(), log.to_string()


@pytest.mark.slow
def test_the_cli_hands_reproduce_to_a_coordinator_without_torch(ci_run):
    light = subprocess.run([sys.executable, "-c", "import sys, seenn_lib.notebooks; print('torch' in sys.modules)"],
                           capture_output=True, text=True, check=True)
    assert light.stdout.strip() == "False"
    run = subprocess.run([sys.executable, "-m", "seenn_lib", "reproduce", "--profile", "ci", "--only", "07",
                          "--jobs", "1"], capture_output=True, text=True)  # 07's logits are cached by ci_run
    assert run.returncode == 0, run.stderr[-2000:]
    assert "07_alpha_tradeoff" in run.stdout and " ok " in run.stdout
    assert "IPKernelApp" not in run.stderr  # the kernel's own chatter goes to its log, not the terminal
    assert "IPKernelApp" in (REPO_ROOT / "build" / "notebooks" / "07_alpha_tradeoff.kernel.log").read_text()
    bad = subprocess.run([sys.executable, "-m", "seenn_lib", "reproduce", "--only", "99"], capture_output=True,
                         text=True)
    assert bad.returncode != 0 and "error: --only ['99'] matches no notebook" in bad.stderr


def test_a_failing_notebook_is_logged_with_its_error_and_where_its_kernel_wrote():
    book = next(b for b in list_notebooks() if b.stem.startswith("07"))
    row = run_logged(book, {"profile": "no_such_profile", "device": "cpu"})
    assert row["status"] == "failed"
    assert "no_such_profile" in row["error"] and "build/notebooks/07_alpha_tradeoff.kernel.log" in row["error"]


def test_reproduce_refuses_a_negative_number_of_jobs():
    with pytest.raises(ValueError, match="jobs"):
        reproduce(profile="ci", only=["07"], jobs=-1)

