"""Labeling functions made from a Snorkel 0.7 ``label_generator``.

A generator ``f(c)`` yields ``(lf_name, value)`` pairs (crowdsourcing: one LF per worker).
:func:`generated_lfs` runs it once over the candidates being labeled and returns one
:class:`GeneratedLF` per name, which answers from the stored values, so the annotator
stores, hashes and re-runs them like any other LF.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from snorkel_ie.db.models import Candidate
from snorkel_ie.errors import ConfigurationError

__all__ = ["GeneratedLF", "generated_lfs"]

_CHUNK = 900


class GeneratedLF:
    """The votes of one name of a label generator, by candidate id (picklable)."""

    def __init__(self, name: str, values: dict[int, int]):
        self.__name__ = name
        self.values = values

    def __call__(self, c: Any) -> int:
        return self.values.get(int(c.id), 0)

    def __lf_hash__(self) -> str:
        payload = json.dumps([self.__name__, sorted(self.values.items())]).encode()
        return hashlib.sha256(payload).hexdigest()

    def __repr__(self) -> str:
        return f"GeneratedLF({self.__name__!r}, {len(self.values)} votes)"


def generated_lfs(
    session: Session, generator: Callable[[Any], Iterable[tuple[str, int]]], ids: np.ndarray
) -> list[GeneratedLF]:
    """Run ``generator`` over the candidates ``ids`` (ORM objects, as 0.7 gave it) and make its LFs."""
    votes: dict[str, dict[int, int]] = {}
    for start in range(0, len(ids), _CHUNK):
        part = [int(i) for i in ids[start : start + _CHUNK]]
        for cand in session.scalars(select(Candidate).where(Candidate.id.in_(part)).order_by(Candidate.id)):
            for pair in generator(cand) or ():
                try:
                    name, value = pair
                except (TypeError, ValueError) as err:
                    raise ConfigurationError(
                        f"label_generator yielded {pair!r} for candidate {cand.id}; expected (lf_name, value) pairs"
                    ) from err
                if value:
                    votes.setdefault(str(name), {})[int(cand.id)] = int(value)
    return [GeneratedLF(name, values) for name, values in sorted(votes.items())]
