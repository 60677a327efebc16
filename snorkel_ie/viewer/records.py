"""JSON records of candidates and pages, the one payload both front ends draw, and the text listing.

A record holds each sentence a candidate's arguments lie in (one for a sentence-scope
candidate; several, in document order, when the arguments sit in different sentences of
one document) with the character ranges of every argument, the argument texts, the
annotator's label, each LF's vote and the error class.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from sqlalchemy.orm import Session

from snorkel_ie.viewer.candidates import Filters, ViewerCandidates, n_pages

__all__ = ["candidate_record", "page_payload", "text_listing", "viewer_config"]


def candidate_record(candidate: Any, argnames: Sequence[str]) -> dict[str, Any]:
    """The sentences of a candidate with its arguments' character ranges (sentence-relative, end exclusive)."""
    spans = list(candidate.get_contexts())
    by_sentence: dict[int, dict[str, Any]] = {}
    args = []
    for i, span in enumerate(spans):
        sent = span.sentence
        entry = by_sentence.get(sent.id)
        if entry is None:
            doc = getattr(sent, "document", None)
            entry = by_sentence[sent.id] = {
                "id": int(sent.id),
                "document": getattr(doc, "name", ""),
                "position": int(getattr(sent, "position", 0) or 0),
                "text": sent.text,
                "marks": [],
            }
        entry["marks"].append({"arg": i, "start": int(span.char_start), "end": int(span.char_end)})
        name = argnames[i] if i < len(argnames) else f"arg{i}"
        args.append({"name": name, "text": span.get_span(), "sentence": int(sent.id)})
    sentences = sorted(by_sentence.values(), key=lambda s: (s["document"], s["position"]))
    return {"id": int(candidate.id), "args": args, "sentences": sentences}


def _votes_of(vc: ViewerCandidates, position: int) -> list[dict[str, Any]]:
    v = vc.votes
    lo, hi = v.indptr[position], v.indptr[position + 1]
    return [
        {"lf": vc.lf_names[int(j)], "value": int(x)}
        for j, x in sorted(zip(v.indices[lo:hi], v.data[lo:hi], strict=True))
        if x != 0
    ]


def page_payload(
    session: Session,
    vc: ViewerCandidates,
    annotator: str,
    *,
    page: int = 0,
    page_size: int = 3,
    filters: Filters | None = None,
) -> dict[str, Any]:
    """One page of the filtered candidates with their labels, votes and error classes, read now.

    A page past the end shows the last page.
    """
    filters = filters if filters is not None else Filters()
    labels = vc.labels(session, annotator)
    errors = vc.error_classes(labels)
    shown = vc.select(labels, filters)
    pages = n_pages(len(shown), page_size)
    page = min(max(int(page), 0), pages - 1)
    records = []
    for pos in shown[page * page_size : (page + 1) * page_size]:
        pos = int(pos)
        rec = candidate_record(vc.candidate(session, int(vc.ids[pos])), vc.argnames)
        rec.update(
            index=pos,
            label=int(labels[pos]),
            gold=int(vc.ids[pos]) in vc.gold_ids,
            votes=_votes_of(vc, pos),
            prediction=int(vc.predictions[pos]),
            error=str(errors[pos]) or None,
        )
        records.append(rec)
    session.commit()
    return {
        "page": page,
        "pages": pages,
        "page_size": page_size,
        "total": len(shown),
        "all": len(vc),
        "labeled": int(np.count_nonzero(labels)),
        "records": records,
    }


def viewer_config(vc: ViewerCandidates, annotator: str, *, page_size: int, height: int) -> dict[str, Any]:
    """What the front end needs before its first page: argument names, label choices, LFs, sizes."""
    return {
        "argnames": list(vc.argnames),
        "choices": vc.choices,
        "lfs": vc.lf_names,
        "annotator": annotator,
        "page_size": page_size,
        "height": height,
        "total": len(vc),
        "prediction_source": vc.prediction_source,
    }


def _marked(sentence: dict[str, Any]) -> str:
    text = sentence["text"]
    out, last = [], 0
    for m in sorted(sentence["marks"], key=lambda m: (m["start"], -m["end"])):
        if m["start"] < last:  # overlapping arguments: mark the first one only
            continue
        out.append(text[last : m["start"]])
        out.append(f"[[{m['arg']}:{text[m['start'] : m['end']]}]]")
        last = m["end"]
    out.append(text[last:])
    return "".join(out)


def text_listing(payload: dict[str, Any], argnames: Sequence[str], choices: Sequence[dict[str, Any]]) -> str:
    """A plain-text listing of one page (the widget's fallback where no front end draws it)."""
    names = {c["value"]: c["name"] for c in choices}
    head = (
        f"SentenceNgramViewer: {payload['all']} candidates, {payload['labeled']} labeled; "
        f"page {payload['page'] + 1} of {payload['pages']} ({payload['total']} shown)"
    )
    lines = [head, "arguments: " + ", ".join(f"[[{i}:...]] = {n}" for i, n in enumerate(argnames))]
    for rec in payload["records"]:
        label = names.get(rec["label"], "-") if rec["label"] else "-"
        votes = ", ".join(f"{v['lf']}={v['value']:+d}" for v in rec["votes"]) or "no LF votes"
        lines.append(f"#{rec['index']} id={rec['id']} label={label} error={rec['error'] or '-'} ({votes})")
        lines.extend(f"    {_marked(s).strip()}" for s in rec["sentences"])
    return "\n".join(lines)
