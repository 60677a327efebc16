"""The labeling web app on both backends: reads, label writes, 4xx on bad input, concurrent writers, the CLI."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import warnings
from concurrent.futures import ThreadPoolExecutor

import httpx
import numpy as np
import pytest
from sqlalchemy import func, select

from snorkel_ie.db.models.base import Base
from snorkel_ie.db.session import SnorkelSession
from snorkel_ie.errors import CandidateError, ConfigurationError
from snorkel_ie.labeling import load_gold_labels
from snorkel_ie.viewer.server import create_app
from tests.viewer.conftest import free_port

with warnings.catch_warnings():  # Starlette 1.x suggests httpx2 for its TestClient; httpx still works
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient


@pytest.fixture
def client(db_url, viewer_candidates):
    with TestClient(create_app("Spouse", 0, db_url=db_url, page_size=3), raise_server_exceptions=False) as c:
        yield c


def gold_of(db_url: str, annotator: str = "gold") -> dict[int, int]:
    """The stored labels, read by a new session."""
    s = SnorkelSession(db_url)
    m = load_gold_labels(s, annotator, split=0)
    out = {int(i): int(v) for i, v in zip(m.candidate_ids, np.asarray(m.toarray()).ravel(), strict=True) if v}
    s.close()
    return out


def row_counts(db_url: str) -> dict[str, int]:
    s = SnorkelSession(db_url)
    out = {t.name: s.scalar(select(func.count()).select_from(t)) for t in Base.metadata.sorted_tables}
    s.close()
    return out


def test_server_page_and_config(client, viewer_candidates):
    assert 'from "./static/viewer.js"' in client.get("/").text
    assert "export function mount" in client.get("/static/viewer.js").text
    config = client.get("/api/config").json()
    assert config["argnames"] == ["person1", "person2"] and config["total"] == len(viewer_candidates)
    page = client.get("/api/page", params={"page": 1}).json()
    assert [r["id"] for r in page["records"]] == [c.id for c in viewer_candidates[3:6]]
    far = client.get("/api/page", params={"page": 999}).json()
    assert far["page"] == far["pages"] - 1


def test_server_label_writes_only_label_tables_and_keeps_the_last(client, db_url, viewer_candidates):
    before = row_counts(db_url)
    a, b = viewer_candidates[0].id, viewer_candidates[1].id
    for cid, value in ((a, 1), (b, 1), (b, -1)):
        r = client.post("/api/label", json={"candidate_id": cid, "value": value})
        assert r.status_code == 200, r.text
        assert r.json() == {"candidate_id": cid, "label": value, "annotator": "gold"}
    assert client.post("/api/label", json={"candidate_id": a, "value": 1, "annotator": "bob"}).status_code == 200
    assert gold_of(db_url) == {a: 1, b: -1}
    assert gold_of(db_url, "bob") == {a: 1}
    after = row_counts(db_url)
    changed = {t for t in before if before[t] != after[t]}
    assert changed == {"gold_label", "annotation_key"}, changed
    assert after["gold_label"] == before["gold_label"] + 3
    page = client.get("/api/page", params={"label": "labeled"}).json()
    assert {r["id"]: r["label"] for r in page["records"]} == {a: 1, b: -1}
    assert client.post("/api/label", json={"candidate_id": b, "value": 0}).json()["label"] == 0
    assert gold_of(db_url) == {a: 1}


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        ({"candidate_id": 10**9, "value": 1}, 404, "not among"),
        ({"candidate_id": "abc", "value": 1}, 400, "must be an integer"),
        ({"candidate_id": None, "value": 1}, 400, "must be an integer"),
        ({"candidate_id": 1, "value": 3}, 400, "label must be one of"),
        ({"candidate_id": 1, "value": "1"}, 400, "label must be one of"),
        ({"candidate_id": 1, "value": True}, 400, "label must be one of"),
        ({"candidate_id": 1}, 400, "expected"),
        ([1, 2], 400, "expected"),
        ({"candidate_id": 1, "value": 1, "annotator": "x'; drop table gold_label; --"}, 400, "annotator name"),
    ],
)
def test_server_bad_label_requests_get_4xx(client, db_url, body, status, message):
    r = client.post("/api/label", json=body)
    assert r.status_code == status, r.text
    assert message in r.json()["error"]
    assert gold_of(db_url) == {}


def test_server_bad_bodies_and_params_get_4xx(client):
    assert client.post("/api/label", content=b"{nope", headers={"content-type": "application/json"}).status_code == 400
    assert client.post("/api/label", content=b'{"candidate_id": 1, "value": 1}').status_code == 415
    assert client.post("/api/label", data={"candidate_id": "1", "value": "1"}).status_code == 415
    for params, message in (
        ({"page": "x"}, "page must be an integer"),
        ({"page": "-1"}, "page must be between"),
        ({"page_size": "100000"}, "page_size must be between"),
        ({"lf": "LF_nope"}, "unknown LF"),
        ({"error": "maybe"}, "error must be one of"),
        ({"conflict": "sometimes"}, "conflict must be true or false"),
        ({"label": "both"}, "label must be one of"),
        ({"annotator": "no spaces please"}, "annotator name"),
    ):
        r = client.get("/api/page", params=params)
        assert r.status_code == 400 and message in r.json()["error"], (params, r.text)
    assert client.get("/static/../server.py").status_code == 404
    assert client.get("/api/label").status_code == 405


def test_server_unknown_candidate_class_is_refused(db_url, viewer_candidates):
    with pytest.raises(CandidateError, match="unknown candidate class 'Spuose'"):
        create_app("Spuose", 0, db_url=db_url)


def test_server_concurrent_writers_all_stored(served, db_url, viewer_candidates):
    """Two annotators (and two writers of one annotator) posting at once: every label is stored."""
    ids = [c.id for c in viewer_candidates]

    def post(job):
        who, cid, value = job
        with httpx.Client(base_url=served.url, timeout=30) as h:
            return h.post("/api/label", json={"candidate_id": cid, "value": value, "annotator": who}).status_code

    jobs = [("alice", cid, 1) for cid in ids] + [("bob", cid, -1) for cid in ids]
    jobs += [("carol", ids[0], 1), ("carol", ids[0], 1), ("carol", ids[1], -1), ("carol", ids[1], -1)]
    with ThreadPoolExecutor(max_workers=6) as pool:
        codes = list(pool.map(post, jobs))
    assert codes == [200] * len(jobs)
    assert gold_of(db_url, "alice") == dict.fromkeys(ids, 1)
    assert gold_of(db_url, "bob") == dict.fromkeys(ids, -1)
    assert gold_of(db_url, "carol") == {ids[0]: 1, ids[1]: -1}


@pytest.mark.slow
def test_server_cli_serves_on_localhost_by_default(db_url, viewer_candidates):
    port = free_port()
    cmd = [
        sys.executable,
        "-m",
        "snorkel_ie.cli",
        "view",
        "--db",
        db_url,
        "--candidate-class",
        "Spouse",
        "--split",
        "0",
        "--annotator",
        "dana",
        "--port",
        str(port),
    ]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=os.environ.copy())
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                config = httpx.get(f"http://127.0.0.1:{port}/api/config", timeout=2).json()
                break
            except httpx.TransportError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(proc.communicate()[1]) from None
                time.sleep(0.2)
        assert config["annotator"] == "dana" and config["split"] == 0
        r = httpx.post(f"http://127.0.0.1:{port}/api/label", json={"candidate_id": viewer_candidates[0].id, "value": 1})
        assert r.status_code == 200
        assert gold_of(db_url, "dana") == {viewer_candidates[0].id: 1}
    finally:
        proc.terminate()
        out, err = proc.communicate(timeout=20)
    assert f"http://127.0.0.1:{port}" in out + err


def test_server_error_classes_from_stored_marginals(db_url, session, viewer_candidates):
    from snorkel_ie.labeling import save_marginals

    cands = viewer_candidates[:8]  # the other candidates have no marginal: no prediction, no error class
    marginals = np.array([0.9, 0.8, 0.2, 0.1, 0.7, 0.3, 0.95, 0.05])
    save_marginals(session, cands, marginals)
    gold = [1, -1, -1, 1, 1, 1, -1, -1]
    with TestClient(create_app("Spouse", 0, db_url=db_url, predictions="marginals")) as c:
        assert c.get("/api/config").json()["prediction_source"] == "stored marginals"
        for cand, g in zip(cands, gold, strict=True):
            assert c.post("/api/label", json={"candidate_id": cand.id, "value": g}).status_code == 200
        for cand in viewer_candidates[8:]:
            assert c.post("/api/label", json={"candidate_id": cand.id, "value": 1}).status_code == 200
        got = {e: {r["id"] for r in c.get("/api/page", params={"error": e, "page_size": 50}).json()["records"]}
               for e in ("tp", "fp", "tn", "fn")}  # fmt: skip
    ids = [x.id for x in cands]
    assert got == {"tp": {ids[0], ids[4]}, "fp": {ids[1], ids[6]}, "tn": {ids[2], ids[7]}, "fn": {ids[3], ids[5]}}
    with pytest.raises(ConfigurationError, match="predictions must be one of"):
        create_app("Spouse", 0, db_url=db_url, predictions="oracle")
