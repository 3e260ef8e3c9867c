"""JupyterLab and Voila in a real headless browser: the explorer's α slider changes the displayed average
timesteps (in JupyterLab and in the Voila dashboard), its β slider the SEENN-II accuracy and average timesteps
(Voila), and a notebook source opens as a notebook.
Needs Debian's chromium and playwright (scripts/setup.sh). Screenshots go to build/."""
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
import torch

from seenn_lib.artifacts import REPO_ROOT, artifact_dir, save_torch
from seenn_lib.config import get_config, get_profile
from seenn_lib.notebooks import EXPLORER, explorer_dashboard, to_ipynb
from seenn_lib.seenn2 import get_seenn2
from test_calibration import synthetic_logits

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install playwright)")
pytestmark = [pytest.mark.browser, pytest.mark.slow,
              pytest.mark.skipif(not CHROMIUM.exists(), reason="chromium is not installed (apt-get install chromium)")]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serving(args: list[str], port: int, log: Path):
    """Run a server command until the block ends; yields its URL once its port accepts connections."""
    server = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=open(log, "w"), env=os.environ.copy())
    try:
        for _ in range(120):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.5)
        else:
            pytest.fail(f"{' '.join(args[1:4])} did not start: {log.read_text()[-2000:]}")
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=30)


def jupyter_lab(root: Path):
    port = free_port()
    return serving([sys.executable, "-m", "jupyter", "lab", "--allow-root", "--no-browser", f"--port={port}",
                    "--ServerApp.ip=127.0.0.1", "--ServerApp.token=", "--ServerApp.password=",
                    f"--ServerApp.root_dir={root}", "--LabApp.expose_app_in_browser=True"],
                   port, root / "jupyter.log")


@contextmanager
def browser_page():
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            yield browser.new_page(viewport={"width": 1500, "height": 1100})
        finally:
            browser.close()


def screenshot(page, name: str) -> Path:
    path = REPO_ROOT / "build" / name
    path.parent.mkdir(exist_ok=True)
    page.screenshot(path=str(path), full_page=True)
    return path


def accept_kernel(page, timeout_ms: int = 20_000) -> None:
    """JupyterLab may ask which kernel to start for a notebook it has not opened before."""
    try:
        page.get_by_role("button", name="Select", exact=True).click(timeout=timeout_ms)
    except sync_api.TimeoutError:
        pass


def press_right_on_alpha(page, name: str) -> tuple[str, str, str]:
    """Wait for the explorer, press ArrowRight on its α slider; (avg timesteps before, after, α readout)."""
    avg_t = page.locator(".seenn-summary .seenn-avg-t")
    try:
        avg_t.wait_for(timeout=120_000)
    except sync_api.TimeoutError:
        screenshot(page, f"{name}_timeout.png")
        raise
    before = avg_t.inner_text()
    handle = page.locator(".seenn-alpha .noUi-handle")
    handle.scroll_into_view_if_needed()
    handle.focus()
    page.keyboard.press("ArrowRight")
    page.wait_for_function(
        "b => document.querySelector('.seenn-summary .seenn-avg-t').innerText !== b", arg=before, timeout=20_000)
    readout = page.locator(".seenn-alpha .widget-readout").inner_text()
    after = avg_t.inner_text()
    screenshot(page, f"{name}.png")
    return before, after, readout


def press_right_on_beta(page, experiment_label: str) -> tuple[str, str, str, str]:
    """Pick the SEENN-II experiment and policy, press ArrowRight on the β slider; (avg timesteps before,
    after, accuracy before, after)."""
    avg_t, acc = page.locator(".seenn-summary .seenn-avg-t"), page.locator(".seenn-summary .seenn-accuracy")
    shown = avg_t.inner_text()
    page.locator(".seenn-picker select").select_option(label=experiment_label)
    page.locator(".seenn-mode button", has_text="SEENN-II").click()
    page.wait_for_function(  # the policy's exits replace the α exits
        "b => document.querySelector('.seenn-summary .seenn-avg-t').innerText !== b", arg=shown, timeout=20_000)
    before = avg_t.inner_text(), acc.inner_text()
    handle = page.locator(".seenn-beta .noUi-handle")
    handle.scroll_into_view_if_needed()
    handle.focus()
    page.keyboard.press("ArrowRight")
    page.wait_for_function(
        "b => document.querySelector('.seenn-summary .seenn-avg-t').innerText !== b", arg=before[0], timeout=20_000)
    screenshot(page, "explorer_beta.png")
    return before[0], avg_t.inner_text(), before[1], acc.inner_text()


