"""label and feature rows: their parents refuse TRUNCATE and id changes that would orphan them

Migration 0004 replaced the foreign keys of ``label`` and ``feature`` on PostgreSQL by
statement-level triggers. A foreign key also made PostgreSQL refuse two statements those
triggers let through: ``TRUNCATE candidate`` (or ``annotation_key``) while label or feature
rows remain, and an ``UPDATE`` of a referenced ``id``. This migration restores both refusals:

- after a TRUNCATE of ``candidate`` or ``annotation_key`` (fired once all tables of the
  statement are emptied, so ``TRUNCATE candidate, label, feature`` still works), remaining
  label or feature rows raise ``foreign_key_violation``;
- after an UPDATE of either table, an old id that is gone and still referenced raises it too.

The cascade of 0004 deletes the rows committed before it runs; under REPEATABLE READ or
SERIALIZABLE a concurrent writer's rows can escape it, so snorkel-ie runs its jobs at
PostgreSQL's default READ COMMITTED. SQLite keeps real foreign keys: nothing to do there.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_CHILDREN = ("label", "feature")
_PARENTS = {"candidate": "candidate_id", "annotation_key": "key_id"}


def _guard(name: str, refusals: list[tuple[str, str]]) -> str:
    """A plpgsql trigger function that raises ``foreign_key_violation`` at the first condition that holds."""
    checks = "\n".join(
        f"  IF {condition} THEN\n    RAISE foreign_key_violation USING MESSAGE = '{message}';\n  END IF;"
        for condition, message in refusals
    )
    return f"""
CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $body$
BEGIN
{checks}
  RETURN NULL;
END $body$"""


def _truncate_guard(parent: str) -> str:
    return _guard(
        f"snorkel_{parent}_truncate_guard",
        [
            (f"EXISTS (SELECT 1 FROM {child})",
             f"{child} rows still reference {parent}: truncate {parent}, label and feature together")
            for child in _CHILDREN
        ],
    )  # fmt: skip


def _update_guard(parent: str, column: str) -> str:
    gone = "NOT EXISTS (SELECT 1 FROM new_rows n WHERE n.id = o.id)"
    return _guard(
        f"snorkel_{parent}_update_guard",
        [
            (f"EXISTS (SELECT 1 FROM {child} c JOIN old_rows o ON c.{column} = o.id WHERE {gone})",
             f"{child} rows reference a {parent} id this update changed")
            for child in _CHILDREN
        ],
    )  # fmt: skip


def upgrade() -> None:
    if op.get_context().dialect.name != "postgresql":
        return
    for parent, column in _PARENTS.items():
        op.execute(_truncate_guard(parent))
        op.execute(
            f"CREATE TRIGGER snorkel_{parent}_truncate_guard AFTER TRUNCATE ON {parent} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION snorkel_{parent}_truncate_guard()"
        )
        op.execute(_update_guard(parent, column))
        op.execute(
            f"CREATE TRIGGER snorkel_{parent}_update_guard AFTER UPDATE ON {parent} "
            f"REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT "
            f"EXECUTE FUNCTION snorkel_{parent}_update_guard()"
        )


def downgrade() -> None:
    if op.get_context().dialect.name != "postgresql":
        return
    for parent in _PARENTS:
        for guard in ("truncate_guard", "update_guard"):
            op.execute(f"DROP TRIGGER snorkel_{parent}_{guard} ON {parent}")
            op.execute(f"DROP FUNCTION snorkel_{parent}_{guard}()")
