"""The SentenceNgramViewer widget in a JupyterLab server this test starts, driven by headless chromium.

On both backends: the notebook builds the viewer, a click and key presses in the widget
store gold labels that a second session reads back, the selection reaches the kernel
(``sv.get_selected()``), and a viewer reopened by re-running the notebook shows the labels.
The same widget in Notebook 7 stores a click and a key press (on SQLite).
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import jupyterlab
import nbformat
import pytest

from snorkel_ie.db.session import SnorkelSession
from tests.viewer.conftest import build_viewer_data, free_port, save_screenshot
from tests.viewer.test_browser_page import stored

pytestmark = pytest.mark.slow
KERNEL = "snorkel-ie-test"


def _jupyter_env(data_dir: Path) -> dict[str, str]:
    """Environment of the server: a kernel spec for this Python, and the prefix that holds JupyterLab's assets."""
    prefix = Path(jupyterlab.__file__).resolve().parents[4]  # <prefix>/lib/pythonX.Y/site-packages/jupyterlab
    spec = data_dir / "kernels" / KERNEL
    spec.mkdir(parents=True)
    argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    (spec / "kernel.json").write_text(json.dumps({"argv": argv, "display_name": KERNEL, "language": "python"}))
    news = data_dir / "settings" / "@jupyterlab" / "apputils-extension"
    news.mkdir(parents=True)
    (news / "notification.jupyterlab-settings").write_text(json.dumps({"fetchNews": "false"}))
    env = os.environ.copy()
    env["JUPYTER_PATH"] = os.pathsep.join([str(data_dir), str(prefix / "share" / "jupyter")])
    env["JUPYTERLAB_DIR"] = str(prefix / "share" / "jupyter" / "lab")
    env["JUPYTER_CONFIG_DIR"] = str(data_dir / "config")
    env["JUPYTER_RUNTIME_DIR"] = str(data_dir / "runtime")
    env["JUPYTERLAB_SETTINGS_DIR"] = str(data_dir / "settings")
    env["JUPYTERLAB_WORKSPACES_DIR"] = str(data_dir / "workspaces")
    return env


@contextmanager
def _jupyter_server(tmp_path_factory, app: str, options: list[str]) -> Iterator[dict[str, object]]:
    """A Jupyter server (``python -m jupyterlab`` or ``notebook``) on 127.0.0.1 with a token, its root a scratch folder."""
    root = tmp_path_factory.mktemp(app)
    token = secrets.token_hex(16)
    port = free_port()
    env = _jupyter_env(tmp_path_factory.mktemp(f"{app}-data"))
    cmd = [
        sys.executable, "-m", app, "--no-browser", f"--port={port}", "--ip=127.0.0.1",
        f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}", "--ServerApp.open_browser=False", *options,
    ]  # fmt: skip
    if os.geteuid() == 0:  # CI containers run as root
        cmd.append("--allow-root")
    log = (root / "server.log").open("w")
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=root)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    try:
        while True:
            try:
                if httpx.get(f"{base}/api/status", params={"token": token}, timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"{app} did not start:\n" + (root / "server.log").read_text()[-3000:])
            time.sleep(0.3)
        yield {"base": base, "token": token, "root": root}
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.fixture(scope="module")
def lab(tmp_path_factory) -> Iterator[dict[str, object]]:
    """A JupyterLab 4 server."""
    options = ["--LabApp.expose_app_in_browser=True", "--LabApp.news_url=", "--LabApp.extension_manager=readonly"]
    with _jupyter_server(tmp_path_factory, "jupyterlab", options) as server:
        yield server


def _notebook(path: Path, db_url: str, selected_file: Path) -> None:
    code = f"""\
from snorkel_ie.db.session import SnorkelSession
from snorkel_ie.db.models.candidate import load_candidate_class
from snorkel_ie.viewer import SentenceNgramViewer

session = SnorkelSession({db_url!r})
Spouse = load_candidate_class(session, "spouse")
cands = session.query(Spouse).filter(Spouse.split == 0).order_by(Spouse.id).all()
sv = SentenceNgramViewer(cands, session, annotator_name="lab")
sv.observe(lambda _: open({str(selected_file)!r}, "w").write(str(sv.get_selected().id)), names="selected_id")
sv"""
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(code)]
    nb.metadata["kernelspec"] = {"name": KERNEL, "display_name": KERNEL, "language": "python"}
    nbformat.write(nb, path)