@pytest.fixture
def ci_logits(tmp_path, monkeypatch):
    """A private cache pre-filled with small synthetic ci logits and SEENN-II outputs for every β of the ci
    profile (a larger β sends more inputs to later timesteps), so the explorer trains nothing."""
    monkeypatch.setenv("SEENN_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("SEENN_FIGURES", str(tmp_path / "figures"))
    cfg = get_config("ci", "direct")
    key = {**cfg.to_dict(), "eval_T": cfg.time_steps}
    mean_logits, targets = synthetic_logits(n=2000, t_max=cfg.time_steps, seed=5)
    save_torch({"mean_logits": mean_logits, "targets": targets}, artifact_dir("logits", key) / "logits.pt", key)
    setup = get_seenn2("ci")
    gen = torch.Generator().manual_seed(0)
    for i, beta in enumerate(get_profile("ci").seenn2_betas):
        policy_logits = torch.randn(len(targets), len(setup.actions), generator=gen)
        policy_logits[:, -1] += i  # the larger β, the more mass on the last action
        out = {"policy_logits": policy_logits, "mean_logits": mean_logits, "targets": targets}
        save_torch(out, artifact_dir("seenn2", setup.key(beta)) / "outputs.pt", setup.key(beta))


def test_arrow_right_on_alpha_slider_changes_average_timesteps(ci_logits, tmp_path):
    to_ipynb(EXPLORER, tmp_path / "16_explorer.ipynb", {"profile": "ci", "moves": []})
    with jupyter_lab(tmp_path) as url, browser_page() as page:
        page.goto(f"{url}/lab/tree/16_explorer.ipynb")
        page.wait_for_function("window.jupyterapp && document.querySelector('.jp-Notebook')", timeout=60_000)
        accept_kernel(page)
        # fire and forget: evaluate() would wait for the command's promise, which has no timeout
        page.evaluate("() => { window.jupyterapp.commands.execute('notebook:run-all-cells'); }")
        before, after, readout = press_right_on_alpha(page, "explorer_browser")
    assert float(after) > float(before), (before, after)  # a larger α keeps inputs running longer
    assert readout == "0.91"


def test_voila_dashboard_shows_sliders_and_alpha_changes_average_timesteps(ci_logits, tmp_path):
    dashboard = explorer_dashboard(tmp_path / "16_explorer.ipynb", {"profile": "ci"})
    port = free_port()
    voila = [sys.executable, "-m", "voila", str(dashboard), "--no-browser", f"--port={port}", "--Voila.ip=127.0.0.1"]
    with serving(voila, port, tmp_path / "voila.log") as url, browser_page() as page:
        page.goto(url)
        before, after, readout = press_right_on_alpha(page, "explorer_voila")
        code = page.locator(".jp-CodeCell .jp-InputArea, .cm-editor, .CodeMirror").count()
        tables = page.locator("table.dataframe").count()
        label = next(o for o in page.locator(".seenn-picker option").all_inner_texts() if "SEENN-II" in o)
        t_before, t_after, acc_before, acc_after = press_right_on_beta(page, label)
    assert float(t_after) > float(t_before) and acc_after != acc_before, (t_before, t_after, acc_before, acc_after)
    assert float(after) > float(before), (before, after)
    assert readout == "0.91"
    assert code == 0 and tables == 0, (code, tables)  # sliders and their readouts only: no code, no tables


def test_double_click_opens_a_notebook_source_as_a_notebook(tmp_path):
    installed = Path(sys.prefix, "share", "jupyter", "lab", "settings", "overrides.json")
    ours = REPO_ROOT / "scripts" / "jupyterlab-overrides.json"
    assert installed.is_file() and json.loads(installed.read_text()) == json.loads(ours.read_text()), \
        f"{installed} differs from {ours}: run scripts/setup.sh, which installs JupyterLab's settings"
    (tmp_path / "notebooks").mkdir()
    shutil.copy(REPO_ROOT / "notebooks" / "01_accuracy_vs_timesteps.py", tmp_path / "notebooks")
    with jupyter_lab(tmp_path) as url, browser_page() as page:
        page.goto(f"{url}/lab/tree/notebooks")
        page.locator(".jp-DirListing-item", has_text="01_accuracy_vs_timesteps.py").dblclick(timeout=60_000)
        cells = page.locator(".jp-NotebookPanel .jp-Cell")
        cells.first.wait_for(timeout=60_000)
        accept_kernel(page, timeout_ms=3_000)  # only so that no dialog covers the screenshot
        screenshot(page, "lab_double_click.png")
        n_cells, editors = cells.count(), page.locator(".jp-FileEditor").count()
        # overrides become the schema's defaults; the user has set nothing
        news = page.evaluate("""async () => (await (await fetch('/lab/api/settings/'
            + '@jupyterlab/apputils-extension:notification')).json()).schema.properties""")
    assert n_cells > 5 and editors == 0, (n_cells, editors)
    assert news["fetchNews"]["default"] == "false" and news["checkForUpdates"]["default"] is False
