"""The labeling web page: the viewer's front end served by a small Starlette app.

``GET /`` is the page, ``GET /api/config`` and ``GET /api/page`` read, ``POST /api/label``
stores one gold label (``{"candidate_id": 12, "value": 1, "annotator": "alice"}``; value
0 clears). Each request has its own session; label writes go through
:func:`snorkel_ie.labeling.gold.save_gold_labels`, so only the ``gold_label`` table (and
its key) is written. Bad input gets a 4xx with ``{"error": message}``: 404 for a candidate
this page does not show, 400 for a bad value, field or body, 415 for a body that is not
JSON (which also keeps other sites' forms from posting labels).
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from snorkel_ie.db.engine import get_engine
from snorkel_ie.db.migrate import ensure_schema
from snorkel_ie.db.models import Candidate
from snorkel_ie.db.models.candidate import load_candidate_class
from snorkel_ie.errors import CandidateError, ConfigurationError
from snorkel_ie.labeling.marginals import load_marginals
from snorkel_ie.viewer.candidates import Filters, ViewerCandidates, check_annotator
from snorkel_ie.viewer.records import page_payload, viewer_config

__all__ = ["PREDICTIONS", "STATIC", "create_app", "load_split", "serve"]

logger = logging.getLogger(__name__)
STATIC = Path(__file__).resolve().parent / "static"
MAX_PAGE_SIZE = 200


PREDICTIONS = ("majority", "marginals", "model")
"""Where the error classes' predictions come from: the LFs' majority vote, the stored training marginals
(the generative model's), or the stored predictions (``training=False``, an end model's ``save_marginals``)."""


def load_split(
    session: Session, candidate_class: str, split: int, *, predictions: str = "majority"
) -> ViewerCandidates:
    """The candidates of one class and split (by id) with their LF votes; CandidateError for an unknown class."""
    if predictions not in PREDICTIONS:
        raise ConfigurationError(f"predictions must be one of {list(PREDICTIONS)}; got {predictions!r}")
    cls = load_candidate_class(session, candidate_class.lower())
    if cls is None:
        raise CandidateError(
            f"unknown candidate class {candidate_class!r}: no candidates of it were extracted into this database"
        )
    q = select(Candidate.id).where(Candidate.type == cls.__mapper__.polymorphic_identity, Candidate.split == split)
    ids = list(session.scalars(q.order_by(Candidate.id)))
    logger.info("viewing %d %s candidates of split %d", len(ids), cls.__name__, split)
    if predictions == "majority":
        return ViewerCandidates.load(session, ids)
    marginals = load_marginals(session, ids, training=predictions == "marginals")
    if marginals.ndim != 1:
        raise ConfigurationError("error classes (tp/fp/tn/fn) need binary marginals; use --predictions majority")
    vc = ViewerCandidates.load(session, ids, predictions=marginals)
    vc.prediction_source = "stored marginals" if predictions == "marginals" else "stored model predictions"
    return vc


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


def _guarded(handler: Callable[[Request], Response]) -> Callable[[Request], Response]:
    """Turn the package's input errors into 4xx answers with their message."""

    def run(request: Request) -> Response:
        try:
            return handler(request)
        except CandidateError as err:
            return _error(404, str(err))
        except (ConfigurationError, ValueError, TypeError) as err:
            return _error(400, str(err))

    run.__name__ = handler.__name__
    return run


def _int_param(request: Request, name: str, default: int, *, lo: int, hi: int) -> int:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError as err:
        raise ConfigurationError(f"{name} must be an integer; got {raw!r}") from err
    if not lo <= value <= hi:
        raise ConfigurationError(f"{name} must be between {lo} and {hi}; got {value}")
    return value


def create_app(
    candidate_class: str,
    split: int,
    *,
    db_url: str | None = None,
    engine: Engine | None = None,
    annotator: str = "gold",
    page_size: int = 5,
    predictions: str = "majority",
) -> Starlette:
    """The labeling web app over the candidates of ``candidate_class`` in ``split``.

    The page labels as ``annotator`` unless its address says ``?annotator=NAME``; the error
    classes compare the labels with ``predictions`` (one of :data:`PREDICTIONS`).
    """
    check_annotator(annotator)
    engine = engine if engine is not None else get_engine(db_url)
    ensure_schema(engine)
    new_session = sessionmaker(bind=engine, expire_on_commit=False)
    with new_session() as session:
        vc = load_split(session, candidate_class, split, predictions=predictions)
    write_lock = threading.Lock()

    def index(request: Request) -> Response:
        return HTMLResponse((STATIC / "index.html").read_text(encoding="utf-8"))

    def static(request: Request) -> Response:
        name = request.path_params["name"]
        if name not in ("viewer.js", "viewer.css"):
            return _error(404, f"no static file {name!r}")
        return FileResponse(STATIC / name, media_type="text/javascript" if name.endswith(".js") else "text/css")

    def annotator_of(value: Any) -> str:
        return check_annotator(value) if value not in (None, "") else annotator

    def config(request: Request) -> Response:
        who = annotator_of(request.query_params.get("annotator"))
        return JSONResponse(viewer_config(vc, who, page_size=page_size, height=0) | {"split": split})

    def page(request: Request) -> Response:
        q = request.query_params
        filters = Filters.parse(dict(q), vc.lf_names)
        number = _int_param(request, "page", 0, lo=0, hi=10**9)
        size = _int_param(request, "page_size", page_size, lo=1, hi=MAX_PAGE_SIZE)
        with new_session() as session:
            return JSONResponse(
                page_payload(
                    session, vc, annotator_of(q.get("annotator")), page=number, page_size=size, filters=filters
                )
            )

    async def label(request: Request) -> Response:
        if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
            return _error(415, "send the label as JSON (Content-Type: application/json)")
        try:
            body = json.loads(await request.body())
        except (json.JSONDecodeError, UnicodeDecodeError) as err:
            return _error(400, f"the body is not valid JSON: {err}")
        if not isinstance(body, dict) or "candidate_id" not in body or "value" not in body:
            return _error(400, 'expected {"candidate_id": ID, "value": LABEL} (value 0 clears)')
        return await _store(body)

    async def _store(body: dict[str, Any]) -> Response:
        from starlette.concurrency import run_in_threadpool

        return await run_in_threadpool(_guarded(lambda _r: _write(body)), None)

    def _write(body: dict[str, Any]) -> Response:
        who = annotator_of(body.get("annotator"))
        vc.index_of(body["candidate_id"])
        value = vc.check_label(body["value"])
        with write_lock, new_session() as session:
            stored = vc.set_label(session, who, body["candidate_id"], value)
        logger.info("label %s of candidate %s by %s", stored, body["candidate_id"], who)
        return JSONResponse({"candidate_id": int(body["candidate_id"]), "label": stored, "annotator": who})

    routes = [
        Route("/", index),
        Route("/static/{name}", static),
        Route("/api/config", _guarded(config)),
        Route("/api/page", _guarded(page)),
        Route("/api/label", label, methods=["POST"]),
    ]
    return Starlette(routes=routes)


def serve(app: Starlette, *, host: str = "127.0.0.1", port: int = 8765) -> None:
    """Run the app with uvicorn until interrupted."""
    import uvicorn

    uvicorn.run(app, host=host, port=port, log_level="info")
