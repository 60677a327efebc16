"""``SentenceNgramViewer``: look at candidates in Jupyter and label them, as in Snorkel 0.7.

An anywidget (JupyterLab 4, Notebook 7, VS Code) drawn by ``static/viewer.js``, the same
front end as the labeling web page. The page asks the kernel for pages of candidates
over the widget's message channel; a label click (or key) is written to the database at
once through :func:`snorkel_ie.labeling.gold.save_gold_labels`, so it survives a kernel
restart and shows again when a viewer is reopened. Where no front end draws widgets
(a notebook run headless, a terminal) the text form of the widget lists the first page.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import anywidget
import numpy as np
import traitlets
from sqlalchemy.orm import Session

from snorkel_ie.errors import SnorkelIEError
from snorkel_ie.viewer.candidates import Filters, ViewerCandidates, check_annotator
from snorkel_ie.viewer.records import page_payload, text_listing, viewer_config

__all__ = ["SentenceNgramViewer"]

logger = logging.getLogger(__name__)
STATIC = Path(__file__).resolve().parent / "static"


class SentenceNgramViewer(anywidget.AnyWidget):
    """Show candidates with their arguments highlighted, page through them, label them.

    Parameters
    ----------
    candidates
        The candidates to show, in this order (e.g. ``session.query(Spouse).filter(Spouse.split == 1).all()``
        or one of the sets of ``error_analysis``).
    session
        An open session; labels are written with it.
    gold
        Candidates to mark as gold (a gold bar on their card), as in Snorkel 0.7.
    n_per_page
        Candidates per page.
    height
        Height of the candidate list in pixels.
    annotator_name
        Whose gold labels are shown and written (``load_gold_labels(session, annotator_name)`` reads them).
    predictions
        One per candidate (labels in {-1, 1} or marginals in [0, 1]) for the tp/fp/tn/fn
        filter; without them the majority vote of the stored LF labels.

    Keys (with the viewer focused): arrows move between candidates (and pages), PageUp /
    PageDown turn pages, ``t`` labels true, ``f`` false, ``c`` / Backspace clears
    (categorical classes: ``1`` .. ``9``).

    Examples
    --------
    >>> sv = SentenceNgramViewer(dev_cands, session)  # doctest: +SKIP
    >>> sv  # doctest: +SKIP
    >>> c = sv.get_selected()  # doctest: +SKIP
    """

    _esm = STATIC / "viewer.js"
    _css = STATIC / "viewer.css"
    _config = traitlets.Dict().tag(sync=True)
    selected_id = traitlets.Int(-1).tag(sync=True)

    def __init__(
        self,
        candidates: Iterable[Any],
        session: Session,
        gold: Iterable[Any] = (),
        n_per_page: int = 3,
        height: int = 225,
        annotator_name: str = "gold",
        *,
        predictions: Sequence[float] | np.ndarray | None = None,
    ):
        self.session = session
        self.annotator_name = check_annotator(annotator_name)
        self.n_per_page = int(n_per_page)
        self.candidates = ViewerCandidates.load(session, list(candidates), gold=gold or (), predictions=predictions)
        config = viewer_config(self.candidates, self.annotator_name, page_size=self.n_per_page, height=int(height))
        first = int(self.candidates.ids[0]) if len(self.candidates) else -1
        super().__init__(_config=config, selected_id=first)
        self.on_msg(self._answer)

    # ------------------------------------------------------------------ 0.7 API
    def get_selected(self) -> Any:
        """The candidate selected in the viewer (the first one until another is clicked)."""
        if self.selected_id < 0:
            return None
        return self.candidates.candidate(self.session, self.selected_id)

    # ------------------------------------------------------------------ beyond 0.7
    def page(self, page: int = 0, **filters: Any) -> dict[str, Any]:
        """Page ``page`` as the front end gets it (filters: ``lf``, ``conflict``, ``error``, ``label``)."""
        parsed = Filters.parse(filters, self.candidates.lf_names)
        return page_payload(
            self.session, self.candidates, self.annotator_name, page=page, page_size=self.n_per_page, filters=parsed
        )

    def label(self, candidate: Any, value: int) -> int:
        """Store a gold label (0 clears) as a click does; returns the stored value."""
        return self.candidates.set_label(self.session, self.annotator_name, getattr(candidate, "id", candidate), value)

    def text(self, page: int = 0) -> str:
        """A plain-text listing of one page: arguments in ``[[i:...]]``, labels, votes, error classes."""
        return text_listing(self.page(page), self.candidates.argnames, self.candidates.choices)

    def __repr__(self) -> str:
        try:
            return self.text()
        except SnorkelIEError as err:  # the text form must never break a notebook's display
            return f"SentenceNgramViewer({len(self.candidates)} candidates; listing failed: {err})"

    # ------------------------------------------------------------------ front end
    def _answer(self, _widget: Any, content: dict[str, Any], _buffers: Any) -> None:
        req = content.get("req")
        try:
            if content.get("kind") == "page":
                body = self.page(int(content.get("page", 0)), **dict(content.get("filters") or {}))
            elif content.get("kind") == "label":
                stored = self.label(content.get("candidate_id"), content.get("value"))
                body = {"candidate_id": int(content["candidate_id"]), "label": stored}
            else:
                raise ValueError(f"unknown request {content.get('kind')!r}")
            self.send({"req": req, "body": body})
        except (SnorkelIEError, ValueError, TypeError) as err:
            logger.warning("viewer request %r failed: %s", content.get("kind"), err)
            self.send({"req": req, "error": str(err)})
