"""Dependency types between pairs of labeling functions.

A dependency is a triple ``(j, k, dep_type)`` of two LF column indices and one of the
constants below, with the same integer values as the original Snorkel so that pickled
or hand-written dependency sets carry over.
"""

from __future__ import annotations

DEP_SIMILAR = 0
"""LFs j and k tend to output the same value (a correlation factor)."""
DEP_FIXING = 1
"""LF j fixes k: when j votes negative where k votes positive, j is right."""
DEP_REINFORCING = 2
"""LF j reinforces k: when both vote positive, the vote is more likely right."""
DEP_EXCLUSIVE = 3
"""LFs j and k never both label the same candidate."""

DEP_TYPES = (DEP_SIMILAR, DEP_FIXING, DEP_REINFORCING, DEP_EXCLUSIVE)
DEP_NAMES = {DEP_SIMILAR: "similar", DEP_FIXING: "fixing", DEP_REINFORCING: "reinforcing", DEP_EXCLUSIVE: "exclusive"}

Dependency = tuple[int, int, int]

__all__ = ["DEP_EXCLUSIVE", "DEP_FIXING", "DEP_NAMES", "DEP_REINFORCING", "DEP_SIMILAR", "DEP_TYPES", "Dependency"]
