"""Worked examples: the tasks of the tutorials and of ``make demo``, importable."""
