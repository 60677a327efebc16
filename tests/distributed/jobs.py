"""Module-level helpers for the Dask tests (worker processes import them by name).

A helper kills its own Dask worker process (SIGKILL) the first time a worker reaches it
for a given phase, once the test has armed the marker folder named by
``$SNORKEL_IE_TEST_KILL_DIR``. Outside a Dask worker, or unarmed, it does nothing, so the
serial reference run uses exactly the same functions.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path
from typing import Any

from snorkel_ie.candidates import PretaggedCandidateExtractor
from snorkel_ie.labeling.lf_helpers import get_between_tokens, rule_regex_search_btw_AB, rule_regex_search_btw_BA

KILL_DIR_ENV = "SNORKEL_IE_TEST_KILL_DIR"
ARMED = "armed"


def kill_worker_once(phase: str) -> None:
    """SIGKILL this Dask worker process if armed and no worker was killed in ``phase`` yet."""
    folder = os.environ.get(KILL_DIR_ENV)
    if not folder or not (Path(folder) / ARMED).exists():
        return
    try:
        from distributed import get_worker

        get_worker()
    except ValueError:  # not inside a Dask worker: never kill the test process
        return
    try:
        fd = os.open(Path(folder) / phase, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
    except FileExistsError:
        return
    os.close(fd)
    os.kill(os.getpid(), signal.SIGKILL)


def parse_hook(parts: dict[str, Any]) -> dict[str, Any]:
    """CorpusParser ``fn``: the sentence unchanged (a worker dies on its first sentence when armed)."""
    kill_worker_once("parse")
    return parts


class KillingExtractor(PretaggedCandidateExtractor):
    """The CDR pre-tagged extractor (a worker dies on its first sentence when armed)."""

    def argument_spans(self, sentence: Any) -> list[list[Any]]:
        kill_worker_once("extract")
        return super().argument_spans(sentence)


def LF_kill_once(c: Any) -> int:
    """Abstains (a worker dies on its first candidate when armed)."""
    kill_worker_once("label")
    return 0


def LF_induce(c: Any) -> int:
    return rule_regex_search_btw_AB(c, r".{0,20}induc.{0,20}", 1)


def LF_d_caused_by_c(c: Any) -> int:
    return rule_regex_search_btw_BA(c, r".{0,50}(induced|caused|due).{0,15}", 1)


def LF_treat(c: Any) -> int:
    return rule_regex_search_btw_AB(c, r".*(treat|therap|prevent|effective).*", -1)


def LF_far(c: Any) -> int:
    return -1 if len(get_between_tokens(c)) > 10 else 0


LFS = [LF_induce, LF_d_caused_by_c, LF_treat, LF_far, LF_kill_once]
