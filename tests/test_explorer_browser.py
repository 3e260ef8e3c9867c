"""The explorer notebook in JupyterLab in a real headless browser: run it, press ArrowRight on the α slider
and see the displayed average timesteps change. Needs Debian's chromium and playwright (scripts/setup.sh)."""
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from seenn_lib.artifacts import REPO_ROOT, artifact_dir, save_torch
from seenn_lib.config import get_config
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


def explorer_notebook(folder: Path) -> Path:
    """notebooks/16_explorer.py as .ipynb with the ci profile injected, as papermill would."""
    import jupytext
    import nbformat

    nb = jupytext.read(REPO_ROOT / "notebooks" / "16_explorer.py")
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata.pop("jupytext", None)  # else jupytext's contents manager refuses it as an unpaired file
    at = next(i for i, c in enumerate(nb.cells) if "parameters" in c.metadata.get("tags", []))
    nb.cells.insert(at + 1, nbformat.v4.new_code_cell('profile = "ci"\nmoves = []'))
    path = folder / "16_explorer.ipynb"
    jupytext.write(nb, path)
    return path


@pytest.fixture
def jupyter_lab(tmp_path, monkeypatch):
    """A JupyterLab server on a free port over a folder holding the notebook; its kernels use a private
    cache pre-filled with small synthetic ci logits, so nothing is trained."""
    monkeypatch.setenv("SEENN_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("SEENN_FIGURES", str(tmp_path / "figures"))
    cfg = get_config("ci", "direct")
    key = {**cfg.to_dict(), "eval_T": cfg.time_steps}
    mean_logits, targets = synthetic_logits(n=2000, t_max=cfg.time_steps, seed=5)
    save_torch({"mean_logits": mean_logits, "targets": targets}, artifact_dir("logits", key) / "logits.pt", key)
    explorer_notebook(tmp_path)
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyter", "lab", "--allow-root", "--no-browser", f"--port={port}",
         "--ServerApp.ip=127.0.0.1", "--ServerApp.token=", "--ServerApp.password=",
         f"--ServerApp.root_dir={tmp_path}", "--LabApp.expose_app_in_browser=True"],
        stdout=subprocess.DEVNULL, stderr=open(tmp_path / "jupyter.log", "w"), env=os.environ.copy())
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                urllib.request.urlopen(f"{url}/api/status", timeout=1)
                break
            except OSError:
                time.sleep(0.5)
        else:
            pytest.fail(f"jupyter lab did not start: {(tmp_path / 'jupyter.log').read_text()[-2000:]}")
        yield url
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_arrow_right_on_alpha_slider_changes_average_timesteps(jupyter_lab, tmp_path):
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        page = browser.new_page(viewport={"width": 1500, "height": 1100})
        page.goto(f"{jupyter_lab}/lab/tree/16_explorer.ipynb")
        page.wait_for_function("window.jupyterapp && document.querySelector('.jp-Notebook')", timeout=60_000)
        select_kernel = page.get_by_role("button", name="Select", exact=True)
        try:  # JupyterLab asks which kernel to start for a notebook it has not opened before
            select_kernel.click(timeout=20_000)
        except sync_api.TimeoutError:
            pass
        # fire and forget: evaluate() would wait for the command's promise, which has no timeout
        page.evaluate("() => { window.jupyterapp.commands.execute('notebook:run-all-cells'); }")
        avg_t = page.locator(".seenn-summary .seenn-avg-t")
        try:
            avg_t.wait_for(timeout=120_000)
        except sync_api.TimeoutError:
            page.screenshot(path=str(tmp_path / "explorer_browser_timeout.png"), full_page=True)
            raise
        before = avg_t.inner_text()
        handle = page.locator(".seenn-alpha .noUi-handle")
        handle.scroll_into_view_if_needed()
        handle.focus()
        page.keyboard.press("ArrowRight")
        page.wait_for_function(
            "b => document.querySelector('.seenn-summary .seenn-avg-t').innerText !== b", arg=before,
            timeout=20_000)
        after = avg_t.inner_text()
        readout = page.locator(".seenn-alpha .widget-readout").inner_text()
        shot = tmp_path / "explorer_browser.png"
        page.screenshot(path=str(shot), full_page=True)
        browser.close()
    (REPO_ROOT / "build").mkdir(exist_ok=True)
    shutil.copy(shot, REPO_ROOT / "build" / "explorer_browser.png")
    assert float(after) > float(before), (before, after)  # a larger α keeps inputs running longer
    assert readout == "0.91"
