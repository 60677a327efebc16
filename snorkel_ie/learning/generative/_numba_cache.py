"""Where numba keeps the compiled kernels: a writable on-disk cache, chosen before any kernel compiles.

Every kernel is compiled with ``cache=True``, so a process that finds the cache warm
loads machine code in milliseconds instead of compiling for seconds. numba looks for a
cache directory in this order: ``NUMBA_CACHE_DIR`` when set, the ``__pycache__`` folder
next to the kernel's source, then the user's cache folder (``~/.cache/numba``). When
none of them is writable (a read-only install in a container whose home directory is
read-only too), numba refuses to define a cached function at all and the import fails.
:func:`ensure_writable_cache` closes that gap: called by each kernel module before its
first ``@njit(cache=True)``, it leaves numba's choice alone when one of those places is
writable and otherwise points numba at a per-user folder under the system's temporary
directory. It never overrides a ``NUMBA_CACHE_DIR`` the user set.
"""

from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path

__all__ = ["ensure_writable_cache"]

_log = logging.getLogger(__name__)

_KERNEL_DIR = Path(__file__).resolve().parent


def _writable(path: Path) -> bool:
    """Whether ``path`` exists or can be created, and a file can be written in it (as numba checks)."""
    try:
        path.mkdir(parents=True, exist_ok=True)
        tempfile.TemporaryFile(dir=path).close()
    except OSError:
        return False
    return True


def _user_wide_dir() -> Path:
    from numba.misc.appdirs import AppDirs

    return Path(AppDirs(appname="numba", appauthor=False).user_cache_dir)


def _fallback_dir() -> Path:
    uid = os.getuid() if hasattr(os, "getuid") else "user"
    return Path(tempfile.gettempdir()) / f"snorkel_ie-numba-cache-{uid}"


def ensure_writable_cache() -> str:
    """Make sure numba can cache the kernels; return the directory it will use.

    Reads numba's configuration (``numba.config.CACHE_DIR``, set from ``NUMBA_CACHE_DIR``)
    and sets it only when neither the package folder nor the user's cache folder is
    writable.
    """
    from numba.core import config

    if config.CACHE_DIR:
        return str(config.CACHE_DIR)
    for candidate in (_KERNEL_DIR / "__pycache__", _user_wide_dir()):
        if _writable(candidate):
            return str(candidate)
    fallback = _fallback_dir()
    if not _writable(fallback):  # nothing is writable: let numba raise its own error at decoration
        return ""
    config.CACHE_DIR = str(fallback)
    _log.info("numba cache: package and user cache folders are read-only; caching kernels in %s", fallback)
    return str(fallback)
