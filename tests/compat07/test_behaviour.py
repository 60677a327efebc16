"""Snorkel 0.7 behaviours: LabelAnnotator(lfs=[]) and label_generator, postgres:// URLs, empty extraction."""

from __future__ import annotations

import pytest

from snorkel_ie import SnorkelSession
from snorkel_ie.annotations import LabelAnnotator
from snorkel_ie.candidates import CandidateExtractor, Ngrams
from snorkel_ie.contrib.models.text import RawText
from snorkel_ie.db.engine import resolve_url
from snorkel_ie.errors import ConfigurationError
from snorkel_ie.matchers import PersonMatcher
from snorkel_ie.models import LabelKey, Sentence, candidate_subclass

Tweet = candidate_subclass("BehaviourTweet", ["tweet"], cardinality=3)
Pair = candidate_subclass("BehaviourPair", ["a", "b"])

JUDGEMENTS = {"t0": {"w1": 1, "w2": 1}, "t1": {"w2": 3}, "t2": {"w1": 2, "w3": 2}}


def _tweets(session) -> None:
    session.add_all([Tweet(tweet=RawText(stable_id=t, text=f"tweet {t}"), split=0) for t in JUDGEMENTS])
    session.commit()


def worker_votes(c):
    yield from JUDGEMENTS[c.get_parent().document.name].items()


def test_label_generator_makes_one_lf_per_name_and_lfs_empty_loads_them(session) -> None:
    _tweets(session)
    L = LabelAnnotator(label_generator=worker_votes).apply(split=0, session=session)
    assert L.lf_names == ["w1", "w2", "w3"]
    assert L.toarray().tolist() == [[1, 1, 0], [0, 3, 0], [2, 0, 2]]
    loaded = LabelAnnotator(lfs=[]).load_matrix(session, split=0)
    assert loaded.toarray().tolist() == L.toarray().tolist()
    # a second apply is incremental: same votes, same hashes, nothing re-run
    again = LabelAnnotator(label_generator=worker_votes)
    assert again.apply(split=0, session=session).toarray().tolist() == L.toarray().tolist()
    assert (again.last_summary.ran, again.last_summary.skipped) == ([], ["w1", "w2", "w3"])


def test_label_generator_rejects_bad_pairs_and_lfs_together(session) -> None:
    _tweets(session)
    with pytest.raises(ConfigurationError, match="not both"):
        LabelAnnotator(lfs=[worker_votes], label_generator=worker_votes)
    with pytest.raises(ConfigurationError, match=r"\(lf_name, value\)"):
        LabelAnnotator(label_generator=lambda c: [3]).apply(split=0, session=session)


def test_postgres_scheme_of_snorkel_07_is_accepted(monkeypatch) -> None:
    monkeypatch.setenv("SNORKELDB", "postgres://snorkel:pw@127.0.0.1:5432/snorkel")
    assert resolve_url().drivername == "postgresql+psycopg2"
    assert resolve_url("postgres+psycopg2://u@h/d").get_backend_name() == "postgresql"


def test_postgres_scheme_opens_a_session(db_url: str) -> None:
    if not db_url.startswith("postgresql"):
        pytest.skip("PostgreSQL URL scheme only")
    session = SnorkelSession(db_url.replace("postgresql://", "postgres://", 1))
    assert session.query(Sentence).count() == 0
    session.close()


def test_extracting_from_an_empty_set_gives_no_candidates(session) -> None:
    extractor = CandidateExtractor(Pair, [Ngrams(n_max=2), Ngrams(n_max=2)], [PersonMatcher(), PersonMatcher()])
    for sentences in ([], set(), session.query(Sentence)):
        extractor.apply(sentences, split=0, session=session)
    assert session.query(Pair).count() == 0


def _one_vote(c):
    return 1


def test_apply_without_a_session_works_in_the_notebooks_session(db_url: str, monkeypatch) -> None:
    """0.7 notebooks call ``labeler.apply(split=0)`` with no session and then read through their own
    ``session``: it must see the new keys at once (a second session left SQLite's reader on an old snapshot)."""
    monkeypatch.setenv("SNORKELDB", db_url)
    session = SnorkelSession()
    _tweets(session)
    assert session.query(Tweet).count() == 3  # the notebook's session is reading
    L = LabelAnnotator(lfs=[_one_vote]).apply(split=0)
    assert L.get_key(session, 0).name == "_one_vote"
    assert session.query(LabelKey).count() == 1
    session.close()
