"""Stored candidate class definitions: the table, saving, rebuilding a class, and migration 0002."""

from __future__ import annotations

import uuid
from enum import Enum

import pytest
from alembic import command
from sqlalchemy import func, inspect, select

from snorkel_ie.db.engine import make_engine
from snorkel_ie.db.migrate import alembic_config, current_revision
from snorkel_ie.db.models import (
    CandidateClass,
    ClassSpec,
    candidate_subclass,
    load_candidate_class,
    save_candidate_class,
    stored_class_spec,
)

Spouse = candidate_subclass("Spouse", ["person1", "person2"])
Weather = candidate_subclass("WeatherJudgement", ["tweet"], cardinality=5)


class Mood(Enum):
    SAD = 1
    HAPPY = 2


Moody = candidate_subclass("MoodyPair", ["a", "b"], values=[Mood.SAD, Mood.HAPPY])


def _save(session, cls) -> None:
    with session.get_bind().begin() as conn:
        save_candidate_class(conn, cls)


def test_save_candidate_class_round_trips_the_definition(session) -> None:
    _save(session, Spouse)
    _save(session, Weather)
    with session.get_bind().connect() as conn:
        assert stored_class_spec(conn, "spouse") == ClassSpec("Spouse", ("person1", "person2"), 2, (False, True))
        assert stored_class_spec(conn, "WeatherJudgement") == ClassSpec(
            "WeatherJudgement", ("tweet",), 5, (1, 2, 3, 4, 5)
        )
        assert stored_class_spec(conn, "nothing") is None
    assert stored_class_spec(session, "spouse") == ClassSpec("Spouse", ("person1", "person2"), 2, (False, True))


def test_save_candidate_class_replaces_a_stale_definition(session) -> None:
    _save(session, Spouse)
    session.execute(CandidateClass.__table__.update().values(arguments=["x", "y"], cardinality=3))
    session.commit()
    _save(session, Spouse)
    assert session.scalar(select(func.count()).select_from(CandidateClass)) == 1
    assert stored_class_spec(session, "spouse").arguments == ("person1", "person2")
    assert stored_class_spec(session, "spouse").cardinality == 2


def test_values_that_json_cannot_keep_are_stored_as_none(session) -> None:
    _save(session, Moody)
    assert stored_class_spec(session, "moodypair") == ClassSpec("MoodyPair", ("a", "b"), 2, None)


def test_load_candidate_class_prefers_this_process_then_the_database(session) -> None:
    assert load_candidate_class(session, "Spouse") is Spouse  # defined here: no query needed
    name = f"Rebuilt{uuid.uuid4().hex[:8]}"  # a class this process has not defined
    assert load_candidate_class(session, name) is None
    session.add(
        CandidateClass(
            type=name.lower(), class_name=name, arguments=["drug", "effect"], cardinality=3, label_values=[1, 2, 3]
        )
    )
    session.commit()
    cls = load_candidate_class(session, name.upper())
    assert cls.__name__ == name and cls.__argnames__ == ("drug", "effect")
    assert (cls.cardinality, cls.values) == (3, (1, 2, 3))
    assert candidate_subclass(name, ["drug", "effect"], cardinality=3) is cls  # an LF module defining it agrees


def test_migration_0002_adds_and_removes_the_table_on_an_existing_database(db_url: str) -> None:
    engine = make_engine(db_url)
    config = alembic_config()
    try:
        with engine.begin() as conn:
            config.attributes["connection"] = conn
            command.downgrade(config, "0001")
        assert current_revision(engine) == "0001"
        assert "candidate_class" not in inspect(engine).get_table_names()
        with engine.begin() as conn:
            config.attributes["connection"] = conn
            command.upgrade(config, "0002")
        assert "candidate_class" in inspect(engine).get_table_names()
        assert [c["name"] for c in inspect(engine).get_columns("candidate_class")] == [
            "type",
            "class_name",
            "arguments",
            "cardinality",
            "label_values",
        ]
    finally:
        with engine.begin() as conn:
            config.attributes["connection"] = conn
            command.upgrade(config, "head")
        engine.dispose()


@pytest.mark.parametrize("bad", [None, "Spouse", object()])
def test_save_candidate_class_rejects_what_is_not_a_candidate_class(session, bad) -> None:
    from snorkel_ie.db.models import Candidate
    from snorkel_ie.errors import CandidateError

    with pytest.raises(CandidateError, match="candidate_subclass"), session.get_bind().begin() as conn:
        save_candidate_class(conn, Candidate if bad is None else bad)
