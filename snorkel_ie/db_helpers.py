"""Snorkel 0.7's ``snorkel.db_helpers``: attach stored stable labels to candidates as gold labels."""

from snorkel_ie.labeling.stable_labels import reload_annotator_labels

__all__ = ["reload_annotator_labels"]
