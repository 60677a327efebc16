"""``@labeling_function``: name an LF, hand it resources, and let edits re-run it.

A decorated function is a :class:`LabelingFunction`: calling it with a candidate calls
the function with the candidate and the resources as keyword arguments. The
:class:`~snorkel_ie.labeling.LabelAnnotator` accepts it like any LF, keys its column by
``name`` and re-runs it when its fingerprint changes: the hash of the function's source
(and of the helpers and data it reads, as for every LF: see
:func:`~snorkel_ie.labeling.lf_hash`) together with the hash of each resource. A
resource is hashed by value when it is plain data (strings, numbers, lists, sets,
dicts, compiled regexes), by its own LF hash when it is a function, and otherwise by its
pickled bytes; a resource that does not pickle is hashed by its type only, with a
warning, so changing it does not re-run the LF.

Examples
--------
>>> @labeling_function(name="lf_spam_word", resources={"words": {"subscribe", "check out"}})
... def spam_word(c, words):
...     return 1 if any(w in c.text.lower() for w in words) else 0
>>> spam_word.__name__
'lf_spam_word'
>>> from types import SimpleNamespace
>>> spam_word(SimpleNamespace(text="Please SUBSCRIBE"))
1
"""

from __future__ import annotations

import functools
import hashlib
import importlib
import logging
import pickle
import types
from collections.abc import Callable, Mapping
from typing import Any

from snorkel_ie.errors import ConfigurationError
from snorkel_ie.labeling._hashing import _stable_repr, lf_hash

__all__ = ["LabelingFunction", "labeling_function"]

log = logging.getLogger("snorkel_ie.labeling.authoring")


class LabelingFunction:
    """A labeling function with a name and keyword resources; made by :func:`labeling_function`.

    Parameters
    ----------
    name
        The LF's name: its column in the label matrix (default: the function's name).
    fn
        ``fn(candidate, **resources) -> int``.
    resources
        Keyword arguments handed to ``fn`` on every call; they take part in the hash.
    """

    def __init__(self, name: str, fn: Callable[..., Any], resources: Mapping[str, Any] | None = None):
        if not callable(fn):
            raise ConfigurationError(f"labeling_function decorates a function; got {type(fn).__name__}")
        if not isinstance(name, str) or not name:
            raise ConfigurationError(f"an LF name must be a non-empty string; got {name!r}")
        self.name = self.__name__ = self.__qualname__ = name
        self.fn = fn
        self.resources = dict(resources or {})
        self.__doc__ = getattr(fn, "__doc__", None)
        self.__module__ = getattr(fn, "__module__", None)
        self._fn_qualname = getattr(fn, "__qualname__", None)

    def __call__(self, candidate: Any) -> Any:
        return self.fn(candidate, **self.resources)

    def __lf_hash__(self) -> str:
        """The LF's fingerprint: its name, the function's hash and each resource's."""
        h = hashlib.sha256()
        for part in (
            self.name,
            lf_hash(self.fn),
            *(f"{k}={_resource_hash(k, v, self.name)}" for k, v in sorted(self.resources.items())),
        ):
            data = part.encode("utf-8", "surrogatepass")
            h.update(len(data).to_bytes(8, "little") + data)
        return h.hexdigest()

    def __reduce__(self) -> Any:
        # The decorator replaces the module's function by this object, so pickle cannot
        # find ``fn`` by name; a module-level LF pickles as a reference to itself.
        module, qualname = self.__module__, self._fn_qualname
        if module and qualname and "<" not in qualname:
            try:
                found = _lookup(module, qualname)
            except (ImportError, AttributeError):
                found = None
            if found is self:
                return _lookup, (module, qualname)
        return LabelingFunction, (self.name, self.fn, self.resources)

    def __repr__(self) -> str:
        res = f", resources={sorted(self.resources)}" if self.resources else ""
        return f"LabelingFunction({self.name!r}{res})"


def _lookup(module: str, qualname: str) -> Any:
    obj: Any = importlib.import_module(module)
    for part in qualname.split("."):
        obj = getattr(obj, part)
    return obj


def _resource_hash(key: str, value: Any, lf_name: str) -> str:
    if isinstance(value, (types.FunctionType, functools.partial, LabelingFunction)):
        return "fn:" + lf_hash(value)
    rep = _stable_repr(value)
    if rep is not None:
        return "data:" + hashlib.sha256(rep.encode("utf-8", "surrogatepass")).hexdigest()
    try:
        return "pickle:" + hashlib.sha256(pickle.dumps(value, protocol=4)).hexdigest()
    except (pickle.PicklingError, TypeError, AttributeError):
        log.warning(
            "LF %s: resource %r (%s) cannot be pickled, so only its type is hashed; "
            "clear=True re-runs the LF after you change it",
            lf_name,
            key,
            type(value).__name__,
        )
        return "type:" + f"{type(value).__module__}.{type(value).__qualname__}"


def labeling_function(
    fn: Callable[..., Any] | None = None, *, name: str | None = None, resources: Mapping[str, Any] | None = None
) -> Any:
    """Make ``fn`` a :class:`LabelingFunction`; use as ``@labeling_function`` or ``@labeling_function(...)``.

    Parameters
    ----------
    name
        The LF's name (default: the function's ``__name__``).
    resources
        Keyword arguments passed to the function on every call, e.g. a dictionary of
        terms or a knowledge base; they are part of the LF's hash, so changing one
        re-runs the LF.
    """
    if resources is not None and not isinstance(resources, Mapping):
        raise ConfigurationError(f"resources must be a mapping of keyword arguments; got {type(resources).__name__}")

    def wrap(f: Callable[..., Any]) -> LabelingFunction:
        return LabelingFunction(name if name is not None else getattr(f, "__name__", ""), f, resources)

    return wrap(fn) if fn is not None else wrap