def _wait(predicate, timeout: float = 30.0, message: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(message or "timed out")
        time.sleep(0.2)


def _run_all(page, name: str) -> None:
    """Run every cell of notebook ``name`` once it is the current tab and its kernel is up."""
    page.wait_for_function(
        "([name]) => { const app = window.jupyterapp; const w = app && app.shell.currentWidget;"
        " return w && w.context && w.context.path === name && w.sessionContext"
        " && w.sessionContext.session && w.sessionContext.session.kernel; }",
        arg=[name],
        timeout=60_000,
    )
    page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")


def test_widget_in_jupyterlab_stores_labels(page, lab, db_url, viewer_candidates, request):
    name = f"viewer-{request.node.callspec.id}.ipynb"
    selected_file = Path(lab["root"]) / f"{name}.selected"
    _notebook(Path(lab["root"]) / name, db_url, selected_file)
    ids = [c.id for c in viewer_candidates]
    workspace = request.node.callspec.id  # a workspace per test: only this notebook is open
    page.goto(f"{lab['base']}/lab/workspaces/{workspace}/tree/{name}?token={lab['token']}&reset")
    _run_all(page, name)
    cards = page.locator(".jp-OutputArea .sv-card")
    cards.first.wait_for(timeout=90_000)
    assert cards.count() == 3
    first = cards.nth(0)
    assert first.locator(".sv-arg-0").first.inner_text() == viewer_candidates[0].person1.get_span()
    first.locator('button[data-value="1"]').click()
    _wait(lambda: stored(db_url, "lab") == {ids[0]: 1}, message="the click was not stored")
    # keys: down to the 2nd candidate, f; down to the 3rd, t then c (cleared)
    cards.nth(0).locator(".sv-meta").click()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("f")
    _wait(lambda: stored(db_url, "lab") == {ids[0]: 1, ids[1]: -1}, message="the f key was not stored")
    _wait(lambda: selected_file.exists() and selected_file.read_text() == str(ids[1]), message="no selection")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("t")
    _wait(lambda: stored(db_url, "lab").get(ids[2]) == 1, message="the t key was not stored")
    page.keyboard.press("c")
    _wait(lambda: stored(db_url, "lab") == {ids[0]: 1, ids[1]: -1}, message="the c key did not clear")
    assert page.locator(".jp-Notebook .jp-Cell").count() == 1  # the keys went to the viewer, not to the notebook
    # reopen: re-running the notebook builds a new viewer that shows the stored labels
    _run_all(page, name)
    page.wait_for_function(
        "() => { const c = document.querySelectorAll('.jp-OutputArea .sv-card');"
        " return c.length === 3 && c[0].dataset.label === '1' && c[1].dataset.label === '-1'; }",
        timeout=60_000,
    )
    save_screenshot(page, "viewer-jupyterlab.png")
    page.evaluate("() => window.jupyterapp.commands.execute('kernelmenu:shutdown')")


def test_widget_in_notebook7_stores_a_click(page, tmp_path_factory, tmp_path):
    """The same widget in Notebook 7 (its own front end over the same anywidget extension), on SQLite."""
    pytest.importorskip("notebook", reason="Notebook 7 is not installed (pip install notebook)")
    db_url = f"sqlite:///{tmp_path / 'nb7.db'}"
    session = SnorkelSession(db_url)
    ids = [c.id for c in build_viewer_data(session)]
    session.close()
    with _jupyter_server(tmp_path_factory, "notebook", ["--JupyterNotebookApp.expose_app_in_browser=True"]) as nb7:
        name = "viewer-nb7.ipynb"
        _notebook(Path(nb7["root"]) / name, db_url, Path(nb7["root"]) / "nb7.selected")
        page.goto(f"{nb7['base']}/notebooks/{name}?token={nb7['token']}")
        _run_all(page, name)
        cards = page.locator(".jp-OutputArea .sv-card")
        cards.first.wait_for(timeout=90_000)
        assert cards.count() == 3
        cards.nth(1).locator('button[data-value="-1"]').click()
        _wait(lambda: stored(db_url, "lab") == {ids[1]: -1}, message="the click was not stored")
        page.keyboard.press("ArrowDown")
        page.keyboard.press("t")
        _wait(lambda: stored(db_url, "lab") == {ids[1]: -1, ids[2]: 1}, message="the t key was not stored")
        assert page.locator(".jp-Notebook .jp-Cell").count() == 1
        page.evaluate("() => window.jupyterapp.commands.execute('kernelmenu:shutdown')")
