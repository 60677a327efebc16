"""Labeling functions for YouTube comment spam (UCI YouTube Spam Collection).

About ten LFs of the three kinds a user writes first (after snorkel's spam tutorial, written
anew here): keywords (``my``, ``subscribe``, links, ``please``, ``song``), patterns
(``check out``, view counts, social-network names) and heuristics (short comments, shouting).
Each LF takes any object ``x`` with a ``text`` attribute and returns ``+1`` (spam), ``-1``
(ham) or ``0`` (abstain), the binary convention of :class:`GenerativeModel`; so the same
functions label a plain record (:class:`Comment`) or a document candidate whose ``text``
is the comment.

Data: ``Youtube0{1..5}-*.csv`` (``COMMENT_ID, AUTHOR, DATE, CONTENT, CLASS``; CLASS 1 = spam),
CC BY 4.0. :func:`load_splits` splits by video as snorkel's tutorial does: the first four
videos train, the fifth (Shakira) is cut deterministically by comment id into dev and test.

Examples
--------
>>> splits = load_splits("/work/shared/data/youtube_spam")               # doctest: +SKIP
>>> L_train = label_matrix(splits["train"], YOUTUBE_LFS)                # doctest: +SKIP
"""

from __future__ import annotations

import csv
import hashlib
import re
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

__all__ = [
    "ABSTAIN",
    "HAM",
    "SPAM",
    "YOUTUBE_LFS",
    "Comment",
    "label_matrix",
    "load_comments",
    "load_splits",
]

SPAM, HAM, ABSTAIN = 1, -1, 0

LF = Callable[[Any], int]


class Comment(NamedTuple):
    """One comment: its id, text and gold label (``+1`` spam, ``-1`` ham)."""

    comment_id: str
    text: str
    label: int
    video: str


# --- keywords ---------------------------------------------------------------------------

_MY = re.compile(r"\bmy\b", re.I)
_SUBSCRIBE = re.compile(r"\bsub(scribe|scribed|scribing|s)?\b", re.I)
_LINK = re.compile(r"https?://|www\.|\.com\b|\.net\b|\.ly\b", re.I)
_PLEASE = re.compile(r"\b(please|plz|pls)\b", re.I)
_SONG = re.compile(r"\bsong\b", re.I)


def lf_keyword_my(x: Any) -> int:
    """Spammers talk about *my* channel, *my* video, *my* page."""
    return SPAM if _MY.search(x.text) else ABSTAIN


def lf_keyword_subscribe(x: Any) -> int:
    """Asking for subscribers."""
    return SPAM if _SUBSCRIBE.search(x.text) else ABSTAIN


def lf_keyword_link(x: Any) -> int:
    """A URL or a domain name."""
    return SPAM if _LINK.search(x.text) else ABSTAIN


def lf_keyword_please(x: Any) -> int:
    """Begging (please, plz, pls)."""
    return SPAM if _PLEASE.search(x.text) else ABSTAIN


def lf_keyword_song(x: Any) -> int:
    """Real comments talk about the song."""
    return HAM if _SONG.search(x.text) else ABSTAIN


# --- patterns ---------------------------------------------------------------------------

_CHECK_OUT = re.compile(r"\bcheck\s+(it\s+|this\s+|my\s+)?out\b", re.I)
_VIEWS = re.compile(r"\b(\d[\d,.]*\s*(million|billion|m|b)?|billion|million)\s+views?\b", re.I)
_SOCIAL = re.compile(r"\b(facebook|twitter|instagram|soundcloud|tumblr|follow me)\b", re.I)
_LOVE = re.compile(r"\b(love|awesome|amazing|beautiful|best)\b.*\b(song|video|voice|music)\b", re.I)


def lf_pattern_check_out(x: Any) -> int:
    """``check out`` / ``check it out`` / ``check my ... out``."""
    return SPAM if _CHECK_OUT.search(x.text) else ABSTAIN


def lf_pattern_views(x: Any) -> int:
    """Fans comment on the view count (``2 billion views``)."""
    return HAM if _VIEWS.search(x.text) else ABSTAIN


def lf_pattern_social(x: Any) -> int:
    """Pointers to other social networks."""
    return SPAM if _SOCIAL.search(x.text) else ABSTAIN


def lf_pattern_praise(x: Any) -> int:
    """Praise of the song, video or voice."""
    return HAM if _LOVE.search(x.text) else ABSTAIN


# --- heuristics -------------------------------------------------------------------------


def lf_short_comment(x: Any) -> int:
    """Short comments (at most five words) are rarely spam."""
    return HAM if len(x.text.split()) <= 5 else ABSTAIN


def lf_long_comment(x: Any) -> int:
    """Very long comments (over 40 words) are mostly pitches."""
    return SPAM if len(x.text.split()) > 40 else ABSTAIN


def lf_shouting(x: Any) -> int:
    """Mostly upper-case letters over a long enough comment."""
    letters = [c for c in x.text if c.isalpha()]
    if len(letters) < 20:
        return ABSTAIN
    return SPAM if sum(c.isupper() for c in letters) > 0.6 * len(letters) else ABSTAIN


YOUTUBE_LFS: list[LF] = [
    lf_keyword_my,
    lf_keyword_subscribe,
    lf_keyword_link,
    lf_keyword_please,
    lf_keyword_song,
    lf_pattern_check_out,
    lf_pattern_views,
    lf_pattern_social,
    lf_pattern_praise,
    lf_short_comment,
    lf_long_comment,
    lf_shouting,
]


# --- data -------------------------------------------------------------------------------


def load_comments(path: str | Path) -> list[Comment]:
    """Every comment of one CSV of the collection."""
    path = Path(path)
    with path.open(encoding="utf-8", newline="") as fh:
        return [
            Comment(row["COMMENT_ID"], row["CONTENT"], SPAM if row["CLASS"].strip() == "1" else HAM, path.stem)
            for row in csv.DictReader(fh)
        ]


def _bucket(comment_id: str) -> int:
    return hashlib.sha1(comment_id.encode("utf-8")).digest()[0] % 2


def load_splits(directory: str | Path) -> dict[str, list[Comment]]:
    """``train`` (videos 1-4), ``dev`` and ``test`` (video 5 cut in two by a hash of the comment id)."""
    files = sorted(Path(directory).glob("Youtube0*.csv"))
    if len(files) != 5:
        raise FileNotFoundError(f"expected the five Youtube0*.csv files in {directory}, found {len(files)}")
    train = [c for f in files[:4] for c in load_comments(f)]
    last = load_comments(files[4])
    return {
        "train": train,
        "dev": [c for c in last if _bucket(c.comment_id) == 0],
        "test": [c for c in last if _bucket(c.comment_id) == 1],
    }


def label_matrix(items: Iterable[Any], lfs: Sequence[LF] = YOUTUBE_LFS) -> np.ndarray:
    """The ``(n, len(lfs))`` matrix of votes of ``lfs`` on ``items`` (int8, 0 = abstain)."""
    return np.array([[lf(x) for lf in lfs] for x in items], dtype=np.int8).reshape(-1, len(lfs))
