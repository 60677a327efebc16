"""A document-scope extractor that SIGKILLs its own process at the n-th document (for resume tests).

Run as ``python -m tests.candidates._killing DB_URL N PARTITION_SIZE`` from the repository root.
"""

from __future__ import annotations

import os
import signal
import sys
from typing import Any

from snorkel_ie.candidates import PretaggedCandidateExtractor
from snorkel_ie.db.models import Sentence, candidate_subclass
from snorkel_ie.db.session import SnorkelSession

ChemicalDisease = candidate_subclass("ChemicalDisease", ["chemical", "disease"])


class KillingExtractor(PretaggedCandidateExtractor):
    """Kills the process (no clean-up, no rollback handler) when it reaches document ``kill_at``."""

    def __init__(self, kill_at: int):
        super().__init__(ChemicalDisease, ["Chemical", "Disease"], scope="document")
        self.kill_at, self.seen = kill_at, 0

    def candidates_for_document(self, sentences: Any) -> list:
        self.seen += 1
        if self.seen == self.kill_at:
            os.kill(os.getpid(), signal.SIGKILL)
        return super().candidates_for_document(sentences)


def main(url: str, kill_at: int, partition_size: int) -> None:
    session = SnorkelSession(url)
    KillingExtractor(kill_at).apply(session.query(Sentence), split=0, progress=False, partition_size=partition_size)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))
