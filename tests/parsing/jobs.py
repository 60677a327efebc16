"""Module-level helpers for parsing tests (worker processes import them by name)."""

from __future__ import annotations

import sys
import time
from typing import Any

from snorkel_ie.parsing import CorpusParser, PubTatorDocPreprocessor, Spacy


def fail_on_naloxone(parts: dict[str, Any]) -> dict[str, Any]:
    """A user ``fn`` that fails for one document (the one whose text starts with 'Naloxone')."""
    if parts["position"] == 0 and parts["text"].startswith("Naloxone"):
        raise RuntimeError("this document is rejected on purpose")
    return parts


def slow_down(parts: dict[str, Any]) -> dict[str, Any]:
    """A user ``fn`` that takes a little time per sentence, so a job can be killed half-way."""
    time.sleep(0.003)
    return parts


def main(url: str, path: str, max_docs: int, parallelism: int, slow: bool) -> None:
    """Parse ``path`` (PubTator) into ``url``; run as a subprocess by the kill-and-resume test."""
    parser = CorpusParser(parser=Spacy("blank:en"), fn=slow_down if slow else None)
    summary = parser.apply(
        PubTatorDocPreprocessor(path, max_docs=max_docs), db=url, parallelism=parallelism, batch_size=10, progress=False
    )
    print(summary, flush=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5] == "slow")
