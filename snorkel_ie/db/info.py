"""What is in a database: for ``snorkel-ie db info`` and notebooks."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine, func, inspect, select, table

from snorkel_ie.db.engine import safe_url
from snorkel_ie.db.migrate import current_revision, head_revision


@dataclass(frozen=True)
class DatabaseInfo:
    url: str
    revision: str | None
    head: str
    row_counts: dict[str, int]

    def __str__(self) -> str:
        lines = [f"database: {self.url}", f"revision: {self.revision or 'none'} (head {self.head})"]
        width = max((len(t) for t in self.row_counts), default=0)
        lines += [f"  {name:<{width}}  {count:>12,}" for name, count in self.row_counts.items()]
        return "\n".join(lines)


def database_info(engine: Engine) -> DatabaseInfo:
    """URL (password hidden), migration revision and the row count of every table."""
    names = sorted(n for n in inspect(engine).get_table_names() if n != "alembic_version")
    counts = {}
    with engine.connect() as conn:
        for name in names:
            counts[name] = conn.execute(select(func.count()).select_from(table(name))).scalar_one()
    return DatabaseInfo(safe_url(engine.url), current_revision(engine), head_revision(), counts)
