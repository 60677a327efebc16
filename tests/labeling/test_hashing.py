"""lf_hash: what makes an LF count as changed, and that nothing else does (not even the process)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import types
from pathlib import Path

import pytest

from snorkel_ie.labeling import lf_hash

WORDS = {"wife", "husband"}
PATTERN = re.compile(r"married")
ROOT = Path(__file__).resolve().parents[2]
SEEDS = ("0", "1", "2", "random")
"""PYTHONHASHSEED of the fresh interpreters: string hashes, so set iteration orders, differ between them."""


def LF_uses_globals(c) -> int:
    return 1 if c in WORDS and PATTERN.search(c) else 0


def _make(word: str):
    def LF_generated(c) -> int:
        return 1 if word in c else 0

    return LF_generated


def _with_constant(value: object):
    """A function whose code holds ``value`` as a constant, nested deeper than the compiler folds."""
    template = lambda c: c in "PLACEHOLDER"  # noqa: E731
    consts = tuple(value if k == "PLACEHOLDER" else k for k in template.__code__.co_consts)
    return types.FunctionType(template.__code__.replace(co_consts=consts), {})


_KIN = frozenset({"wife", "husband", "spouse", "widow", "fiance", "bride", "groom", "married"})
_NESTED = (frozenset({_KIN, frozenset({"ex", "former", "late"})}), ("first", frozenset({"z", "y", "x"})))

# Lambdas have no usable source, so their code objects are hashed: these hold set
# literals, which compile to frozenset constants (the last in a nested code object).
LAMBDAS = {
    "set": lambda c: 1 if c in {"wife", "husband", "spouse", "widow", "fiance", "bride", "groom", "married"} else 0,
    "edited": lambda c: 1 if c in {"wife", "husband", "spouse", "widow", "fiance", "bride", "groom", "wed"} else 0,
    "pairs": lambda a, b: 1 if (a, b) in {("wife", "husband"), ("bride", "groom"), ("widow", "late")} else 0,
    "inner": lambda c: (lambda w: w in {"wife", "husband", "spouse", "widow", "fiance", "bride"})(c),
    "one": lambda x: 1,
    "minus_one": lambda x: -1,
    "one_again": lambda x: 1,
}
DEEP = _with_constant(_NESTED)
DEEP_EDITED = _with_constant((_NESTED[0], ("first", frozenset({"z", "y", "w"}))))

EXPRESSIONS = (
    "LF_uses_globals",
    "_make('wife')",
    "_make('husband')",
    *(f"LAMBDAS[{name!r}]" for name in LAMBDAS),
    "DEEP",
    "DEEP_EDITED",
)


def _hashes(namespace: dict) -> dict[str, str]:
    return {e: lf_hash(eval(e, namespace)) for e in EXPRESSIONS}


@pytest.fixture(scope="module")
def fresh_hashes() -> list[dict[str, str]]:
    """The hash of each expression computed in a new interpreter, one per PYTHONHASHSEED."""
    code = "import json\nfrom tests.labeling import test_hashing as m\nprint(json.dumps(m._hashes(vars(m))))\n"
    out = []
    for seed in SEEDS:
        env = {**os.environ, "PYTHONHASHSEED": seed}
        run = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True)
        assert run.returncode == 0, run.stderr
        out.append(json.loads(run.stdout))
    return out


def test_set_constants_have_a_process_dependent_iteration_order() -> None:
    """The premise of the tests below: a frozenset constant's repr differs between hash seeds."""
    code = "print(repr(next(c for c in (lambda c: c in {%s}).__code__.co_consts if isinstance(c, frozenset))))"
    words = ", ".join(repr(w) for w in sorted(_KIN))
    reprs = set()
    for seed in SEEDS[:3]:
        env = {**os.environ, "PYTHONHASHSEED": seed}
        run = subprocess.run([sys.executable, "-c", code % words], env=env, capture_output=True, text=True, check=True)
        reprs.add(run.stdout)
    assert len(reprs) > 1


@pytest.mark.slow  # starts four interpreters that import snorkel_ie
@pytest.mark.parametrize("expression", EXPRESSIONS)
def test_lf_hash_is_the_same_in_every_process(fresh_hashes, expression: str) -> None:
    ours = lf_hash(eval(expression, globals()))
    assert len(ours) == 64
    assert [h[expression] for h in fresh_hashes] == [ours] * len(SEEDS)


def test_lf_hash_changes_when_a_set_element_is_edited() -> None:
    assert lf_hash(LAMBDAS["set"]) != lf_hash(LAMBDAS["edited"])
    assert lf_hash(DEEP) != lf_hash(DEEP_EDITED)


def test_lf_hash_ignores_the_order_a_set_constant_was_built_in() -> None:
    forward = _with_constant(frozenset(["wife", "husband", "spouse"]))
    backward = _with_constant(frozenset(["spouse", "husband", "wife"]))
    assert lf_hash(forward) == lf_hash(backward)
    assert lf_hash(forward) != lf_hash(_with_constant(("wife", "husband", "spouse")))  # a tuple is not a set
    assert lf_hash(_with_constant(("wife", "husband"))) != lf_hash(_with_constant(("husband", "wife")))


def test_lf_hash_sees_captured_values_of_generated_lfs() -> None:
    assert lf_hash(_make("wife")) == lf_hash(_make("wife"))
    assert lf_hash(_make("wife")) != lf_hash(_make("husband"))


def test_lf_hash_distinguishes_lambdas_by_code_and_constants() -> None:
    assert lf_hash(LAMBDAS["one"]) != lf_hash(LAMBDAS["minus_one"])
    assert lf_hash(LAMBDAS["one"]) == lf_hash(LAMBDAS["one_again"])


def test_lf_hash_follows_data_globals() -> None:
    before = lf_hash(LF_uses_globals)
    WORDS.add("spouse")
    try:
        assert lf_hash(LF_uses_globals) != before
    finally:
        WORDS.discard("spouse")
    assert lf_hash(LF_uses_globals) == before
