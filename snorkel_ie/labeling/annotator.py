"""Annotators: apply labeling functions (or featurizers) to a split and store sparse rows.

:class:`LabelAnnotator` is incremental. For each LF it keeps, per candidate class and
split, an :class:`~snorkel_ie.db.models.AnnotatorRun` with a hash of the LF (source,
captured values, data globals; see :func:`lf_hash`), of the candidates it ran on (ids and
argument spans) and of whether its label rows are still there. Re-applying runs only the
LFs that are new, whose hash changed, or whose split's candidates changed (re-extracting
also forgets the split's runs); ``clear=True`` re-runs all. LFs removed from the list keep
their rows but leave the matrix. An LF that raises is counted, its first error kept with
the candidate id, and the job goes on (``fail_fast=True`` re-raises at once).

Snorkel 0.7's signatures work: ``apply(split, key_group, replace_key_set, cids_query)``
with ``parallelism``, ``progress_bar``, ``count`` and ``clear``, and ``load_matrix`` with
``cids_query``, ``key_names``, ``zero_one`` and ``load_as_array``. Annotation keys have no
group here: ``key_group`` must stay 0 (any other value raises).

Examples
--------
>>> labeler = LabelAnnotator(lfs=[LF_husband_wife, LF_distant_supervision])  # doctest: +SKIP
>>> L_train = labeler.apply(split=0, session=session)  # doctest: +SKIP
>>> L_train.lf_stats(session)  # doctest: +SKIP

The classes live in :mod:`~snorkel_ie.labeling.label_annotator` and
:mod:`~snorkel_ie.labeling.feature_annotator`, on the shared machinery of
``_annotator_base``; the Snorkel 0.7 options (also used by ``gold.py`` and
``marginals.py``) live in ``_options``. This module re-exports their names.
"""

from snorkel_ie.labeling._annotator_base import ApplySummary
from snorkel_ie.labeling._hashing import lf_hash
from snorkel_ie.labeling._options import check_key_group as check_key_group
from snorkel_ie.labeling._options import finish_matrix as finish_matrix
from snorkel_ie.labeling._options import query_candidate_ids as query_candidate_ids
from snorkel_ie.labeling.feature_annotator import FeatureAnnotator
from snorkel_ie.labeling.label_annotator import LabelAnnotator

__all__ = ["ApplySummary", "FeatureAnnotator", "LabelAnnotator", "lf_hash"]
