"""A fingerprint of a labeling function: what must change for the LabelAnnotator to re-run it.

The hash covers the LF's source (``inspect.getsource``), or for lambdas and functions
without source its code object (bytecode, constants with set elements in sorted order,
names, nested code), plus the values it captured: closure cells (what LF generators
bind), default arguments, the data-valued globals it reads (a dictionary, a set of
known pairs, a compiled regex) and, one level deep, the source of helper functions of
its own module that it calls. Only plain data (str, numbers, list, tuple, set,
frozenset, dict, compiled regex: exact types, not subclasses such as ``Counter``)
counts, so editing a knowledge-base set re-runs the LFs that read it; mutating such a
global from inside an LF makes it re-run every time. Nothing in the hash depends on
``PYTHONHASHSEED``, so an unchanged LF keeps its hash from one process to the next.
"""

from __future__ import annotations

import functools
import hashlib
import inspect
import re
import types
from collections import OrderedDict, defaultdict
from collections.abc import Callable
from typing import Any

_MAX_DEPTH = 3


def lf_hash(lf: Callable[..., Any]) -> str:
    """A hex SHA-256 of everything that defines ``lf``'s behaviour (64 characters).

    An object with a ``__lf_hash__()`` method (a
    :class:`~snorkel_ie.labeling.authoring.LabelingFunction`) gives its own.
    """
    own = getattr(type(lf), "__lf_hash__", None)
    if own is not None:
        return own(lf)
    h = hashlib.sha256()
    _feed_callable(h, lf, depth=0, seen=set())
    return h.hexdigest()


def _feed(h: Any, *parts: Any) -> None:
    for p in parts:
        data = p if isinstance(p, bytes) else str(p).encode("utf-8", "surrogatepass")
        h.update(len(data).to_bytes(8, "little"))
        h.update(data)


def _feed_callable(h: Any, fn: Any, *, depth: int, seen: set[int]) -> None:
    if id(fn) in seen:
        return
    seen.add(id(fn))
    if isinstance(fn, functools.partial):
        _feed(h, "partial")
        _feed_callable(h, fn.func, depth=depth, seen=seen)
        _feed(h, _stable_repr(fn.args), _stable_repr(fn.keywords))
        return
    if isinstance(fn, types.MethodType):
        _feed(h, "method", _stable_repr(fn.__self__))
        fn = fn.__func__
    code = getattr(fn, "__code__", None)
    if code is None:  # a callable object: its class's __call__ and its state
        _feed(h, "object", type(fn).__qualname__, _stable_repr(getattr(fn, "__dict__", {})))
        call = vars(type(fn)).get("__call__")
        if call is not None and hasattr(call, "__code__"):
            _feed_callable(h, call, depth=depth, seen=seen)
        return
    _feed(h, "function", getattr(fn, "__qualname__", ""))
    source = _source(fn)
    if source is not None:
        _feed(h, "source", source)
    else:
        _feed_code(h, code)
    _feed(h, "defaults", _stable_repr(fn.__defaults__), _stable_repr(fn.__kwdefaults__))
    for name, cell in zip(code.co_freevars, fn.__closure__ or (), strict=False):
        try:
            value = cell.cell_contents
        except ValueError:  # empty cell
            value = None
        _feed_value(h, name, value, depth=depth, seen=seen)
    globs = getattr(fn, "__globals__", {})
    for name in _global_names(code):
        if name in globs:
            _feed_value(h, name, globs[name], depth=depth, seen=seen, module=getattr(fn, "__module__", None))


def _source(fn: Any) -> str | None:
    if fn.__name__ == "<lambda>":  # getsource returns the whole line, other lambdas included
        return None
    try:
        return inspect.getsource(fn)
    except (OSError, TypeError):
        return None


def _feed_code(h: Any, code: types.CodeType) -> None:
    _feed(h, code.co_code, code.co_names, code.co_varnames, code.co_freevars)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            _feed_code(h, const)
        else:
            _feed(h, _const_repr(const))


def _const_repr(const: Any) -> str:
    """The repr of a code constant, with the elements of (frozen)sets in sorted order.

    ``c in {'wife', 'husband'}`` compiles to a frozenset constant whose plain repr lists
    its elements in string-hash order, which changes with ``PYTHONHASHSEED`` from one
    process to the next. Set elements are sorted by their own canonical form, tuples
    keep their order, both recursively; the text is ``repr``'s wherever that is already
    stable (a tuple without sets, a set whose elements happen to be in sorted order).
    """
    if type(const) in (set, frozenset):
        items = ", ".join(sorted(_const_repr(c) for c in const))
        return f"{type(const).__name__}({{{items}}})" if items else f"{type(const).__name__}()"
    if type(const) is tuple:
        items = ", ".join(_const_repr(c) for c in const)
        return f"({items},)" if len(const) == 1 else f"({items})"
    if isinstance(const, types.CodeType):  # repr would hold the object's address
        sub = hashlib.sha256()
        _feed_code(sub, const)
        return f"code({sub.hexdigest()})"
    return repr(const)


def _global_names(code: types.CodeType) -> list[str]:
    names = list(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names.extend(_global_names(const))
    return list(dict.fromkeys(names))


def _feed_value(h: Any, name: str, value: Any, *, depth: int, seen: set[int], module: str | None = None) -> None:
    if isinstance(value, (types.FunctionType, functools.partial)):
        own = module is None or getattr(value, "__module__", None) == module
        if own and depth < _MAX_DEPTH:
            _feed(h, "fn", name)
            _feed_callable(h, value, depth=depth + 1, seen=seen)
        return
    if isinstance(value, (types.ModuleType, type, types.BuiltinFunctionType)):
        return
    rep = _stable_repr(value)
    if rep is not None:
        _feed(h, "value", name, rep)


_DATA_TYPES = (str, bytes, int, float, bool, complex, type(None))


def _stable_repr(value: Any, _depth: int = 0) -> str | None:
    """A repr that does not depend on set/dict iteration order; None for values that are not data."""
    if _depth > 6:
        return "..."
    if isinstance(value, _DATA_TYPES):
        return repr(value)
    if isinstance(value, re.Pattern):
        return f"re({value.pattern!r},{value.flags})"
    if type(value) in (list, tuple):
        return "[" + ",".join(str(_stable_repr(v, _depth + 1)) for v in value) + "]"
    if type(value) in (set, frozenset):
        return "{" + ",".join(sorted(str(_stable_repr(v, _depth + 1)) for v in value)) + "}"
    if isinstance(value, dict) and type(value) in (dict, defaultdict, OrderedDict):
        items = sorted(f"{_stable_repr(k, _depth + 1)}:{_stable_repr(v, _depth + 1)}" for k, v in value.items())
        return "{" + ",".join(items) + "}"
    if isinstance(value, (types.FunctionType, functools.partial)):
        return getattr(value, "__qualname__", repr(value))
    return None
