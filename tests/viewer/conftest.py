"""Candidates with LF votes for the viewer tests, and the browser fixtures (Debian's chromium via Playwright).

The browser is never downloaded: Playwright launches ``/usr/bin/chromium`` (or
``$SNORKELIE_CHROMIUM``). Without it the browser tests skip with the reason, except in CI
(``CI=true``), where ``.ci/run`` installs it and a missing browser is a failure. A browser
test that fails leaves a screenshot under ``reports/viewer/``.
"""

from __future__ import annotations

import os
import shutil
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from snorkel_ie.db.models import Sentence, Span, sentence_stable_id, span_stable_id
from snorkel_ie.db.models.candidate import save_candidate_class
from snorkel_ie.labeling import LabelAnnotator
from tests.labeling.conftest import Spouse, build_spouse_candidates

REPORTS = Path(__file__).resolve().parents[2] / "reports" / "viewer"


def LF_and_between(c) -> int:
    between = c.get_parent().text[c.person1.char_end : c.person2.char_start]
    return 1 if " and " in between else 0


def LF_close_together(c) -> int:
    return 1 if abs(c.person2.char_start - c.person1.char_end) < 40 else 0


def LF_comma_between(c) -> int:
    between = c.get_parent().text[c.person1.char_end : c.person2.char_start]
    return -1 if "," in between else 0


LFS = [LF_and_between, LF_close_together, LF_comma_between]


def build_viewer_data(session) -> list:
    """Spouse candidates of 3 real articles in split 0 (by id), their class stored, 3 LFs applied."""
    cands = build_spouse_candidates(session, n_docs=3, splits=(0,))
    with session.get_bind().begin() as conn:
        save_candidate_class(conn, Spouse)
    LabelAnnotator(lfs=LFS).apply(split=0, session=session, progress=False)
    session.commit()
    return cands


def add_document_scope_candidate(session, cand, *, split: int):
    """A Spouse whose person2 ("him") lies in a new sentence of ``cand``'s document, person1 being cand's."""
    doc = cand.sentence.document
    text = "Later that year she married him."
    n = 6
    other = Sentence(
        document=doc,
        position=99,
        stable_id=sentence_stable_id(doc.name, 9000, 9032),
        text=text,
        words=text.split(),
        char_offsets=[0, 6, 11, 16, 20, 28],
        abs_char_offsets=[9000, 9006, 9011, 9016, 9020, 9028],
        lemmas=text.lower().split(),
        pos_tags=["X"] * n,
        ner_tags=["O"] * n,
        dep_parents=[0] * n,
        dep_labels=[""] * n,
        entity_cids=[None] * n,
        entity_types=[None] * n,
    )
    span = Span(sentence=other, char_start=28, char_end=31, stable_id=span_stable_id(doc.name, 9028, 9031))
    new = Spouse(person1=cand.person1, person2=span, split=split)
    session.add_all([other, span, new])
    session.commit()
    return new


@pytest.fixture
def viewer_candidates(session) -> list:
    return build_viewer_data(session)


def save_screenshot(page, name: str) -> None:
    """With ``$SNORKELIE_VIEWER_SCREENSHOTS=DIR``, keep a screenshot of a passing browser test (docs/images/)."""
    target = os.environ.get("SNORKELIE_VIEWER_SCREENSHOTS")
    if target:
        Path(target).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(target) / name))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _chromium() -> str | None:
    return (
        os.environ.get("SNORKELIE_CHROMIUM")
        or shutil.which("chromium")
        or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
    )


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """Headless Debian chromium driven by Playwright (never a downloaded browser).

    One per test module, so Playwright's event loop lives only while its module runs."""
    path = _chromium()
    if path is None:
        message = "chromium is not installed (apt-get install -y chromium); the browser tests need it"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=path, headless=True, args=["--no-sandbox", "--disable-gpu"])
        yield b
        b.close()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


@pytest.fixture
def page(browser, request) -> Iterator[object]:
    """A fresh browser page; a screenshot of it goes to reports/viewer/ when the test fails."""
    context = browser.new_context(viewport={"width": 1100, "height": 900})
    pg = context.new_page()
    pg.set_default_timeout(20_000)
    request.node.pages = [pg]
    yield pg
    failed = any(
        getattr(request.node, f"rep_{w}", None) is not None and getattr(request.node, f"rep_{w}").failed
        for w in ("setup", "call")
    )
    if failed:
        REPORTS.mkdir(parents=True, exist_ok=True)
        for i, p in enumerate(request.node.pages):
            name = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in request.node.name)
            try:
                p.screenshot(path=str(REPORTS / f"{name}-{i}.png"), full_page=True)
            except Exception:  # a page that crashed cannot be shot; the test failure says why
                pass
    context.close()


class ServedApp:
    """The labeling app served by uvicorn in a thread on a free 127.0.0.1 port."""

    def __init__(self, app):
        import threading

        import uvicorn

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        import time

        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.05)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture
def served(db_url, viewer_candidates) -> Iterator[ServedApp]:
    """The web page over the viewer candidates (split 0), labeling as 'gold' by default."""
    from snorkel_ie.viewer.server import create_app

    app = create_app("Spouse", 0, db_url=db_url, page_size=3)
    s = ServedApp(app)
    yield s
    s.stop()
