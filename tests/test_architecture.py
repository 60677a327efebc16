"""The floors of the package (ARCHITECTURE.md), checked on the source.

(a) SQL text, raw DB-API cursors and COPY appear only in the storage package ``snorkel_ie/db/``;
(b) ``snorkel_ie/learning/`` imports neither the storage package nor sqlalchemy (it takes arrays);
(c) ``snorkel_ie/labeling/`` imports nothing from ``snorkel_ie/learning/`` (no arrow back up).

The modules are read with :mod:`ast`, so a docstring that mentions SELECT is not SQL, and
an import inside a function counts like one at the top.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

import snorkel_ie

PACKAGE = Path(snorkel_ie.__file__).resolve().parent
STORAGE = PACKAGE / "db"
CLI_LAYER = {"cli.py"}
"""Command-line modules sit on the top floor (over every other floor): they may open sessions."""
COMPAT07_LAYER = {"tensorflow", "pytorch", "structure", "gen_learning.py"}
"""Snorkel 0.7's module paths under ``learning/`` (thin modules of the 0.7 layer, above both floors)."""

SQL = re.compile(r"\b(SELECT|INSERT|UPDATE|DELETE|CREATE|ALTER)\b.*\b(FROM|INTO|SET|TABLE)\b", re.DOTALL)
CURSOR_CALLS = {"exec_driver_sql", "cursor", "copy_expert", "copy_from", "copy_to"}


def _modules(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*.py") if "__pycache__" not in p.parts)


def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def _docstrings(tree: ast.Module) -> set[int]:
    ids = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                ids.add(id(body[0].value))
    return ids


def storage_violations(path: Path) -> list[str]:
    """SQL text, ``text(...)``, ``exec_driver_sql``, ``.cursor(`` and COPY calls in one module."""
    tree = _tree(path)
    docs = _docstrings(tree)
    found = []
    for node in ast.walk(tree):
        line = f"{_shown(path)}:{getattr(node, 'lineno', '?')}"
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docs:
            if SQL.search(node.value):
                found.append(f"{line}: SQL text {node.value[:60]!r}")
        elif isinstance(node, ast.JoinedStr):
            literal = "".join(v.value for v in node.values if isinstance(v, ast.Constant))
            if SQL.search(literal):
                found.append(f"{line}: SQL f-string {literal[:60]!r}")
        elif isinstance(node, ast.Call):
            fn = node.func
            name = fn.attr if isinstance(fn, ast.Attribute) else fn.id if isinstance(fn, ast.Name) else None
            if name in CURSOR_CALLS:
                found.append(f"{line}: .{name}(...)")
            elif name == "text" and _is_sqlalchemy_text(fn, tree):
                found.append(f"{line}: sqlalchemy text(...)")
    return found


def _is_sqlalchemy_text(fn: ast.expr, tree: ast.Module) -> bool:
    if isinstance(fn, ast.Attribute):  # sa.text(...), sqlalchemy.text(...)
        return isinstance(fn.value, ast.Name) and fn.value.id in {"sa", "sqlalchemy"}
    return any(
        isinstance(n, ast.ImportFrom)
        and (n.module or "").startswith("sqlalchemy")
        and any(a.name == "text" for a in n.names)
        for n in ast.walk(tree)
    )


def imported_modules(path: Path) -> set[str]:
    """Every module ``path`` imports (absolute names; relative imports resolved against the package)."""
    tree = _tree(path)
    package = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts[:-1])
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parts, base] if base else parts)
            out.add(base)
            out.update(f"{base}.{a.name}" for a in node.names)
    return out


def _shown(path: Path) -> str:
    return str(path.relative_to(PACKAGE.parent)) if PACKAGE in path.parents else path.name


def _outside_storage() -> list[Path]:
    return [p for p in _modules(PACKAGE) if STORAGE not in p.parents]


def test_architecture_sql_only_in_the_storage_package():
    found = [v for p in _outside_storage() for v in storage_violations(p)]
    assert not found, "SQL or raw cursors outside snorkel_ie/db/:\n" + "\n".join(found)


def test_architecture_learning_does_not_import_storage_or_sqlalchemy():
    found = []
    for path in _modules(PACKAGE / "learning"):
        if path.name in CLI_LAYER or path.relative_to(PACKAGE / "learning").parts[0] in COMPAT07_LAYER:
            continue
        bad = sorted(
            m for m in imported_modules(path) if m.split(".")[0] == "sqlalchemy" or m.startswith("snorkel_ie.db")
        )
        found += [f"{path.relative_to(PACKAGE.parent)} imports {m}" for m in bad]
    assert not found, "\n".join(found)


def test_architecture_labeling_does_not_import_learning():
    found = []
    for path in _modules(PACKAGE / "labeling"):
        bad = sorted(m for m in imported_modules(path) if m.startswith("snorkel_ie.learning"))
        found += [f"{path.relative_to(PACKAGE.parent)} imports {m}" for m in bad]
    assert not found, "\n".join(found)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ('q = "SELECT id FROM candidate"\n', True),
        ('q = f"DELETE FROM {table} WHERE x"\n', True),
        ("from sqlalchemy import text\nconn.execute(text('x'))\n", True),
        ("conn.exec_driver_sql('ANALYZE')\n", True),
        ("cur = conn.connection.dbapi_connection.cursor()\n", True),
        ("cur.copy_expert(sql, buf)\n", True),
        ('"""Reads with one SELECT ... FROM per batch."""\nx = 1\n', False),
        ('msg = "select the candidates from split 0"\n', False),
        ("p.write_text('x')\n", False),
    ],
)
def test_architecture_storage_check_finds_what_it_should(tmp_path, source, expected):
    path = tmp_path / "probe.py"
    path.write_text(source, encoding="utf-8")
    assert bool(storage_violations(path)) == expected
