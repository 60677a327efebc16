"""Snorkel 0.7's ``snorkel.contrib.models``."""
